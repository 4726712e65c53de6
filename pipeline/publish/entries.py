"""What a lesson publishes: its final and approved files (never drafts), WebVTT sidecars
shifted by the title card, and a poster per language showing that language's subtitles."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path

import pysubs2

from pipeline.core.errors import FfmpegError
from pipeline.core.storage import atomic_path, sha256_file
from pipeline.publish.errors import SourceChangedError
from pipeline.publish.manifest import Manifest, ManifestFile, load_manifest
from pipeline.publish.paths import inside

__all__ = ["PUBLISHED_KINDS", "Selection", "check_file", "content_moment_ms", "file_entry",
           "file_rel", "published_entries"]

log = logging.getLogger("caunoi.publish")

PUBLISHED_KINDS = ("video", "audio", "subtitle", "thumbnail", "playlist")
#: Poster width in CSS pixels of a phone (the page scales it to the screen).
POSTER_WIDTH = 360


@dataclass(frozen=True)
class Selection:
    """A lesson's published manifest and the folder its files are read from."""

    lesson_out: Path
    manifest: Manifest

    def path(self, f: ManifestFile) -> Path:
        return inside(self.lesson_out, f.path, str(self.lesson_out / "manifest.json"))


def check_file(path: Path, sha256: str, size: int | None = None) -> None:
    """Refuse a file whose bytes are not the ones a manifest lists: its size first (cheap,
    catches a truncated copy), then its sha256.

    Raises:
        SourceChangedError: the file is missing, or its size or checksum differs.
    """
    try:
        got = path.stat().st_size
    except OSError:
        raise SourceChangedError(path=str(path), detail="missing") from None
    if size is not None and got != size:
        raise SourceChangedError(path=str(path), detail=f"{got} bytes, the manifest says {size}")
    digest = sha256_file(path)
    if digest != sha256:
        raise SourceChangedError(path=str(path),
                                 detail=f"sha256 {digest[:12]}…, the manifest says {sha256[:12]}…")


def file_rel(lesson_out: Path, path: Path) -> str:
    return path.relative_to(lesson_out).as_posix()


def file_entry(lesson_out: Path, path: Path, kind: str, language: str | None = None,
               profile: str | None = None) -> ManifestFile:
    return ManifestFile(path=file_rel(lesson_out, path), kind=kind,
                        bytes=path.stat().st_size, sha256=sha256_file(path),
                        language=language, profile=profile)


def _fresh(dst: Path, src: Path) -> bool:
    return dst.is_file() and dst.stat().st_mtime >= src.stat().st_mtime


def _sidecar(lesson_out: Path, src: Path, offset_ms: int) -> Path:
    """A WebVTT sidecar shifted by the videos' title card, next to the other sidecars."""
    dst = lesson_out / "sidecars" / src.name
    if _fresh(dst, src):
        return dst  # already shifted (publish --hls and bundles ask again)
    subs = pysubs2.load(str(src), encoding="utf-8")
    subs.shift(ms=offset_ms)
    with atomic_path(dst) as part:
        subs.save(str(part), format_="vtt", encoding="utf-8")
    return dst


def _banner_ms() -> int:
    from pipeline.render.encode import RenderOptions

    return int(RenderOptions().chapter_banner_s * 1000)


def _chapter_starts(lesson_out: Path) -> list[int]:
    """Start (ms, recording timeline) of each chapter banner, from ``alignment.json``."""
    path = lesson_out / "alignment.json"
    if not path.is_file():
        return []
    seen: dict[str, int] = {}
    for s in json.loads(path.read_text(encoding="utf-8")):
        if s.get("status") == "matched" and s.get("chapter") and s["chapter"] not in seen:
            seen[s["chapter"]] = round(float(s["start"]) * 1000)
    return sorted(seen.values())


def content_moment_ms(cues: list[tuple[int, int]], chapters: list[int],
                      banner_ms: int) -> int | None:
    """A mid-cue moment (recording timeline) outside every chapter banner: the middle of the
    first such cue, so the poster shows the screen and a subtitle, not a card."""
    for start, end in sorted(cues):
        mid = (start + end) // 2
        if not any(c <= mid <= c + banner_ms for c in chapters):
            return mid
    return None


