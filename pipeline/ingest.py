"""Stage 1: validate a lesson folder, probe the recording, extract 16 kHz mono WAV.

Everything is checked before anything is written: a bad lesson raises one plain error and
leaves the output folder untouched.
"""

from __future__ import annotations

import dataclasses
import logging
import re
import shutil
import tempfile
import tomllib
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pipeline.core.cache import StageCache, make_key
from pipeline.core.errors import (
    EmptyAudioError,
    FfmpegError,
    LessonConfigError,
    LessonNotFoundError,
    MediaUnreadableError,
    NoAudioStreamError,
    RecordingMissingError,
    ScriptEmptyError,
    ScriptEncodingError,
    ScriptMissingError,
)
from pipeline.core.languages import Registry
from pipeline.core.media import SAMPLE_RATE, probe, read_wav, run_ffmpeg
from pipeline.core.storage import atomic_path, atomic_write_json, sha256_file, sha256_text
from pipeline.core.types import Ingested, Lesson, Sentence, sentence_ids
from pipeline.render.profiles import get_profile

__all__ = ["IngestOptions", "ingest", "lesson_id_of", "load_lesson", "parse_script",
           "read_text_nfc"]

log = logging.getLogger("caunoi.ingest")

_ID_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
#: Peak amplitude below which a recording counts as silent (about -60 dBFS).
SILENT_PEAK = 0.001


@dataclass(frozen=True)
class IngestOptions:
    # Output root (the lesson writes OUT/<lesson-id>/).
    out_dir: Path = Path("output")
    # Target languages replacing lesson.toml's list (None = keep the lesson's).
    languages: tuple[str, ...] | None = None
    # Render profiles replacing lesson.toml's list (None = keep the lesson's).
    profiles: tuple[str, ...] | None = None
    # Profiles used when neither the lesson nor the caller names any.
    default_profiles: tuple[str, ...] = ("compat",)
    # ffmpeg binary ("" = the bundled one).
    ffmpeg: str = ""


def read_text_nfc(path: Path) -> str:
    """Read a UTF-8 file (BOM allowed), normalised to NFC with Unix newlines."""
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise ScriptEncodingError(path=str(path), position=e.start) from e
    return unicodedata.normalize("NFC", text).replace("\r\n", "\n").replace("\r", "\n")


def parse_script(text: str) -> tuple[list[str], list[Sentence]]:
    """Split a script into chapters ('# ' headings) and narration sentences, in order."""
    chapters: list[str] = []
    sentences: list[Sentence] = []
    chapter = ""
    for line in text.split("\n"):
        line = " ".join(line.split())
        if not line:
            continue
        if line.startswith("#"):
            chapter = line.lstrip("#").strip()
            if chapter:
                chapters.append(chapter)
            continue
        sentences.append(Sentence(index=len(sentences), chapter=chapter, text=line))
    ids = sentence_ids(s.text for s in sentences)
    return chapters, [dataclasses.replace(s, id=i) for s, i in zip(sentences, ids, strict=True)]


def _str_list(data: dict[str, object], key: str, path: Path) -> tuple[str, ...] | None:
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise LessonConfigError(path=str(path), detail=f"'{key}' must be a list of strings")
    return tuple(value)


def lesson_id_of(lesson_dir: Path, meta: dict[str, object] | None = None) -> str:
    """A lesson's id: ``id`` in lesson.toml, else the folder name."""
    if meta is None:
        toml = lesson_dir / "lesson.toml"
        meta = tomllib.loads(read_text_nfc(toml)) if toml.is_file() else {}
    return str(meta.get("id", lesson_dir.resolve().name))


def _find_recording(lesson_dir: Path) -> Path:
    found = sorted(p for p in lesson_dir.glob("recording.*") if p.is_file()
                   and not p.name.endswith((".part", ".tmp")))
    if not found:
        raise RecordingMissingError(path=str(lesson_dir))
    if len(found) > 1:
        raise LessonConfigError(path=str(lesson_dir),
                                detail="more than one recording.* file: keep exactly one")
    return found[0]


