"""Stage 1: validate a lesson folder, probe the recording, extract 16 kHz mono WAV.

Everything is checked before anything is written: a bad lesson raises one plain error and
leaves the output folder untouched.
"""

from __future__ import annotations

import contextlib
import json
import logging
import shutil
import tempfile
import threading
import tomllib
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.core.cache import StageCache, make_key
from pipeline.core.documents import find_script, load_script, parse_script, read_script_document
from pipeline.core.errors import (
    CaunoiError,
    EmptyAudioError,
    FfmpegError,
    LessonConfigError,
    LessonNotFoundError,
    MediaUnreadableError,
    NoAudioStreamError,
    NoVideoStreamError,
    RecordingMissingError,
    ScriptEncodingError,
)
from pipeline.core.ids import INTERFACE_LESSON_ID, ReservedLessonError, is_lesson_id
from pipeline.core.languages import Registry
from pipeline.core.lesson_keys import check_lesson_keys, line_of
from pipeline.core.limits import (
    ControlCharacterInValueError,
    Limits,
    check_count,
    check_duration,
    check_file_size,
    check_text,
    find_control_character,
)
from pipeline.core.media import SAMPLE_RATE, MediaInfo, probe, run_ffmpeg, wav_stats
from pipeline.core.storage import (
    atomic_path,
    atomic_write_json,
    claim_folder,
    remove_stale_parts,
    sha256_file,
    sha256_text,
)
from pipeline.core.types import Ingested, Lesson
from pipeline.render.profiles import get_profile

__all__ = ["IngestOptions", "changed_since_ingest", "check_media", "draftable_recording",
           "find_recording", "ingest", "lesson_id_of", "load_lesson", "parse_script",
           "read_text_nfc"]

log = logging.getLogger("caunoi.ingest")

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
    # Input limits (Settings' max_* fields), checked before any work.
    limits: Limits = field(default_factory=Limits)
    # The run goes on to render: refuse a recording without a picture for a video profile.
    needs_picture: bool = False


def read_text_nfc(path: Path, limits: Limits | None = None) -> str:
    """Read a UTF-8 file (BOM allowed), normalised to NFC with Unix newlines.

    With ``limits``, the file's size is checked before reading and control characters
    (NUL, ESC...) are refused with their line number.
    """
    if limits is not None:
        check_file_size(path, limits.max_text_file_kb * 1024, "max_text_file_kb")
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise ScriptEncodingError(path=str(path), position=e.start) from e
    text = unicodedata.normalize("NFC", text).replace("\r\n", "\n").replace("\r", "\n")
    if limits is not None:
        check_text(path, text)
    return text


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
        meta = _parse_toml(toml, read_text_nfc(toml, Limits())) if toml.is_file() else {}
    return str(meta.get("id", lesson_dir.resolve().name))


def _parse_toml(path: Path, text: str) -> dict[str, object]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise LessonConfigError(path=str(path), detail=f"TOML syntax error: {e}") from e
    except RecursionError as e:
        raise LessonConfigError(path=str(path),
                                detail="values are nested too deeply (keep it flat)") from e


def _check_lesson_limits(path: Path, toml_text: str, meta: dict[str, object],
                         limits: Limits) -> None:
    """Lengths and counts of lesson.toml's values, before any of them is used."""
    title_fields: list[tuple[str, object]] = [("title", meta.get("title"))]
    titles = meta.get("titles")
    if isinstance(titles, dict):
        title_fields += [(f"titles.{k}", v) for k, v in titles.items()]
    authors = meta.get("authors")
    if isinstance(authors, list):
        title_fields += [("authors", a) for a in authors]
    for name, value in title_fields:
        if isinstance(value, str) and (bad := find_control_character(value)) is not None:
            raise ControlCharacterInValueError(path=str(path), field=name,
                                               line=line_of(toml_text, name), char=bad[2])
        if isinstance(value, str):
            check_count(path, len(value), limits.max_title_chars, "max_title_chars",
                        f"the length of '{name}' (characters)", f"độ dài '{name}' (ký tự)")
    for key, setting in (("languages", "max_languages"), ("profiles", "max_profiles")):
        value = meta.get(key)
        if isinstance(value, list):
            check_count(path, len(value), getattr(limits, setting), setting,
                        f"the number of {key}", f"số mục trong '{key}'")


