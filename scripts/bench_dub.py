#!/usr/bin/env python3
"""Intelligibility of time-compressed voices: ffmpeg ``atempo`` against Rubber Band (the
``rubberband`` filter inside the project's ffmpeg, R2 engine, and Debian's ``rubberband``
program with its R3 "finer" engine), by STOI, on the same recordings in the same process.

STOI compares two signals of the same length and timing, and a compressed voice has
neither, so each voice is compressed by the factor and expanded back, and the result is
compared with the voice itself (after a cross-correlation search of ±100 ms for any delay
the tool adds). Two ways back: with the same tool (the round trip: its artefacts twice)
and with one fixed expander for every tool (Rubber Band R3: the differences left are the
compressions'). The baseline in the same process is a voice against itself (STOI 1.0) and
the time atempo takes (the time column is a ratio to it).

Voices: the sample lesson's sentences in English by espeak-ng (scripts/make_voice_recordings.py),
cleaned and trimmed as the dub does (pipeline.voice.dub.prepare_voice).

Usage:
    python scripts/bench_dub.py [--recordings DIR] [--factors 1.1,1.25,1.5] [--sentences N]
"""

from __future__ import annotations

import argparse
import importlib
import subprocess
import sys
import tempfile
import time
from itertools import pairwise
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pystoi import stoi
from pystoi import utils as stoi_utils
from scipy.signal import correlate, resample_poly

from pipeline.voice.audio import AudioSegment
from pipeline.voice.dub import prepare_voice
from pipeline.voice.plan import DubOptions
from pipeline.voice.stretch import STRETCHERS, stretcher

# pystoi's package exports the function under its module's name: reach the module itself.
stoi_mod = importlib.import_module("pystoi.stoi")
REFERENCE_EXPANDER = "rubberband-r3"
STOI_RATE = 10_000
MAX_LAG_S = 0.1


def _array(seg: AudioSegment) -> np.ndarray:
    return np.asarray(seg.get_array_of_samples(), dtype=np.float64) / 32768.0


def _aligned(ref: np.ndarray, out: np.ndarray, rate: int) -> np.ndarray:
    """``out`` shifted by the lag that best matches ``ref``, cut or padded to its length."""
    lag_max = int(MAX_LAG_S * rate)
    padded = np.pad(out, (0, max(0, ref.size + lag_max - out.size)))
    corr = correlate(padded[: ref.size + lag_max], ref, mode="valid", method="fft")
    best = int(np.argmax(corr))
    shifted = out[best:]
    return np.pad(shifted, (0, max(0, ref.size - shifted.size)))[: ref.size]


def _score(ref: AudioSegment, back: AudioSegment) -> float:
    """STOI at its own 10 kHz rate (resampled once here: pystoi's resampler is slow)."""
    rate = STOI_RATE
    x = resample_poly(_array(ref), rate, ref.frame_rate)
    y = resample_poly(_array(back), rate, back.frame_rate)
    return float(stoi(x, _aligned(x, y, rate), rate, extended=False))


def _bands(sig: np.ndarray) -> np.ndarray:
    """STOI's one-third-octave band envelopes (15 bands × frames of 12.8 ms) at 10 kHz."""
    spec = stoi_utils.stft(sig, stoi_mod.N_FRAME, stoi_mod.NFFT, overlap=2).transpose()
    obm, _ = stoi_utils.thirdoct(STOI_RATE, stoi_mod.NFFT, stoi_mod.NUMBAND, stoi_mod.MINFREQ)
    return np.asarray(np.sqrt(obm @ np.square(np.abs(spec))))


def _segment_score(x_tob: np.ndarray, y_tob: np.ndarray) -> float:
    """STOI's own comparison of two band-envelope matrices of the same shape (30-frame
    segments, level normalisation, clipping at -15 dB SDR, correlation): pystoi's code."""
    n = stoi_mod.N
    xs = np.array([x_tob[:, m - n:m] for m in range(n, x_tob.shape[1] + 1)])
    ys = np.array([y_tob[:, m - n:m] for m in range(n, x_tob.shape[1] + 1)])
    eps = stoi_utils.EPS
    ys = ys * np.linalg.norm(xs, axis=2, keepdims=True) / (
        np.linalg.norm(ys, axis=2, keepdims=True) + eps)
    ys = np.minimum(ys, xs * (1 + 10 ** (-stoi_mod.BETA / 20)))
    ys = ys - ys.mean(axis=2, keepdims=True)
    xs = xs - xs.mean(axis=2, keepdims=True)
    ys /= np.linalg.norm(ys, axis=2, keepdims=True) + eps
    xs /= np.linalg.norm(xs, axis=2, keepdims=True) + eps
    return float(np.sum(ys * xs) / (xs.shape[0] * xs.shape[1]))


