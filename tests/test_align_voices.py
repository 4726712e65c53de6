"""Issue 29's narrators: a voice shifted a third or fourth from the synthesis templates, a
brick-wall phone band. The weights-free aligner warps its templates' filterbank to the
narrator's vocal tract and compares only the band the recording has."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from pipeline.core.config import PROJECT_ROOT
from pipeline.core.languages import Registry
from pipeline.ingest import IngestOptions, ingest
from pipeline.speech.align import AlignOptions, align
from pipeline.speech.align.audio import speech_band
from pipeline.speech.align.features import _mel_filters, mfcc

sys.path.insert(0, str(PROJECT_ROOT / "scripts"))
from bench_lessons import RATE, make_lesson, sox, write_wav


def test_shifted_voice_lesson_is_aligned(tmp_path: Path, registry: Registry) -> None:
    """A narrator 200–300 cents below the templates, in a noisy room (a tuning lesson of
    bench_align_voices.py): the unwarped templates put a sentence 4.8 s off."""
    lesson, truth, _ = make_lesson("shift-down", 100, tmp_path / "lessons", tmp_path)
    ingested = ingest(lesson, registry, IngestOptions(out_dir=tmp_path / "out"))
    result = align(ingested, None, AlignOptions(aligner="dtw"))
    got = {s.index: s for s in result.sentences if s.index is not None}
    script = [t for t in truth if t.status != "ad-lib"]
    starts = []
    for k, t in enumerate(script):
        assert got[k].status == t.status, (k, got[k].status, t.status)
        if t.status == "matched":
            starts.append(abs(got[k].start_ms - 1000 * t.start))
    assert max(starts) <= 500, starts
    assert any(s.status == "ad-lib" for s in result.sentences)


def test_warped_filters_match_a_shifted_voice(tmp_path: Path) -> None:
    """Speech shifted up a fourth is closer to the original through filters warped by 1/1.33
    than through the same filters."""
    rng = np.random.default_rng(0)
    t = np.arange(int(0.8 * RATE)) / RATE
    voice = sum(np.sin(2 * np.pi * f * t) * a for f, a in ((500, 1), (1500, 0.6), (2500, 0.3)))
    voice = (voice * (1 + 0.5 * np.sin(2 * np.pi * 3 * t)) / 4).astype(np.float32)
    voice += rng.normal(0, 0.002, voice.size).astype(np.float32)
    shifted = sox(voice, tmp_path, "pitch", "500")
    n = min(voice.size, shifted.size)
    plain = mfcc(voice[:n], RATE)
    same = np.linalg.norm(mfcc(shifted[:n], RATE) - plain, axis=1).mean()
    warped = np.linalg.norm(mfcc(shifted[:n], RATE, warp=2 ** (500 / 1200)) - plain,
                            axis=1).mean()
    assert warped < same, (warped, same)


def test_warped_filters_stay_inside_the_spectrum() -> None:
    fb = _mel_filters(16_000, 512, 40, (60.0, 7600.0), 1.19)
    assert fb.shape == (40, 257)
    assert np.isfinite(fb).all()


def test_speech_band_of_a_phone_recording(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    noise = rng.normal(0, 0.1, 3 * 16_000).astype(np.float32)
    write_wav(tmp_path / "full.wav", noise, 16_000)
    narrow = sox(noise, tmp_path, "sinc", "300-3400", rate=16_000, out_rate=16_000)
    write_wav(tmp_path / "phone.wav", narrow, 16_000)
    regions = [(0, 3000)]
    lo, hi = speech_band(tmp_path / "phone.wav", regions, (60.0, 7600.0))
    assert 100 <= lo <= 400 and 3200 <= hi <= 3700, (lo, hi)
    assert speech_band(tmp_path / "full.wav", regions, (60.0, 7600.0)) == (60.0, 7600.0)