def _poster(lesson_out: Path, video: Path, vtt: Path | None, title_card_ms: int,
            name: str) -> Path:
    dst = lesson_out / "posters" / f"{name}.jpg"
    if _fresh(dst, video):
        return dst
    cues = ([(e.start, e.end) for e in pysubs2.load(str(vtt), encoding="utf-8")]
            if vtt is not None else [])
    moment = content_moment_ms(cues, _chapter_starts(lesson_out), _banner_ms())
    at_ms = title_card_ms + (moment if moment is not None else 2000)
    from PIL import Image

    from pipeline.render.frames import frames_at

    # The frame on screen at that moment (a still screen is one frame in a variable frame
    # rate video: seeking would give the next one, often after the subtitle is gone).
    try:
        frame = Image.fromarray(frames_at(video, [at_ms / 1000])[0])
    except (OSError, ValueError) as e:
        raise FfmpegError(action="making a poster", path=str(video), stderr=str(e)) from e
    height = max(2, 2 * round(frame.height * POSTER_WIDTH / frame.width / 2))
    with atomic_path(dst) as part:
        frame.resize((POSTER_WIDTH, height), Image.Resampling.LANCZOS).save(
            part, format="JPEG", quality=80)
    return dst


def _chosen(m: Manifest, languages: list[str] | None,
            profiles: list[str] | None) -> list[ManifestFile]:
    chosen = []
    for f in m.files:
        if not f.published or f.kind not in PUBLISHED_KINDS:
            continue
        if languages and f.language not in languages:
            continue
        if f.kind in ("video", "audio") and profiles and f.profile not in profiles:
            continue
        if f.kind == "subtitle" and not f.path.endswith(".vtt"):
            continue
        chosen.append(f)
    return chosen


def published_entries(lesson_out: Path, title_card_s: float, languages: list[str] | None = None,
                      profiles: list[str] | None = None) -> Selection:
    """The files a lesson publishes: final and approved renders and their sidecar subtitles
    (never drafts), a poster per language and video profile, and ``thumbnail.jpg`` (the
    source language's poster) for catalogs. Sidecars are shifted by the title card: the
    manifest's own ``title_card_s`` when it has one, else ``title_card_s`` (Settings)."""
    m = load_manifest(lesson_out)
    offset_s = m.title_card_s if m.title_card_s is not None else title_card_s
    sel = Selection(lesson_out, m)
    chosen, extra = _chosen(m, languages, profiles), []
    for f in chosen:  # before anything is derived from them or copied anywhere
        check_file(sel.path(f), f.sha256, f.bytes)
    vtts = {f.language: sel.path(f) for f in chosen if f.kind == "subtitle"}
    out: list[ManifestFile] = []
    for f in chosen:
        if f.kind == "subtitle":
            side = _sidecar(lesson_out, sel.path(f), int(offset_s * 1000))
            out.append(file_entry(lesson_out, side, "subtitle", f.language))
            continue
        out.append(f)
        mp3 = sel.path(f).with_suffix(".mp3")
        listed = {g.path for g in chosen}
        if f.kind == "audio" and mp3.is_file() and file_rel(lesson_out, mp3) not in listed:
            # An MP3 rendered next to the Opus file but not listed by the manifest step.
            out.append(file_entry(lesson_out, mp3, "audio", f.language, f.profile))
        if f.kind == "video":
            poster = _poster(lesson_out, sel.path(f), vtts.get(f.language),
                             int(offset_s * 1000), f"{f.language}-{f.profile}")
            extra.append(file_entry(lesson_out, poster, "thumbnail", f.language, f.profile))
    source = m.source_language
    first = next((e for e in extra if e.language == source), extra[0] if extra else None)
    if first is not None:
        thumb = lesson_out / "thumbnail.jpg"
        poster_path = inside(lesson_out, first.path, "posters")
        if not _fresh(thumb, poster_path):
            with atomic_path(thumb) as part:
                part.write_bytes(poster_path.read_bytes())
        extra.append(file_entry(lesson_out, thumb, "thumbnail"))
    return Selection(lesson_out, m.with_files(out + extra, subtitle_offset=offset_s))
