"""ffmpeg commands as code (ffmpeg-python): the picture graph (title card, recording fitted
to the output layout, burned subtitles and banners, duplicate frames of a still screen
dropped) and the encode command. Built here, run by :func:`pipeline.core.media.run_ffmpeg`
with the project's one ffmpeg binary; a graph can be inspected without running it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import ffmpeg

from pipeline.render.layout import TITLE_FPS, Layout
from pipeline.render.profiles import Profile

__all__ = ["EncodeInputs", "apply_chain", "audio_command", "codec_options", "encode_command",
           "picture"]


@dataclass(frozen=True)
class EncodeInputs:
    recording: Path
    # Title card PNG (the output frame's size) and how long it shows, seconds (whole
    # frames: Layout.title_s).
    title_png: Path
    title_s: float
    # Narration WAV already delayed by the title card.
    audio: Path
    # ASS to burn in (None: nothing burned).
    ass: Path | None = None
    # Soft subtitle track (SRT, recording timeline) and its language, when not burned.
    srt: Path | None = None
    language: str = ""
    # Video filter chain holding the picture where a dubbed voice needs more time
    # (pipeline.voice.picture.hold_filter); "" or "null": none.
    hold: str = ""


def codec_options(args: tuple[str, ...]) -> dict[str, str]:
    """A profile's ("-option", "value", ...) pairs as ffmpeg-python keyword options."""
    return {k.lstrip("-"): v for k, v in zip(args[::2], args[1::2], strict=True)}


def picture(inputs: EncodeInputs, layout: Layout, profile: Profile) -> Any:
    """The video stream: title card, then the recording (rotation applied by the decoder)
    sampled at the layout's rate, scaled into its place, subtitles burned in."""
    w, h, fps = layout.width, layout.height, layout.fps
    x, y, cw, ch = layout.content
    title = (ffmpeg.input(str(inputs.title_png), loop=1, framerate=fps or TITLE_FPS,
                          t=f"{inputs.title_s:.6f}")
             .filter("scale", w, h).filter("setsar", 1).filter("format", "yuv420p"))
    main = apply_chain(ffmpeg.input(str(inputs.recording)).video, inputs.hold)
    if fps:  # else the recording's own (variable) frame times pass through
        main = main.filter("fps", fps)
    main = main.filter("scale", cw, ch, flags="lanczos").filter("setsar", 1)
    if (cw, ch) != (w, h):
        main = main.filter("pad", w, h, x, y, color="black")
    main = main.filter("format", "yuv420p")
    if inputs.ass is not None:
        main = main.filter("ass", filename=str(inputs.ass))
    if profile.drop_duplicates:
        # A still screen becomes one long frame (variable frame rate output); after the
        # subtitles, so that a cue appearing on a still screen is a new frame.
        refresh = round(profile.still_refresh_s * fps) if fps else 0
        main = main.filter("mpdecimate", max=refresh) if refresh else main.filter("mpdecimate")
    return ffmpeg.concat(title, main, v=1, a=0).filter("format", "yuv420p")


def _split_chain(chain: str) -> list[str]:
    """The filters of a comma chain (commas inside quotes or brackets belong to a filter)."""
    parts, depth, quoted, start = [], 0, False, 0
    for i, ch in enumerate(chain):
        if ch == "'":
            quoted = not quoted
        elif not quoted and ch in "([":
            depth += 1
        elif not quoted and ch in ")]":
            depth -= 1
        elif ch == "," and not quoted and depth == 0:
            parts.append(chain[start:i])
            start = i + 1
    return [p for p in [*parts, chain[start:]] if p.strip()]


def apply_chain(stream: Any, chain: str) -> Any:
    """``stream`` through a plain ffmpeg filter chain (``name='expr'`` or
    ``name=key=value:key=value``), escaped by ffmpeg-python like every other filter."""
    for part in _split_chain(chain):
        name, _, args = part.partition("=")
        if name == "null":
            continue
        if args.startswith("'") and args.endswith("'"):
            stream = stream.filter(name, args[1:-1])
        else:
            stream = stream.filter(name, **dict(kv.split("=", 1) for kv in args.split(":")
                                                if kv))
    return stream


def _common(profile: Profile, threads: int) -> dict[str, Any]:
    # max_interleave_delta 0: the muxer always waits for a packet of every stream, so the
    # interleaving does not depend on which encoder thread was ahead (a still screen is one
    # long frame, past the default 10 s; two renders differed in their chunk tables).
    opts: dict[str, Any] = {"map_metadata": -1, "fflags": "+bitexact",
                            "max_interleave_delta": 0, "threads": threads,
                            **codec_options(profile.audio_args)}
    if profile.ext == "mp4":
        opts["movflags"] = "+faststart"
    return opts


def encode_command(inputs: EncodeInputs, layout: Layout, profile: Profile, dst: Path,
                   threads: int) -> list[str]:
    """ffmpeg arguments (without the binary) that encode one video output."""
    streams = [picture(inputs, layout, profile), ffmpeg.input(str(inputs.audio))["a"]]
    opts = _common(profile, threads) | codec_options(profile.video_args)
    if profile.keyframe_s:
        opts["force_key_frames"] = f"expr:gte(t,n_forced*{profile.keyframe_s:g})"
    opts["flags:v"] = "+bitexact"
    if profile.drop_duplicates:
        opts["fps_mode"] = "vfr"
    if inputs.srt is not None:
        streams.append(ffmpeg.input(str(inputs.srt), itsoffset=f"{inputs.title_s:.6f}")["s"])
        opts |= {"c:s": "mov_text", "metadata:s:s:0": f"language={inputs.language}"}
    args: list[str] = ffmpeg.output(*streams, str(dst), **opts).get_args()
    return args


def audio_command(audio: Path, profile: Profile, dst: Path, threads: int,
                  codec_args: tuple[str, ...] | None = None) -> list[str]:
    """ffmpeg arguments for an audio-only output (``codec_args``: another codec than the
    profile's own, e.g. its MP3 companion)."""
    opts = _common(profile, threads)
    if codec_args is not None:
        opts = {k: v for k, v in opts.items() if k not in codec_options(profile.audio_args)}
        opts |= codec_options(codec_args)
    args: list[str] = ffmpeg.output(ffmpeg.input(str(audio))["a"], str(dst), **opts).get_args()
    return args
