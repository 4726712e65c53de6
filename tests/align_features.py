"""Synthetic MFCC-like sequences for the DTW aligner's unit tests (no audio, no espeak-ng)."""

from __future__ import annotations

import numpy as np

from pipeline.speech.align.features import dtw_cost


class SynthFeatures:
    """Feature sequences drawn from one seeded generator, so each test file is repeatable."""

    def __init__(self, seed: int, noise: float = 0.5) -> None:
        self.rng = np.random.default_rng(seed)
        self.noise = noise

    def templates(self, n: int, frames: int = 60) -> list[np.ndarray]:
        """``n`` distinct feature sequences (12 cepstra), slowly varying like speech."""
        out = []
        for _ in range(n):
            steps = self.rng.normal(0, 1, (frames // 10 + 1, 12))
            out.append(np.repeat(steps, 10, axis=0)[:frames].astype(np.float32))
        return out

    def noisy(self, x: np.ndarray, level: float | None = None) -> np.ndarray:
        """``x`` heard through a voice and a channel unlike the synthesis."""
        sigma = self.noise if level is None else level
        return (x + self.rng.normal(0, sigma, x.shape)).astype(np.float32)

    def costs(self, pieces: list[np.ndarray]) -> tuple[float, float, float]:
        """(garbage, unrelated minus typical distance, step penalty), as the aligner sets
        them."""
        good = dtw_cost(pieces[0], self.noisy(pieces[0], 0.3), 0.0)
        scale = dtw_cost(pieces[0], pieces[1], 0.0) - good
        return good + 0.5 * scale, scale, 0.25 * scale
