"""Errors of the publishing stage: refused targets, unsafe paths, invalid manifests, missing
finals. Each names the file or folder and the fix, in Vietnamese or English."""

from __future__ import annotations

from pipeline.core.errors import CaunoiError
from pipeline.core.i18n import CATALOG, t

__all__ = ["ManifestInvalidError", "MissingFinalError", "SourceChangedError", "TargetRefusedError",
           "UnsafePathError"]


class UnsafePathError(CaunoiError):
    """A path or lesson id from a manifest or the command line that would leave its folder."""

    key = "errors.unsafe_path"
    exit_code = 2


class ManifestInvalidError(CaunoiError):
    key = "errors.manifest_invalid"
    exit_code = 2


class TargetRefusedError(CaunoiError):
    """A target folder this tool must not replace; ``reason`` names its explanation
    (``errors.target_refused_<reason>``: protected, foreign, not_dir, symlink, exists,
    foreign_zip)."""

    key = "errors.target_refused"
    exit_code = 2

    def message(self, lang: str | None = None) -> str:
        reason = self.context.get("reason")
        known = f"errors.target_refused_{reason}" in CATALOG
        reason_text = t(f"errors.target_refused_{reason}", lang) if known else "?"
        return t(self.key, lang).format(reason_text=reason_text, **self.context)


class MissingFinalError(CaunoiError):
    key = "errors.missing_final"
    exit_code = 2


class SourceChangedError(CaunoiError):
    """A file to publish, bundle or encode whose bytes are not the ones its manifest lists
    (``detail``: missing, its size, or its checksum)."""

    key = "errors.source_changed"
    exit_code = 2
