"""Auto alignment with the Whisper model as a second ear.

The acoustic (DTW) aligner cares whose voice it is; Whisper's encoder does not. The known
script is forced onto the recording with Whisper (:mod:`pipeline.speech.align.ear`), one
window of ≤ 30 s at a time, moving on from the last sentence placed well inside the window
(as stable-ts does). Then, per sentence:

- starts: the acoustic start when both ears agree; where they disagree, the forced start
  pulled to the speech onset nearest it (speech regions decide which ear to believe: a
  forced start far from any onset keeps the acoustic one);
- ends: from the speech detector, the end of the last speech region before the next
  sentence that the chosen start's ear put inside the sentence (forced alignment absorbs
  pauses and ad-libs into the words before them);
- skipped only when neither ear hears the sentence.
"""

from __future__ import annotations

import logging
import wave
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from pipeline.core.text import syllable_count
from pipeline.core.types import AlignedSentence, Alignment, Ingested, Transcript
from pipeline.core.vi_numbers import spoken_form
from pipeline.speech.align.audio import wav_regions
from pipeline.speech.align.base import Aligner, AlignOptions, place
from pipeline.speech.align.dtw import DTWAligner
from pipeline.speech.align.ear import RATE, WINDOW_S, Ear, EarWord, open_ear

__all__ = ["ForcedOptions", "WhisperAligner", "force_sentences", "freed", "next_onset"]

log = logging.getLogger("caunoi.align.forced")


@dataclass(frozen=True)
class ForcedOptions:
    # Script speech put in one window (s of expected speech, pauses included).
    window_speech_s: float = 22.0
    # Sentences ending this close to a window's end are aligned again in the next window.
    tail_s: float = 3.0
    # Both ears agree when their starts are this close (ms).
    agree_ms: int = 500
    # An acoustic match below this confidence that the forced ear contradicts is lost.
    unsure: float = 0.5
    # A sentence the acoustics call skipped is placed by the forced ear only when its words
    # spread over this share of its expected length.
    unskip_share: float = 0.6
    # Whether the forced ear may un-skip at all: with Whisper base on a phone band it hears
    # a skipped sentence as well as a spoken one (tuning seeds), so it does not.
    unskip: bool = False
    # A forced start is pulled to the next speech onset this close (ms).
    snap_ms: int = 1000
    # The forced ear hears a sentence with words this probable on average (a share of the
    # lesson's median sentence)...
    heard_probability: float = 0.5
    # ... and never below this (random or broken weights hear nothing).
    min_probability: float = 0.03
    # ... spread over at least this share of the sentence's expected length.
    heard_share: float = 0.35


@dataclass(frozen=True)
class Forced:
    """One sentence as the forced ear heard it (ms from the recording's start)."""

    start_ms: int
    end_ms: int
    probability: float


def _read(wav: Path) -> np.ndarray:
    with wave.open(str(wav), "rb") as w:
        return np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(
            np.float32) / 32768.0


def _sentence_words(words: list[EarWord], counts: list[int]) -> list[list[EarWord]]:
    """Forced words grouped by sentence (``counts``: words per sentence, punctuation
    attached by the tokenizer as words of its own are dropped first)."""
    spoken = [w for w in words if any(c.isalnum() for c in w.text)]
    out, k = [], 0
    for n in counts:
        out.append(spoken[k: k + n])
        k += n
    return out


def force_sentences(ear: Ear, samples: np.ndarray, texts: list[str], ms_per_syllable: float,
                    o: ForcedOptions = ForcedOptions()) -> list[Forced | None]:
    """Every sentence of ``texts`` forced onto ``samples`` (16 kHz), window by window."""
    spoken = [spoken_form(t) for t in texts]
    counts = [sum(any(c.isalnum() for c in w) for w in s.split()) for s in spoken]
    expected = [syllable_count(t) * ms_per_syllable / 1000 * 1.3 for t in texts]
    out: list[Forced | None] = [None] * len(texts)
    seek, k = 0.0, 0
    total = samples.size / RATE
    while k < len(texts) and seek < total - 0.2:
        j, acc = k, 0.0
        while j < len(texts) and (j == k or acc + expected[j] <= o.window_speech_s):
            acc += expected[j]
            j += 1
        a = int(seek * RATE)
        window = samples[a: a + WINDOW_S * RATE]
        length = window.size / RATE
        words = ear.words(window, ear.tokens(" ".join(spoken[k:j])))
        groups = _sentence_words(words, counts[k:j])
        # The window reaches the end: every sentence in it is placed. Otherwise a sentence
        # ending near the window's end may be crammed there, and the window's last sentence
        # may have more text than audio: both are forced again in the next window.
        last = seek + length >= total - 0.05
        accepted = k
        for n, group in zip(range(k, j), groups, strict=True):
            if not group:
                break
            end = group[-1].end
            if not last and (end > length - o.tail_s or (n == j - 1 and j < len(texts))):
                break
            probs = [w.probability for w in group]
            out[n] = Forced(int(1000 * (seek + group[0].start)), int(1000 * (seek + end)),
                            float(np.mean(probs)))
            accepted = n + 1
        if accepted == k:  # nothing placed well inside: take the first and move on
            group = groups[0]
            if group:
                out[k] = Forced(int(1000 * (seek + group[0].start)),
                                int(1000 * (seek + group[-1].end)),
                                float(np.mean([w.probability for w in group])))
            accepted = k + 1
        k = accepted
        placed = out[k - 1]
        seek = max(seek + 1.0, placed.end_ms / 1000 - 0.3) if placed else seek + length
    return out


