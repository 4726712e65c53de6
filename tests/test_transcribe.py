"""Transcription plumbing with tiny random-weight models (their text is noise)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipeline.core.config import Settings
from pipeline.core.languages import Registry
from pipeline.core.media import read_wav
from pipeline.core.types import Transcript
from pipeline.ingest import IngestOptions, ingest
from pipeline.speech.transcribe import BACKENDS, TranscribeOptions, build_prompt, transcribe


@pytest.mark.parametrize("backend", sorted(BACKENDS))
def test_tiny_model_transcribes(backend: str, tiny_models: Path, short_lesson: Path,
                                registry: Registry, settings: Settings) -> None:
    ingested = ingest(short_lesson, registry, IngestOptions(out_dir=settings.out_dir))
    opts = TranscribeOptions(backend=backend, model="tiny-random", model_dir=tiny_models,
                             prompt=build_prompt("Trả tiền bằng mã QR", ["Zalo", "VNeID"]))
    result = transcribe(ingested.audio_wav, opts, ingested.audio_sha256)
    assert result.backend == backend and result.language == "vi"
    assert result.prompt == "Trả tiền bằng mã QR, Zalo, VNeID"
    samples, rate = read_wav(ingested.audio_wav)
    duration = samples.size * 1000 // rate
    # Random weights say nothing sensible, but every time must lie inside the audio.
    for seg in result.segments:
        assert 0 <= seg.start_ms <= seg.end_ms <= duration
        for w in seg.words:
            assert 0 <= w.start_ms <= w.end_ms <= duration
    data = json.loads(json.dumps(result.to_json()))
    assert set(data) >= {"language", "backend", "model", "prompt", "segments"}
    assert Transcript.from_json(data) == result


def test_build_prompt_is_bounded() -> None:
    prompt = build_prompt("Tiêu đề", [f"thuật ngữ {i}" for i in range(500)], limit=100)
    assert prompt.startswith("Tiêu đề") and len(prompt) <= 100
