"""Sentences an aligner found no evidence for: skipped only when the audio has no speech for
them. A run of such sentences between two placed neighbours takes the speech in the gap, in
proportion to syllables, when that speech is long enough to be them."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from pipeline.core.text import syllable_count
from pipeline.core.types import AlignedSentence, Ingested
from pipeline.speech.align.audio import wav_regions

__all__ = ["fill_gaps", "spread"]

#: Speech in a gap shorter than this share of what the sentences need: they were not said.
MIN_SPEECH_SHARE = 0.5
#: Confidence of a sentence placed by syllable share only.
SPREAD_CONFIDENCE = 0.3


def spread(weights: list[int], regions: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Cut the speech in ``regions`` into consecutive spans in proportion to ``weights``."""
    total = sum(b - a for a, b in regions)
    cum = np.concatenate(([0.0], np.cumsum(weights) / max(1, sum(weights)) * total))

    def at(speech_ms: float, end: bool) -> int:
        acc = 0.0
        for a, b in regions:
            if speech_ms < acc + (b - a) or (end and speech_ms <= acc + (b - a)):
                return int(a + speech_ms - acc)
            acc += b - a
        return regions[-1][1]

    return [(at(cum[k], False), at(cum[k + 1], True)) for k in range(len(weights))]


def _ms_per_syllable(sentences: list[AlignedSentence]) -> float:
    rates = [(s.end_ms - s.start_ms) / max(1, syllable_count(s.text)) for s in sentences
             if s.status == "matched" and s.end_ms > s.start_ms]
    return float(np.median(rates)) if rates else 220.0


def fill_gaps(sentences: list[AlignedSentence], ingested: Ingested,
              regions: list[tuple[int, int]] | None = None) -> list[AlignedSentence]:
    """Give runs of ``skipped`` script sentences the speech between their placed neighbours
    when there is enough of it; the rest stay skipped."""
    if regions is None:
        regions = wav_regions(ingested.audio_wav, sum(syllable_count(s.text)
                                                      for s in ingested.lesson.sentences))
    pace = _ms_per_syllable(sentences)
    out = list(sentences)
    k = 0
    while k < len(out):
        if out[k].status != "skipped" or out[k].index is None:
            k += 1
            continue
        end = k
        while end < len(out) and out[end].status == "skipped":
            end += 1
        lo = max((s.end_ms for s in out[:k] if s.status == "matched"), default=0)
        hi = min((s.start_ms for s in out[end:] if s.status == "matched"),
                 default=regions[-1][1] if regions else 0)
        gap = [(max(a, lo), min(b, hi)) for a, b in regions if b > lo and a < hi]
        weights = [max(1, syllable_count(s.text)) for s in out[k:end]]
        speech = sum(b - a for a, b in gap)
        if gap and speech >= MIN_SPEECH_SHARE * pace * sum(weights):
            for j, (a, b) in zip(range(k, end), spread(weights, gap), strict=True):
                out[j] = replace(out[j], start_ms=a, end_ms=max(b, a + 1), status="matched",
                                 confidence=SPREAD_CONFIDENCE)
        k = end
    return out
