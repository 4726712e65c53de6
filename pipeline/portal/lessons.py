"""Lesson folders handed in from the portal: writing them, checking them as ``caunoi check``
does, and reading what the pipeline made of them (deviation report, previews, clips)."""

from __future__ import annotations

import json
import re
import secrets
import shutil
import tomllib
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline.core.errors import (
    CaunoiError,
    MediaUnreadableError,
    RecordingMissingError,
    ScriptMissingError,
)
from pipeline.core.languages import load_registry
from pipeline.core.limits import check_glossary_files
from pipeline.core.media import probe, run_ffmpeg
from pipeline.core.storage import atomic_path, atomic_write_text
from pipeline.ingest import IngestOptions

__all__ = [
    "NAMES_FILE",
    "RECORDING_TYPES",
    "CheckResult",
    "Deviation",
    "LessonMeta",
    "RecordingUnreadableError",
    "bundle_zip",
    "check_lesson",
    "check_recording",
    "clip",
    "deviations",
    "file_names",
    "lesson_meta",
    "new_lesson_id",
    "previews",
    "remember_name",
    "users_names",
    "write_lesson_toml",
]

class RecordingUnreadableError(CaunoiError):
    """The portal's plain sentence for a recording that is not readable media (the file
    named by its name only: editors never see server paths or error numbers)."""

    key = "errors.recording_unreadable"
    exit_code = 2


def check_recording(path: Path, name: str) -> None:
    """Refuse ``path`` (shown as ``name``) when it is not readable audio or video."""
    try:
        probe(path)
    except MediaUnreadableError as e:
        raise RecordingUnreadableError(name=name) from e


#: Recording file types the portal accepts (the extension is kept: recording.<ext>).
RECORDING_TYPES = ("mp4", "mkv", "webm", "mov", "m4a", "mp3", "wav", "ogg", "opus")
_FILE = re.compile(r"^(?P<lang>[a-z]{2,3})-(?P<profile>[a-z0-9]{2,16})(?P<draft>-draft)?"
                   r"\.(?P<ext>mp4|opus|mp3)$")


def _slug(title: str) -> str:
    text = unicodedata.normalize("NFD", title.replace("đ", "d").replace("Đ", "D"))
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-")[:40].strip("-") or "bai-hoc"


def new_lesson_id(title: str, lessons_dir: Path) -> str:
    """A fresh id from the title (ASCII slug) and 4 random hex digits."""
    while True:
        found = f"{_slug(title)}-{secrets.token_hex(2)}"
        if not (lessons_dir / found).exists():
            return found


def _toml_str(value: str) -> str:
    # JSON string escapes are valid TOML basic-string escapes.
    return json.dumps(value, ensure_ascii=False)


def write_lesson_toml(folder: Path, lesson_id: str, title: str, languages: list[str],
                      profiles: list[str]) -> None:
    lines = [f"id = {_toml_str(lesson_id)}", f"title = {_toml_str(title)}",
             f"languages = [{', '.join(_toml_str(x) for x in languages)}]"]
    if profiles:
        lines.append(f"profiles = [{', '.join(_toml_str(x) for x in profiles)}]")
    atomic_write_text(folder / "lesson.toml", "\n".join(lines) + "\n")


@dataclass(frozen=True)
class LessonMeta:
    id: str
    title: str
    languages: tuple[str, ...]
    profiles: tuple[str, ...]


