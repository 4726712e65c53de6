"""What a reviewer hears and sees of one cue: a short Opus clip of the narration (cue time
± 0.3 s) and a small WebP still of the cue's frame with a text burned in as the final
video will burn it. Both are built once, on first request, into the lesson's output folder
(``<out>/<lesson>/review-media/``) and named by what they show, so a cached file never
goes stale and can be cached by the phone for a year."""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from pipeline.core.languages import Language
from pipeline.core.media import run_ffmpeg
from pipeline.core.storage import atomic_path
from pipeline.render.layout import Layout, plan_layout
from pipeline.render.profiles import get_profile

__all__ = ["CLIP_MARGIN_MS", "LessonMedia", "build_clip", "build_still", "lesson_media",
           "video_offset_s"]

log = logging.getLogger("caunoi.review")

#: Narration kept before and after the cue in its clip, ms.
CLIP_MARGIN_MS = 300
#: Opus bit rate of a clip: speech stays clear, a 4 s clip weighs about 6 KB.
CLIP_BITRATE = "12k"
FOLDER = "review-media"
#: ffmpeg runs for clips and stills at once in one web process (others wait their turn):
#: a burst of page views cannot take every core of the server.
_BUILDS = threading.BoundedSemaphore(2)
#: Stills kept per cue and language (the current text and recent previews of typed text).
STILLS_PER_CUE = 6


@dataclass(frozen=True)
class LessonMedia:
    recording: Path
    # The narration as the videos carry it (normalised), recording timeline.
    audio: Path
    # Display size of the recording (rotation applied) and the first profile rendered.
    size: tuple[int, int]
    profile: str
    folder: Path


def lesson_media(out_dir: Path, lesson_id: str) -> LessonMedia | None:
    """The lesson's recording and narration as its ingest step recorded them, or None
    (lesson not ingested in ``out_dir``, or its files are gone)."""
    lesson_out = out_dir / lesson_id
    path = lesson_out / "ingest.json"
    if not path.is_file():
        return None
    return _read_ingest(path, path.stat().st_mtime)


@lru_cache(maxsize=64)
def _read_ingest(path: Path, _mtime: float) -> LessonMedia | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        media, lesson = data["media"], data["lesson"]
        recording = Path(media["path"])
        video = media.get("video") or {}
        size = (int(video.get("width", 0)), int(video.get("height", 0)))
        if int(video.get("rotation", 0) or 0) % 180:
            size = (size[1], size[0])
        profiles = lesson.get("profiles") or ["compat"]
    except (OSError, ValueError, KeyError, TypeError) as e:
        log.warning("%s: not readable for review media (%s)", path, e)
        return None
    audio = path.parent / "work" / "audio-normalised.wav"
    return LessonMedia(recording, audio if audio.is_file() else recording, size,
                       str(profiles[0]), path.parent / FOLDER)


def build_clip(media: LessonMedia, key: str, start_ms: int, end_ms: int) -> Path:
    """The Opus clip of one cue (built on first use).

    Raises:
        FfmpegError: the narration could not be cut.
    """
    start = max(0, start_ms - CLIP_MARGIN_MS)
    end = end_ms + CLIP_MARGIN_MS
    dst = media.folder / f"clip-{key}-{start}-{end}.opus"
    if dst.is_file():
        return dst
    with _BUILDS, atomic_path(dst) as part:
        run_ffmpeg(["-ss", f"{start / 1000:.3f}", "-t", f"{(end - start) / 1000:.3f}",
                    "-i", str(media.audio), "-vn", "-map_metadata", "-1", "-ac", "1",
                    "-c:a", "libopus", "-b:a", CLIP_BITRATE, "-application", "voip",
                    "-f", "ogg", str(part)], "cutting a cue clip", media.audio)
    return dst


def _layout(media: LessonMedia) -> Layout:
    return plan_layout(get_profile(media.profile), media.size)


def video_offset_s(media: LessonMedia | None, title_card_s: float) -> float:
    """Where the recording starts in a rendered video: the title card, whole frames."""
    if media is None or not all(media.size):
        return title_card_s
    return float(_layout(media).title_s(title_card_s))


def build_still(media: LessonMedia, lang: Language, key: str, at_ms: int, text: str,
                protected: tuple[str, ...] = ()) -> Path:
    """The WebP still of one cue at ``at_ms`` with ``text`` burned in (built on first use).

    Raises:
        FfmpegError: the frame could not be drawn.
    """
    from pipeline.render.still import render_still

    digest = hashlib.sha256(json.dumps(
        [lang.code, lang.font, at_ms, text, list(protected), media.profile, media.size],
        ensure_ascii=False).encode("utf-8")).hexdigest()[:20]
    dst = media.folder / f"still-{lang.code}-{key}-{digest}.webp"
    if not dst.is_file():
        with _BUILDS:
            render_still(media.recording, at_ms / 1000, text, lang, _layout(media), dst,
                         protected)
        _keep_newest(media.folder.glob(f"still-{lang.code}-{key}-*.webp"), STILLS_PER_CUE)
    return dst


def _keep_newest(paths: Iterable[Path], keep: int) -> None:
    """Remove all but the ``keep`` most recently built of ``paths`` (previews of typed
    text would otherwise pile up, one file per text tried)."""
    def built(p: Path) -> float:
        try:
            return p.stat().st_mtime
        except OSError:
            return 0.0

    for old in sorted(paths, key=built, reverse=True)[keep:]:
        old.unlink(missing_ok=True)
