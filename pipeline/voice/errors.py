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
    "RecordingUnreadableError",
    "StretcherMissingError",
    "SyntheticVoiceError",
    "TtsModelMissingError",
    "VoiceBackendError",
]


class RecordingUnreadableError(CaunoiError):
    vi = "Không mở được bản ghi âm {path} (tệp hỏng hoặc không phải âm thanh): hãy ghi âm lại hoặc lưu lại tệp."
    en = "Cannot open the voice recording {path} (corrupt or not audio): record it again or save the file again."
    exit_code = 2


class RecordingSilentError(CaunoiError):
    vi = "Bản ghi âm {path} gần như im lặng (chỉ có {speech_ms} ms tiếng nói): hãy kiểm tra micro và ghi âm lại."
    en = "The voice recording {path} is almost silent (only {speech_ms} ms of speech): check the microphone and record again."
    exit_code = 2


class RecordingTooLongError(CaunoiError):
    vi = "Bản ghi âm {path} dài {duration_s} giây, quá giới hạn {limit_s} giây ({why_vi}): hãy chỉ đọc câu này rồi dừng."
    en = "The voice recording {path} lasts {duration_s} s, over the {limit_s} s limit ({why_en}): read only this sentence, then stop."
    exit_code = 2


class ImportUnnamedFileError(CaunoiError):
    vi = "Tệp {path} không có số câu trong tên: hãy đặt tên theo số câu trong kịch bản, ví dụ 3.wav hoặc 03.m4a."
    en = "File {path} has no sentence number in its name: name it by its number in the script, e.g. 3.wav or 03.m4a."
    exit_code = 2


class ImportDuplicateError(CaunoiError):
    vi = "Câu {number} có hai bản ghi âm ({first} và {second}): hãy giữ lại một tệp."
    en = "Sentence {number} has two recordings ({first} and {second}): keep only one of them."
    exit_code = 2


class ImportUnknownNumberError(CaunoiError):
    vi = "Tệp {path} mang số câu {number}, nhưng kịch bản chỉ có câu 1 đến {count}: hãy sửa tên tệp."
    en = "File {path} is numbered {number}, but the script has sentences 1 to {count} only: rename the file."
    exit_code = 2


class ImportGapError(CaunoiError):
    vi = "Thư mục {path} thiếu bản ghi âm của câu {numbers}: hãy ghi âm các câu đó hoặc kiểm tra lại tên tệp."
    en = "Folder {path} has no recording for sentence(s) {numbers}: record them or check the file names."
    exit_code = 2


class SyntheticVoiceError(CaunoiError):
    vi = "Tệp {path} là giọng máy đọc ({source}), không thể ghi nhận là giọng của một người: hãy dùng bản ghi âm thật."
    en = "File {path} is a synthetic voice ({source}) and cannot be recorded as a person's voice: use a real recording."
    exit_code = 2


class VoiceBackendError(CaunoiError):
    vi = "Bộ giọng đọc {backend} không đọc được tiếng {language}: {detail}"
    en = "Voice backend {backend} cannot speak {language}: {detail}"
    exit_code = 2


class StretcherMissingError(CaunoiError):
    vi = "Bộ co giãn thời gian {name} cần gói {package} chưa được cài: chạy scripts/setup_system.sh hoặc chọn bộ 'atempo'."
    en = "Time stretcher {name} needs {package}, which is not installed: run scripts/setup_system.sh or choose 'atempo'."
    exit_code = 3


class TtsModelMissingError(CaunoiError):
    vi = "Chưa có mô hình giọng đọc {name} tại {path}: hãy tải trên máy có Internet rồi chép thư mục đó sang."
    en = "Voice model {name} is not at {path}: download it on a machine with internet access and copy the folder here."
    exit_code = 3
