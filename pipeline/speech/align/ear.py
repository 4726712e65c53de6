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
#: Texts forced together through openai-whisper's decoder (bounds the logits' memory).
BATCH = 4


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
        return self.words_many(samples, [tokens])[0]

    def words_many(self, samples: np.ndarray,
                   token_lists: list[list[int]]) -> list[list[EarWord]]:
        """The window encoded once (``embed_audio``); each text then only runs the decoder
        against the cached audio features (``timing.find_alignment`` re-encodes per text)."""
        import torch
        from whisper.audio import N_FRAMES, log_mel_spectrogram, pad_or_trim

        if not any(token_lists):
            return [[] for _ in token_lists]
        audio = torch.from_numpy(np.ascontiguousarray(samples, dtype=np.float32))
        mel = log_mel_spectrogram(audio, self.model.dims.n_mels)
        frames = min(N_FRAMES, mel.shape[-1])
        mel = pad_or_trim(mel, N_FRAMES).to(self.model.device)
        with torch.no_grad():
            features = self.model.embed_audio(mel.unsqueeze(0))
        texts = [tokens for tokens in token_lists if tokens]
        passes = [found for k in range(0, len(texts), BATCH)
                  for found in self._forced_pass(features, texts[k: k + BATCH])]
        found = iter(passes)
        return [self._words(tokens, *next(found), frames) if tokens else []
                for tokens in token_lists]

    def _words(self, text_tokens: list[int], probs: list[float], weights: Any,
               frames: int) -> list[EarWord]:
        """One text's words from its forced pass: ``timing.find_alignment``'s method
        (alignment heads' cross-attention, softmax, normalised, median filtered, DTW) and
        its word split."""
        from whisper.timing import TOKENS_PER_SECOND, dtw

        tok = self.tokenizer
        matrix = _normalised_heads(weights[:, :, : frames // 2])
        text_idx, time_idx = dtw(-matrix[len(tok.sot_sequence): -1])
        words, word_tokens = tok.split_to_word_tokens([*text_tokens, tok.eot])
        if len(word_tokens) <= 1:
            return []
        bounds = np.pad(np.cumsum([len(t) for t in word_tokens[:-1]]), (1, 0))
        jumps = np.pad(np.diff(text_idx), (1, 0), constant_values=1).astype(bool)
        jump_times = time_idx[jumps] / TOKENS_PER_SECOND
        return [EarWord(word, float(jump_times[i]), float(jump_times[j]),
                        float(np.mean(probs[i:j])))
                for word, i, j in zip(words, bounds[:-1], bounds[1:], strict=False)]

    def _forced_pass(self, features: Any,
                     texts: list[list[int]]) -> list[tuple[list[float], Any]]:
        """The decoder fed sot + no-timestamps + text + eot, the texts as one batch (padded
        after their end: the causal mask keeps padding out of earlier positions) against
        the one window's features (the cross-attention's keys and values computed once, by
        broadcasting): per text, each text token's probability and the alignment heads'
        cross-attention logits (heads × tokens × audio frames), captured by forward hooks."""
        import torch
        from whisper.model import disable_sdpa

        m, tok = self.model, self.tokenizer
        rows = [[*tok.sot_sequence, tok.no_timestamps, *text, tok.eot] for text in texts]
        width = max(len(row) for row in rows)
        tokens = torch.tensor([row + [tok.eot] * (width - len(row)) for row in rows],
                              device=m.device)
        qks: list[Any] = [None] * m.dims.n_text_layer

        def keep(index: int) -> Any:
            return lambda _mod, _ins, outs: qks.__setitem__(index, outs[-1])

        hooks = [block.cross_attn.register_forward_hook(keep(i))
                 for i, block in enumerate(m.decoder.blocks)]
        try:
            with torch.no_grad(), disable_sdpa():
                logits = m.logits(tokens, features)
        finally:
            for hook in hooks:
                hook.remove()
        heads = m.alignment_heads.indices().T
        out: list[tuple[list[float], Any]] = []
        for b, (text, row) in enumerate(zip(texts, rows, strict=True)):
            sampled = logits[b, len(tok.sot_sequence): len(row), : tok.eot].softmax(dim=-1)
            probs = sampled[np.arange(len(text)), text].tolist()
            out.append((probs, torch.stack([qks[layer][b, head, : len(row)]
                                            for layer, head in heads])))
        return out


def _normalised_heads(weights: Any, medfilt_width: int = 7) -> Any:
    """Heads' attention logits → one token × frame matrix: softmax over frames, standardised
    over tokens, median filtered along frames, averaged over heads (as whisper does)."""
    import torch
    from whisper.timing import median_filter

    weights = weights.softmax(dim=-1)
    std, mean = torch.std_mean(weights, dim=-2, keepdim=True, unbiased=False)
    filtered = median_filter((weights - mean) / std, medfilt_width)
    return filtered.mean(dim=0)


def open_ear(opts: TranscribeOptions) -> Ear:
    """The forced aligner of ``opts``' backend and model (ModelMissingError when the model
    is not installed)."""
    path = asr_model_path(opts.model_dir, opts.backend, opts.model)
    if opts.backend == "openai-whisper":
        _torch_threads(opts.cpu_threads)
        return OpenAIEar(_openai_model(str(path), opts.device))
    return FasterEar(_faster_model(str(path), opts.device, opts.compute_type,
                                   opts.cpu_threads))