class WhisperAligner(Aligner):
    """The acoustic aligner and the Whisper model's forced alignment, merged."""

    name = "whisper"

    def __init__(self, options: ForcedOptions | None = None) -> None:
        self.options = options or ForcedOptions()

    def can_run(self, transcript: Transcript | None) -> bool:
        return True

    def align(self, ingested: Ingested, transcript: Transcript | None,
              opts: AlignOptions) -> Alignment:
        dtw_aligner = DTWAligner()
        acoustic = dtw_aligner.align(ingested, None, opts)
        if opts.asr is None:
            return acoustic
        ear = open_ear(opts.asr)
        sentences = ingested.lesson.sentences
        texts = [s.text for s in sentences]
        # The DTW aligner's own call (the same options: once computed, kept by the
        # acoustic path's cache where it has one).
        regions = wav_regions(ingested.audio_wav, sum(syllable_count(t) for t in texts),
                              dtw_aligner.options.vad)
        by_index = {s.index: s for s in acoustic.sentences if s.index is not None}
        dtw = [by_index[s.index] for s in sentences]
        pace = _pace(dtw)
        forced = force_sentences(ear, _read(ingested.audio_wav), texts, pace, self.options)
        merged = merge(dtw, forced, regions, pace, self.options)
        adlibs = [a for a in acoustic.sentences if a.status == "ad-lib"
                  and not any(s.status == "matched" and s.start_ms < a.end_ms - 300
                              and a.start_ms + 300 < s.end_ms for s in merged)]
        return Alignment(aligner=self.name, sentences=tuple(place(merged, adlibs)))


def _pace(sentences: list[AlignedSentence]) -> float:
    rates = [(s.end_ms - s.start_ms) / max(1, syllable_count(s.text)) for s in sentences
             if s.status == "matched" and s.end_ms > s.start_ms]
    return float(np.median(rates)) if rates else 220.0


def next_onset(t: int, regions: list[tuple[int, int]], o: ForcedOptions) -> int | None:
    """The speech onset a forced start points at: forced starts come early (the pause
    before a word is given to the word), so the first onset from just before ``t`` on,
    within ``snap_ms``; None when there is none."""
    near = [a for a, _ in regions if t - 150 <= a <= t + o.snap_ms]
    return min(near) if near else None


def merge(dtw: list[AlignedSentence], forced: list[Forced | None],
          regions: list[tuple[int, int]], pace: float,
          o: ForcedOptions = ForcedOptions()) -> list[AlignedSentence]:
    """One sentence list from both ears (see the module docstring). The forced ear's word
    probabilities are judged against the lesson's own median (a small model on a phone
    band is unsure of every word, not only of the missing ones)."""
    probs = [f.probability for f in forced if f is not None]
    typical = float(np.median(probs)) if probs else 1.0
    out: list[AlignedSentence] = []
    from_forced: list[bool] = []
    for d, f in zip(dtw, forced, strict=True):
        expected = syllable_count(d.text) * pace
        heard = (f is not None and f.probability >= max(o.min_probability,
                                                        o.heard_probability * typical)
                 and f.end_ms - f.start_ms >= o.heard_share * expected)
        onset = next_onset(f.start_ms, regions, o) if f is not None else None
        log.debug("sentence %s: acoustic %s %d-%d (%.2f), forced %s, onset %s", d.index,
                  d.status, d.start_ms, d.end_ms, d.confidence, f, onset)
        # A sentence the acoustics call skipped needs a forced ear at least as sure as it is
        # of a typical sentence of the lesson (forcing gives every sentence some time).
        sure = heard and f is not None and f.probability >= typical and (
            f.end_ms - f.start_ms >= o.unskip_share * expected)
        lost = (d.status == "skipped" and sure and o.unskip) or (
            d.status == "matched" and d.confidence < o.unsure and f is not None
            and abs(d.start_ms - f.start_ms) > o.agree_ms)
        if heard and lost and f is not None and onset is not None:
            out.append(replace(d, start_ms=onset, end_ms=max(onset + 1, f.end_ms),
                               status="matched", confidence=min(1.0, 0.4 + f.probability)))
            from_forced.append(True)
        else:
            out.append(replace(d, confidence=min(1.0, d.confidence + 0.2)) if heard and
                       d.status == "matched" else d)
            from_forced.append(False)
    return _ends(out, from_forced, regions)


