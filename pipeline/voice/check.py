"""Checking an incoming voice recording before it is stored: it decodes, it is not silent,
it is not absurdly long (for any sentence, and for its own sentence's slot)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from pipeline.core.storage import sha256_file
from pipeline.core.types import ms_to_s
from pipeline.voice.audio import decode, speech_spans
from pipeline.voice.errors import (
    RecordingSilentError,
    RecordingTooLongError,
    RecordingTooLongForSentenceError,
    RecordingUnreadableError,
)

__all__ = ["RecordingInfo", "RecordingLimits", "check_recording", "synthetic_tag"]

log = logging.getLogger("caunoi.voice")

#: The metadata comment every synthetic voice file carries ("caunoi:tts:espeak"), so a
#: synthetic file handed in later as a person's recording is recognised.
TAG_PREFIX = "caunoi:"


@dataclass(frozen=True)
class RecordingLimits:
    # Longest file accepted for any sentence (a forgotten "stop" makes minutes of room noise).
    max_ms: int = 90_000
    # The sentence's slot in the original (0 = unknown: only max_ms applies).
    slot_ms: int = 0
    # Speech may last up to this many times the slot (the dub compresses, then holds the
    # picture; three times the slot is a different text, not a slow reader).
    max_slot_ratio: float = 3.0
    # Less speech than this is a silent recording (a tap on the button, a cough).
    min_speech_ms: int = 300
    # Rate the recording is decoded at for the checks.
    sample_rate: int = 16_000
    ffmpeg: str = ""


@dataclass(frozen=True)
class RecordingInfo:
    """What the checks measured: the file's hash, length, where the speech is, its level."""

    path: str
    sha256: str
    duration_ms: int
    speech_start_ms: int
    speech_end_ms: int
    # Sum of the non-silent spans.
    speech_ms: int
    peak_dbfs: float
    # "" for an unlabelled file, else the synthetic source it carries ("tts:espeak").
    synthetic_source: str = ""


def synthetic_tag(path: Path) -> str:
    """The synthetic-voice source a file is labelled with ("" when none)."""
    import av

    try:
        with av.open(str(path)) as c:
            tags = dict(c.metadata)
            for s in c.streams.audio:
                tags.update(s.metadata)
    except av.error.FFmpegError as e:
        raise RecordingUnreadableError(path=str(path)) from e
    for key, value in tags.items():
        if key.lower() == "comment" and value.startswith(TAG_PREFIX):
            return value[len(TAG_PREFIX):]
    return ""


def check_recording(path: Path, limits: RecordingLimits | None = None) -> RecordingInfo:
    """Check one incoming recording.

    Args:
        path: any audio file ffmpeg reads (wav, m4a, ogg/opus, mp3, webm from MediaRecorder).
        limits: the bounds; ``limits.slot_ms`` the sentence's slot when known.

    Returns:
        Its measurements (hash, duration, the speech's span, peak level, synthetic label).

    Raises:
        RecordingUnreadableError: not decodable, or no audio in it.
        RecordingSilentError: less than ``min_speech_ms`` of sound.
        RecordingTooLongError: longer than ``max_ms``, or its speech longer than
            ``max_slot_ratio`` × the slot.
    """
    limits = limits or RecordingLimits()
    if not path.is_file() or path.stat().st_size == 0:
        raise RecordingUnreadableError(path=str(path))
    seg = decode(path, limits.sample_rate, limits.ffmpeg)
    duration = len(seg)
    if duration > limits.max_ms:
        raise RecordingTooLongError(path=str(path), duration_s=_s(duration),
                                    limit_s=_s(limits.max_ms))
    spans = speech_spans(seg)
    speech_ms = sum(b - a for a, b in spans)
    if speech_ms < limits.min_speech_ms:
        raise RecordingSilentError(path=str(path), speech_ms=speech_ms)
    start, end = spans[0][0], spans[-1][1]
    if limits.slot_ms > 0 and end - start > limits.max_slot_ratio * limits.slot_ms:
        cap = round(limits.max_slot_ratio * limits.slot_ms)
        raise RecordingTooLongForSentenceError(
            path=str(path), duration_s=_s(end - start), limit_s=_s(cap),
            ratio=f"{limits.max_slot_ratio:g}", slot_s=_s(limits.slot_ms))
    info = RecordingInfo(path=str(path), sha256=sha256_file(path), duration_ms=duration,
                         speech_start_ms=start, speech_end_ms=end, speech_ms=speech_ms,
                         peak_dbfs=round(float(seg.max_dBFS), 2),
                         synthetic_source=synthetic_tag(path))
    log.debug("recording %s: %d ms, speech %d-%d", path.name, duration, start, end)
    return info


def _s(ms: int) -> str:
    return f"{ms_to_s(ms):.1f}"
