"""Whisper as a second ear: the known script's words forced onto a window of audio.

Teacher-forced decoding: the decoder is fed the script's tokens (not its own guesses) after
the start-of-transcript sequence, once; the cross-attention of its alignment heads, median
filtered and warped onto the audio frames by DTW, tells when each token is heard, and the
decoder's probability of each forced token tells how well the audio supports it. The same
method as stable-ts's ``align`` and whisper-timestamped, on each backend's own primitive
(CTranslate2's ``Whisper.align``; openai-whisper's ``timing.find_alignment``), one ≤ 30 s
window at a time. The windowing, the skip decisions and the merge with the acoustic
aligner are in :mod:`pipeline.speech.align.forced`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any

import numpy as np

from pipeline.speech.transcribe import (
    TranscribeOptions,
    _faster_model,
    _openai_model,
    _torch_threads,
    asr_model_path,
)

__all__ = ["WINDOW_S", "Ear", "EarWord", "open_ear"]

#: Whisper's window (s) and audio rate.
WINDOW_S = 30
RATE = 16_000


@dataclass(frozen=True)
class EarWord:
    """One forced word: times in seconds from the window's start, mean token probability."""

    text: str
    start: float
    end: float
    probability: float


class Ear(ABC):
    """One backend's forced alignment of text tokens to a window of 16 kHz audio."""

    def __init__(self, model: Any) -> None:
        self.model = model

    @abstractmethod
    def tokens(self, text: str) -> list[int]:
        """The text's tokens (a leading space: a word, as Whisper writes it mid-sentence)."""

    @abstractmethod
    def words(self, samples: np.ndarray, tokens: list[int]) -> list[EarWord]:
        """Force ``tokens`` onto ``samples`` (≤ 30 s): one entry per word, in order."""

    def words_many(self, samples: np.ndarray,
                   token_lists: list[list[int]]) -> list[list[EarWord]]:
        """Several texts forced onto the same ``samples`` (a backend that can, encodes the
        audio once)."""
        return [self.words(samples, tokens) for tokens in token_lists]


class FasterEar(Ear):
    def __init__(self, model: Any) -> None:
        from faster_whisper.tokenizer import Tokenizer

        super().__init__(model)
        self.tokenizer = Tokenizer(model.hf_tokenizer, model.model.is_multilingual,
                                   task="transcribe", language="vi")

    def tokens(self, text: str) -> list[int]:
        return list(self.tokenizer.encode(" " + text.strip()))

    def words(self, samples: np.ndarray, tokens: list[int]) -> list[EarWord]:
        return self.words_many(samples, [tokens])[0]

    def words_many(self, samples: np.ndarray,
                   token_lists: list[list[int]]) -> list[list[EarWord]]:
        if not any(token_lists):
            return [[] for _ in token_lists]
        m = self.model
        features = m.feature_extractor(samples)[..., : m.feature_extractor.nb_max_frames]
        frames = min(features.shape[-1], int(samples.size / m.feature_extractor.hop_length))
        encoded = m.encode(np.pad(features, ((0, 0), (0, max(
            0, m.feature_extractor.nb_max_frames - features.shape[-1])))))
        out: list[list[EarWord]] = []
        for tokens in token_lists:
            found = m.find_alignment(self.tokenizer, [tokens], encoded, frames) if tokens \
                else []
            out.append([EarWord(w["word"], float(w["start"]), float(w["end"]),
                                float(w["probability"])) for w in (found[0] if found else [])])
        return out


class OpenAIEar(Ear):
    def __init__(self, model: Any) -> None:
        from whisper.tokenizer import get_tokenizer

        super().__init__(model)
        self.tokenizer = get_tokenizer(model.is_multilingual, num_languages=model.num_languages,
                                       language="vi", task="transcribe")

    def tokens(self, text: str) -> list[int]:
        return list(self.tokenizer.encode(" " + text.strip()))

    def words(self, samples: np.ndarray, tokens: list[int]) -> list[EarWord]:
        import torch
        from whisper.audio import N_FRAMES, log_mel_spectrogram, pad_or_trim
        from whisper.timing import find_alignment

        if not tokens:
            return []
        audio = torch.from_numpy(np.ascontiguousarray(samples, dtype=np.float32))
        mel = log_mel_spectrogram(audio, self.model.dims.n_mels)
        frames = min(N_FRAMES, mel.shape[-1])
        mel = pad_or_trim(mel, N_FRAMES).to(self.model.device)
        found = find_alignment(self.model, self.tokenizer, tokens, mel, frames)
        return [EarWord(w.word, float(w.start), float(w.end), float(w.probability))
                for w in found]


def open_ear(opts: TranscribeOptions) -> Ear:
    """The forced aligner of ``opts``' backend and model (ModelMissingError when the model
    is not installed)."""
    path = asr_model_path(opts.model_dir, opts.backend, opts.model)
    if opts.backend == "openai-whisper":
        _torch_threads(opts.cpu_threads)
        return OpenAIEar(_openai_model(str(path), opts.device))
    return FasterEar(_faster_model(str(path), opts.device, opts.compute_type,
                                   opts.cpu_threads))