def lesson_meta(folder: Path) -> LessonMeta | None:
    """What lesson.toml says (None when it is missing or unreadable)."""
    try:
        data = tomllib.loads((folder / "lesson.toml").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return LessonMeta(str(data.get("id", folder.name)), str(data.get("title", "")),
                      tuple(str(x) for x in data.get("languages", [])),
                      tuple(str(x) for x in data.get("profiles", [])))


#: The portal's own notes in a lesson folder: the names the editor's files had (errors and
#: run messages name those, not ``recording.mp4``). Hidden: ``caunoi`` ignores it.
NAMES_FILE = ".portal-names.json"


def file_names(folder: Path) -> dict[str, str]:
    """What the editor's files were called: {"recording": ..., "script": ...}."""
    try:
        data = json.loads((folder / NAMES_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}


def remember_name(folder: Path, kind: str, name: str) -> None:
    """Keep ``name`` as what the editor called the lesson's ``kind`` file."""
    atomic_write_text(folder / NAMES_FILE, json.dumps(
        file_names(folder) | {kind: Path(name).name[-120:]}, ensure_ascii=False))


def users_names(folder: Path, text: str) -> str:
    """``text`` naming the lesson's files as the editor named them (no server folders)."""
    names = file_names(folder)
    for prefix in (str(folder.resolve()) + "/", str(folder) + "/"):
        text = text.replace(prefix, "")
    rec = next((p.name for p in folder.glob("recording.*")), "")
    if rec and names.get("recording"):
        text = text.replace(rec, names["recording"])
    script = next((p.name for p in folder.glob("script.*")), "")
    if script and names.get("script"):
        text = text.replace(script, names["script"])
    return text


@dataclass(frozen=True)
class CheckResult:
    """``caunoi check``'s verdict: the sentences, or the error (shown in the UI language)
    and what fixes it (``fix``: "recording", "script" or "settings")."""

    ok: bool
    error: CaunoiError | None = None
    sentences: list[tuple[str, str]] = field(default_factory=list)
    languages: tuple[str, ...] = ()
    profiles: tuple[str, ...] = ()
    duration_s: float = 0.0
    # Narration lines whose list numbers were removed (as ``caunoi check`` notes).
    numbers_removed: int = 0
    fix: str = ""
    # No script yet and everything else passes: a draft can be made from the recording.
    draftable: bool = False

    @property
    def outline(self) -> list[tuple[str, int, list[str]]]:
        """The script as the preview shows it: (chapter heading or "", number of its first
        sentence, its sentences) per run of sentences under one heading, so a heading sits
        between numbered sentences and never inside one."""
        parts: list[tuple[str, int, list[str]]] = []
        for n, (chapter, text) in enumerate(self.sentences, start=1):
            if not parts or parts[-1][0] != chapter:
                parts.append((chapter, n, []))
            parts[-1][2].append(text)
        return parts


def _fix_of(error: CaunoiError, folder: Path) -> str:
    """Which of the lesson's inputs an error is about."""
    if isinstance(error, (RecordingMissingError, RecordingUnreadableError,
                          MediaUnreadableError)):
        return "recording"
    words = " ".join(str(v) for v in error.context.values())
    if "recording." in words:
        return "recording"
    return "settings" if "lesson.toml" in words else "script"


def check_lesson(folder: Path, opts: IngestOptions, glossary_dir: Path) -> CheckResult:
    """Every input and every limit, as ``caunoi check`` checks them (read with ``opts``,
    against the glossaries of ``glossary_dir``; the audio decoded to a temporary file, so
    a silent or truncated recording is refused here and not after the run started);
    nothing written in the lesson."""
    from pipeline.core.documents import SCRIPT_NAMES
    from pipeline.ingest import check_audio_decodes, check_media, load_lesson

    if folder.is_dir() and not any((folder / n).is_file() for n in SCRIPT_NAMES):
        return _check_without_script(folder, opts, glossary_dir)
    limits = opts.limits
    try:
        lesson = load_lesson(folder, load_registry(glossary_dir), opts)
        check_glossary_files(glossary_dir, lesson.languages, limits)
    except CaunoiError as e:
        return CheckResult(False, _without_paths(e, folder), fix=_fix_of(e, folder))
    try:
        check_recording(lesson.recording, lesson.recording.name)
        media = probe(lesson.recording)
        check_media(lesson, media, limits)
        check_audio_decodes(lesson.recording, media, limits, opts.ffmpeg)
    except CaunoiError as e:
        return CheckResult(False, _without_paths(e, folder), fix="recording")
    return CheckResult(True, None, [(s.chapter, s.text) for s in lesson.sentences],
                       lesson.languages, lesson.profiles, media.duration_ms / 1000,
                       lesson.script_numbers_removed)


def _check_without_script(folder: Path, opts: IngestOptions,
                          glossary_dir: Path) -> CheckResult:
    """A lesson handed in before its script: lesson.toml and the recording checked as
    ``caunoi check`` checks them, with a one-line stand-in script in a scratch folder of
    links (never written in the lesson, never shown); then the missing script is the one
    finding, and a draft can be made from the recording."""
    scratch = folder.parent / f".check-{secrets.token_hex(6)}"
    scratch.mkdir()
    try:
        for path in folder.iterdir():
            if path.is_file():
                (scratch / path.name).symlink_to(path.resolve())
        atomic_write_text(scratch / "script.md", "-\n")
        checked = check_lesson(scratch, opts, glossary_dir)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    if not checked.ok:
        return checked
    return CheckResult(False, ScriptMissingError(path="script.md"), [], checked.languages,
                       checked.profiles, checked.duration_s, fix="script", draftable=True)


def _without_paths(error: CaunoiError, folder: Path) -> CaunoiError:
    """``error`` naming the lesson's files as the editor named them (editors never see
    server paths): every string in its context loses the lesson folder's path."""
    context = {k: users_names(folder, v) if isinstance(v, str) else v
               for k, v in error.context.items()}
    try:
        return type(error)(**context)
    except TypeError:  # an error class with its own constructor: keep it as it is
        return error


@dataclass(frozen=True)
class Deviation:
    """A skipped sentence or an ad-lib of the alignment, with its times (seconds)."""

    n: int
    status: str
    index: int | None
    text: str
    start: float
    end: float


def deviations(out: Path) -> list[Deviation] | None:
    """Skipped sentences and ad-libs from ``alignment.json`` (None before alignment)."""
    try:
        data = json.loads((out / "alignment.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    found = [d for d in data if d.get("status") in ("skipped", "ad-lib")]
    return [Deviation(n, str(d["status"]), d.get("index"), str(d.get("text") or ""),
                      float(d.get("start") or 0), float(d.get("end") or 0))
            for n, d in enumerate(found)]


def previews(out: Path) -> list[dict[str, Any]]:
    """The finals and drafts of ``out`` (video and audio), source language first."""
    found = []
    for sub in ("video", "audio"):
        folder = out / sub
        for path in sorted(folder.iterdir()) if folder.is_dir() else []:
            m = _FILE.match(path.name)
            if m and path.is_file():
                found.append({"name": path.name, "kind": sub, "lang": m["lang"],
                              "profile": m["profile"], "draft": bool(m["draft"]),
                              "kb": path.stat().st_size // 1024})
    return sorted(found, key=lambda f: (f["draft"], f["lang"] != "vi", f["lang"], f["name"]))


def bundle_zip(out_dir: Path, lesson_id: str) -> Path | None:
    """The lesson's offline bundle (``OUT/bundles/<id>.zip``, where the launcher makes
    it) when it exists; ``lesson_id`` is a validated portal lesson id."""
    path = out_dir / "bundles" / f"{lesson_id}.zip"
    return path if path.is_file() else None


def media_file(out: Path, name: str) -> Path | None:
    """A preview file of ``out`` by name (validated; None when absent or not one)."""
    m = _FILE.match(name)
    if m is None:
        return None
    for sub in ("video", "audio"):
        if (out / sub / name).is_file():
            return out / sub / name
    return None


#: Seconds of context around a deviation in its clip.
CLIP_PAD_S = 1.0
CLIP_MAX_S = 30.0


def clip(out: Path, dev: Deviation, ffmpeg: str = "") -> Path | None:
    """A small Opus clip of the recording around ``dev`` (made once, kept under work/)."""
    try:
        wav = Path(json.loads((out / "ingest.json").read_text(encoding="utf-8"))["audio_wav"])
    except (OSError, ValueError, KeyError):
        return None
    if not wav.is_file():
        return None
    start = max(0.0, dev.start - CLIP_PAD_S)
    length = min(CLIP_MAX_S, dev.end + CLIP_PAD_S - start)
    dst = out / "work" / "clips" / f"{int(start * 1000)}-{int(length * 1000)}.ogg"
    if not dst.is_file():
        with atomic_path(dst) as tmp:
            run_ffmpeg(["-ss", f"{start:.3f}", "-t", f"{length:.3f}", "-i", str(wav),
                        "-ac", "1", "-c:a", "libopus", "-b:a", "16k", "-f", "ogg", str(tmp)],
                       "clip", wav, ffmpeg)
    return dst
