"""Where the second ear places a sentence on a stretch of audio (used by
:mod:`pipeline.speech.align.ear_check`).

- A sentence starts at a speech onset on the stretch, or, when the last run of speech on it
  holds more than one sentence (an ad-lib said just before the sentence, no pause the
  speech detector hears between them) and the ear hears it clearly better in a window of
  the sentence's length that ends where that speech ends, where a short pause in that
  window ends (the speech band's own level) or else where Whisper puts its first word.
- A sentence the acoustics call skipped is placed only when the ear hears it over the whole
  gap its neighbours leave, clearly ahead of its neighbours' texts, and either about as well
  as the lesson's surest sentences or on unclaimed speech about as long as the sentence:
  skipped only when neither the ear nor the length of the speech there says it was read.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from pipeline.core.text import syllable_count
from pipeline.core.types import AlignedSentence
from pipeline.speech.align.ear import RATE
from pipeline.speech.align.forced import ForcedOptions, next_onset
from pipeline.speech.align.levels import Band, band_span
from pipeline.speech.align.listen import Heard, Listener

if TYPE_CHECKING:
    from pipeline.speech.align.ear_check import CheckOptions

__all__ = ["best_onset", "bounds", "onset", "pause_around", "pause_end", "pauses", "run_from",
           "speech_in", "unskip"]

log = logging.getLogger("caunoi.align.ear")

Span = tuple[int, int]

#: The pause finder's levels: 20 ms frames (a pause is several), the speech band (Hz).
PAUSE_BAND: Band = (20, 300.0, 3400.0)


def onset(t: int, regions: list[Span]) -> int | None:
    """Where a forced start ``t`` lands on the speech: the onset just after it, or ``t``
    itself inside speech that runs on (a narrator over music); None in silence."""
    near = next_onset(t, regions, ForcedOptions())
    if near is not None:
        return near
    return t if any(a <= t < b for a, b in regions) else None


def bounds(out: list[AlignedSentence], first: int, last: int, total_ms: int) -> Span:
    """The audio between the matched sentences before ``first`` and after ``last``."""
    a = max((s.end_ms for s in out[:first] if s.status == "matched"), default=0)
    b = min((s.start_ms for s in out[last + 1:] if s.status == "matched"), default=total_ms)
    return a, max(a, b)


def speech_in(a: int, b: int, regions: list[Span]) -> int:
    """Milliseconds of speech on [a, b]."""
    return sum(max(0, min(b, y) - max(a, x)) for x, y in regions)


def run_from(t: int, b: int, regions: list[Span]) -> int:
    """Milliseconds of speech from ``t`` to the first pause after it (at most to ``b``)."""
    ends = [min(b, y) for x, y in sorted(regions) if y > t and x < b]
    firsts = [x for x, y in sorted(regions) if y > t and x < b]
    return ends[0] - max(t, firsts[0]) if ends else 0


def pauses(samples: np.ndarray, lo: int, hi: int, o: CheckOptions,
           wav: Path | None = None) -> list[Span]:
    """Pauses on [lo, hi] (ms) too short or too masked for the speech detector (a music bed
    under them): runs of 20 ms frames whose speech-band (300-3400 Hz) level is ``pause_db``
    below the stretch's median, at least ``min_pause_ms`` long (longer than the stops inside
    words). The levels are the recording's (``wav``: kept once computed,
    :func:`levels.band_span`), else ``samples``'."""
    first, level = band_span(PAUSE_BAND, lo, hi, samples, RATE, wav)
    if level.size < 3:
        return []
    quiet = np.concatenate([[False], level < np.median(level) - o.pause_db, [False]])
    edges = np.flatnonzero(np.diff(quiet.astype(np.int8)))
    frame = PAUSE_BAND[0]
    return [(first + frame * int(i), first + frame * int(j))
            for i, j in zip(edges[::2], edges[1::2], strict=True)
            if (j - i) * frame >= o.min_pause_ms]


def pause_end(samples: np.ndarray, lo: int, hi: int, o: CheckOptions,
              wav: Path | None = None) -> int | None:
    """The end of the longest (the first of the longest) of the :func:`pauses` on [lo, hi];
    None when there is none."""
    found = pauses(samples, lo, hi, o, wav)
    return max(found, key=lambda p: p[1] - p[0])[1] if found else None


def pause_around(samples: np.ndarray, t: int, o: CheckOptions,
                 wav: Path | None = None) -> Span | None:
    """The pause the detector missed (:func:`pauses`) that ``t`` (ms) falls in, judged on
    the ``before_ms`` before it and the ``after_ms`` after it (mostly speech: the level the
    pause is below); None when ``t`` is not in one."""
    found = pauses(samples, t - o.around_ms[0], t + o.around_ms[1], o, wav)
    return next(((a, b) for a, b in found if a <= t <= b), None)


