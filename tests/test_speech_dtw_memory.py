"""The DTW matrix stays under its cell budget: long lessons are aligned on pooled frames."""

from __future__ import annotations

import numpy as np

from pipeline.speech.align.features import banded_dtw


def _signal(n: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.cumsum(rng.normal(size=(n, 12)), axis=0).astype(np.float32)


def test_pooled_path_follows_the_full_resolution_path() -> None:
    a = _signal(3000)
    b = np.repeat(a, 2, axis=0)  # the narrator speaks at half the synthesis's speed
    full_i, full_j = banded_dtw(a, b, 400)
    pooled_i, pooled_j = banded_dtw(a, b, 400, max_cells=200_000)  # forces pooling (k > 1)
    assert len(pooled_i) < len(full_i)
    assert np.all(np.diff(pooled_i) >= 0) and np.all(np.diff(pooled_j) >= 0)
    assert pooled_i.max() < a.shape[0] and pooled_j.max() < b.shape[0]
    # Where row i lands: within a few pooled frames of the full-resolution answer.
    full_at = np.interp(np.arange(0, 3000, 50), full_i, full_j)
    pooled_at = np.interp(np.arange(0, 3000, 50), pooled_i, pooled_j)
    assert np.max(np.abs(full_at - pooled_at)) <= 40
    # And both recover the true warp (j = 2i) closely.
    assert np.median(np.abs(pooled_at - 2 * np.arange(0, 3000, 50))) <= 20