def check_media(lesson: Lesson, media: MediaInfo, limits: Limits, picture: bool = True) -> None:
    """Duration, resolution and audio presence of the probed recording; with ``picture``, a
    picture for the lesson's video profiles (audio only makes only the "audio" profile)."""
    if media.audio is None:
        raise NoAudioStreamError(path=str(lesson.recording))
    check_duration(lesson.recording, media.duration_ms, limits)
    video = [p for p in lesson.profiles if get_profile(p).has_video]
    if picture and media.video is None and video:
        raise NoVideoStreamError(path=str(lesson.recording), profile=video[0])
    if media.video is not None:
        check_count(lesson.recording, max(media.video.width, media.video.height),
                    limits.max_resolution_px, "max_resolution_px",
                    "the picture's longest side (pixels)", "cạnh dài của khung hình (điểm ảnh)",
                    "export it at a lower resolution (1080p is plenty)",
                    "xuất lại ở độ phân giải thấp hơn (1080p là đủ)")


def find_recording(lesson_dir: Path) -> Path:
    """The folder's one ``recording.*`` (unfinished ``.part``/``.tmp`` files left out)."""
    found = sorted(p for p in lesson_dir.glob("recording.*") if p.is_file()
                   and not p.name.endswith((".part", ".tmp")))
    if not found:
        raise RecordingMissingError(path=str(lesson_dir))
    if len(found) > 1:
        raise LessonConfigError(path=str(lesson_dir),
                                detail="more than one recording.* file: keep exactly one")
    return found[0]


def draftable_recording(lesson_dir: Path, limits: Limits) -> Path:
    """The folder's recording, probed as ingest probes it, for drafting a script from it:
    readable, with sound, not longer than the limit (a corrupt file gave ffmpeg's whole
    stderr and exit 1; a 5-hour one would hold the machine's run slot for hours).

    Raises:
        RecordingMissingError, MediaUnreadableError, NoAudioStreamError, InputLimitError.
    """
    recording = find_recording(lesson_dir)
    media = probe(recording)
    if media.audio is None:
        raise NoAudioStreamError(path=str(recording))
    check_duration(recording, media.duration_ms, limits)
    return recording


def _languages(meta: dict[str, object], toml_path: Path, registry: Registry,
               opts: IngestOptions) -> tuple[str, ...]:
    """The source language first, then the targets (command line over lesson.toml)."""
    languages = opts.languages or _str_list(meta, "languages", toml_path) or ()
    where = "command line (--languages)" if opts.languages else str(toml_path)
    check_count(where, len(languages), opts.limits.max_languages, "max_languages",
                "the number of languages", "số ngôn ngữ")
    source = registry.source.code
    for code in languages:
        registry.get(code, where=where)
    return (source, *[c for c in dict.fromkeys(languages) if c != source])


