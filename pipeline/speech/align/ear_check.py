"""The acoustic alignment checked by Whisper where it is unsure ("ear").

Forcing the whole script costs a Whisper pass per ≤ 30 s window and its word probabilities
are uncalibrated (Whisper base hears a skipped sentence as readily as a spoken one). Here the
model is asked only about the sentences the acoustic (DTW) aligner is unsure of, and every
answer is a *contrast*: the sentence's own words forced onto a stretch of audio against its
neighbours' words forced onto the same stretch (mean log-probability per word). The same
audio, the same model, the same voice: what the model is unsure of on a phone band cancels
out, and what is left says which text the audio holds.

- A matched sentence below ``unsure`` confidence is scored where the acoustics put it: its
  own text clearly ahead confirms it; a neighbour's ahead questions it.
- A run of questioned sentences between confirmed ones is forced again onto the audio
  between them (:func:`pipeline.speech.align.forced.force_sentences`); a new place wins only
  when the contrast there clears the margin and a speech onset is near its start. Ends come
  from the speech detector, as in the forced aligner.
- A skipped sentence: no speech between its neighbours, skipped; speech there that the
  sentence's own text does not clearly win (an ad-lib, a neighbour's tail), skipped; its own
  text clearly ahead, placed there: skipped only when neither ear hears it.
- A questioned sentence the ear could not place elsewhere keeps the acoustic times with a low
  confidence, so the deviation report lists it for a person to check.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace

import numpy as np

from pipeline.core.text import syllable_count
from pipeline.core.types import AlignedSentence, Alignment, Ingested, Transcript
from pipeline.core.vi_numbers import spoken_form
from pipeline.speech.align.audio import wav_regions
from pipeline.speech.align.base import Aligner, AlignOptions, place
from pipeline.speech.align.dtw import DTWAligner
from pipeline.speech.align.ear import RATE, WINDOW_S, Ear, EarWord, open_ear
from pipeline.speech.align.forced import (
    ForcedOptions,
    _ends,
    _next_onset,
    _pace,
    _read,
    force_sentences,
)

__all__ = ["CheckOptions", "EarCheckAligner", "check"]

log = logging.getLogger("caunoi.align.ear")


@dataclass(frozen=True)
class CheckOptions:
    # Matched sentences below this acoustic confidence are checked by the ear.
    unsure: float = 0.5
    # The own text must beat the best neighbour's by this much (mean log-probability per
    # word, nats) to confirm a place or to place a sentence.
    margin: float = 0.5
    # Audio added on each side of a scored span (ms).
    pad_ms: int = 300
    # A gap shorter than this between a skipped sentence's neighbours: skipped, no ear asked.
    min_gap_ms: int = 1000
    # A questioned sentence the ear cannot place elsewhere is skipped when its own text
    # loses to a neighbour's by this much where the acoustics put it, and the acoustics
    # squeezed it into less than this share of its expected length (a skipped sentence
    # placed on a pause or an ad-lib)...
    skip_margin: float = 0.3
    squeezed: float = 0.7
    # Whether the ear may place a sentence the acoustics call skipped: in a gap at least
    # this share of its expected length, scored from at most this many speech onsets, its
    # own score at most this far below the lesson's surest sentences'.
    unskip: bool = True
    fits: float = 0.6
    max_onsets: int = 4
    below_typical: float = 0.5
    # A model whose mean log-probability per word on the lesson's surest sentences is below
    # this hears nothing (random or broken weights): it changes nothing.
    deaf: float = -7.0
    # Confidence given to a sentence the ear confirmed or placed / questioned and left.
    confirmed: float = 0.7
    questioned: float = 0.3


def _score(words: list[EarWord]) -> float:
    probs = [w.probability for w in words if any(c.isalnum() for c in w.text)]
    return float(np.mean(np.log(np.clip(probs, 1e-6, 1.0)))) if probs else -99.0


def _onset(t: int, regions: list[tuple[int, int]]) -> int | None:
    """Where a forced start ``t`` lands on the speech: the onset just after it, or ``t``
    itself inside speech that runs on (a narrator over music); None in silence."""
    near = _next_onset(t, regions, ForcedOptions())
    if near is not None:
        return near
    return t if any(a <= t < b for a, b in regions) else None


def _rivals(k: int, n: int) -> list[int]:
    near = [j for j in (k - 1, k + 1, k - 2, k + 2) if 0 <= j < n]
    return near[:2]


@dataclass(frozen=True)
class Heard:
    """A sentence's text scored on a span: its margin over the best neighbour's text, its
    own score, its forced words and where the scored window starts (ms)."""

    contrast: float
    own: float
    words: list[EarWord]
    origin_ms: int


class _Listener:
    """Contrast scores of script sentences on spans of the recording."""

    def __init__(self, ear: Ear, samples: np.ndarray, texts: list[str], pad_ms: int) -> None:
        self.ear, self.samples, self.pad = ear, samples, pad_ms
        self.tokens = [ear.tokens(spoken_form(t)) for t in texts]
        self.calls = 0
        self._typical: float | None = None

    @property
    def total_ms(self) -> int:
        return int(1000 * self.samples.size / RATE)

    def contrast(self, k: int, a_ms: int, b_ms: int) -> Heard:
        """Sentence ``k``'s text against its neighbours' on [a, b] (padded, ≤ 30 s)."""
        a = max(0, a_ms - self.pad)
        b = min(a + WINDOW_S * 1000, b_ms + self.pad, self.total_ms)
        window = self.samples[a * RATE // 1000: b * RATE // 1000]
        if window.size < RATE // 4:
            return Heard(-99.0, -99.0, [], a)
        rivals = _rivals(k, len(self.tokens))
        forced = self.ear.words_many(window, [self.tokens[k], *(self.tokens[j] for j in rivals)])
        self.calls += 1
        own = _score(forced[0])
        return Heard(own - max((_score(f) for f in forced[1:]), default=-99.0), own,
                     forced[0], a)

    def typical(self, sentences: list[AlignedSentence], n: int = 2) -> float:
        """The own score of the lesson's surest sentences where the acoustics put them:
        what this model gives this narrator's spoken sentences (asked once)."""
        if self._typical is None:
            sure = sorted((s for s in sentences if s.status == "matched"),
                          key=lambda s: -s.confidence)[:n]
            scores = [self.contrast(sentences.index(s), s.start_ms, s.end_ms).own
                      for s in sure]
            self._typical = float(np.median(scores)) if scores else -99.0
        return self._typical


