"""Energy-based speech/silence detection on the analysis WAV (no model needed)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["VadOptions", "speech_regions"]


@dataclass(frozen=True)
class VadOptions:
    # Analysis frame length.
    frame_ms: int = 20
    # Pauses shorter than this do not split speech.
    min_silence_ms: int = 200
    # Bursts shorter than this are ignored (clicks).
    min_speech_ms: int = 120
    # Threshold position between the noise floor and the speech level (0..1).
    threshold: float = 0.3
    # Absolute floor: quieter frames are always silence.
    min_dbfs: float = -55.0


def frame_db(samples: np.ndarray, rate: int, frame_ms: int) -> np.ndarray:
    """RMS level per frame in dBFS."""
    hop = max(1, rate * frame_ms // 1000)
    n = samples.size // hop
    if n == 0:
        return np.zeros(0)
    frames = samples[: n * hop].reshape(n, hop).astype(np.float64)
    rms = np.sqrt(np.mean(frames**2, axis=1))
    return 20 * np.log10(np.maximum(rms, 1e-6))


def speech_regions(samples: np.ndarray, rate: int,
                   opts: VadOptions = VadOptions()) -> list[tuple[int, int]]:
    """Return (start_ms, end_ms) of speech regions, in order."""
    db = frame_db(samples, rate, opts.frame_ms)
    if db.size == 0:
        return []
    floor, peak = np.percentile(db, 10), np.percentile(db, 95)
    thr = max(opts.min_dbfs, floor + opts.threshold * (peak - floor))
    voiced = db > thr
    regions: list[list[int]] = []
    start = None
    for i, v in enumerate(np.append(voiced, False)):
        if v and start is None:
            start = i
        elif not v and start is not None:
            regions.append([start * opts.frame_ms, i * opts.frame_ms])
            start = None
    merged: list[list[int]] = []
    for r in regions:
        if merged and r[0] - merged[-1][1] < opts.min_silence_ms:
            merged[-1][1] = r[1]
        else:
            merged.append(r)
    return [(a, b) for a, b in merged if b - a >= opts.min_speech_ms]
