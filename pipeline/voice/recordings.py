"""Making a :class:`Recording`: from a person's file (checked, refused if it is labelled
synthetic) or from a synthetic backend (always labelled ``tts:<backend>``)."""

from __future__ import annotations

from pathlib import Path

from pipeline.voice.backends import VoiceOptions, voice_backend
from pipeline.voice.check import RecordingInfo, RecordingLimits, check_recording
from pipeline.voice.errors import SyntheticVoiceError, VoiceBackendError
from pipeline.voice.types import HUMAN, Recording, text_sha256

__all__ = ["human_recording", "synthetic_recording"]


def human_recording(path: Path, *, lesson_id: str, language: str, sentence_id: str,
                    number: int, speaker: str, approved_text: str,
                    limits: RecordingLimits | None = None) -> tuple[Recording, RecordingInfo]:
    """A person's recording of sentence ``number``'s ``approved_text``, checked.

    Raises:
        RecordingUnreadableError, RecordingSilentError, RecordingTooLongError: see
            :func:`check_recording`.
        SyntheticVoiceError: the file carries a synthetic voice's label.
    """
    info = check_recording(path, limits)
    if info.synthetic_source:
        raise SyntheticVoiceError(path=str(path), source=info.synthetic_source)
    rec = Recording(lesson_id=lesson_id, language=language, sentence_id=sentence_id,
                    number=number, speaker=speaker, file=str(path), sha256=info.sha256,
                    duration_ms=info.duration_ms, text_sha256=text_sha256(approved_text),
                    source=HUMAN)
    return rec, info


def synthetic_recording(backend: str, text: str, dst: Path, *, lesson_id: str, language: str,
                        sentence_id: str, number: int, opts: VoiceOptions | None = None,
                        limits: RecordingLimits | None = None) -> Recording:
    """Sentence ``number`` spoken by a synthetic ``backend`` into ``dst`` (a labelled WAV).

    Raises:
        UnknownNameError: no such backend.
        VoiceBackendError: the backend cannot speak ``language`` (or is ``human``).
        TtsModelMissingError: the backend's model is not in the model folder.
    """
    tool = voice_backend(backend)
    if not tool.synthetic:
        raise VoiceBackendError(backend=backend, language=language,
                                detail="a person records this voice; nothing is synthesised")
    opts = opts or VoiceOptions()
    tool.synthesize(text, language, dst, opts)
    info = check_recording(dst, limits)
    return Recording(lesson_id=lesson_id, language=language, sentence_id=sentence_id,
                     number=number, speaker=tool.source, file=str(dst), sha256=info.sha256,
                     duration_ms=info.duration_ms, text_sha256=text_sha256(text),
                     source=tool.source)
