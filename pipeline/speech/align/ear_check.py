"""The acoustic alignment checked by Whisper where it may be wrong ("ear").

Forcing the whole script costs a Whisper pass per ≤ 30 s window and its word probabilities
are uncalibrated (Whisper base hears a skipped sentence as readily as a spoken one). Here the
model is asked only about the sentences the acoustic (DTW) aligner may have wrong, and every
answer is a *contrast* (:mod:`pipeline.speech.align.listen`): the sentence's own words
forced onto a stretch of audio against its neighbours' words forced onto the same stretch,
each less what the model gives that text on silence. Margins are shares of the lesson's own
typical contrast (its acoustically surest sentences where the acoustics put them), not
numbers tied to one model, one narrator or today's acoustic confidences.

- Asked: a matched sentence below ``unsure`` confidence, one whose span implies a speaking
  rate far from the lesson's own (a stretched span holds an ad-lib or a neighbour; a squeezed
  one a scrap), one whose span the speech detector mostly calls silence, and the neighbours
  of a sentence the acoustics call skipped (a skip misplaced onto a neighbour shifts it).
- Scored where the acoustics put it: its own text clearly ahead confirms it (a stretched one
  is placed again inside its span); otherwise it is questioned.
- A run of questioned sentences, with the skipped sentences next to it, is forced again onto
  the audio between the sentences around it
  (:func:`pipeline.speech.align.forced.force_sentences`); a new place wins only when the
  contrast there clears the margin and a speech onset is at its start. An acoustic start
  within ``agree_ms`` of it is kept; ends come from the speech detector, unless its speech
  runs on further than a stretched span (an ad-lib after it, no pause heard): then the
  forced end.
- A skipped sentence: its text scored over the whole gap its neighbours leave (others
  skipped there are no rivals), placed only when it clearly wins and either the model hears
  it about as well as the lesson's surest sentences or the speech at its place is about one
  sentence long: skipped when neither the ear nor the speech length hears it
  (:mod:`pipeline.speech.align.ear_place`).
- A questioned sentence the ear could not place elsewhere keeps the acoustic times with a low
  confidence (the deviation report lists it for a person); one whose place a sentence the
  ear placed took, or that its own text loses while squeezed, is skipped.
- Speech freed by a sentence the ear moved is reported as an ad-lib.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

from pipeline.core.text import syllable_count
from pipeline.core.types import AlignedSentence, Alignment, Ingested, Transcript
from pipeline.speech.align.audio import wav_regions
from pipeline.speech.align.base import Aligner, AlignOptions, place
from pipeline.speech.align.dtw import DTWAligner, DTWOptions
from pipeline.speech.align.ear import RATE, open_ear
from pipeline.speech.align.ear_place import (
    best_onset,
    bounds,
    onset,
    pause_around,
    speech_in,
    unskip,
)
from pipeline.speech.align.ear_unheard import taken, unheard
from pipeline.speech.align.forced import (
    ForcedOptions,
    _ends,
    _pace,
    _read,
    cut_adlibs,
    force_sentences,
    freed,
)
from pipeline.speech.align.listen import Heard, Listener

__all__ = ["CheckOptions", "EarCheckAligner", "check", "freed"]

log = logging.getLogger("caunoi.align.ear")

#: The listener under its old name (tests build one directly).
_Listener = Listener

Span = tuple[int, int]


@dataclass(frozen=True)
class CheckOptions:
    # Matched sentences below this acoustic confidence are asked.
    unsure: float = 0.5
    # ... and those whose span is this many times longer than its syllables take at the
    # lesson's own median pace (rightly placed sentences of the 6 diagnosis lessons looked
    # at: 0.83–1.22; spans holding an ad-lib or a neighbour: 1.75–4.38)...
    stretched: float = 1.45
    # ... or whose span holds less speech than the lesson's median share less this.
    uncovered: float = 0.25
    # The own text must beat the best neighbour's by this share of the lesson's typical
    # contrast, never less than ``min_margin`` nor more than ``max_margin`` (nats per word),
    # to confirm a place or to place a sentence. Calibrated on tune + 9600 band-music,
    # phone-clip, shift-down (25 lessons, skipped sentences and their neighbours; scripts/
    # bench_align_ear29.py: each text over the whole gap its true neighbours leave):
    # spoken sentences 0.25–3.5 (5 % 0.38, median 1.21, n=50), skipped ones -0.92–0.25
    # (n=24; the 7 with ≥ 1.5 s of speech in the gap, an ad-lib: ≤ -0.11); without the
    # prior the two overlap (spoken from -0.63, skipped up to 0.66). Typical contrasts
    # 0.6–2.7; relative to them the two overlap (spoken from 0.13×, skipped up to 0.22×),
    # so the share only lowers the margin for a model that hears this narrator badly.
    margin_share: float = 0.4
    min_margin: float = 0.15
    max_margin: float = 0.3
    # The same for placing a sentence the acoustics call skipped.
    skip_share: float = 0.4
    # Audio added on each side of a scored span (ms).
    pad_ms: int = 300
    # A gap shorter than this between a skipped sentence's neighbours: skipped, no ear asked.
    min_gap_ms: int = 1000
    # A questioned sentence the ear cannot place elsewhere is skipped when its own text
    # loses to a neighbour's by this share of the margin where the acoustics put it, and the
    # acoustics squeezed it into less than this share of its expected length (a skipped
    # sentence placed on a pause or an ad-lib)...
    skip_margin: float = 0.6
    squeezed: float = 0.7
    # ... or the acoustics barely heard it there (below the DTW aligner's own line for "no
    # better than unrelated speech", DTWOptions.min_confidence) and the ear heard its text
    # ahead nowhere it forced it (:mod:`pipeline.speech.align.ear_unheard`); 0: off.
    unheard: float = DTWOptions.min_confidence
    # Whether the ear may place a sentence the acoustics call skipped: in a gap at least
    # this share of its expected length, its own score at most this far below the lesson's
    # surest sentences' -- unless its text wins by ``clear`` nats per word, four times the
    # most any skipped sentence won by in the calibration (0.25): a narrator Whisper hears
    # worse than the lesson's surest sentences (a shifted voice on a phone line: own 0.8
    # below typical, contrast 1.8-2.0 on two diagnosis lessons) is still placed.
    unskip: bool = True
    fits: float = 0.6
    below_typical: float = 0.5
    clear: float = 1.0
    # Speech onsets tried as a start, and how much less contrast a later one may have and
    # still win (nats per word).
    max_onsets: int = 4
    tie: float = 0.15
    # Both ears agree on a start this close (ms): the acoustic start is kept.
    agree_ms: int = 400
    # Speech at least this long freed by a sentence the ear moved is an ad-lib (ms).
    min_adlib_ms: int = 1000
    # A pause the speech detector does not hear (an ad-lib run into the sentence over a
    # music bed, or on a phone line): 20 ms frames this many dB below the stretch's median
    # speech-band level, at least this long (stops inside words: <= 100 ms). The two
    # diagnosis lessons with an ad-lib run into the next sentence (band-music-10000,
    # shift-phone-9701) have 160-400 ms pauses found within 2 ms of their true end at
    # 8 dB / 100-160 ms; at 10 dB the first is missed.
    pause_db: float = 8.0
    min_pause_ms: int = 160
    # A sentence the ear placed ends where its speech region ends, or at its forced end when
    # that region runs on (an ad-lib after it, no pause the detector hears). Whisper gives
    # the last word the pause after it, and a region's edge over a bed runs into the pause
    # (band-music-9702: 340 ms into a 1.1 s pause under music), so an end inside a pause
    # the detector missed moves to where the pause starts (5 ends on the nine sets, each
    # 28-200 ms nearer; none further): the pause judged on this much audio before and after
    # the end (ms; mostly speech). () : off.
    around_ms: tuple[int, int] = (3000, 1000)
    # A model whose mean log-probability per word on the lesson's surest sentences is below
    # this hears nothing (random or broken weights): it changes nothing.
    deaf: float = -7.0
    # Confidence given to a sentence the ear confirmed or placed / questioned and left.
    confirmed: float = 0.7
    questioned: float = 0.3


def _rate(d: AlignedSentence, pace: float) -> float:
    return (d.end_ms - d.start_ms) / max(1.0, syllable_count(d.text) * pace)


def _cover(a: int, b: int, regions: list[Span]) -> float:
    return speech_in(a, b, regions) / max(1, b - a)


def _asked(acoustic: list[AlignedSentence], regions: list[Span], pace: float,
           o: CheckOptions) -> dict[int, str]:
    """The matched sentences the ear is asked about, with why."""
    matched = [k for k, d in enumerate(acoustic) if d.status == "matched"]
    typical_cover = float(np.median([_cover(acoustic[k].start_ms, acoustic[k].end_ms, regions)
                                     for k in matched])) if matched else 1.0
    skipped = {k for k, d in enumerate(acoustic) if d.status == "skipped"}
    why: dict[int, str] = {}
    for k in matched:
        d = acoustic[k]
        if _rate(d, pace) > o.stretched:
            why[k] = "stretched"
        elif d.confidence < o.unsure:
            why[k] = "unsure"
        elif _rate(d, pace) < o.squeezed:
            why[k] = "squeezed"
        elif _cover(d.start_ms, d.end_ms, regions) < typical_cover - o.uncovered:
            why[k] = "silent"
        elif {k - 1, k + 1} & skipped:
            why[k] = "next to a skip"
    return why


def margins(listener: Listener, acoustic: list[AlignedSentence],
            o: CheckOptions) -> tuple[float, float]:
    """The margins (confirm/place, place a skipped sentence) for this lesson and model."""
    typical = listener.typical_contrast(acoustic)
    low, high = o.min_margin, o.max_margin
    return (float(np.clip(o.margin_share * typical, low, high)),
            float(np.clip(o.skip_share * typical, low, high)))


def check(acoustic: list[AlignedSentence], listener: Listener, regions: list[Span],
          o: CheckOptions = CheckOptions()) -> tuple[list[AlignedSentence], list[bool]]:
    """The acoustic sentences checked (see the module docstring); the second list says
    which ones the ear placed (their ends come from the speech detector)."""
    out = list(acoustic)
    moved = [False] * len(out)
    pace = _pace(acoustic)
    asked = _asked(acoustic, regions, pace, o)
    skipped = [k for k, d in enumerate(acoustic) if d.status == "skipped"]
    if (not asked and not skipped) or listener.typical(acoustic) < o.deaf:
        return out, moved  # nothing to ask, or a model that hears nothing (broken weights)
    margin, skip_margin = margins(listener, acoustic, o)
    log.debug("margins %.2f / %.2f (typical contrast %.2f)", margin, skip_margin,
              listener.typical_contrast(acoustic))
    here: dict[int, float] = {}
    alt: dict[int, AlignedSentence] = {}
    questioned: list[int] = []
    for k, why in sorted(asked.items()):
        d = acoustic[k]
        heard_here = listener.contrast(k, d.start_ms, d.end_ms)
        here[k] = heard_here.contrast
        log.debug("sentence %s at %d-%d (%s, %.2f of expected): contrast %.2f, own %.2f "
                  "(prior %.2f, typical %.2f)", d.index, d.start_ms, d.end_ms, why,
                  _rate(d, pace), here[k], heard_here.own, listener.prior(k),
                  listener.typical(acoustic))
        if here[k] >= margin and why != "stretched":
            out[k] = replace(d, confidence=max(d.confidence, o.confirmed))
        else:
            questioned.append(k)
    near = {j for k in questioned for j in (k - 1, k + 1) if j in skipped}
    for run in _runs(sorted(set(questioned) | near)):
        _relocate(out, moved, run, listener, regions, pace, (margin, skip_margin), here, o,
                  alt)
    unheard(out, moved, questioned, ({k for k in questioned if _rate(acoustic[k], pace)
                                      < o.squeezed},
                                     {k for k in questioned if acoustic[k].confidence
                                      < o.unheard}), (here, alt, margin), o)
    for k in skipped:
        if o.unskip and not moved[k] and out[k].status == "skipped":
            unskip(out, moved, k, listener, regions, pace, skip_margin, o)
    taken(out, moved, questioned, alt, o)
    return out, moved


def _runs(ks: list[int]) -> list[list[int]]:
    runs: list[list[int]] = []
    for k in ks:
        if runs and runs[-1][-1] == k - 1:
            runs[-1].append(k)
        else:
            runs.append([k])
    return runs


def _accept(d: AlignedSentence, heard: Heard, span: Span, regions: list[Span], margin: float,
            pace: float, o: CheckOptions) -> int | None:
    """The start of the ear's place for ``d`` on ``span`` when it is clear: its own text
    ahead by the margin, a speech onset at its start, long enough for a skipped sentence."""
    at = onset(span[0], regions)
    if heard.contrast < margin or at is None or at >= span[1]:
        return None
    if d.status == "skipped" and span[1] - at < o.fits * syllable_count(d.text) * pace:
        return None
    if d.status == "matched" and abs(at - d.start_ms) <= o.agree_ms:
        return d.start_ms  # both ears agree: the acoustic start (snapped to the speech)
    return at


def _relocate(out: list[AlignedSentence], moved: list[bool], run: list[int],
              listener: Listener, regions: list[Span], pace: float,
              margin: tuple[float, float], here: dict[int, float], o: CheckOptions,
              alt: dict[int, AlignedSentence]) -> None:
    """Force ``run`` again between the sentences around it; ``alt`` gets the place of a
    sentence whose own text is ahead there, but not by the margin."""
    a, b = bounds(out, run[0], run[-1], listener.total_ms)
    span = listener.samples[a * RATE // 1000: b * RATE // 1000]
    if span.size < RATE // 2:
        return
    forced = force_sentences(listener.ear, span, [out[k].text for k in run], pace,
                             ForcedOptions())
    for i, (k, f) in enumerate(zip(run, forced, strict=True)):
        d = out[k]
        if f is None:
            continue
        start, end = a + f.start_ms, a + f.end_ms
        heard = listener.contrast(k, start, end)
        expected = int(syllable_count(d.text) * pace)
        # The forced text spread over an ad-lib too, or the acoustic span held one: placed
        # again inside the span, up to the next sentence's forced start.
        if end - start > o.stretched * expected or (d.status == "matched"
                                                    and _rate(d, pace) > o.stretched):
            until = next((a + g.start_ms for g in forced[i + 1:] if g is not None), b)
            found = best_onset(listener, k, (start, end), regions, expected, o,
                               until=max(end, until))
            if found is not None and found[1].words:
                start, heard, tail = found
                end = min(max(end, until) if tail else end,
                          heard.origin_ms + int(1000 * heard.words[-1].end))
        need = margin[1] if d.status == "skipped" else margin[0]
        new = _accept(d, heard, (start, end), regions, need, pace, o)
        log.debug("sentence %s (%s) forced at %d-%d: contrast %.2f, own %.2f (was %s): "
                  "start %s", d.index, d.status, start, end, heard.contrast, heard.own,
                  here.get(k), new)
        # A sentence the acoustics placed with confidence on a plausible span moves only
        # when the ear hears it better at the new place by the margin (band-music-9600: a
        # sure sentence next to a skip moved 2.9 s early into music on 0.46 against 0.26);
        # an unsure or stretched one when it is heard there about as well.
        sure = d.confidence >= o.unsure and _rate(d, pace) <= o.stretched
        better = margin[0] if sure else -0.2
        # A stretched sentence heard from its own start to an end inside its span is the
        # same place made tighter: its contrast on the longer span (over an ad-lib) does not
        # compare (shift-phone-10101: 2.34 on its own speech against 2.75 with the ad-lib).
        tighter = new == d.start_ms and end < d.end_ms and _rate(d, pace) > o.stretched
        if new is not None and (d.status == "skipped" or tighter
                                or heard.contrast >= here[k] + better):
            out[k] = replace(d, start_ms=new, end_ms=max(new + 1, end), status="matched",
                             confidence=o.confirmed)
            moved[k] = True
        elif d.status == "matched":
            out[k] = replace(d, confidence=min(d.confidence, o.questioned))
            at = onset(start, regions)
            if heard.contrast > 0 and at is not None and at < end:
                alt[k] = replace(d, start_ms=at, end_ms=end, confidence=o.questioned)


class EarCheckAligner(Aligner):
    """The acoustic aligner, checked by the Whisper model where it may be wrong."""

    name = "ear"

    def __init__(self, options: CheckOptions | None = None) -> None:
        self.options = options or CheckOptions()

    def _pause_at(self, listener: Listener) -> Callable[[int], Span | None] | None:
        """Where the pause the detector missed around a forced end starts and ends."""
        o = self.options
        if not o.around_ms:
            return None
        return lambda t: pause_around(listener.samples, t, o, listener.wav)

    def align(self, ingested: Ingested, transcript: Transcript | None,
              opts: AlignOptions) -> Alignment:
        dtw_aligner = DTWAligner()
        acoustic = dtw_aligner.align(ingested, None, opts)
        if opts.asr is None:
            return acoustic
        sentences = ingested.lesson.sentences
        by_index = {s.index: s for s in acoustic.sentences if s.index is not None}
        dtw = [by_index[s.index] for s in sentences]
        texts = [s.text for s in sentences]
        # The DTW aligner's own call (the same options: once computed, kept by the
        # acoustic path's cache where it has one).
        regions = wav_regions(ingested.audio_wav, sum(syllable_count(t) for t in texts),
                              dtw_aligner.options.vad)
        listener = Listener(open_ear(opts.asr), _read(ingested.audio_wav), texts,
                            self.options.pad_ms, wav=ingested.audio_wav)
        checked, moved = check(dtw, listener, regions, self.options)
        pace = _pace(dtw)
        checked = _ends(checked, moved, regions,
                        [int(self.options.stretched * pace * syllable_count(t)) for t in texts],
                        self._pause_at(listener))
        log.info("ear: %d windows scored, %d sentences placed by the ear", listener.calls,
                 sum(moved))
        # The acoustic ad-libs, trimmed by place() to the gaps the checked sentences leave
        # (a sentence the ear placed on part of one leaves the rest an ad-lib), and the
        # speech the sentences the ear moved left.
        adlibs = cut_adlibs([a for a in acoustic.sentences if a.status == "ad-lib"], checked,
                            moved, self.options.min_adlib_ms)
        adlibs += [f for f in freed(dtw, checked, moved, regions, self.options.min_adlib_ms)
                   if not any(a.start_ms < f.end_ms and f.start_ms < a.end_ms for a in adlibs)]
        return Alignment(aligner=self.name, sentences=tuple(place(checked, adlibs)))
