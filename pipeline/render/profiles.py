"""Low-bandwidth render profiles: the one table in code (see DESIGN.md)."""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.core.errors import UnknownNameError

__all__ = ["PROFILES", "Profile", "get_profile"]


@dataclass(frozen=True)
class Profile:
    name: str
    # Who it is for.
    purpose: str
    # Output container extension.
    ext: str
    # Video: frame size, rate, codec arguments ([] for audio-only).
    width: int
    height: int
    fps: int
    video_args: tuple[str, ...]
    # Audio codec arguments (mono always).
    audio_args: tuple[str, ...]
    # RFC 6381 codec strings written to the manifest.
    codecs: tuple[str, ...]
    # Quality gates: SSIM against the source at this size, and the share of diacritic
    # words OCR still reads (see pipeline.render.quality).
    min_ssim: float = 0.0
    min_ocr: float = 0.0

    @property
    def has_video(self) -> bool:
        return bool(self.video_args)


# Measured on the sample lesson (scripts/bench_render.py): audio dominates the budget at these
# sizes, so the speech codecs run as low as intelligibility allows (STOI in the benchmark),
# and screen content gets long GOPs: the encoder's scene-cut detection still puts a key frame
# wherever the screen changes, so a still screen costs almost nothing.
PROFILES: dict[str, Profile] = {
    p.name: p
    for p in (
        Profile(
            name="compat",
            purpose="every Android phone, kiosks, plain HTML players",
            ext="mp4", width=854, height=480, fps=15,
            # Constrained Baseline = baseline without ASO/FMO, which x264 never emits.
            video_args=("-c:v", "libx264", "-profile:v", "baseline", "-level:v", "3.0",
                        "-preset", "slow", "-tune", "stillimage", "-crf", "32",
                        "-maxrate", "200k", "-bufsize", "400k", "-g", "300",
                        "-pix_fmt", "yuv420p"),
            audio_args=("-c:a", "aac", "-b:a", "20k", "-ac", "1", "-ar", "22050"),
            codecs=("avc1.42E01E", "mp4a.40.2"), min_ssim=0.97, min_ocr=0.8,
        ),
        Profile(
            name="tiny",
            purpose="2G and small data packages",
            ext="mp4", width=854, height=480, fps=10,
            video_args=("-c:v", "libx264", "-profile:v", "main", "-level:v", "3.0",
                        "-preset", "slow", "-tune", "stillimage", "-crf", "38",
                        "-maxrate", "150k", "-bufsize", "300k", "-g", "600",
                        "-pix_fmt", "yuv420p"),
            audio_args=("-c:a", "aac", "-b:a", "12k", "-ac", "1", "-ar", "16000"),
            codecs=("avc1.4D401E", "mp4a.40.2"), min_ssim=0.96, min_ocr=0.75,
        ),
        Profile(
            name="modern",
            purpose="Android 10 and newer",
            ext="mp4", width=854, height=480, fps=15,
            video_args=("-c:v", "libsvtav1", "-preset", "8", "-crf", "52",
                        "-svtav1-params", "scm=1:tune=0:scd=1", "-g", "600",
                        "-pix_fmt", "yuv420p"),
            audio_args=("-c:a", "libopus", "-b:a", "12k", "-application", "voip", "-ac", "1"),
            codecs=("av01.0.04M.08", "opus"), min_ssim=0.97, min_ocr=0.8,
        ),
        Profile(
            name="audio",
            purpose="feature phones and commune loudspeakers",
            ext="opus", width=0, height=0, fps=0,
            video_args=(),
            audio_args=("-c:a", "libopus", "-b:a", "16k", "-application", "voip", "-ac", "1"),
            codecs=("opus",),
        ),
    )
}


def get_profile(name: str) -> Profile:
    try:
        return PROFILES[name]
    except KeyError:
        raise UnknownNameError(kind="profile", name=name, known=", ".join(PROFILES)) from None
