"""How much a template match says: the confidence of a sentence placed by the DTW aligner.

A template's distance to its speech alone is not enough when the narrator's voice is far
from the synthesis (a shifted voice through a clipping phone): every template then fits
every sentence about equally badly, and a sentence placed on its neighbour's speech looks as
good as one placed right. So the confidence also asks (1) whether the sentence's own
template fits its speech clearly better than its neighbours' templates do (the acoustic
counterpart of the ear's contrast), and (2) whether the speech is about as long as the
sentence needs. The weakest of the three is the confidence: a wrong placement must land
below the ear's threshold (0.5), where Whisper, when installed, is asked.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pipeline.speech.align.features import dtw_cost

__all__ = ["ConfidenceOptions", "Evidence", "confidence", "evidence"]


@dataclass(frozen=True)
class ConfidenceOptions:
    # Contrast (own template vs the best neighbour's, in units of the unrelated-minus-
    # typical distance) at which the contrast alone allows full confidence; 0: not used.
    # 0.6: the median right placement on the 45 diagnosis lessons has 0.51, a sentence put
    # on its neighbour's speech 0.1-0.26.
    contrast_full: float = 0.6
    # Speech length misfit |log(speech / expected)| allowed with no loss of confidence (a
    # narrator's pace varies by sentence: 95 % of right placements are within 0.1, 99 %
    # within 0.4), and the misfit at which it reaches 0 (0.6: 1.8 times the expected
    # length, a sentence that took an ad-lib or its neighbour's speech too).
    length_free: float = 0.2
    length_zero: float = 0.6


@dataclass(frozen=True)
class Evidence:
    """What one placed sentence's match rests on."""
    # (distance of the best neighbour template - own distance) / (unrelated - typical).
    contrast: float
    # log(speech the sentence took / its expected speech).
    log_length: float


def evidence(pieces: list[np.ndarray], k: int, seg: np.ndarray, cost: float,
             speech_ms: int, expected_ms: int, scale: tuple[float, float]) -> Evidence:
    """The evidence for sentence ``k`` (template ``pieces[k]``) placed on features ``seg``
    at mean distance ``cost`` with ``speech_ms`` of speech; ``scale``: (distance of
    unrelated speech minus the typical match distance, DTW step penalty)."""
    good_to_unrelated, penalty = scale
    others = [dtw_cost(pieces[j], seg, penalty) for j in (k - 1, k + 1)
              if 0 <= j < len(pieces)]
    contrast = (min(others) - cost) / max(good_to_unrelated, 1e-6) if others else 1.0
    return Evidence(float(contrast),
                    float(np.log(max(speech_ms, 1) / max(expected_ms, 1))))


def confidence(fit: float, ev: Evidence, o: ConfidenceOptions) -> float:
    """The weakest of the template fit (0..1), the contrast and the length evidence."""
    parts = [fit]
    if o.contrast_full > 0:
        parts.append(float(np.clip(ev.contrast / o.contrast_full, 0.0, 1.0)))
    if o.length_zero > o.length_free:
        misfit = abs(ev.log_length) - o.length_free
        parts.append(float(np.clip(1.0 - misfit / (o.length_zero - o.length_free), 0.0, 1.0)))
    return min(parts)