def check(acoustic: list[AlignedSentence], listener: _Listener, regions: list[tuple[int, int]],
          o: CheckOptions = CheckOptions()) -> tuple[list[AlignedSentence], list[bool]]:
    """The acoustic sentences checked (see the module docstring); the second list says
    which ones the ear placed (their ends come from the speech detector)."""
    out = list(acoustic)
    moved = [False] * len(out)
    questioned: list[int] = []
    pace = _pace(acoustic)
    here: dict[int, float] = {}
    asks = [s for s in acoustic if s.status == "skipped" or (
        s.status == "matched" and s.confidence < o.unsure)]
    if not asks or listener.typical(acoustic) < o.deaf:
        return out, moved  # nothing to ask, or a model that hears nothing (broken weights)
    for k, d in enumerate(acoustic):
        if d.status != "matched" or d.confidence >= o.unsure:
            continue
        c = listener.contrast(k, d.start_ms, d.end_ms).contrast
        here[k] = c
        log.debug("sentence %s at %d-%d: contrast %.2f (%.2f of expected)", d.index,
                  d.start_ms, d.end_ms, c, (d.end_ms - d.start_ms)
                  / max(1.0, syllable_count(d.text) * pace))
        if c >= o.margin:
            out[k] = replace(d, confidence=max(d.confidence, o.confirmed))
        else:
            questioned.append(k)
    for run in _runs(questioned):
        _relocate(out, moved, run, listener, regions, pace, o)
    for k in questioned:
        d = acoustic[k]
        squeezed = d.end_ms - d.start_ms < o.squeezed * syllable_count(d.text) * pace
        if not moved[k] and here[k] <= -o.skip_margin and squeezed:
            log.debug("sentence %s: heard by neither ear: skipped", d.index)
            out[k] = replace(out[k], status="skipped", confidence=o.confirmed)
    # Sentences the ear doubts and could not place: a skipped neighbour may be heard there.
    doubtful = {k for k in questioned if not moved[k] and out[k].status == "matched"}
    for k, d in enumerate(acoustic):
        if d.status == "skipped" and o.unskip:
            _unskip(out, moved, k, listener, regions, pace, o, doubtful)
    return out, moved


def _runs(ks: list[int]) -> list[list[int]]:
    runs: list[list[int]] = []
    for k in ks:
        if runs and runs[-1][-1] == k - 1:
            runs[-1].append(k)
        else:
            runs.append([k])
    return runs


def _bounds(out: list[AlignedSentence], first: int, last: int, total_ms: int,
            ignore: frozenset[int] | set[int] = frozenset()) -> tuple[int, int]:
    """The audio between the matched sentences before ``first`` and after ``last``
    (sentences in ``ignore`` do not count)."""
    a = max((s.end_ms for j, s in enumerate(out[:first]) if s.status == "matched"
             and j not in ignore), default=0)
    b = min((s.start_ms for j, s in enumerate(out[last + 1:], last + 1)
             if s.status == "matched" and j not in ignore), default=total_ms)
    return a, max(a, b)


