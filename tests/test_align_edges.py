"""Speech-region edges for the DTW aligner under a music bed or a reverberant room, and the
splitting of a region that runs on from a sentence cut by a long pause (the benchmark's
"mixed" lessons: sentence ends were 400–900 ms late, p95 1.7–2 s)."""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np

from pipeline.speech.align.audio import wav_regions
from pipeline.speech.align.dtw import _units

RATE = 16_000


def _write(path: Path, x: np.ndarray) -> Path:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes((np.clip(x, -1, 1) * 32767).astype("<i2").tobytes())
    return path


def _speechlike(seconds: float, rng: np.random.Generator, low_hz: float = 200.0,
                depth: float = 0.4, rms: float = 0.3) -> np.ndarray:
    """Noise in ``low_hz``–3400 Hz whose level rises and falls four times a second by
    ``depth`` (syllables); a stand-in for speech energy, not speech."""
    n = int(seconds * RATE)
    spec = np.fft.rfft(rng.normal(0, 1, n))
    f = np.fft.rfftfreq(n, 1 / RATE)
    spec[(f < low_hz) | (f > 3400)] = 0
    x = np.fft.irfft(spec, n)
    t = np.arange(n) / RATE
    x *= (1.0 - depth) + depth * np.sin(2 * np.pi * 4 * t)
    return np.asarray(rms * x / np.sqrt(np.mean(x**2)), dtype=np.float32)


def test_region_ends_where_the_speech_band_does_not_at_the_end_of_a_note(
        tmp_path: Path) -> None:
    """Speech followed without a pause by a low note as loud (a music bed's pluck, a
    reverberation tail with its highs damped): the region ends with the speech."""
    rng = np.random.default_rng(3)

    def floor(seconds: float) -> np.ndarray:
        return rng.normal(0, 1e-3, int(seconds * RATE)).astype(np.float32)

    t = np.arange(int(0.8 * RATE)) / RATE
    note = (0.3 * np.sqrt(2) * np.sin(2 * np.pi * 220 * t) * np.exp(-t * 1.5)).astype(
        np.float32)
    speech = _speechlike(2.0, rng)
    x = np.concatenate([floor(0.5), speech, note, floor(1.0), speech, floor(1.0)])
    wav = tmp_path / "a.wav"
    _write(wav, x)
    regions = wav_regions(wav, syllables=60)
    assert len(regions) == 2, regions
    (a, b), (c, d) = regions
    assert abs(a - 500) <= 60 and abs(b - 2500) <= 150, regions  # before: 3.3 s
    assert abs(c - 4300) <= 60 and abs(d - 6300) <= 150, regions


def test_region_running_on_from_a_paused_sentence_is_split_at_the_next_start() -> None:
    """Sentence 1 is said in two halves around a long pause; its second half and sentence 2
    form one region, shorter than 1.5 × sentence 2: cut at sentence 2's start all the
    same. A region holding little of the next sentence's expected speech is not cut."""
    rough = [0, 5_000, 13_500]
    expected = [4_000, 6_000, 6_000]
    units = _units([(0, 3_800), (5_000, 8_000), (11_000, 19_500)], rough, expected, 300)
    assert units[-2:] == [(11_000, 13_500), (13_500, 19_500)], units
    # The next start 1.5 s before the region's end, for a sentence of 2.7 s: no cut.
    units = _units([(45_640, 49_360)], [42_710, 47_900], [4_273, 2_741], 300)
    assert units == [(45_640, 49_360)], units
