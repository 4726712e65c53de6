"""The real Whisper base model (``make whisper-base``) on the sample narration."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.core.config import PROJECT_ROOT
from pipeline.core.languages import Registry
from pipeline.core.text import syllables
from pipeline.core.vi_numbers import spoken_form
from pipeline.ingest import IngestOptions, ingest
from pipeline.speech.align.transcript import align_tokens
from pipeline.speech.transcribe import TranscribeOptions, transcribe
from tests.conftest import run_script

BASE = PROJECT_ROOT / "models" / "faster-whisper" / "base"

#: Measured 2026-11-27 on the sample narration (espeak-ng's southern voice at an uneven pace,
#: band-limited, room tone; 89 s; 2-core shared box): 0.092 of the script's 238 syllables
#: recovered exactly (tone included), 0.143 placed at all (202 heard). The same on every run:
#: the fallback's sampling is seeded (before that, runs read 0.063-0.092 and 0.118-0.164).
#: (On the earlier, clean `-v vi` narration: 0.26 and 0.37.) Base is a weak model for
#: Vietnamese; the floors catch a transcription path that breaks, not a quality goal.
MIN_RECOVERED = 0.07
MIN_RECOVERED_TONELESS = 0.13


def recovered(script: list[str], heard: list[str]) -> tuple[float, float]:
    """Share of script syllables the transcript has at the aligned place: exactly, and with
    the tone ignored."""
    pairs = align_tokens(script, heard)
    exact = sum(1 for s, p in zip(script, pairs, strict=True)
                if p is not None and heard[p] == s)
    return exact / len(script), sum(p is not None for p in pairs) / len(script)


@pytest.mark.slow
@pytest.mark.skipif(not (BASE / "model.bin").is_file(),
                    reason=f"{BASE} is missing: run `make whisper-base` (make test builds it)")
def test_base_model_recovers_script_syllables(tmp_path: Path, registry: Registry) -> None:
    run_script("make_sample_lesson.py", "--out", str(tmp_path / "lessons"))
    lesson = next((tmp_path / "lessons").iterdir())
    ingested = ingest(lesson, registry, IngestOptions(out_dir=tmp_path / "out"))
    transcript = transcribe(ingested.audio_wav, TranscribeOptions(
        backend="faster-whisper", model="base", model_dir=BASE.parent.parent, cpu_threads=2))
    script = [t.lower() for s in ingested.lesson.sentences
              for t in syllables(spoken_form(s.text))]
    heard = [t.lower() for w in transcript.words for t in syllables(spoken_form(w.text))]
    exact, toneless = recovered(script, heard)
    assert exact >= MIN_RECOVERED, f"{exact:.2f} of the script's syllables recovered"
    assert toneless >= MIN_RECOVERED_TONELESS, f"{toneless:.2f} recovered tones aside"
    # A chunk the weak model loops on is dropped and reported, never kept; and it stays rare
    # (measured: one 4.3 s span of 88.7 s, 12.98-17.30 s, at the seeded fallback).
    loops = [(a, b) for a, b, why in transcript.unusable if why == "loop"]
    assert sum(b - a for a, b in loops) < 0.1 * ingested.media.duration_ms
    assert not any(a <= s.start_ms and s.end_ms <= b for s in transcript.segments
                   for a, b in loops)


@pytest.mark.slow
@pytest.mark.skipif(not (BASE / "model.bin").is_file(),
                    reason=f"{BASE} is missing: run `make whisper-base` (make test builds it)")
def test_openai_checkpoint_is_the_same_network(tmp_path: Path) -> None:
    """scripts/whisper_ct2_to_openai.py gives openai-whisper the CTranslate2 network itself:
    on the same log-mel input both encoders agree and both detect the same language
    probabilities. (Their transcripts differ because each backend has its own mel front
    end and decoding loop, not because the weights differ.)"""
    import ctranslate2
    import numpy as np
    import torch
    import whisper

    run_script("whisper_ct2_to_openai.py", str(BASE), str(tmp_path / "base.pt"))
    model = whisper.load_model(str(tmp_path / "base.pt"), device="cpu")
    rng = np.random.default_rng(3)
    audio = (0.1 * np.sin(np.arange(16000 * 8) * 2 * np.pi * 220 / 16000)
             * rng.uniform(0.2, 1.0, 16000 * 8)).astype(np.float32)
    mel = whisper.log_mel_spectrogram(torch.from_numpy(whisper.pad_or_trim(audio)))
    ct2 = ctranslate2.models.Whisper(str(BASE), device="cpu", compute_type="float32")
    features = ctranslate2.StorageView.from_array(mel.numpy()[None])
    ct2_probs = dict(ct2.detect_language(features)[0])
    with torch.no_grad():
        _, probs = model.detect_language(mel[None])
        encoded = model.encoder(mel[None]).numpy()
    assert np.abs(np.array(ct2.encode(features, to_cpu=True)) - encoded).max() < 1e-2
    for code in ("vi", "en", "zh", "th"):
        assert abs(ct2_probs[f"<|{code}|>"] - probs[0][code]) < 1e-3
