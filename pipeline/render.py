"""Stage 8: burn subtitles in and encode a lesson per low-bandwidth profile."""

from __future__ import annotations

import logging
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from pipeline.media import probe, run_ffmpeg
from pipeline.profiles import Profile
from pipeline.storage import atomic_path

__all__ = ["RenderOptions", "RenderedFile", "render", "rfc6381_codecs"]

log = logging.getLogger("caunoi.render")


@dataclass(frozen=True)
class RenderOptions:
    # ffmpeg binary ("" = the bundled one).
    ffmpeg: str = ""
    # Integrated loudness target, LUFS (EBU R128).
    loudness: float = -16.0
    # Encoder threads (0 = ffmpeg decides).
    threads: int = 0


@dataclass(frozen=True)
class RenderedFile:
    path: Path
    language: str
    profile: str
    duration_ms: int
    codecs: tuple[str, ...]


def rfc6381_codecs(path: Path, fallback: tuple[str, ...]) -> tuple[str, ...]:
    """RFC 6381 codec strings read from the file (H.264 avcC, AAC profile), else ``fallback``."""
    import av

    codecs: list[str] = []
    with av.open(str(path)) as c:
        for stream in c.streams:
            cc = stream.codec_context
            if cc.name == "h264" and cc.extradata and cc.extradata[0] == 1:
                codecs.append("avc1." + cc.extradata[1:4].hex().upper())
            elif cc.name == "aac":
                codecs.append("mp4a.40.5" if (cc.profile or "").startswith("HE") else "mp4a.40.2")
            elif cc.name == "opus":
                codecs.append("opus")
    return tuple(codecs) if len(codecs) == len(fallback) else fallback


def _video_filter(profile: Profile, ass: Path | None) -> str:
    w, h = profile.width, profile.height
    chain = [f"scale={w}:{h}:force_original_aspect_ratio=decrease:flags=lanczos",
             f"pad={w}:{h}:(ow-iw)/2:(oh-ih)/2:color=black", f"fps={profile.fps}", "setsar=1"]
    if ass is not None:
        chain.append(f"ass=filename={ass}")
    return ",".join(chain)


def render(recording: Path, ass: Path | None, profile: Profile, language: str, dst: Path,
           opts: RenderOptions = RenderOptions()) -> RenderedFile:
    """Encode ``recording`` with ``ass`` burned in (None = no subtitles) into ``dst``.

    The file appears at ``dst`` only once ffmpeg has finished successfully.
    """
    audio_filter = f"highpass=f=80,loudnorm=I={opts.loudness}:TP=-1.5:LRA=11"
    with tempfile.TemporaryDirectory(prefix="caunoi-render-") as tmp:
        safe_ass = None
        if ass is not None:  # a plain path keeps filtergraph escaping out of the picture
            safe_ass = Path(tmp) / "subs.ass"
            shutil.copyfile(ass, safe_ass)
        args = ["-i", str(recording), "-map_metadata", "-1"]
        if profile.has_video:
            args += ["-map", "0:v:0", "-vf", _video_filter(profile, safe_ass),
                     *profile.video_args]
        else:
            args += ["-vn"]
        args += ["-map", "0:a:0", "-af", audio_filter, *profile.audio_args]
        if opts.threads:
            args += ["-threads", str(opts.threads)]
        if profile.ext == "mp4":
            args += ["-movflags", "+faststart"]
        with atomic_path(dst) as part:
            run_ffmpeg([*args, str(part)], action=f"encoding profile {profile.name}", path=dst,
                       ffmpeg=opts.ffmpeg)
    info = probe(dst)
    log.info("rendered %s (%d bytes)", dst, dst.stat().st_size)
    return RenderedFile(path=dst, language=language, profile=profile.name,
                        duration_ms=info.duration_ms,
                        codecs=rfc6381_codecs(dst, profile.codecs))
