"""Whisper as a second ear: the script forced onto the recording window by window, merged
with the acoustic alignment (pipeline.speech.align.forced)."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from pipeline.core.config import PROJECT_ROOT
from pipeline.core.languages import Registry
from pipeline.core.types import AlignedSentence
from pipeline.ingest import IngestOptions, ingest
from pipeline.speech.align import AlignOptions, align, choose_aligner
from pipeline.speech.align.ear import Ear, EarWord
from pipeline.speech.align.forced import Forced, force_sentences, merge
from pipeline.speech.transcribe import TranscribeOptions

sys.path.insert(0, str(PROJECT_ROOT / "scripts"))


NAMES = ("nhất", "nhì", "ba", "tư", "năm", "sáu", "bảy", "tám", "chín", "mười", "mốt",
         "cuối")


class ScriptedEar(Ear):
    """Hears each word at its ``truth`` time (s from the recording's start) when the window
    covers it; words past the window's end are crammed into its last 0.1 s, as forcing
    text onto too little audio does."""

    def __init__(self, recording: np.ndarray, truth: list[float]) -> None:
        super().__init__(None)
        self.recording, self.truth, self.calls = recording, truth, 0

    def tokens(self, text: str) -> list[int]:
        """Word w of sentence k ("câu thứ NAMES[k] có năm chữ") is token 6k + w."""
        words = text.split()
        return [6 * NAMES.index(words[i - i % 6 + 2]) + i % 6 for i in range(len(words))]

    def words(self, samples: np.ndarray, tokens: list[int]) -> list[EarWord]:
        self.calls += 1
        # The window is a view into the recording: where it starts is its offset.
        offset = (samples.ctypes.data - self.recording.ctypes.data) / 4 / 16_000
        length = samples.size / 16_000
        at = [max(0.0, self.truth[t] - offset) for t in tokens]
        return [EarWord(" w", min(t, length - 0.1), min(t + 0.3, length), 0.5) for t in at]


def test_windows_walk_through_a_long_recording() -> None:
    texts = [f"câu thứ {name} có năm chữ" for name in NAMES]  # 6 words, 5 s apart
    truth = [5.0 * k + 0.35 * j for k in range(12) for j in range(6)]
    recording = np.zeros(16_000 * 62, dtype=np.float32)
    ear = ScriptedEar(recording, truth)
    got = force_sentences(ear, recording, texts, ms_per_syllable=250)
    assert ear.calls >= 2
    for k, f in enumerate(got):
        assert f is not None
        assert abs(f.start_ms - 5000 * k) <= 50, (k, f)


def _s(k: int, start: int, end: int, status: str = "matched",
       conf: float = 0.9) -> AlignedSentence:
    return AlignedSentence(k, "", "một hai ba bốn năm sáu bảy tám", start, end, status, conf)


def test_merge_keeps_the_acoustic_start_when_it_is_sure() -> None:
    dtw = [_s(0, 1000, 3000), _s(1, 4000, 6000)]
    forced = [Forced(600, 3500, 0.3), Forced(2500, 6100, 0.3)]
    out = merge(dtw, forced, [(1000, 3000), (4000, 6000)], 250)
    assert [(s.start_ms, s.end_ms) for s in out] == [(1000, 3000), (4000, 6000)]


def test_merge_moves_an_unsure_acoustic_start_to_the_forced_onset() -> None:
    dtw = [_s(0, 1000, 3000), _s(1, 8000, 10000, conf=0.2), _s(2, 12000, 14000)]
    forced = [Forced(900, 3000, 0.3), Forced(4700, 7000, 0.3), Forced(11900, 14000, 0.3)]
    regions = [(1000, 3000), (5000, 7200), (8000, 10000), (12000, 14000)]
    out = merge(dtw, forced, regions, 250)
    assert out[1].start_ms == 5000 and out[1].end_ms == 7200
    assert out[0].start_ms == 1000 and out[2].start_ms == 12000


def test_merge_does_not_unskip_or_trust_random_weights() -> None:
    dtw = [_s(0, 1000, 3000), _s(1, 3000, 3000, "skipped", 0.8), _s(2, 4000, 6000, conf=0.1)]
    forced = [Forced(900, 3000, 0.5), Forced(3000, 3900, 0.9), Forced(2000, 6000, 1e-4)]
    out = merge(dtw, forced, [(1000, 3000), (4000, 6000)], 100)
    assert out[1].status == "skipped"
    assert out[2].start_ms == 4000


@pytest.mark.parametrize("backend", [
    pytest.param("openai-whisper", marks=pytest.mark.slow), "faster-whisper"])
def test_tiny_model_forced_ear_runs_and_keeps_script_order(
        backend: str, short_lesson: Path, tiny_models: Path, registry: Registry,
        tmp_path: Path) -> None:
    ingested = ingest(short_lesson, registry, IngestOptions(out_dir=tmp_path))
    asr = TranscribeOptions(backend=backend, model="tiny-random", model_dir=tiny_models,
                            cpu_threads=2)
    opts = AlignOptions(aligner="whisper", asr=asr)
    # Asked for by name: "auto" keeps the acoustic aligners (the ear moved no start yet).
    assert choose_aligner("auto", None, ingested, opts).name != "whisper"
    assert choose_aligner("whisper", None, ingested, opts).name == "whisper"
    result = align(ingested, None, opts)
    acoustic = align(ingested, None, AlignOptions(aligner="dtw"))
    script = [s for s in result.sentences if s.index is not None]
    assert [s.index for s in script] == [s.index for s in ingested.lesson.sentences]
    # Random weights hear nothing: the acoustic alignment stands.
    assert [(s.start_ms, s.status) for s in script] == [
        (s.start_ms, s.status) for s in acoustic.sentences if s.index is not None]


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["faster-whisper", "openai-whisper"])
def test_base_model_forced_ear_on_a_shifted_voice(backend: str, tmp_path: Path,
                                                  registry: Registry) -> None:
    from bench_lessons import make_lesson

    from pipeline.speech.transcribe import asr_model_path

    models = PROJECT_ROOT / "models"
    if backend == "openai-whisper":
        ct2 = models / "faster-whisper" / "base"
        if not (ct2 / "model.bin").is_file():
            pytest.skip("Whisper base not installed (make whisper-base)")
        import subprocess

        models = tmp_path / "oa"
        subprocess.run([sys.executable, str(PROJECT_ROOT / "scripts/whisper_ct2_to_openai.py"),
                        str(ct2), str(models / "whisper" / "base.pt")], check=True,
                       capture_output=True)
    asr = TranscribeOptions(backend=backend, model="base", model_dir=models, cpu_threads=2)
    try:
        asr_model_path(models, backend, "base")
    except Exception:
        pytest.skip("Whisper base not installed (make whisper-base)")
    lesson, truth, _ = make_lesson("shift-up", 100, tmp_path / "lessons", tmp_path)
    ingested = ingest(lesson, registry, IngestOptions(out_dir=tmp_path / "out"))
    result = align(ingested, None, AlignOptions(aligner="auto", asr=asr))
    got = {s.index: s for s in result.sentences if s.index is not None}
    script = [t for t in truth if t.status != "ad-lib"]
    starts = [abs(got[k].start_ms - 1000 * t.start) for k, t in enumerate(script)
              if t.status == "matched"]
    assert all(got[k].status == t.status for k, t in enumerate(script))
    assert max(starts) <= 500, starts
