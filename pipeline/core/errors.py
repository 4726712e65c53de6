"""Exception hierarchy: one plain sentence per failure, in Vietnamese or English.

Every error keeps its context as attributes (``self.context``), builds its message from
its catalogue entry (``key``, in ``pipeline.core.i18n_errors``), and pickles so it survives
Prefect workers.
"""

from __future__ import annotations

from typing import Any, ClassVar

from pipeline.core.i18n import t

__all__ = [
    "AlignmentError",
    "CaunoiError",
    "ConfigError",
    "DiskFullError",
    "EmptyAudioError",
    "FfmpegError",
    "FileAccessError",
    "InternalError",
    "LessonConfigError",
    "LessonNotFoundError",
    "MediaUnreadableError",
    "ModelDownloadError",
    "ModelMissingError",
    "NoAudioStreamError",
    "NoVideoStreamError",
    "RecordingMissingError",
    "RenderQualityError",
    "RunInterruptedError",
    "ScriptEmptyError",
    "ScriptEncodingError",
    "ScriptMissingError",
    "UnknownLanguageError",
    "UnknownNameError",
]


def _rebuild(cls: type[CaunoiError], context: dict[str, Any]) -> CaunoiError:
    return cls(**context)


class CaunoiError(Exception):
    """Base class. Subclasses name their message (``key``: an ``errors.*`` catalogue entry)
    whose ``{placeholders}`` the ``context`` fills."""

    key: ClassVar[str] = "errors.generic"
    exit_code: ClassVar[int] = 1
    #: The entry web readers who cannot change the configuration read (editors,
    #: reviewers) when ``key``'s sentence names a setting; "" when everyone reads ``key``'s.
    plain_key: ClassVar[str] = ""

    def __init__(self, **context: Any) -> None:
        self.context = context
        super().__init__(self.message("en"))

    def message(self, lang: str | None = None) -> str:
        return t(self.key, lang).format(**self.context)

    def plain(self, lang: str | None = None) -> str:
        """What an editor or a reviewer reads on a page: ``plain_key``'s sentence (no
        setting name, no server path), else :meth:`message`. Administrators and the
        command line read :meth:`message`."""
        if not self.plain_key:
            return self.message(lang)
        return t(self.plain_key, lang).format(**self.context)

    def __str__(self) -> str:
        return self.message()

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (type(self), self.context))


class ConfigError(CaunoiError):
    key = "errors.config"
    exit_code = 2


class UnknownNameError(CaunoiError):
    """A registry lookup miss (profile, aligner, backend...): lists what exists."""

    key = "errors.unknown_name"
    exit_code = 2


class UnknownLanguageError(CaunoiError):
    key = "errors.unknown_language"
    exit_code = 2


class LessonNotFoundError(CaunoiError):
    key = "errors.lesson_not_found"
    exit_code = 2


class LessonConfigError(CaunoiError):
    key = "errors.lesson_config"
    exit_code = 2


class ScriptMissingError(CaunoiError):
    key = "errors.script_missing"
    exit_code = 2


class ScriptEmptyError(CaunoiError):
    key = "errors.script_empty"
    exit_code = 2


class ScriptEncodingError(CaunoiError):
    key = "errors.script_encoding"
    exit_code = 2


class RecordingMissingError(CaunoiError):
    key = "errors.recording_missing"
    exit_code = 2


class MediaUnreadableError(CaunoiError):
    key = "errors.media_unreadable"
    exit_code = 2


class NoAudioStreamError(CaunoiError):
    key = "errors.no_audio_stream"
    exit_code = 2


class NoVideoStreamError(CaunoiError):
    """An audio-only recording (a cover picture is not a picture) asked to make a video
    profile: refused at check and before produce writes anything."""

    key = "errors.no_video_stream"
    exit_code = 2


class EmptyAudioError(CaunoiError):
    key = "errors.empty_audio"
    exit_code = 2


class FfmpegError(CaunoiError):
    key = "errors.ffmpeg"


class ModelMissingError(CaunoiError):
    key = "errors.model_missing"
    exit_code = 3


class AlignmentError(CaunoiError):
    key = "errors.alignment"


class DiskFullError(CaunoiError):
    key = "errors.disk_full"
    exit_code = 4


class FinalOutdatedError(CaunoiError):
    """A language's final was made under an approval that no longer stands."""

    key = "errors.final_outdated"
    exit_code = 2


class RenderQualityError(CaunoiError):
    key = "errors.render_quality"


class RunInterruptedError(CaunoiError):
    """The run was stopped by a signal (Ctrl+C = SIGINT → 130, SIGTERM → 143)."""

    key = "errors.run_interrupted"
    exit_code = 130

    def __init__(self, **context: Any) -> None:
        context.setdefault("signal", "SIGINT")
        super().__init__(**context)
        self.exit_code = 143 if context["signal"] == "SIGTERM" else 130  # type: ignore[misc]


class InternalError(CaunoiError):
    """Any exception that is not a project error: a bug. The traceback goes to the log file."""

    key = "errors.internal"
    exit_code = 1


class FileAccessError(CaunoiError):
    """The system refused to read or write a path (permissions, missing folder, not a file)."""

    key = "errors.file_access"
    exit_code = 2


class ModelDownloadError(CaunoiError):
    key = "errors.model_download"
    exit_code = 3
