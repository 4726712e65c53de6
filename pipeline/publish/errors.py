"""Errors of the publishing stage: refused targets, unsafe paths, invalid manifests, missing
finals. Each names the file or folder and the fix, in Vietnamese or English."""

from __future__ import annotations

from typing import ClassVar

from pipeline.core.errors import CaunoiError
from pipeline.core.i18n import pick

__all__ = ["ManifestInvalidError", "MissingFinalError", "SourceChangedError", "TargetRefusedError",
           "UnsafePathError"]


class UnsafePathError(CaunoiError):
    """A path or lesson id from a manifest or the command line that would leave its folder."""

    vi = ("Đường dẫn '{value}' trong {where} không an toàn ({reason}): chỉ chấp nhận đường dẫn "
          "tương đối nằm trong thư mục của bài học.")
    en = ("Path '{value}' in {where} is not safe ({reason}): only relative paths inside the "
          "lesson's folder are accepted.")
    exit_code = 2


class ManifestInvalidError(CaunoiError):
    vi = "Tệp danh mục {path} không hợp lệ: {detail}. Hãy chạy lại 'caunoi produce' cho bài này."
    en = "Manifest {path} is not valid: {detail}. Run 'caunoi produce' for this lesson again."
    exit_code = 2


class TargetRefusedError(CaunoiError):
    """A target folder this tool must not replace; ``reason`` is a key of ``REASONS``."""

    REASONS: ClassVar[dict[str, tuple[str, str]]] = {
        "protected": ("đó là thư mục kết quả, thư mục hiện tại hoặc thư mục cha của chúng",
                      "it is the output root, the current folder or a parent of one of them"),
        "foreign": ("thư mục này có tệp không do Cầu Nối tạo ra",
                    "it holds files that Cầu Nối did not write"),
        "not_dir": ("đó không phải là thư mục", "it is not a folder"),
        "symlink": ("đó là liên kết tượng trưng", "it is a symbolic link"),
        "exists": ("đã có một gói cũ ở đó; thêm --force để thay nó",
                   "a previous bundle is there; add --force to replace it"),
        "foreign_zip": ("tệp zip này không phải gói của Cầu Nối",
                        "this zip file is not a Cầu Nối bundle"),
    }
    vi = "Không ghi vào {path}: {reason_text}. Hãy chọn một thư mục mới hoặc trống."
    en = "Not writing to {path}: {reason_text}. Choose a new or empty folder."
    exit_code = 2

    def message(self, lang: str | None = None) -> str:
        vi, en = self.REASONS.get(str(self.context.get("reason")), ("?", "?"))
        return pick(self.vi, self.en, lang).format(reason_text=pick(vi, en, lang),
                                                   **self.context)


class MissingFinalError(CaunoiError):
    vi = ("Chưa có bản cuối đã duyệt ({profile}) cho: {missing}. Chưa ghi gì cả: hãy duyệt và "
          "dựng các ngôn ngữ này trước, hoặc bỏ chúng khỏi --languages.")
    en = ("No approved final ({profile}) for: {missing}. Nothing was written: approve and render "
          "these languages first, or leave them out of --languages.")
    exit_code = 2


class SourceChangedError(CaunoiError):
    """A file to publish, bundle or encode whose bytes are not the ones its manifest lists
    (``detail``: missing, its size, or its checksum)."""

    vi = ("Tệp {path} không khớp với danh mục ({detail}): chưa chép gì cả. Hãy chạy lại "
          "'caunoi produce' cho bài này.")
    en = ("File {path} does not match the manifest ({detail}): nothing was copied. Run "
          "'caunoi produce' for this lesson again.")
    exit_code = 2
