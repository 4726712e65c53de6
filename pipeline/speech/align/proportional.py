"""Baseline aligner: spread sentences over the detected speech in proportion to syllables.

Sentence boundaries are then moved into pauses: a dynamic programme picks, for the n-1
boundaries, the n-1 pauses (in order) closest to where syllable counts put them, preferring
long pauses. Honest but blind: it cannot detect skipped sentences or ad-libs.
"""

from __future__ import annotations

import itertools

import numpy as np

from pipeline.core.errors import AlignmentError
from pipeline.core.text import syllable_count
from pipeline.core.types import AlignedSentence, Alignment, Ingested, Transcript
from pipeline.speech.align.audio import wav_regions
from pipeline.speech.align.base import Aligner, AlignOptions

__all__ = ["ProportionalAligner", "place_boundaries"]

#: Reward for a long pause, relative to a boundary one mean sentence away from its target.
PAUSE_BONUS = 0.5
#: Pauses at least this long get the full bonus.
FULL_PAUSE_MS = 800


def place_boundaries(targets: list[float], pauses: list[tuple[float, int]],
                     scale: float) -> list[int | None]:
    """Pick one pause per boundary, in order, minimising distance to the targets.

    Args:
        targets: expected speech-time position of each boundary (increasing).
        pauses: (speech-time position, pause length ms) of every pause (increasing).
        scale: distance unit (a mean sentence's speech time).

    Returns:
        For each boundary the index of its pause, or None when there are too few pauses.
    """
    n, m = len(targets), len(pauses)
    if n == 0:
        return []
    if m < n:
        return [None] * n
    inf = float("inf")
    cost = np.full((n + 1, m + 1), inf)
    cost[0, :] = 0.0
    take = np.zeros((n + 1, m + 1), dtype=bool)
    for k in range(1, n + 1):
        for j in range(k, m + 1):
            pos, length = pauses[j - 1]
            here = ((pos - targets[k - 1]) / scale) ** 2 - PAUSE_BONUS * min(
                1.0, length / FULL_PAUSE_MS)
            use = cost[k - 1, j - 1] + here
            skip = cost[k, j - 1]
            if use <= skip:
                cost[k, j], take[k, j] = use, True
            else:
                cost[k, j] = skip
    chosen: list[int | None] = [None] * n
    k, j = n, m
    while k > 0:
        if take[k, j]:
            chosen[k - 1] = j - 1
            k -= 1
        j -= 1
    return chosen


class ProportionalAligner(Aligner):
    name = "proportional"

    def align(self, ingested: Ingested, transcript: Transcript | None,
              opts: AlignOptions) -> Alignment:
        sentences = ingested.lesson.sentences
        regions = wav_regions(ingested.audio_wav, sum(syllable_count(s.text) for s in sentences))
        if not regions:
            raise AlignmentError(path=str(ingested.lesson.recording), detail="no speech found")
        weights = np.array([max(1, syllable_count(s.text)) for s in sentences], dtype=float)
        total_speech = float(sum(b - a for a, b in regions))
        cum = np.cumsum(weights) / weights.sum() * total_speech
        targets = [float(c) for c in cum[:-1]]
        # Pauses between regions, positioned in speech time (speech before the pause).
        pauses: list[tuple[float, int]] = []
        acc: float = 0.0
        for (a, b), (c, _) in itertools.pairwise(regions):
            acc += b - a
            pauses.append((acc, c - b))
        scale = total_speech / len(sentences)
        chosen = place_boundaries(targets, pauses, scale)

        def to_real(speech_ms: float) -> int:
            acc: float = 0.0
            for a, b in regions:
                if speech_ms <= acc + (b - a):
                    return int(a + (speech_ms - acc))
                acc += b - a
            return regions[-1][1]

        starts: list[int] = [regions[0][0]]
        ends: list[int] = []
        conf: list[float] = []
        for k, j in enumerate(chosen):
            if j is None:
                t = to_real(targets[k])
                ends.append(t)
                starts.append(t)
                conf.append(0.3)
            else:
                ends.append(regions[j][1])
                starts.append(regions[j + 1][0])
                miss = abs(pauses[j][0] - targets[k]) / scale
                conf.append(float(max(0.3, 1.0 - miss)))
        ends.append(regions[-1][1])
        out = []
        for i, s in enumerate(sentences):
            near = [conf[i - 1]] if i > 0 else []
            near += [conf[i]] if i < len(conf) else []
            score = 0.6 * (sum(near) / len(near) if near else 1.0)  # blind method: capped
            out.append(AlignedSentence(index=s.index, chapter=s.chapter, text=s.text,
                                       start_ms=starts[i], end_ms=max(ends[i], starts[i] + 1),
                                       status="matched", confidence=score))
        return Alignment(aligner=self.name, sentences=tuple(out))
