"""Stage 2: Vietnamese speech to text with Whisper (openai-whisper or faster-whisper)."""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import Any, ClassVar

from pipeline.core.errors import ModelMissingError, UnknownNameError
from pipeline.core.media import read_wav_span, wav_info
from pipeline.core.text import syllables
from pipeline.core.types import Transcript, TranscriptSegment, Word, s_to_ms
from pipeline.speech.guard import ChunkOptions, is_loop, loop_span, plan_chunks
from pipeline.speech.vad import wav_speech_regions

__all__ = ["BACKENDS", "TranscribeOptions", "asr_model_path", "backend_class", "build_prompt",
           "transcribe"]

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
    # Temperature fallback: a chunk failing the thresholds below is decoded again hotter.
    temperatures: tuple[float, ...] = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)
    # Text compressing better than this is a repetition loop (Whisper's measure).
    compression_ratio_threshold: float = 2.4
    # Mean token log-probability below this fails a decoding.
    log_prob_threshold: float = -1.0
    # With a failed log-probability, a no-speech probability above this means silence.
    no_speech_threshold: float = 0.6
    # Decode each voice-activity chunk on its own (the same chunks for every backend).
    vad_chunks: bool = True
    # Decoding chunks: longest chunk, and the pause that always ends one.
    max_chunk_ms: int = 28_000
    split_pause_ms: int = 1_500
    # CPU threads for either backend (0: the library's default).
    cpu_threads: int = 0


def build_prompt(title: str, terms: list[str], limit: int = 400) -> str:
    """Initial prompt from the lesson title and glossary terms, kept short."""
    prompt = title.strip()
    for term in terms:
        if len(prompt) + len(term) + 2 > limit:
            break
        prompt = f"{prompt}, {term}" if prompt else term
    return prompt


class Backend(ABC):
    """How to add an ASR backend: subclass, set ``name``, implement ``run`` (decode one chunk
    of audio with the options' fallback and thresholds, times relative to the chunk),
    register it in ``BACKENDS``."""

    name: ClassVar[str]
    # Folder under model_dir, and whether a model is one file (a checkpoint) or a folder.
    folder: ClassVar[str] = ""
    single_file: ClassVar[bool] = False

    def begin(self) -> None:
        """Called once before a recording's chunks are decoded (sampling starts afresh)."""
        return None

    @abstractmethod
    def run(self, path: Path, audio: Any, opts: TranscribeOptions) -> list[TranscriptSegment]: ...

    @classmethod
    def model_path(cls, model_dir: Path, name: str) -> Path:
        """Where model ``name`` lives (``name`` may also be an explicit path)."""
        explicit = Path(name).expanduser()
        if explicit.suffix == ".pt" or explicit.is_absolute() or "/" in name:
            return explicit
        return model_dir / cls.folder / (f"{name}.pt" if cls.single_file else name)

    @classmethod
    def is_model(cls, path: Path) -> bool:
        return path.is_file() if cls.single_file else (path / "model.bin").is_file()


@lru_cache(maxsize=2)
def _openai_model(path: str, device: str) -> Any:
    import whisper

    return whisper.load_model(path, device=device)


def _torch_threads(n: int) -> None:
    """openai-whisper decodes with torch: on ``n`` CPU threads (0: torch's default), as
    faster-whisper is given ``cpu_threads``."""
    if n > 0:
        import torch

        if torch.get_num_threads() != n:
            torch.set_num_threads(n)


#: Seed of the sampling that temperature fallback does: the same recording gives the same
#: transcript on every run (and so the same alignment and deviation report).
SAMPLING_SEED = 0


@lru_cache(maxsize=2)
def _faster_model(path: str, device: str, compute_type: str, cpu_threads: int) -> Any:
    from faster_whisper import WhisperModel

    return WhisperModel(path, device=device, compute_type=compute_type, local_files_only=True,
                        cpu_threads=cpu_threads)


def _word(start: float, end: float, text: str, p: float) -> Word:
    return Word(start_ms=s_to_ms(start), end_ms=s_to_ms(end), text=text.strip(), probability=p)


