"""Speech/silence detection on the analysis WAV.

Silero VAD (the ONNX model that ships inside the faster-whisper package, so nothing is
downloaded) tells speech from music and noise; an energy detector is the fallback when
faster-whisper is not installed, and refines Silero's edges to the 20 ms frame."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

log = logging.getLogger("caunoi.vad")

__all__ = ["VadOptions", "energy_regions", "silero_regions", "speech_regions"]


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
    # "silero" (falls back to "energy" if unavailable) or "energy".
    method: str = "silero"
    # Silero speech probability threshold.
    silero_threshold: float = 0.5
    # Background steadier than this (dB, p90-p10 between speech) lets the energy detector
    # sharpen Silero's edges; music or changing noise does not.
    stationary_db: float = 6.0


def frame_db(samples: np.ndarray, rate: int, frame_ms: int) -> np.ndarray:
    """RMS level per frame in dBFS."""
    hop = max(1, rate * frame_ms // 1000)
    n = samples.size // hop
    if n == 0:
        return np.zeros(0)
    frames = samples[: n * hop].reshape(n, hop).astype(np.float64)
    rms = np.sqrt(np.mean(frames**2, axis=1))
    return np.asarray(20 * np.log10(np.maximum(rms, 1e-6)), dtype=np.float64)


def speech_regions(samples: np.ndarray, rate: int,
                   opts: VadOptions = VadOptions()) -> list[tuple[int, int]]:
    """Return (start_ms, end_ms) of speech regions, in order."""
    if opts.method == "silero" and rate == 16_000:
        regions = silero_regions(samples, opts)
        if regions is not None:
            return refine_edges(regions, samples, rate, opts)
    return energy_regions(samples, rate, opts)


def refine_edges(regions: list[tuple[int, int]], samples: np.ndarray, rate: int,
                 opts: VadOptions, window_ms: int = 200) -> list[tuple[int, int]]:
    """Move each region's edges to where the signal crosses the energy threshold nearby
    (Silero's edges are about 30-60 ms loose); keep them when nothing crosses."""
    step = 10
    db = frame_db(samples, rate, step)
    if db.size == 0:
        return regions
    between = np.ones(db.size, dtype=bool)
    for a, b in regions:
        between[max(0, a // step - 20): b // step + 20] = False
    if between.sum() >= 50:
        spread = np.percentile(db[between], 90) - np.percentile(db[between], 10)
        if spread > opts.stationary_db:
            return regions  # music or changing noise between the words: keep Silero's edges
    floor, peak = np.percentile(db, 10), np.percentile(db, 95)
    loud = db > max(opts.min_dbfs, floor + opts.threshold * (peak - floor))
    w = window_ms // step
    out: list[tuple[int, int]] = []
    for a, b in regions:
        fa, fb = a // step, b // step
        lo, hi = max(0, fa - w), min(loud.size, fa + w)
        on = np.flatnonzero(loud[lo:hi])
        start = (lo + int(on[0])) * step if on.size else a
        lo, hi = max(0, fb - w), min(loud.size, fb + w)
        off = np.flatnonzero(loud[lo:hi])
        end = (lo + int(off[-1]) + 1) * step if off.size else b
        if out and start < out[-1][1]:
            start = out[-1][1]
        if end > start:
            out.append((start, end))
    return out


def silero_regions(samples: np.ndarray, opts: VadOptions) -> list[tuple[int, int]] | None:
    """Speech regions from Silero VAD at 16 kHz; None when faster-whisper is missing."""
    try:
        from faster_whisper.vad import VadOptions as SileroOptions
        from faster_whisper.vad import get_speech_timestamps
    except ImportError:
        log.info("faster-whisper not installed: energy-based VAD")
        return None
    stamps = get_speech_timestamps(samples.astype(np.float32), SileroOptions(
        threshold=opts.silero_threshold, min_silence_duration_ms=opts.min_silence_ms,
        min_speech_duration_ms=opts.min_speech_ms, speech_pad_ms=0))
    return [(int(s["start"]) // 16, int(s["end"]) // 16) for s in stamps]


def energy_regions(samples: np.ndarray, rate: int,
                   opts: VadOptions = VadOptions()) -> list[tuple[int, int]]:
    """Speech regions from frame energy against the recording's own noise floor."""
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
