"""The DTW matrix stays under its cell budget: long lessons are aligned on pooled frames;
features are computed from blocks of the WAV, equal to the whole-file ones."""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np

from pipeline.core.media import read_wav
from pipeline.speech.align.audio import wav_blocks
from pipeline.speech.align.features import banded_dtw, mfcc, mfcc_stream


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


def test_streamed_features_equal_whole_file_features(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    x = (rng.normal(size=16000 * 3 + 77) * 0.1).astype(np.float32)
    wav = tmp_path / "x.wav"
    with wave.open(str(wav), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16000)
        w.writeframes((x * 32767).astype("<i2").tobytes())
    whole = mfcc(read_wav(wav)[0], 16000)
    for block in (1, 2):  # seconds per block: frames straddle the block edges
        streamed = mfcc_stream((b for b, _ in wav_blocks(wav, block)), 16000)
        assert streamed.shape == whole.shape
        assert np.allclose(streamed, whole, atol=1e-4)
    # One block in memory, not the file: a block is never longer than asked.
    assert max(b.size for b, _ in wav_blocks(wav, 1)) == 16000
