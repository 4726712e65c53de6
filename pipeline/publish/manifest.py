"""Stage 9: describe every produced file of a lesson in ``manifest.json``."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline.core.storage import atomic_write_json, sha256_file
from pipeline.core.types import Lesson

__all__ = ["MANIFEST_SCHEMA_VERSION", "ManifestEntry", "review_state", "write_manifest"]

MANIFEST_SCHEMA_VERSION = "1.0"


@dataclass(frozen=True)
class ManifestEntry:
    path: Path
    # video, audio, subtitle or data.
    kind: str
    language: str = ""
    profile: str = ""
    codecs: tuple[str, ...] = ()
    duration_ms: int | None = None
    # draft, approved, final (the source language needs no approval).
    review_state: str = ""
    # Who approved the language (approved files only).
    approver: str = ""
    # Quality-gate figures of a render (ssim, vmaf, ocr_diacritics, subtitles_present).
    quality: dict[str, float | None] | None = None


def review_state(language: str, path: Path, source: str,
                 approved: dict[str, str]) -> tuple[str, str]:
    """(review state, approver) of a file: the source language is final; a target
    language's finals are approved once the language is; drafts, previews and the
    machine's translation files stay drafts."""
    if language == source:
        return "final", ""
    is_final = "-draft" not in path.name and path.parent.name != "translations"
    if language in approved and is_final:
        return "approved", approved[language]
    return "draft", ""


def write_manifest(lesson_out: Path, lesson: Lesson, entries: list[ManifestEntry]) -> Path:
    """Write ``manifest.json`` last, after every file it lists is in place."""
    files: list[dict[str, Any]] = []
    for e in sorted(entries, key=lambda e: str(e.path)):
        files.append({
            "path": str(e.path.relative_to(lesson_out)),
            "kind": e.kind,
            "language": e.language or None,
            "profile": e.profile or None,
            "codecs": ",".join(e.codecs) or None,
            "duration": None if e.duration_ms is None else round(e.duration_ms / 1000, 3),
            "bytes": e.path.stat().st_size,
            "sha256": sha256_file(e.path),
            "review_state": e.review_state or None,
            "approver": e.approver or None,
            **({"quality": e.quality} if e.quality else {}),
        })
    manifest = {
        "schema_version": MANIFEST_SCHEMA_VERSION,
        "lesson_id": lesson.id,
        "title": {"vi": lesson.title},
        "languages": list(lesson.languages),
        "inputs": lesson.hashes,
        "generated_at": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
        "files": files,
    }
    path = lesson_out / "manifest.json"
    atomic_write_json(path, manifest)
    return path