def load_lesson(lesson_dir: Path, registry: Registry, opts: IngestOptions) -> Lesson:
    """Validate lesson.toml and script.md and find the recording (no media checks yet).

    Raises:
        LessonNotFoundError, LessonConfigError, ScriptMissingError, ScriptEmptyError,
        ScriptEncodingError, UnknownLanguageError, UnknownNameError, RecordingMissingError.
    """
    if not lesson_dir.is_dir():
        raise LessonNotFoundError(path=str(lesson_dir))
    toml_path = lesson_dir / "lesson.toml"
    if not toml_path.is_file():
        raise LessonConfigError(path=str(toml_path),
                                detail="file is missing (needs title and languages)")
    toml_text = read_text_nfc(toml_path)
    try:
        meta = tomllib.loads(toml_text)
    except tomllib.TOMLDecodeError as e:
        raise LessonConfigError(path=str(toml_path), detail=f"TOML syntax error: {e}") from e
    title = meta.get("title")
    if not isinstance(title, str) or not title.strip():
        raise LessonConfigError(path=str(toml_path),
                                detail="'title' (Vietnamese) is missing or empty")
    lesson_id = lesson_id_of(lesson_dir, meta)
    if not _ID_RE.match(lesson_id):
        raise LessonConfigError(
            path=str(toml_path),
            detail=f"lesson id '{lesson_id}' must be lowercase letters, digits, '-' or '_'")

    languages = opts.languages or _str_list(meta, "languages", toml_path) or ()
    where = "command line (--languages)" if opts.languages else str(toml_path)
    source = registry.source.code
    for code in languages:
        registry.get(code, where=where)
    languages = (source, *[c for c in dict.fromkeys(languages) if c != source])

    profiles = (opts.profiles or _str_list(meta, "profiles", toml_path)
                or opts.default_profiles)
    for name in profiles:
        get_profile(name)
    authors = _str_list(meta, "authors", toml_path) or ()
    titles = meta.get("titles", {})
    if not isinstance(titles, dict) or not all(isinstance(v, str) for v in titles.values()):
        raise LessonConfigError(path=str(toml_path),
                                detail="[titles] must map language codes to titles")
    for code in titles:
        registry.get(code, where=f"{toml_path} [titles]")

    script_path = lesson_dir / "script.md"
    if not script_path.is_file():
        raise ScriptMissingError(path=str(script_path))
    script_text = read_text_nfc(script_path)
    chapters, sentences = parse_script(script_text)
    if not sentences:
        raise ScriptEmptyError(path=str(script_path))

    recording = _find_recording(lesson_dir)
    return Lesson(
        id=lesson_id, dir=lesson_dir.resolve(), title=title.strip(), languages=languages,
        profiles=tuple(dict.fromkeys(profiles)), authors=authors, chapters=tuple(chapters),
        sentences=tuple(sentences), recording=recording.resolve(),
        hashes={"lesson.toml": sha256_text(toml_text), "script.md": sha256_text(script_text),
                "recording": sha256_file(recording)},
        titles={k: v.strip() for k, v in titles.items()},
    )


def _extract_wav(recording: Path, dst: Path, ffmpeg: str) -> None:
    try:
        run_ffmpeg(["-i", str(recording), "-vn", "-ac", "1", "-ar", str(SAMPLE_RATE),
                    "-c:a", "pcm_s16le", "-f", "wav", str(dst)],
                   action="extracting the audio", path=recording, ffmpeg=ffmpeg)
    except FfmpegError as e:
        raise MediaUnreadableError(path=str(recording), detail=e.context["stderr"]) from e


def _check_audio(recording: Path, wav: Path, expected_ms: int) -> None:
    samples, rate = read_wav(wav)
    if samples.size == 0 or float(np.max(np.abs(samples))) < SILENT_PEAK:
        raise EmptyAudioError(path=str(recording))
    got_ms = samples.size * 1000 // rate
    # A truncated file still decodes, but only partly: compare with the container's duration.
    if expected_ms and got_ms < expected_ms - max(500, expected_ms // 20):
        raise MediaUnreadableError(
            path=str(recording),
            detail=f"truncated: only {got_ms / 1000:.1f} s of {expected_ms / 1000:.1f} s decodes")


def ingest(lesson_dir: Path, registry: Registry, opts: IngestOptions) -> Ingested:
    """Validate a lesson and prepare its analysis audio under ``OUT/<id>/work/``.

    Args:
        lesson_dir: the lesson folder (lesson.toml, script.md, recording.*).
        registry: the language registry.
        opts: output root and language/profile overrides.

    Returns:
        The validated lesson with media info and the path of its 16 kHz mono WAV.

    Raises:
        CaunoiError subclasses for every bad input, before anything is written.
    """
    lesson = load_lesson(lesson_dir, registry, opts)
    media = probe(lesson.recording)
    if media.audio is None:
        raise NoAudioStreamError(path=str(lesson.recording))
    out = opts.out_dir / lesson.id
    wav = out / "work" / "audio-16k.wav"
    cache = StageCache(out)
    key = make_key("ingest", recording=lesson.hashes["recording"], rate=SAMPLE_RATE)
    reused = cache.is_fresh("ingest", key)
    if reused:
        log.info("ingest: audio unchanged, skipped extraction")
    else:
        with tempfile.TemporaryDirectory(prefix="caunoi-ingest-") as tmp:
            tmp_wav = Path(tmp) / "audio.wav"
            _extract_wav(lesson.recording, tmp_wav, opts.ffmpeg)
            _check_audio(lesson.recording, tmp_wav, media.duration_ms)
            # Only now, with every input checked, does the output folder appear.
            with atomic_path(wav) as part:
                shutil.copyfile(tmp_wav, part)
        cache.record("ingest", key, [wav])
    result = Ingested(lesson=lesson, media=media, audio_wav=wav.resolve(),
                      audio_sha256=sha256_file(wav), audio_reused=reused)
    atomic_write_json(out / "ingest.json", result.to_json())
    return result
