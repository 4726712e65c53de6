"""Stage 9: describe every produced file of a lesson in ``manifest.json``, and read one back
as a typed :class:`Manifest`, validated in one place (:func:`parse_manifest`)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from pipeline.core.storage import atomic_write_json, sha256_file
from pipeline.core.types import Lesson
from pipeline.publish.errors import ManifestInvalidError
from pipeline.publish.paths import check_lesson_id, check_relpath

__all__ = [
    "MANIFEST_SCHEMA_VERSION",
    "Manifest",
    "ManifestEntry",
    "ManifestFile",
    "load_manifest",
    "parse_manifest",
    "review_state",
    "write_manifest",
]

MANIFEST_SCHEMA_VERSION = "1.2"
SCHEMA_PATH = Path(__file__).with_name("manifest.schema.json")


@dataclass(frozen=True)
class ManifestEntry:
    """A produced file as the manifest step hands it over (absolute path)."""

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
    # Language of the sound (video and audio files): the source's, or a dubbed language's.
    audio_lang: str = ""
    # A dubbed file's voices: speaker (as they chose to be named), source ("human" or
    # "tts:<backend>"), consent, and the sentence numbers each spoke.
    voices: tuple[dict[str, Any], ...] = ()
    # How the sound is encoded, in words (which MP3 is the lighter audio-only dub's).
    audio_encoding: str = ""


@dataclass(frozen=True)
class ManifestFile:
    """One file as the manifest lists it: path relative to the manifest, '/' separated."""

    path: str
    kind: str
    bytes: int
    sha256: str
    language: str | None = None
    profile: str | None = None
    # RFC 6381 codec strings, comma separated.
    codecs: str | None = None
    # Seconds.
    duration: float | None = None
    review_state: str | None = None
    approver: str | None = None
    quality: dict[str, float | None] | None = None
    # Since 1.2: the sound's language, a dub's voices, the sound's encoding in words.
    audio_lang: str | None = None
    voices: list[dict[str, Any]] | None = None
    audio_encoding: str | None = None

    @property
    def published(self) -> bool:
        return self.review_state in ("final", "approved")

    def to_json(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        for key in ("quality", "audio_lang", "voices", "audio_encoding"):
            if d[key] is None:
                del d[key]
        return d


@dataclass(frozen=True)
class Manifest:
    lesson_id: str
    # Title per language code: the source language always, others when reviewers approved
    # one or the team wrote one (an approved title wins).
    title: dict[str, str]
    languages: tuple[str, ...]
    generated_at: str
    files: tuple[ManifestFile, ...]
    schema_version: str = MANIFEST_SCHEMA_VERSION
    inputs: dict[str, str] = field(default_factory=dict)
    # Code of the lesson's source language (absent in 1.0 manifests).
    source_language: str | None = None
    # Seconds of title card before the recording in every video (absent in 1.0 manifests).
    title_card_s: float | None = None
    # Seconds by which sidecar subtitles are shifted to match the videos.
    subtitle_offset: float | None = None

    def title_in(self, lang: str, source: str) -> tuple[str, bool]:
        """(title, True) in ``lang`` when it has one, else (source title, False)."""
        if lang in self.title:
            return self.title[lang], True
        return self.title.get(source) or next(iter(self.title.values())), False

    def with_files(self, files: list[ManifestFile], **changes: Any) -> Manifest:
        return dataclasses.replace(self, files=tuple(files), **changes)

    def to_json(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "schema_version": self.schema_version, "lesson_id": self.lesson_id,
            "title": dict(self.title), "languages": list(self.languages),
            "inputs": dict(self.inputs), "generated_at": self.generated_at}
        for key in ("source_language", "title_card_s", "subtitle_offset"):
            if getattr(self, key) is not None:
                d[key] = getattr(self, key)
        d["files"] = [f.to_json() for f in self.files]
        return d

    def to_bytes(self) -> bytes:
        return (json.dumps(self.to_json(), ensure_ascii=False, indent=2) + "\n").encode("utf-8")


@lru_cache(maxsize=1)
def _validator() -> Any:
    import jsonschema

    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    return jsonschema.Draft202012Validator(schema)


def parse_manifest(raw: bytes | str | dict[str, Any], where: str) -> Manifest:
    """The one place a manifest is read: JSON, the lesson id and every path checked as data
    (UnsafePathError), then the JSON schema (ManifestInvalidError)."""
    try:
        data = json.loads(raw) if isinstance(raw, (bytes, str)) else raw
    except ValueError as e:
        raise ManifestInvalidError(path=where, detail=str(e)) from e
    if not isinstance(data, dict):
        raise ManifestInvalidError(path=where, detail="not a JSON object")
    check_lesson_id(data.get("lesson_id", ""), f"{where} (lesson_id)")
    for f in data.get("files") or []:
        if isinstance(f, dict):
            check_relpath(f.get("path", ""), f"{where} (files)")
    errors = sorted(_validator().iter_errors(data), key=lambda e: list(e.absolute_path))
    if errors:
        first = errors[0]
        at = "/".join(str(p) for p in first.absolute_path) or "(root)"
        raise ManifestInvalidError(path=where, detail=f"{at}: {first.message}")
    known = {f.name for f in dataclasses.fields(ManifestFile)}
    files = tuple(ManifestFile(**{k: v for k, v in f.items() if k in known})
                  for f in data["files"])
    return Manifest(
        lesson_id=data["lesson_id"], title=dict(data["title"]),
        languages=tuple(data["languages"]), generated_at=data["generated_at"], files=files,
        schema_version=data["schema_version"], inputs=dict(data.get("inputs", {})),
        source_language=data.get("source_language"), title_card_s=data.get("title_card_s"),
        subtitle_offset=data.get("subtitle_offset"))


def load_manifest(lesson_out: Path) -> Manifest:
    """The manifest of a produced lesson folder."""
    path = lesson_out / "manifest.json"
    if not path.is_file():
        raise ManifestInvalidError(path=str(path), detail="no manifest: run 'caunoi produce' "
                                   "first")
    return parse_manifest(path.read_bytes(), str(path))


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


def write_manifest(lesson_out: Path, lesson: Lesson, entries: list[ManifestEntry], *,
                   source: str, title_card_s: float | None = None,
                   approved_titles: dict[str, str] | None = None) -> Path:
    """Write ``manifest.json`` last, after every file it lists is in place.

    Args:
        source: the source language's code (the language registry's source).
        title_card_s: seconds of title card the videos start with (recorded for publishing).
        approved_titles: titles reviewers approved per language; they win over the ones the
            content team wrote in lesson.toml, as on the videos' title cards.
    """
    files = []
    for e in sorted(entries, key=lambda e: str(e.path)):
        rel = e.path.relative_to(lesson_out).as_posix()
        files.append(ManifestFile(
            path=rel, kind=e.kind, bytes=e.path.stat().st_size, sha256=sha256_file(e.path),
            language=e.language or None, profile=e.profile or None,
            codecs=",".join(e.codecs) or None,
            duration=None if e.duration_ms is None else round(e.duration_ms / 1000, 3),
            review_state=e.review_state or None, approver=e.approver or None,
            quality=e.quality or None, audio_lang=e.audio_lang or None,
            voices=[dict(v) for v in e.voices] or None,
            audio_encoding=e.audio_encoding or None))
    manifest = Manifest(
        lesson_id=lesson.id,
        title={source: lesson.title, **lesson.titles, **(approved_titles or {})},
        languages=tuple(lesson.languages), inputs=dict(lesson.hashes),
        generated_at=dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
        files=tuple(files), source_language=source, title_card_s=title_card_s)
    path = lesson_out / "manifest.json"
    parse_manifest(manifest.to_json(), str(path))  # what we write, we can read back
    atomic_write_json(path, manifest.to_json())
    return path