class OpenAIWhisper(Backend):
    name = "openai-whisper"
    folder = "whisper"
    single_file = True

    def run(self, path: Path, audio: Any, opts: TranscribeOptions) -> list[TranscriptSegment]:
        import torch

        _torch_threads(opts.cpu_threads)
        model = _openai_model(str(path), opts.device)

        def decode(temperatures: tuple[float, ...]) -> dict[str, Any]:
            torch.manual_seed(SAMPLING_SEED)
            return dict(model.transcribe(
                audio, language=opts.language, task="transcribe", word_timestamps=True,
                initial_prompt=opts.prompt or None,
                beam_size=opts.beam_size if opts.beam_size > 1 else None,
                temperature=temperatures,
                compression_ratio_threshold=opts.compression_ratio_threshold,
                logprob_threshold=opts.log_prob_threshold,
                no_speech_threshold=opts.no_speech_threshold,
                condition_on_previous_text=False, fp16=False, verbose=None,
            ))

        try:
            result = decode(opts.temperatures)
        except ValueError as e:
            # torch refuses to sample from non-finite probabilities (seen with degenerate
            # weights): keep the greedy decoding rather than fail the lesson.
            log.warning("sampling fallback failed (%s): greedy decoding only", e)
            result = decode(opts.temperatures[:1])
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
    folder = "faster-whisper"

    def begin(self) -> None:
        # CTranslate2 samples with one generator per worker thread, seeded when the thread
        # first samples: a freshly loaded model (new threads) after the seed is set starts
        # every recording's draws from the same place.
        import ctranslate2

        _faster_model.cache_clear()
        ctranslate2.set_random_seed(SAMPLING_SEED)

    def run(self, path: Path, audio: Any, opts: TranscribeOptions) -> list[TranscriptSegment]:
        model = _faster_model(str(path), opts.device, opts.compute_type, opts.cpu_threads)
        segments, _info = model.transcribe(
            audio, language=opts.language, task="transcribe", word_timestamps=True,
            initial_prompt=opts.prompt or None, beam_size=opts.beam_size,
            temperature=list(opts.temperatures),
            compression_ratio_threshold=opts.compression_ratio_threshold,
            log_prob_threshold=opts.log_prob_threshold,
            no_speech_threshold=opts.no_speech_threshold,
            condition_on_previous_text=False, vad_filter=False,
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


def backend_class(name: str) -> type[Backend]:
    """The registered ASR backend called ``name``."""
    try:
        return BACKENDS[name]
    except KeyError:
        raise UnknownNameError(kind="ASR backend", name=name, known=", ".join(BACKENDS)) from None


def asr_model_path(model_dir: Path, backend: str, name: str) -> Path:
    """Path of an installed ASR model.

    Raises:
        ModelMissingError: the model is not on disk (the message says how to get it).
    """
    cls = backend_class(backend)
    path = cls.model_path(model_dir, name)
    if not cls.is_model(path):
        raise ModelMissingError(name=f"{backend} '{name}'", path=str(path),
                                hint=f"--asr {name} --backend {backend}")
    return path


def _shift(s: TranscriptSegment, offset: int, lo: int, hi: int) -> TranscriptSegment:
    """Move a chunk's segment to recording time, every time kept inside [lo, hi] and ordered
    (small models overshoot the end of their audio)."""

    def fix(a: int, b: int) -> tuple[int, int]:
        a = min(max(lo, a + offset), hi)
        return a, min(max(a, b + offset), hi)

    words = tuple(Word(*fix(w.start_ms, w.end_ms), w.text, w.probability) for w in s.words)
    return replace(s, start_ms=fix(s.start_ms, s.end_ms)[0],
                   end_ms=fix(s.start_ms, s.end_ms)[1], words=words)


def _clamp(segments: list[TranscriptSegment], duration_ms: int) -> list[TranscriptSegment]:
    """Keep every time inside the audio and ordered (small models overshoot the end)."""
    return [_shift(s, 0, 0, duration_ms) for s in segments]


def _screen(segments: list[TranscriptSegment],
            opts: TranscribeOptions) -> tuple[list[TranscriptSegment], list[tuple[int, int]]]:
    """Drop repetition loops: single segments that loop, and runs of segments repeating one
    another. Returns (kept, dropped spans)."""
    bad = {k for k, s in enumerate(segments)
           if is_loop(s.text, opts.compression_ratio_threshold)}
    tokens: list[str] = []
    owner: list[int] = []
    for k, s in enumerate(segments):
        toks = [t.lower() for t in syllables(s.text)]
        tokens += toks
        owner += [k] * len(toks)
    a, b = loop_span(tokens)
    if b - a >= 9:
        bad.update(owner[a:b])
    kept = [s for k, s in enumerate(segments) if k not in bad]
    dropped = [(s.start_ms, s.end_ms) for k, s in enumerate(segments) if k in bad]
    return kept, dropped


def _chunks(wav: Path, opts: TranscribeOptions) -> list[tuple[int, int]]:
    rate, frames = wav_info(wav)
    duration = frames * 1000 // rate if rate else 0
    if not opts.vad_chunks:
        return [(0, duration)]
    plan = ChunkOptions(max_chunk_ms=opts.max_chunk_ms, split_pause_ms=opts.split_pause_ms)
    return plan_chunks(wav_speech_regions(wav), duration, plan)


def transcribe(wav: Path, opts: TranscribeOptions, audio_sha256: str = "") -> Transcript:
    """Transcribe a 16 kHz mono WAV, one voice-activity chunk at a time.

    Every chunk is decoded afresh (no text carried over), with temperature fallback and the
    compression-ratio / log-probability thresholds; repetition loops are dropped and listed,
    with chunks that gave no text, in ``Transcript.unusable``. The WAV is never loaded whole:
    voice activity is found block by block and each chunk is read when it is decoded.

    Raises:
        ModelMissingError: the configured model is not on disk.
        UnknownNameError: unknown backend.
    """
    if opts.backend not in BACKENDS:
        raise UnknownNameError(kind="ASR backend", name=opts.backend, known=", ".join(BACKENDS))
    path = asr_model_path(opts.model_dir, opts.backend, opts.model)
    chunks = _chunks(wav, opts)
    log.info("transcribing %s with %s (%s): %d chunks", wav.name, opts.backend, opts.model,
             len(chunks))
    backend = BACKENDS[opts.backend]()
    backend.begin()
    segments: list[TranscriptSegment] = []
    unusable: list[tuple[int, int, str]] = []
    for a, b in chunks:
        piece = read_wav_span(wav, a, b)
        raw = [_shift(s, a, a, b) for s in backend.run(path, piece, opts)]
        kept, dropped = _screen([s for s in raw if s.text], opts)
        unusable += [(x, y, "loop") for x, y in dropped]
        if not raw or (not kept and not dropped):
            unusable.append((a, b, "empty"))
        segments += kept
    if unusable:
        log.warning("%s: %d span(s) without a usable transcript", wav.name, len(unusable))
    return Transcript(language=opts.language, backend=opts.backend, model=opts.model,
                      prompt=opts.prompt, segments=tuple(segments), audio_sha256=audio_sha256,
                      unusable=tuple(unusable))
