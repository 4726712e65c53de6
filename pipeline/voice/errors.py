"""Errors of the voice stage: a recording that cannot be used, a folder of recordings that
cannot be imported, a synthetic voice passed off as a person's. One plain sentence each,
naming the file and the fix, in Vietnamese or English."""

from __future__ import annotations

from pipeline.core.errors import CaunoiError

__all__ = [
    "ImportDuplicateError",
    "ImportGapError",
    "ImportUnknownNumberError",
    "ImportUnnamedFileError",
    "RecordingSilentError",
    "RecordingTooLongError",
    "RecordingTooLongForSentenceError",
    "RecordingUnreadableError",
    "StretcherMissingError",
    "SyntheticVoiceError",
    "TtsModelMissingError",
    "VoiceBackendError",
]


class RecordingUnreadableError(CaunoiError):
    key = "errors.voice_recording_unreadable"
    exit_code = 2


class RecordingSilentError(CaunoiError):
    key = "errors.recording_silent"
    exit_code = 2


class RecordingTooLongError(CaunoiError):
    key = "errors.recording_too_long"
    exit_code = 2


class RecordingTooLongForSentenceError(RecordingTooLongError):
    """Speech much longer than the sentence's slot (a wrong sentence, or two read at once)."""

    key = "errors.recording_too_long_for_sentence"


class ImportUnnamedFileError(CaunoiError):
    key = "errors.import_unnamed_file"
    exit_code = 2


class ImportDuplicateError(CaunoiError):
    key = "errors.import_duplicate"
    exit_code = 2


class ImportUnknownNumberError(CaunoiError):
    key = "errors.import_unknown_number"
    exit_code = 2


class ImportGapError(CaunoiError):
    key = "errors.import_gap"
    exit_code = 2


class SyntheticVoiceError(CaunoiError):
    key = "errors.synthetic_voice"
    exit_code = 2


class VoiceBackendError(CaunoiError):
    key = "errors.voice_backend"
    exit_code = 2


class StretcherMissingError(CaunoiError):
    key = "errors.stretcher_missing"
    exit_code = 3


class TtsModelMissingError(CaunoiError):
    key = "errors.tts_model_missing"
    exit_code = 3