def load_lesson(lesson_dir: Path, registry: Registry, opts: IngestOptions) -> Lesson:
    """Validate lesson.toml and script.md and find the recording (no media checks yet).

    Raises:
        LessonNotFoundError, LessonConfigError, ScriptMissingError, ScriptEmptyError,
        ScriptEncodingError, UnknownLanguageError, UnknownNameError, RecordingMissingError,
        ReservedLessonError (the id of the bundle's interface words).
    """
    if not lesson_dir.is_dir():
        raise LessonNotFoundError(path=str(lesson_dir))
    toml_path = lesson_dir / "lesson.toml"
    if not toml_path.is_file():
        raise LessonConfigError(path=str(toml_path),
                                detail="file is missing (needs title and languages)")
    toml_text = read_text_nfc(toml_path, opts.limits)
    meta = _parse_toml(toml_path, toml_text)
    check_lesson_keys(toml_path, toml_text, meta)
    _check_lesson_limits(toml_path, toml_text, meta, opts.limits)
    title = meta.get("title")
    if not isinstance(title, str) or not title.strip():
        raise LessonConfigError(path=str(toml_path),
                                detail="'title' (Vietnamese) is missing or empty")
    lesson_id = lesson_id_of(lesson_dir, meta)
    if not is_lesson_id(lesson_id):
        raise LessonConfigError(
            path=str(toml_path),
            detail=f"lesson id '{lesson_id}' must be lowercase letters, digits, '-' or '_'")
    if lesson_id == INTERFACE_LESSON_ID:
        raise ReservedLessonError(lesson=lesson_id)

    languages = _languages(meta, toml_path, registry, opts)
    profiles = (opts.profiles or _str_list(meta, "profiles", toml_path)
                or opts.default_profiles)
    check_count(toml_path, len(profiles), opts.limits.max_profiles, "max_profiles",
                "the number of profiles", "số định dạng")
    for name in profiles:
        get_profile(name)
    authors = _str_list(meta, "authors", toml_path) or ()
    titles = meta.get("titles", {})
    if not isinstance(titles, dict) or not all(isinstance(v, str) for v in titles.values()):
        raise LessonConfigError(path=str(toml_path),
                                detail="[titles] must map language codes to titles")
    for code in titles:
        registry.get(code, where=f"{toml_path} [titles]")

    script, chapters, sentences = load_script(find_script(lesson_dir), opts.limits)
    recording = find_recording(lesson_dir)
    check_file_size(recording, opts.limits.max_recording_mb * 1024 * 1024, "max_recording_mb",
                    "the recording's file size", "kích thước tệp bản ghi")
    return Lesson(
        id=lesson_id, dir=lesson_dir.resolve(), title=title.strip(), languages=languages,
        profiles=tuple(dict.fromkeys(profiles)), authors=authors, chapters=tuple(chapters),
        sentences=tuple(sentences), recording=recording.resolve(),
        hashes={"lesson.toml": sha256_text(toml_text), "script.md": sha256_text(script.text),
                "recording": sha256_file(recording)},
        titles={k: v.strip() for k, v in titles.items()},
        script_numbers_removed=script.numbers_removed,
    )


def _extract_wav(recording: Path, dst: Path, ffmpeg: str, limits: Limits) -> None:
    # -t caps the decode one second past the limit, so a container that lies about its
    # duration cannot make ffmpeg write hours of audio.
    try:
        run_ffmpeg(["-i", str(recording), "-vn", "-ac", "1", "-ar", str(SAMPLE_RATE),
                    "-t", f"{limits.max_recording_s + 1:.3f}",
                    "-c:a", "pcm_s16le", "-f", "wav", str(dst)],
                   action="extracting the audio", path=recording, ffmpeg=ffmpeg)
    except FfmpegError as e:
        raise MediaUnreadableError(path=str(recording), detail=e.context["stderr"]) from e