def _scaled_score(ref: AudioSegment, short: AudioSegment, max_lag: int = 8) -> float:
    """STOI of a compressed voice against its recording with no way back: the recording's
    band envelopes are squeezed in time to the compressed voice's length (what an ideal
    compressor would give: the same spectra, faster), then compared by STOI's own segment
    correlation, best of ±``max_lag`` frames (±100 ms) of delay."""
    x = _bands(resample_poly(_array(ref), STOI_RATE, ref.frame_rate))
    y = _bands(resample_poly(_array(short), STOI_RATE, short.frame_rate))
    pos = np.linspace(0, x.shape[1] - 1, y.shape[1])
    xs = np.stack([np.interp(pos, np.arange(x.shape[1]), row) for row in x])
    scores = []
    for lag in range(-max_lag, max_lag + 1):
        a, b = (xs[:, : xs.shape[1] - lag], y[:, lag:]) if lag >= 0 else (
            xs[:, -lag:], y[:, : y.shape[1] + lag])
        scores.append(_segment_score(a, b))
    return max(scores)


def _voices(folder: Path, count: int, opts: DubOptions) -> list[AudioSegment]:
    files = sorted(folder.glob("*.wav"), key=lambda p: int(p.stem))[:count]
    return [prepare_voice(p, opts) for p in files]


def _measure(voices: list[AudioSegment], name: str,
             factor: float) -> tuple[float, float, float, float]:
    """Means of (STOI time-scaled, round trip, via the reference expander) and the seconds
    spent compressing."""
    tool, ref_tool = stretcher(name), stretcher(REFERENCE_EXPANDER)
    scaled, trip, fixed, spent = [], [], [], 0.0
    for v in voices:
        t0 = time.perf_counter()
        short = tool.stretch(v, factor)
        spent += time.perf_counter() - t0
        scaled.append(_scaled_score(v, short))
        trip.append(_score(v, tool.stretch(short, 1 / factor)))
        fixed.append(_score(v, ref_tool.stretch(short, 1 / factor)))
    return float(np.mean(scaled)), float(np.mean(trip)), float(np.mean(fixed)), spent


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--recordings", type=Path, default=None)
    p.add_argument("--factors", default="1.1,1.25,1.5")
    p.add_argument("--sentences", type=int, default=17)
    args = p.parse_args(argv)
    factors = [float(f) for f in args.factors.split(",")]
    opts = DubOptions()
    with tempfile.TemporaryDirectory(prefix="caunoi-bench-dub-") as tmp:
        folder = args.recordings or Path(tmp)
        if args.recordings is None:
            subprocess.run([sys.executable, str(Path(__file__).parent / "make_voice_recordings.py"),
                            "--out", str(folder)], check=True, capture_output=True)
        voices = _voices(folder, args.sentences, opts)
    total_s = sum(len(v) for v in voices) / 1000
    print(f"{len(voices)} voices, {total_s:.1f} s, {opts.sample_rate} Hz; baseline: "
          f"STOI(voice, voice) = {np.mean([_score(v, v) for v in voices]):.3f}, "
          f"time-scaled at 1.0 = {np.mean([_scaled_score(v, v) for v in voices]):.3f}, "
          f"time-scaled against the next sentence's voice (a floor) = "
          f"{np.mean([_scaled_score(v, w) for v, w in pairwise(voices)]):.3f}")
    base_time: dict[float, float] = {}
    print("stretcher        factor  STOI scaled  STOI round trip  STOI via R3 back  "
          "time (× atempo)")
    for name in ["atempo", *[s for s in STRETCHERS if s != "atempo"]]:
        for f in factors:
            scaled, trip, fixed, spent = _measure(voices, name, f)
            base_time.setdefault(f, spent)
            print(f"{name:<16} {f:>5.2f}  {scaled:>11.3f}  {trip:>15.3f}  {fixed:>16.3f}  "
                  f"{spent / base_time[f]:>14.2f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