def _tail(listener: Listener, k: int, span: Span, regions: list[Span], expected: int,
          o: CheckOptions, unheard: frozenset[int]) -> tuple[int, Heard] | None:
    """Sentence ``k`` heard at the end of the last run of speech on ``span`` when that run
    is longer than the sentence could be (``stretched``): a window of ``1.3 ×`` its
    expected length ending where the speech ends; it starts where a pause the detector
    missed ends (:func:`pause_end`), else where its first word is heard in that window.
    None when the run is short or the ear hears no word."""
    a, b = span
    last = max(((x, y) for x, y in regions if x < b and y > a), default=None,
               key=lambda r: r[1])
    if last is None or min(b, last[1]) - max(a, last[0]) <= o.stretched * expected:
        return None
    end = min(b, last[1])
    heard = listener.contrast(k, end - int(1.3 * expected), end, unheard)
    spoken = [w for w in heard.words if any(ch.isalnum() for ch in w.text)]
    if not spoken:
        return None
    # Whisper gives the window's first word the speech before it: the start is where a
    # pause ends in the stretch a sentence of this length starts in, else the first word.
    pause = pause_end(listener.samples, end - int(1.3 * expected), end - int(0.7 * expected),
                      o, listener.wav)
    start = pause if pause is not None else heard.origin_ms + int(1000 * spoken[0].start)
    return min(max(start, end - int(1.3 * expected)), end - 1), heard


def best_onset(listener: Listener, k: int, span: Span, regions: list[Span],
               expected: int, o: CheckOptions, unheard: frozenset[int] = frozenset(),
               until: int | None = None) -> tuple[int, Heard, bool] | None:
    """Where on ``span`` sentence ``k`` starts: of the speech onsets on it (at most
    ``max_onsets``, the span's own start first), the one whose window of the sentence's
    length the ear hears it best on; a later onset wins a near tie (forced text spreads over
    an ad-lib before it, and the window without the ad-lib is as good). The end of a run of
    speech longer than the sentence on ``span[0]``-``until`` (default: the span's end;
    :func:`_tail`) wins when the ear hears it there clearly better (by ``tie``) than at any
    onset; the third value says so."""
    a, b = span
    onsets = sorted({x for x, _ in regions if a - 150 <= x < b - o.fits * expected}
                    | ({a} if any(x <= a < y for x, y in regions) else set()))
    best: tuple[int, Heard, bool] | None = None
    for at in onsets[: o.max_onsets]:
        heard = listener.contrast(k, at, min(b, at + int(1.3 * expected)), unheard)
        if best is None or heard.contrast >= best[1].contrast - o.tie:
            best = (at, heard, False)
    tail = _tail(listener, k, (a, until or b), regions, expected, o, unheard)
    if tail is not None and (best is None or tail[1].contrast > best[1].contrast + o.tie):
        log.debug("sentence %s: heard at the end of the speech, from %d", k, tail[0])
        best = (*tail, True)
    return best


def unskip(out: list[AlignedSentence], moved: list[bool], k: int, listener: Listener,
           regions: list[Span], pace: float, margin: float, o: CheckOptions) -> None:
    """Place a sentence the acoustics call skipped when the ear hears its text over the
    whole gap its neighbours leave, ahead of theirs, and either about as well as the
    lesson's surest sentences are heard or on speech about as long as the sentence (see
    the module docstring); placed at the onset it is best heard from."""
    a, b = bounds(out, k, k, listener.total_ms)
    expected = int(syllable_count(out[k].text) * pace)
    speech = speech_in(a, b, regions)
    if b - a < max(o.min_gap_ms, o.fits * expected) or speech < o.fits * expected:
        return
    unheard = frozenset(j for j, s in enumerate(out) if j != k and s.status == "skipped"
                        and a <= s.start_ms <= b)
    whole = listener.contrast(k, a, b, unheard)
    typical = listener.typical(out)
    log.debug("skipped sentence %s: gap %d-%d, contrast %.2f, own %.2f (typical %.2f), "
              "speech %.2f of expected", out[k].index, a, b, whole.contrast, whole.own,
              typical, speech / max(1, expected))
    if whole.contrast < margin:  # (its own score is diluted by an ad-lib in the gap)
        return
    found = best_onset(listener, k, (a, b), regions, expected, o, unheard)
    if found is None:
        return
    start, heard, _ = found
    spoken = [w for w in heard.words if any(ch.isalnum() for ch in w.text)]
    log.debug("skipped sentence %s: from %d contrast %.2f, own %.2f", out[k].index, start,
              heard.contrast, heard.own)
    # Heard worse than the lesson's surest sentences and not clearly ahead: placed only
    # when the speech from its start to the next pause is about one sentence long (no
    # longer than a stretched span: the rest of the gap's speech is before it).
    weak = (heard.own < typical - o.below_typical and heard.contrast < o.clear
            and run_from(start, b, regions) > o.stretched * expected)
    if not spoken or heard.contrast < margin or weak:
        return
    end = min(b, heard.origin_ms + int(1000 * spoken[-1].end))
    out[k] = replace(out[k], start_ms=start, end_ms=max(start + 1, end), status="matched",
                     confidence=o.confirmed)
    moved[k] = True
