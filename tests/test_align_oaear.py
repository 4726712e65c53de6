"""openai-whisper's ear encodes each window once (issue 29): ``OpenAIEar.words_many`` runs
the encoder once and the decoder per text, with the same words and times as whisper's own
``timing.find_alignment`` (which re-runs the encoder for every text)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from pipeline.core.config import PROJECT_ROOT
from pipeline.speech.align.ear import EarWord, OpenAIEar, open_ear
from pipeline.speech.transcribe import TranscribeOptions

RATE = 16_000
FRAME_S = 0.02  # one alignment frame (whisper's TOKENS_PER_SECOND = 50)
TEXTS = ["câu thứ nhất có năm chữ", "hôm nay chúng ta học cách gieo hạt ngô",
         "tưới nước, rồi chờ ba ngày!", "một"]


@pytest.fixture(scope="module")
def tiny_whisper(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Only the tiny random openai-whisper checkpoint of scripts/make_tiny_models.py."""
    out = tmp_path_factory.mktemp("models")
    subprocess.run([sys.executable, str(PROJECT_ROOT / "scripts/make_tiny_models.py"),
                    "--out", str(out), "--only", "whisper"], check=True, capture_output=True)
    return out


@pytest.fixture(scope="module")
def ear(tiny_whisper: Path) -> OpenAIEar:
    found = open_ear(TranscribeOptions(backend="openai-whisper", model="tiny-random",
                                       model_dir=tiny_whisper, cpu_threads=1))
    assert isinstance(found, OpenAIEar)
    import torch

    # make_tiny_models.py initialises the decoder's positions (whisper leaves them empty).
    assert torch.isfinite(found.model.decoder.positional_embedding).all()
    return found


def _window(seconds: float, seed: int = 7) -> np.ndarray:
    """Speech-like noise: a few harmonics under a slow on/off envelope, plus hiss."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * RATE)) / RATE
    voiced = sum(np.sin(2 * np.pi * f * t) / k for k, f in enumerate((140, 280, 420), 1))
    envelope = (np.sin(2 * np.pi * 1.3 * t) > -0.2).astype(np.float32)
    return (0.3 * voiced * envelope + 0.02 * rng.standard_normal(t.size)).astype(np.float32)


def _reference(ear: OpenAIEar, samples: np.ndarray, tokens: list[int]) -> list[EarWord]:
    """What ``OpenAIEar.words`` was before: whisper's ``find_alignment`` on the window."""
    import torch
    from whisper.audio import N_FRAMES, log_mel_spectrogram, pad_or_trim
    from whisper.timing import find_alignment

    mel = log_mel_spectrogram(torch.from_numpy(samples), ear.model.dims.n_mels)
    frames = min(N_FRAMES, mel.shape[-1])
    found = find_alignment(ear.model, ear.tokenizer, tokens, pad_or_trim(mel, N_FRAMES),
                           frames)
    return [EarWord(w.word, float(w.start), float(w.end), float(w.probability))
            for w in found]


@pytest.mark.parametrize("seconds", [7.3, 30.0])
def test_words_many_matches_find_alignment_per_text(ear: OpenAIEar, seconds: float) -> None:
    samples = _window(seconds)
    token_lists = [ear.tokens(t) for t in TEXTS]
    many = ear.words_many(samples, token_lists)
    assert len(many) == len(TEXTS)
    for tokens, got in zip(token_lists, many, strict=True):
        want = _reference(ear, samples, tokens)
        assert want, "the reference found no words: the comparison would be empty"
        assert [w.text for w in got] == [w.text for w in want]
        alone = ear.words(samples, tokens)  # a batch of one
        assert all(np.isfinite(w.probability) for w in got)
        assert len(got) == 1 or len({(w.start, w.end) for w in got}) > 1, "one time for all"
        assert [w.text for w in alone] == [w.text for w in want]
        for g, w, a in zip(got, want, alone, strict=True):
            assert abs(a.start - w.start) <= FRAME_S and abs(a.end - w.end) <= FRAME_S
            assert abs(g.start - w.start) <= FRAME_S
            assert abs(g.end - w.end) <= FRAME_S
            assert g.probability == pytest.approx(w.probability, rel=1e-3)
            assert 0.0 <= g.start <= g.end <= seconds + FRAME_S


def test_encoder_runs_once_per_window(ear: OpenAIEar) -> None:
    calls: list[int] = []
    hook = ear.model.encoder.register_forward_hook(lambda *_: calls.append(1))
    try:
        samples = _window(12.0, seed=3)
        ear.words_many(samples, [ear.tokens(t) for t in TEXTS])
        assert len(calls) == 1
        ear.words_many(_window(5.0, seed=4), [ear.tokens(TEXTS[0]), ear.tokens(TEXTS[1])])
        assert len(calls) == 2
    finally:
        hook.remove()


def test_empty_texts_are_not_encoded(ear: OpenAIEar) -> None:
    calls: list[int] = []
    hook = ear.model.encoder.register_forward_hook(lambda *_: calls.append(1))
    try:
        samples = _window(4.0)
        assert ear.words_many(samples, [[], []]) == [[], []]
        assert calls == []
        mixed = ear.words_many(samples, [[], ear.tokens(TEXTS[3])])
        assert mixed[0] == [] and [w.text.strip() for w in mixed[1]] == ["một"]
        assert len(calls) == 1
    finally:
        hook.remove()