def _relocate(out: list[AlignedSentence], moved: list[bool], run: list[int],
              listener: _Listener, regions: list[tuple[int, int]], pace: float,
              o: CheckOptions) -> None:
    a, b = _bounds(out, run[0], run[-1], listener.total_ms)
    span = listener.samples[a * RATE // 1000: b * RATE // 1000]
    if span.size < RATE // 2:
        return
    texts = [out[k].text for k in run]
    forced = force_sentences(listener.ear, span, texts, pace, ForcedOptions())
    for k, f in zip(run, forced, strict=True):
        d = out[k]
        if f is None:
            out[k] = replace(d, confidence=min(d.confidence, o.questioned))
            continue
        start, end = a + f.start_ms, a + f.end_ms
        c = listener.contrast(k, start, end).contrast
        onset = _onset(start, regions)
        log.debug("sentence %s forced at %d-%d: contrast %.2f, onset %s", d.index, start,
                  end, c, onset)
        if c >= o.margin and onset is not None and onset < end:
            out[k] = replace(d, start_ms=onset, end_ms=end, confidence=o.confirmed)
            moved[k] = True
        else:
            out[k] = replace(d, confidence=min(d.confidence, o.questioned))


def _unskip(out: list[AlignedSentence], moved: list[bool], k: int, listener: _Listener,
            regions: list[tuple[int, int]], pace: float, o: CheckOptions,
            doubtful: set[int]) -> None:
    """Place a sentence the acoustics call skipped when the ear hears it in the gap its
    neighbours leave (``doubtful`` neighbours leave their place to it): scored from each
    speech onset in the gap (a sentence forced onto a longer stretch takes the audio
    before it too), its own text ahead of its neighbours' and about as well heard as the
    lesson's surest sentences. A doubtful sentence whose place it takes was not said."""
    a, b = _bounds(out, k, k, listener.total_ms, doubtful)
    expected = int(syllable_count(out[k].text) * pace)
    if b - a < max(o.min_gap_ms, o.fits * expected):
        return
    onsets = sorted({x for x, _ in regions if a - 150 <= x < b - o.fits * expected}
                    | ({a} if any(x < a < y for x, y in regions) else set()))
    best: tuple[float, int, Heard] | None = None
    for onset in onsets[: o.max_onsets]:
        heard = listener.contrast(k, onset, min(b, onset + int(1.3 * expected)))
        if best is None or heard.contrast > best[0]:
            best = (heard.contrast, onset, heard)
    if best is None:
        return
    c, onset, heard = best
    typical = listener.typical(out)
    log.debug("skipped sentence %s: best onset %d, contrast %.2f, own %.2f (typical %.2f)",
              out[k].index, onset, c, heard.own, typical)
    spoken = [w for w in heard.words if any(ch.isalnum() for ch in w.text)]
    if c < o.margin or heard.own < typical - o.below_typical or not spoken:
        return
    end = min(b, heard.origin_ms + int(1000 * spoken[-1].end))
    out[k] = replace(out[k], start_ms=onset, end_ms=max(onset + 1, end), status="matched",
                     confidence=o.confirmed)
    moved[k] = True
    for j in sorted(doubtful):
        d = out[j]
        if min(d.end_ms, end) - max(d.start_ms, onset) > (d.end_ms - d.start_ms) / 2:
            log.debug("sentence %s: its place holds sentence %s: skipped", d.index, out[k].index)
            out[j] = replace(d, status="skipped", confidence=o.confirmed)
            doubtful.discard(j)


class EarCheckAligner(Aligner):
    """The acoustic aligner, checked by the Whisper model where it is unsure."""

    name = "ear"

    def __init__(self, options: CheckOptions | None = None) -> None:
        self.options = options or CheckOptions()

    def align(self, ingested: Ingested, transcript: Transcript | None,
              opts: AlignOptions) -> Alignment:
        acoustic = DTWAligner().align(ingested, None, opts)
        if opts.asr is None:
            return acoustic
        sentences = ingested.lesson.sentences
        by_index = {s.index: s for s in acoustic.sentences if s.index is not None}
        dtw = [by_index[s.index] for s in sentences]
        texts = [s.text for s in sentences]
        regions = wav_regions(ingested.audio_wav, sum(syllable_count(t) for t in texts))
        listener = _Listener(open_ear(opts.asr), _read(ingested.audio_wav), texts,
                             self.options.pad_ms)
        checked, moved = check(dtw, listener, regions, self.options)
        checked = _ends(checked, moved, regions)
        log.info("ear: %d windows scored, %d sentences placed by the ear", listener.calls,
                 sum(moved))
        # The acoustic ad-libs, trimmed by place() to the gaps the checked sentences leave
        # (a sentence the ear placed on part of one leaves the rest an ad-lib).
        adlibs = [a for a in acoustic.sentences if a.status == "ad-lib"]
        return Alignment(aligner=self.name, sentences=tuple(place(checked, adlibs)))
