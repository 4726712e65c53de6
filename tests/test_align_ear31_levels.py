"""Issue 29, session 31: the ear's pause finder reads the recording's speech-band levels from
the once-per-WAV cache (pipeline.speech.align.levels) instead of computing its own on every
call; the cached levels are the ones computed from the samples, bit for bit, and the pauses
found are those of the old routine (kept below as the reference) to within one frame."""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np
import pytest

from pipeline.speech.align.ear_check import CheckOptions
from pipeline.speech.align.ear_place import PAUSE_BAND, pause_end
from pipeline.speech.align.forced import _read
from pipeline.speech.align.levels import band_span, clear_levels, levels_of

RATE = 16_000


def _old_pause_end(samples: np.ndarray, lo: int, hi: int, o: CheckOptions) -> int | None:
    """Session 30's pause finder, its own levels from ``samples`` on frames from ``lo``."""
    frame = RATE // 50
    seg = samples[lo * RATE // 1000: hi * RATE // 1000]
    n = seg.size // frame
    if n < 3:
        return None
    power = np.abs(np.fft.rfft(seg[: n * frame].reshape(n, frame) * np.hanning(frame))) ** 2
    freqs = np.fft.rfftfreq(frame, 1 / RATE)
    level = 10 * np.log10(power[:, (freqs >= 300) & (freqs <= 3400)].sum(axis=1) + 1e-10)
    quiet = level < np.median(level) - o.pause_db
    best, run, at = 0, 0, None
    for i, q in enumerate(quiet):
        run = run + 1 if q else 0
        if run > best and (i + 1 == n or not quiet[i + 1]):
            best, at = run, i + 1
    if at is None or best * 20 < o.min_pause_ms:
        return None
    return lo + 20 * at


def _speechy(seconds: int, pauses: list[tuple[float, float]], seed: int) -> np.ndarray:
    """Noise bursts in the speech band (syllables of 120-250 ms with 30-90 ms stops) over a
    100 Hz hum and a little white noise, silent in the speech band over ``pauses`` (s)."""
    rng = np.random.default_rng(seed)
    t = np.arange(RATE * seconds) / RATE
    out = 0.05 * np.sin(2 * np.pi * 100 * t) + 0.002 * rng.standard_normal(t.size)
    k = 0.0
    while k < seconds:
        syl, stop = rng.uniform(0.12, 0.25), rng.uniform(0.03, 0.09)
        if not any(a < k + syl and k < b for a, b in pauses):
            i, j = int(k * RATE), min(t.size, int((k + syl) * RATE))
            f = rng.uniform(500, 3000)
            out[i:j] += rng.uniform(0.1, 0.4) * np.sin(2 * np.pi * f * t[i:j])
        k += syl + stop
    return np.clip(out, -1, 1).astype(np.float32)


def _wav(path: Path, samples: np.ndarray) -> Path:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes((samples * 32767).astype("<i2").tobytes())
    return path


@pytest.fixture()
def recording(tmp_path: Path) -> tuple[Path, np.ndarray]:
    # 130 s: three decoding blocks of 60 s (levels are kept per block).
    pauses = [(11.3, 11.6), (59.85, 60.2), (75.0, 75.4), (121.1, 121.3)]
    path = _wav(tmp_path / "r.wav", _speechy(130, pauses, 7))
    clear_levels()
    return path, _read(path)


def test_the_kept_speech_band_levels_are_those_computed_from_the_samples(
        recording: tuple[Path, np.ndarray]) -> None:
    path, samples = recording
    for lo, hi in [(0, 2000), (10_990, 12_345), (59_000, 61_013), (119_997, 130_000),
                   (5, 17)]:
        kept = band_span(PAUSE_BAND, lo, hi, samples, RATE, path)
        own = band_span(PAUSE_BAND, lo, hi, samples, RATE)
        assert kept[0] == own[0] and kept[0] >= lo and kept[0] - lo < 20, (lo, kept[0])
        assert kept[1].size == own[1].size and np.array_equal(kept[1], own[1]), (lo, hi)


def test_the_pause_finder_decodes_the_recording_once_and_finds_the_old_pauses(
        recording: tuple[Path, np.ndarray]) -> None:
    path, samples = recording
    o = CheckOptions()
    spans = [(10_400, 13_000), (58_700, 61_500), (74_010, 76_990), (120_003, 122_777),
             (30_000, 32_000), (40_000, 40_050)]
    found = [pause_end(samples, lo, hi, o, path) for lo, hi in spans]
    assert levels_of(path).passes == 1  # the first call decoded it; the others read it
    # (a syllable the pause overlaps is silent too: speech resumes up to 350 ms later)
    for got, end in zip(found, (11_600, 60_200, 75_400, 121_300), strict=False):
        assert got is not None and end <= got <= end + 350, found
    assert found[4:] == [None, None]  # no pause, and a span too short to tell
    for (lo, hi), new in zip(spans, found, strict=True):
        old = _old_pause_end(samples, lo, hi, o)
        assert (old is None) == (new is None), (lo, old, new)
        assert old is None or new is None or abs(old - new) <= 20, (lo, old, new)
        assert pause_end(samples, lo, hi, o) == new  # from the samples: the same