def _ends(out: list[AlignedSentence], from_forced: list[bool],
          regions: list[tuple[int, int]],
          longest: list[int] | None = None,
          pause_at: Callable[[int], tuple[int, int] | None] | None = None
          ) -> list[AlignedSentence]:
    """Script order kept; a sentence placed by the forced ear ends where the speech region
    it ends in ends, before the next sentence; neighbours do not overlap. ``longest``
    (ms per sentence): a region ending further than this from the sentence's start holds
    more than the sentence (an ad-lib after it with no pause the detector hears), and the
    forced end is kept. With ``pause_at`` (a time → the pause the detector missed that it
    falls in, or None), either end inside such a pause moves to where the pause starts."""
    fixed = list(out)
    for k, s in enumerate(fixed):
        if s.status != "matched":
            continue
        nxt = min((x.start_ms for x in fixed[k + 1:] if x.status == "matched"
                   and x.start_ms > s.start_ms), default=None)
        end = s.end_ms
        if from_forced[k]:
            inside = [b for a, b in regions if s.start_ms < b and a < min(
                end, nxt if nxt is not None else end)]
            if inside and (longest is None or max(inside) - s.start_ms <= longest[k]):
                end = max(inside)
            if inside and pause_at is not None:
                pause = pause_at(end)
                end = pause[0] if pause is not None and pause[0] > s.start_ms else end
        if nxt is not None:
            end = min(end, nxt)
        fixed[k] = replace(s, end_ms=max(s.start_ms + 1, end))
    return fixed


def freed(before: list[AlignedSentence], after: list[AlignedSentence], moved: list[bool],
          regions: list[tuple[int, int]], min_ms: int) -> list[AlignedSentence]:
    """Ad-libs: speech inside the acoustic spans of sentences the ear moved or skipped
    that no sentence holds any more."""
    held = [(s.start_ms, s.end_ms) for s in after if s.status == "matched"]
    out: list[AlignedSentence] = []
    for d, s, m in zip(before, after, moved, strict=True):
        if d.status != "matched" or not (m or s.status == "skipped"):
            continue
        for x, y in regions:
            a, b = max(x, d.start_ms), min(y, d.end_ms)
            for c, e in held:  # what a sentence holds is not free
                if c <= a < e:
                    a = e
                if c < b <= e:
                    b = c
            if b - a >= min_ms and not any(c < b and a < e for c, e in held):
                out.append(AlignedSentence(None, d.chapter, "", a, b, "ad-lib", 0.5))
    return out


def cut_adlibs(adlibs: list[AlignedSentence], after: list[AlignedSentence], moved: list[bool],
               min_ms: int) -> list[AlignedSentence]:
    """The acoustic ad-libs less the spans of sentences the ear placed on them: the pieces
    left on either side, each kept when at least ``min_ms`` long (a sentence the ear found
    inside speech the acoustics called an ad-lib leaves the ad-lib around it)."""
    out: list[AlignedSentence] = []
    for ad in adlibs:
        pieces = [(ad.start_ms, ad.end_ms)]
        for s, m in zip(after, moved, strict=True):
            if not m or s.status != "matched":
                continue
            pieces = [q for a, b in pieces
                      for q in ((a, min(b, s.start_ms)), (max(a, s.end_ms), b)) if q[1] > q[0]]
        whole = pieces == [(ad.start_ms, ad.end_ms)]
        out += [ad] if whole else [replace(ad, start_ms=a, end_ms=b) for a, b in pieces
                                   if b - a >= min_ms]
    return out
