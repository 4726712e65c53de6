"""Exception hierarchy: one plain sentence per failure, in Vietnamese or English.

Every error keeps its context as attributes (``self.context``), builds its message
from class templates, and pickles so it survives Prefect workers.
"""

from __future__ import annotations

from typing import Any, ClassVar

from pipeline.core.i18n import pick

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
    """Base class. Subclasses set ``vi``/``en`` templates that format ``context``."""

    vi: ClassVar[str] = "Lỗi: {detail}"
    en: ClassVar[str] = "Error: {detail}"
    exit_code: ClassVar[int] = 1

    def __init__(self, **context: Any) -> None:
        self.context = context
        super().__init__(self.message("en"))

    def message(self, lang: str | None = None) -> str:
        return pick(self.vi, self.en, lang).format(**self.context)

    def __str__(self) -> str:
        return self.message()

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (type(self), self.context))


class ConfigError(CaunoiError):
    vi = "Cấu hình sai trong {path}: {detail}"
    en = "Bad configuration in {path}: {detail}"
    exit_code = 2


class UnknownNameError(CaunoiError):
    """A registry lookup miss (profile, aligner, backend...): lists what exists."""

    vi = "Không có {kind} tên '{name}'. Các giá trị hợp lệ: {known}."
    en = "There is no {kind} called '{name}'. Valid values: {known}."
    exit_code = 2


class UnknownLanguageError(CaunoiError):
    vi = "Mã ngôn ngữ '{code}' trong {where} không có trong glossaries/languages.toml. Mã hợp lệ: {known}."
    en = "Language code '{code}' in {where} is not in glossaries/languages.toml. Known codes: {known}."
    exit_code = 2


class LessonNotFoundError(CaunoiError):
    vi = "Không tìm thấy thư mục bài học {path}: hãy kiểm tra lại đường dẫn."
    en = "Lesson folder {path} does not exist: check the path."
    exit_code = 2


class LessonConfigError(CaunoiError):
    vi = "Tệp {path} không hợp lệ: {detail}."
    en = "File {path} is not valid: {detail}."
    exit_code = 2


class ScriptMissingError(CaunoiError):
    vi = "Thiếu kịch bản {path}: hãy tạo tệp script.md với các câu thuyết minh tiếng Việt."
    en = "Script {path} is missing: create script.md with the Vietnamese narration sentences."
    exit_code = 2


class ScriptEmptyError(CaunoiError):
    vi = "Kịch bản {path} không có câu thuyết minh nào: hãy viết mỗi câu trên một dòng."
    en = "Script {path} has no narration sentences: write one sentence per line."
    exit_code = 2


class ScriptEncodingError(CaunoiError):
    vi = "Tệp {path} không phải UTF-8 (byte lỗi ở vị trí {position}): hãy lưu lại tệp với mã hóa UTF-8."
    en = "File {path} is not UTF-8 (bad byte at offset {position}): save the file again as UTF-8."
    exit_code = 2


class RecordingMissingError(CaunoiError):
    vi = "Thư mục {path} không có tệp recording.* (bản ghi màn hình có thuyết minh): hãy thêm vào."
    en = "Folder {path} has no recording.* file (the narrated screen recording): add one."
    exit_code = 2


class MediaUnreadableError(CaunoiError):
    vi = "Không đọc được tệp media {path} (hỏng hoặc không phải video/âm thanh): hãy xuất lại bản ghi. Chi tiết: {detail}"
    en = "Cannot read media file {path} (corrupt or not audio/video): export the recording again. Detail: {detail}"
    exit_code = 2


class NoAudioStreamError(CaunoiError):
    vi = "Bản ghi {path} không có tiếng: hãy ghi lại kèm lời thuyết minh tiếng Việt."
    en = "Recording {path} has no audio stream: record it again with the Vietnamese narration."
    exit_code = 2


class EmptyAudioError(CaunoiError):
    vi = "Âm thanh trong {path} dài 0 giây hoặc hoàn toàn im lặng: hãy kiểm tra micro và ghi lại."
    en = "The audio in {path} is zero-length or completely silent: check the microphone and record again."
    exit_code = 2


class FfmpegError(CaunoiError):
    vi = "ffmpeg thất bại khi {action} ({path}): {stderr}"
    en = "ffmpeg failed while {action} ({path}): {stderr}"


class ModelMissingError(CaunoiError):
    vi = "Chưa có mô hình {name} tại {path}: chạy 'caunoi models download {hint}' trên máy có Internet rồi chép thư mục models/ sang."
    en = "Model {name} is not at {path}: run 'caunoi models download {hint}' on a machine with internet access and copy the models/ folder here."
    exit_code = 3


class AlignmentError(CaunoiError):
    vi = "Không căn chỉnh được kịch bản với âm thanh của {path}: {detail}"
    en = "Could not align the script with the audio of {path}: {detail}"


class DiskFullError(CaunoiError):
    vi = "Hết dung lượng đĩa khi ghi {path}: hãy giải phóng chỗ trống rồi chạy lại (kết quả đã có vẫn được giữ nguyên)."
    en = "The disk is full while writing {path}: free some space and run again (finished results are kept)."
    exit_code = 4


class RenderQualityError(CaunoiError):
    vi = "Bản dựng {path} không đạt ngưỡng chất lượng ({detail}): đã bỏ tệp này. Hãy kiểm tra bản ghi gốc hoặc nâng chất lượng định dạng {profile}."
    en = "Render {path} is below its quality thresholds ({detail}): the file was discarded. Check the source recording or raise the quality of profile {profile}."


class RunInterruptedError(CaunoiError):
    """The run was stopped by a signal (Ctrl+C = SIGINT → 130, SIGTERM → 143)."""

    vi = "Đã dừng theo yêu cầu ({signal}). Các kết quả đã xong vẫn được giữ nguyên; chạy lại lệnh để tiếp tục."
    en = "Stopped on request ({signal}). Finished results are kept; run the command again to continue."
    exit_code = 130

    def __init__(self, **context: Any) -> None:
        context.setdefault("signal", "SIGINT")
        super().__init__(**context)
        self.exit_code = 143 if context["signal"] == "SIGTERM" else 130  # type: ignore[misc]


class InternalError(CaunoiError):
    """Any exception that is not a project error: a bug. The traceback goes to the log file."""

    vi = "Lỗi nội bộ của Cầu Nối ({kind}{where}). Chi tiết ở tệp {log}: hãy gửi tệp đó cho nhóm phát triển."
    en = "Internal error in Cầu Nối ({kind}{where}). The details are in {log}: please send that file to the developers."
    exit_code = 1


class FileAccessError(CaunoiError):
    """The system refused to read or write a path (permissions, missing folder, not a file)."""

    vi = "Không truy cập được {path} ({reason}): hãy kiểm tra đường dẫn và quyền truy cập."
    en = "Cannot access {path} ({reason}): check the path and its permissions."
    exit_code = 2


class ModelDownloadError(CaunoiError):
    vi = "Không tải được mô hình {name} ({backend}): {detail}. Máy này có thể không vào được kho mô hình; hãy tải trên máy khác rồi chép thư mục {dest} sang."
    en = "Could not download model {name} ({backend}): {detail}. This machine may not reach the model hub; download elsewhere and copy {dest} here."
    exit_code = 3
