"""Low-bandwidth render profiles: the one table in code (see DESIGN.md).

A profile describes a target by its short side and its maximum frame rate; the frame size
follows the recording's orientation (see :mod:`pipeline.render.layout`).
"""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.core.errors import UnknownNameError

__all__ = ["PROFILES", "Profile", "get_profile"]

#: H.264 Level 3.0 allows 1620 macroblocks (16×16) per frame: 854×480 is its largest 16:9.
LEVEL_30_MACROBLOCKS = 1620


@dataclass(frozen=True)
class Profile:
    name: str
    # Who it is for.
    purpose: str
    # Output container extension.
    ext: str
    # Video target: short side of the frame (px, 0: audio only) and maximum frame rate
    # (0: the recording's own frame times).
    short_side: int
    max_fps: int
    # Video codec arguments, as (option, value) pairs ([] for audio-only).
    video_args: tuple[str, ...]
    # Audio codec arguments (mono always).
    audio_args: tuple[str, ...]
    # RFC 6381 codec strings written to the manifest.
    codecs: tuple[str, ...]
    # Largest frame the codec level allows, in macroblocks (0: no limit).
    max_macroblocks: int = 0
    # Drop duplicate frames of a still screen (variable frame rate output).
    drop_duplicates: bool = True
    # ... but keep one every this many seconds of a still screen (0: none), so that the
    # encoder refines a new screen's detail over a few frames (small text stays sharp).
    still_refresh_s: float = 0.0
    # Longest time between key frames, seconds (scene changes add more; 0: the encoder's).
    keyframe_s: float = 10.0
    # Upright recordings may get a subtitle band below the screen (see render.layout).
    subtitle_band: bool = True
    # Quality gates: SSIM against the source at this size, and the share of diacritic
    # words OCR still reads (see pipeline.render.quality).
    min_ssim: float = 0.0
    min_ocr: float = 0.0
    # Audio profile: a second file (e.g. MP3 for feature phones) beside the main one:
    # (extension, codec arguments, RFC 6381 codec).
    companion: tuple[str, tuple[str, ...], str] | None = None

    @property
    def has_video(self) -> bool:
        return bool(self.video_args)

    @property
    def fps(self) -> int:
        """The frame rate the picture is sampled at (duplicates are dropped after)."""
        return self.max_fps


# Measured with scripts/bench_render.py against ricecooker's encode: audio is most of the
# bytes at these sizes, so the speech codecs run as low as intelligibility allows (STOI in the
# benchmark; the AAC encoder overshoots below 16 kHz, so it stays at 16 kHz); screen content
# gets long GOPs (scene-cut detection puts a key frame where the screen changes) and a still
# screen is one frame. (Keeping a frame a second of a still screen, still_refresh_s, lets the
# encoder sharpen it: +15-30 % bytes for no OCR gain we could measure, so it is off.)
PROFILES: dict[str, Profile] = {
    p.name: p
    for p in (
        Profile(
            name="compat",
            purpose="every Android phone, kiosks, plain HTML players",
            ext="mp4", short_side=480, max_fps=15,
            # Constrained Baseline = baseline without ASO/FMO, which x264 never emits.
            video_args=("-c:v", "libx264", "-profile:v", "baseline", "-level:v", "3.0",
                        "-preset", "slow", "-tune", "stillimage", "-crf", "32",
                        "-maxrate", "200k", "-bufsize", "400k", "-pix_fmt", "yuv420p"),
            audio_args=("-c:a", "aac", "-b:a", "14k", "-ac", "1", "-ar", "16000"),
            codecs=("avc1.42E01E", "mp4a.40.2"), max_macroblocks=LEVEL_30_MACROBLOCKS,
            # A forced key frame every 10 s cost 0.78x the reference on a 42 s upright
            # lesson; every 20 s: 0.74x at the same SSIM and OCR (scene cuts add more).
            keyframe_s=20.0, min_ssim=0.97, min_ocr=0.8,
        ),
        Profile(
            name="tiny",
            purpose="2G and small data packages",
            ext="mp4", short_side=360, max_fps=10,
            video_args=("-c:v", "libx264", "-profile:v", "main", "-level:v", "3.0",
                        "-preset", "slow", "-tune", "stillimage", "-crf", "38",
                        "-maxrate", "150k", "-bufsize", "300k", "-pix_fmt", "yuv420p"),
            # CRF 38 keeps tiny at 0.35x the reference; CRF 35 reads 0.99 of the diacritic
            # words (0.97 at 38; the 360 px scale alone loses none) but costs 0.40x and still
            # stays under the 480p reference's SSIM (bench_render, 42 s upright lesson).
            audio_args=("-c:a", "aac", "-b:a", "8k", "-ac", "1", "-ar", "16000"),
            codecs=("avc1.4D401E", "mp4a.40.2"), max_macroblocks=LEVEL_30_MACROBLOCKS,
            keyframe_s=20.0, min_ssim=0.94, min_ocr=0.6,
        ),
        Profile(
            name="modern",
            purpose="Android 10 and newer",
            ext="mp4", short_side=480, max_fps=15,
            # Screen-content tools (scm=1); one thread (lp=1) keeps re-renders identical.
            video_args=("-c:v", "libsvtav1", "-preset", "8", "-crf", "51",
                        "-svtav1-params", "scm=1:tune=0:scd=1:lp=1", "-pix_fmt", "yuv420p"),
            audio_args=("-c:a", "libopus", "-b:a", "8k", "-application", "voip",
                        "-ac", "1"),
            codecs=("av01.0.04M.08", "opus"), keyframe_s=20.0, min_ssim=0.97, min_ocr=0.8,
        ),
        Profile(
            name="audio",
            purpose="feature phones and commune loudspeakers",
            ext="opus", short_side=0, max_fps=0,
            video_args=(),
            audio_args=("-c:a", "libopus", "-b:a", "16k", "-application", "voip", "-ac", "1"),
            codecs=("opus",),
            companion=("mp3", ("-c:a", "libmp3lame", "-b:a", "32k", "-ac", "1",
                               "-ar", "22050"), "mp3"),
        ),
    )
}


def get_profile(name: str) -> Profile:
    try:
        return PROFILES[name]
    except KeyError:
        raise UnknownNameError(kind="profile", name=name, known=", ".join(PROFILES)) from None
