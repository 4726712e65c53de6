"""Stage 2: Vietnamese speech to text with Whisper (openai-whisper or faster-whisper)."""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, ClassVar

from pipeline.core.errors import UnknownNameError
from pipeline.core.media import read_wav
from pipeline.core.model_files import asr_model_path
from pipeline.core.types import Transcript, TranscriptSegment, Word, s_to_ms

__all__ = ["BACKENDS", "TranscribeOptions", "build_prompt", "transcribe"]

log = logging.getLogger("caunoi.transcribe")


@dataclass(frozen=True)
class TranscribeOptions:
    # "openai-whisper" or "faster-whisper".
    backend: str = "openai-whisper"
    # Model name under model_dir, or a path.
    model: str = "small"
    model_dir: Path = Path("models")
    device: str = "cpu"
    # CTranslate2 compute type (faster-whisper only).
    compute_type: str = "int8"
    # 1 = greedy decoding.
    beam_size: int = 1
    # Spoken language (forced, never detected).
    language: str = "vi"
    # Initial prompt: lesson title and glossary terms steer spelling.
    prompt: str = ""


def build_prompt(title: str, terms: list[str], limit: int = 400) -> str:
    """Initial prompt from the lesson title and glossary terms, kept short."""
    prompt = title.strip()
    for term in terms:
        if len(prompt) + len(term) + 2 > limit:
            break
        prompt = f"{prompt}, {term}" if prompt else term
    return prompt


class Backend(ABC):
    """How to add an ASR backend: subclass, set ``name``, implement ``run``, register it in
    ``BACKENDS``."""

    name: ClassVar[str]

    @abstractmethod
    def run(self, path: Path, audio: Any, opts: TranscribeOptions) -> list[TranscriptSegment]: ...


@lru_cache(maxsize=2)
def _openai_model(path: str, device: str) -> Any:
    import whisper

    return whisper.load_model(path, device=device)


@lru_cache(maxsize=2)
def _faster_model(path: str, device: str, compute_type: str) -> Any:
    from faster_whisper import WhisperModel

    return WhisperModel(path, device=device, compute_type=compute_type, local_files_only=True)


def _word(start: float, end: float, text: str, p: float) -> Word:
    return Word(start_ms=s_to_ms(start), end_ms=s_to_ms(end), text=text.strip(), probability=p)


class OpenAIWhisper(Backend):
    name = "openai-whisper"

    def run(self, path: Path, audio: Any, opts: TranscribeOptions) -> list[TranscriptSegment]:
        model = _openai_model(str(path), opts.device)
        result = model.transcribe(
            audio, language=opts.language, task="transcribe", word_timestamps=True,
            initial_prompt=opts.prompt or None,
            beam_size=opts.beam_size if opts.beam_size > 1 else None,
            temperature=0.0, condition_on_previous_text=False, fp16=False, verbose=None,
        )
        return [
            TranscriptSegment(
                start_ms=s_to_ms(s["start"]), end_ms=s_to_ms(s["end"]), text=s["text"].strip(),
                words=tuple(_word(w["start"], w["end"], w["word"], float(w["probability"]))
                            for w in s.get("words", [])),
                avg_logprob=float(s["avg_logprob"]), no_speech_prob=float(s["no_speech_prob"]),
            )
            for s in result["segments"]
        ]


class FasterWhisper(Backend):
    name = "faster-whisper"

    def run(self, path: Path, audio: Any, opts: TranscribeOptions) -> list[TranscriptSegment]:
        model = _faster_model(str(path), opts.device, opts.compute_type)
        segments, _info = model.transcribe(
            audio, language=opts.language, task="transcribe", word_timestamps=True,
            initial_prompt=opts.prompt or None, beam_size=opts.beam_size, temperature=0.0,
            condition_on_previous_text=False, vad_filter=True,
        )
        # faster-whisper yields lazily: materialise here so retries and caching cover the work.
        return [
            TranscriptSegment(
                start_ms=s_to_ms(s.start), end_ms=s_to_ms(s.end), text=s.text.strip(),
                words=tuple(_word(w.start, w.end, w.word, float(w.probability))
                            for w in (s.words or [])),
                avg_logprob=float(s.avg_logprob), no_speech_prob=float(s.no_speech_prob),
            )
            for s in list(segments)
        ]


BACKENDS: dict[str, type[Backend]] = {b.name: b for b in (OpenAIWhisper, FasterWhisper)}


def _clamp(segments: list[TranscriptSegment], duration_ms: int) -> list[TranscriptSegment]:
    """Keep every time inside the audio and ordered (small models overshoot the end)."""

    def fix(a: int, b: int) -> tuple[int, int]:
        a = min(max(0, a), duration_ms)
        return a, min(max(a, b), duration_ms)

    out = []
    for s in segments:
        start, end = fix(s.start_ms, s.end_ms)
        words = tuple(Word(*fix(w.start_ms, w.end_ms), w.text, w.probability) for w in s.words)
        out.append(TranscriptSegment(start, end, s.text, words, s.avg_logprob, s.no_speech_prob))
    return out


def transcribe(wav: Path, opts: TranscribeOptions, audio_sha256: str = "") -> Transcript:
    """Transcribe a 16 kHz mono WAV.

    Raises:
        ModelMissingError: the configured model is not on disk.
        UnknownNameError: unknown backend.
    """
    if opts.backend not in BACKENDS:
        raise UnknownNameError(kind="ASR backend", name=opts.backend, known=", ".join(BACKENDS))
    path = asr_model_path(opts.model_dir, opts.backend, opts.model)
    samples, rate = read_wav(wav)
    log.info("transcribing %s with %s (%s)", wav.name, opts.backend, opts.model)
    segments = _clamp(BACKENDS[opts.backend]().run(path, samples, opts),
                      duration_ms=samples.size * 1000 // rate)
    return Transcript(language=opts.language, backend=opts.backend, model=opts.model,
                      prompt=opts.prompt, segments=tuple(segments), audio_sha256=audio_sha256)
