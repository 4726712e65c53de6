"""Speech synthesis of script sentences with espeak-ng (Vietnamese voice), for the DTW aligner."""

from __future__ import annotations

import io
import shutil
import subprocess
import wave
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache

import numpy as np

from pipeline.core.errors import AlignmentError
from pipeline.core.vi_numbers import spoken_form

__all__ = ["espeak_available", "synthesize", "synthesize_all"]

#: espeak-ng processes run at once by synthesize_all (each mostly waits on its start-up).
WORKERS = 4


def espeak_available() -> bool:
    return shutil.which("espeak-ng") is not None


@lru_cache(maxsize=1024)
def _espeak(text: str, voice: str, wpm: int) -> tuple[bytes, int]:
    try:
        proc = subprocess.run(["espeak-ng", "-v", voice, "-s", str(wpm), "--stdout", text],
                              capture_output=True, check=True)
    except (OSError, subprocess.CalledProcessError) as e:
        raise AlignmentError(path="espeak-ng", detail=f"speech synthesis failed: {e}") from e
    with wave.open(io.BytesIO(proc.stdout)) as w:
        return w.readframes(w.getnframes()), w.getframerate()


def synthesize(text: str, voice: str = "vi", wpm: int = 150) -> tuple[np.ndarray, int]:
    """Speak ``text`` (numbers spelled out) and return float32 samples without edge silence."""
    raw, rate = _espeak(spoken_form(text), voice, wpm)
    samples = np.frombuffer(raw, dtype="<i2").astype(np.float32) / 32768.0
    loud = np.flatnonzero(np.abs(samples) > 0.01)
    if loud.size:
        samples = samples[loud[0]: loud[-1] + 1]
    return samples, rate


def synthesize_all(texts: list[str], voice: str = "vi", wpm: int = 150
                   ) -> list[tuple[np.ndarray, int]]:
    """:func:`synthesize` for each of ``texts``, up to ``WORKERS`` espeak-ng processes at
    once (the same results, in order)."""
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        return list(pool.map(lambda text: synthesize(text, voice, wpm), texts))
