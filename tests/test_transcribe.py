"""Transcription plumbing with tiny random-weight models (their text is noise)."""

from __future__ import annotations

import json
import wave
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from pipeline.core.config import Settings
from pipeline.core.languages import Registry
from pipeline.core.types import Transcript, TranscriptSegment, Word
from pipeline.ingest import IngestOptions, ingest
from pipeline.speech.transcribe import (
    BACKENDS,
    Backend,
    TranscribeOptions,
    build_prompt,
    transcribe,
)


@pytest.mark.parametrize("backend", [  # openai-whisper on CPU takes a minute: slow suite
    pytest.param(b, marks=[pytest.mark.slow] if b == "openai-whisper" else [])
    for b in sorted(BACKENDS)])
def test_tiny_model_transcribes(backend: str, tiny_models: Path, short_lesson: Path,
                                registry: Registry, settings: Settings) -> None:
    ingested = ingest(short_lesson, registry, IngestOptions(out_dir=settings.out_dir))
    # Random weights fail every fallback threshold: one temperature keeps the test short.
    opts = TranscribeOptions(backend=backend, model="tiny-random", model_dir=tiny_models,
                             prompt=build_prompt("Trả tiền bằng mã QR", ["Zalo", "VNeID"]),
                             temperatures=(0.0,))
    result = transcribe(ingested.audio_wav, opts, ingested.audio_sha256)
    assert result.backend == backend and result.language == "vi"
    assert result.prompt == "Trả tiền bằng mã QR, Zalo, VNeID"
    # Random weights say nothing sensible (times inside the audio: test_times_are_clamped).
    data = json.loads(json.dumps(result.to_json()))
    assert set(data) >= {"language", "backend", "model", "prompt", "segments"}
    assert Transcript.from_json(data) == result


def test_the_same_recording_gives_the_same_transcript(tiny_models: Path, short_lesson: Path,
                                                      registry: Registry,
                                                      settings: Settings) -> None:
    """Temperature fallback samples (random weights fail every threshold, so it does here):
    its seed is fixed, so a second run decodes the same words, not a new draw."""
    ingested = ingest(short_lesson, registry, IngestOptions(out_dir=settings.out_dir))
    opts = TranscribeOptions(backend="faster-whisper", model="tiny-random",
                             model_dir=tiny_models, temperatures=(0.0, 1.0))
    first = transcribe(ingested.audio_wav, opts, ingested.audio_sha256)
    assert first.words, "the tiny model said nothing: the test would not test sampling"
    assert transcribe(ingested.audio_wav, opts, ingested.audio_sha256) == first


def test_build_prompt_is_bounded() -> None:
    prompt = build_prompt("Tiêu đề", [f"thuật ngữ {i}" for i in range(500)], limit=100)
    assert prompt.startswith("Tiêu đề") and len(prompt) <= 100


class OvershootingBackend(Backend):
    """Test double standing in for a small model that runs past the end of the audio and
    before its start (what tiny Whisper models do); not a transcription."""

    name = "openai-whisper"
    folder = "whisper"  # loads nothing, but is found where the real backend's model is
    single_file = True

    def run(self, path: Path, audio: Any, opts: TranscribeOptions) -> list[TranscriptSegment]:
        return [TranscriptSegment(-40, 900, "a b", (Word(-40, 300, "a"), Word(450, 200, "b"))),
                TranscriptSegment(1500, 2600, "c", (Word(2100, 2600, "c"),))]


@pytest.mark.parametrize("rate", [16_000, 8_000])
def test_times_are_clamped_to_the_wav(rate: int, tmp_path: Path, tiny_models: Path,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """transcribe() keeps every time inside the audio, measured with the WAV's own rate
    (2.0 s here: a clamp that assumed 16 kHz would let an 8 kHz file run to 1.0 s), and
    ordered; times already inside are kept as they are."""
    wav = tmp_path / "two-seconds.wav"
    with wave.open(str(wav), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(np.zeros(2 * rate, dtype="<i2").tobytes())
    monkeypatch.setitem(BACKENDS, "openai-whisper", OvershootingBackend)
    # One chunk of the whole (silent) file: the backend's overshoot is what is tested.
    opts = TranscribeOptions(backend="openai-whisper", model="tiny-random",
                             model_dir=tiny_models, vad_chunks=False)
    got = transcribe(wav, opts)
    assert [(s.start_ms, s.end_ms) for s in got.segments] == [(0, 900), (1500, 2000)]
    assert [(w.start_ms, w.end_ms) for w in got.words] == [(0, 300), (450, 450), (2000, 2000)]


# Slow: a whole Prefect run or a real decode (tens of seconds); runs in CI's -m slow.
@pytest.mark.slow
def test_openai_whisper_decodes_on_the_cpu_threads_asked(
        tiny_models: Path, short_lesson: Path, registry: Registry, settings: Settings,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """``cpu_threads`` reaches torch for openai-whisper, as it reaches faster-whisper (the
    real tiny model decodes; its thread count is read as each decoding starts)."""
    import torch

    import pipeline.speech.transcribe as module

    seen: list[int] = []
    real = module._openai_model

    class Recording:
        def __init__(self, model: Any) -> None:
            self.model = model

        def transcribe(self, *args: Any, **kwargs: Any) -> Any:
            seen.append(torch.get_num_threads())
            return self.model.transcribe(*args, **kwargs)

    monkeypatch.setattr(module, "_openai_model", lambda p, d: Recording(real(p, d)))
    before = torch.get_num_threads()
    wanted = 1 if before != 1 else 2
    ingested = ingest(short_lesson, registry, IngestOptions(out_dir=settings.out_dir))
    opts = TranscribeOptions(backend="openai-whisper", model="tiny-random",
                             model_dir=tiny_models, temperatures=(0.0,), cpu_threads=wanted)
    try:
        transcribe(ingested.audio_wav, opts, ingested.audio_sha256)
    finally:
        torch.set_num_threads(before)
    assert seen and set(seen) == {wanted}