def _check_audio(recording: Path, wav: Path, expected_ms: int, limits: Limits) -> None:
    """Length and silence of the extracted WAV, read in blocks (constant memory)."""
    got_ms, peak = wav_stats(wav)
    check_duration(recording, got_ms, limits)
    if got_ms == 0 or peak < SILENT_PEAK:
        raise EmptyAudioError(path=str(recording))
    # A truncated file still decodes, but only partly: compare with the container's duration.
    if expected_ms and got_ms < expected_ms - max(500, expected_ms // 20):
        raise MediaUnreadableError(
            path=str(recording),
            detail=f"truncated: only {got_ms / 1000:.1f} s of {expected_ms / 1000:.1f} s decodes")


@contextlib.contextmanager
def _decoded_audio(recording: Path, media: MediaInfo, limits: Limits,
                   ffmpeg: str) -> Iterator[Path]:
    """The analysis audio in a temporary WAV; a corrupt, truncated or silent recording fails."""
    with tempfile.TemporaryDirectory(prefix="caunoi-ingest-") as tmp:
        wav = Path(tmp) / "audio.wav"
        _extract_wav(recording, wav, ffmpeg, limits)
        _check_audio(recording, wav, media.duration_ms, limits)
        yield wav


#: Recordings whose audio decoded (file, size, modification time, limits), most recent
#: last: the portal checks a lesson on every view of its page, and a 1 h 50 min recording
#: cost 17 s and a 211 MB temporary WAV each time.
_DECODED: dict[tuple[object, ...], None] = {}
_DECODED_MAX = 256
_DECODED_LOCK = threading.Lock()


def check_audio_decodes(recording: Path, media: MediaInfo, limits: Limits,
                        ffmpeg: str = "") -> None:
    """Decode the recording's audio as :func:`ingest` does and refuse what it refuses;
    a recording that decoded before, unchanged, is not decoded again."""
    st = recording.stat()
    key = (str(recording.resolve()), st.st_size, st.st_mtime_ns, media.duration_ms,
           limits, ffmpeg)
    with _DECODED_LOCK:
        if key in _DECODED:
            return
    with _decoded_audio(recording, media, limits, ffmpeg):
        pass
    with _DECODED_LOCK:
        _DECODED[key] = None
        while len(_DECODED) > _DECODED_MAX:
            del _DECODED[next(iter(_DECODED))]


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
    check_media(lesson, media, opts.limits, picture=opts.needs_picture)
    out = opts.out_dir / lesson.id
    wav = out / "work" / "audio-16k.wav"
    if out.is_dir() and claim_folder(out):
        removed = remove_stale_parts(out)
        if removed:
            log.info("ingest: removed %d unfinished .part files left by a stopped run", removed)
    cache = StageCache(out)
    key = make_key("ingest", recording=lesson.hashes["recording"], rate=SAMPLE_RATE)
    reused = cache.is_fresh("ingest", key)
    if reused:
        log.info("ingest: audio unchanged, skipped extraction")
    else:
        # The output folder appears only after the audio is checked (entered in order).
        with (_decoded_audio(lesson.recording, media, opts.limits, opts.ffmpeg) as tmp_wav,
              atomic_path(wav) as part):
            shutil.copyfile(tmp_wav, part)
        cache.record("ingest", key, [wav])
    result = Ingested(lesson=lesson, media=media, audio_wav=wav.resolve(),
                      audio_sha256=sha256_file(wav), audio_reused=reused)
    atomic_write_json(out / "ingest.json", result.to_json())
    return result


def changed_since_ingest(lesson_dir: Path, out: Path) -> bool:
    """Whether ``lesson.toml``, ``script.md`` or the recording changed after the last run's
    ingest wrote ``out/ingest.json`` (False when no run has ingested the lesson yet): its
    translations and videos are then out of date until the lesson runs again."""
    record = out / "ingest.json"
    try:
        hashes = Ingested.from_json(json.loads(record.read_text(encoding="utf-8"))).lesson.hashes
        recorded_at = record.stat().st_mtime
    except (OSError, ValueError, KeyError, TypeError):
        return False
    try:
        texts = {"lesson.toml": read_text_nfc(lesson_dir / "lesson.toml"),
                 "script.md": read_script_document(find_script(lesson_dir)).text}
    except (OSError, CaunoiError):
        return True
    if any(sha256_text(text) != hashes.get(name) for name, text in texts.items()):
        return True
    return any(p.stat().st_mtime > recorded_at for p in lesson_dir.glob("recording.*"))
