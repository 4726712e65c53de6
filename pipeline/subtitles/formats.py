"""Stage 5: write cues as SRT, WebVTT and ASS (pysubs2); ASS carries the script's font."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import pysubs2
import regex

from pipeline.core.languages import Language
from pipeline.core.storage import atomic_path
from pipeline.core.types import Cue

__all__ = ["FORMATS", "SubtitleStyle", "apply_style", "build_ssa", "font_runs",
           "script_runs", "write_subtitles"]

#: Extension -> pysubs2 format id.
FORMATS: dict[str, str] = {"srt": "srt", "vtt": "vtt", "ass": "ass"}


#: Canvas of the standalone ASS file (players scale it to the picture); the renderer
#: restyles a copy for each output frame (pipeline.render.burn).
STANDALONE_CANVAS = (1280, 720)


@dataclass(frozen=True)
class SubtitleStyle:
    # Canvas the ASS coordinates refer to (the output frame when burning in).
    play_res: tuple[int, int] = STANDALONE_CANVAS
    # Font size in canvas pixels (libass: ascent + descent); the renderer derives it from
    # the frame width so that glyphs stay >= 14 CSS px on a 360 px wide phone.
    font_size: int = 38
    # Distance of the box from the bottom edge, and from the sides.
    margin_v: int = 12
    margin_h: int = 16
    # Box behind the text: black at ~40 % transparency (ASS alpha 0x66).
    box_colour: tuple[int, int, int, int] = (0, 0, 0, 0x66)
    # Box padding around the text, canvas pixels.
    padding: int = 3


def apply_style(subs: pysubs2.SSAFile, font: str, style: SubtitleStyle) -> None:
    """Set the canvas and the Default style of ``subs`` (in place) for ``style``."""
    subs.info["PlayResX"], subs.info["PlayResY"] = str(style.play_res[0]), str(style.play_res[1])
    subs.info["WrapStyle"] = "2"  # no automatic wrapping: the segmenter broke the lines
    subs.info["ScaledBorderAndShadow"] = "yes"
    r, g, b, a = style.box_colour
    subs.styles["Default"] = pysubs2.SSAStyle(
        fontname=font, fontsize=style.font_size, primarycolor=pysubs2.Color(255, 255, 255),
        outlinecolor=pysubs2.Color(r, g, b, a), backcolor=pysubs2.Color(r, g, b, a),
        borderstyle=3,  # opaque box (libass draws it in the outline colour)
        outline=style.padding, shadow=0, alignment=pysubs2.Alignment.BOTTOM_CENTER,
        marginv=style.margin_v, marginl=style.margin_h, marginr=style.margin_h,
    )


def build_ssa(cues: list[Cue], lang: Language,
              style: SubtitleStyle = SubtitleStyle()) -> pysubs2.SSAFile:
    subs = pysubs2.SSAFile()
    apply_style(subs, lang.font, style)
    tai_viet = "Tavt" in lang.scripts and bool(lang.fallback_font)
    for cue in cues:
        lines = [_escape(line) for line in cue.lines]
        if tai_viet:
            lines = [font_runs(line, lang.font, lang.fallback_font) for line in lines]
        subs.append(pysubs2.SSAEvent(start=cue.start_ms, end=cue.end_ms, text=r"\N".join(lines)))
    return subs


_TAI_VIET = regex.compile(r"([\uAA80-\uAADF]+(?:\s+[\uAA80-\uAADF]+)*)")


def script_runs(line: str, script_font: str, fallback_font: str) -> list[tuple[str, str]]:
    """``line`` as (piece, font) runs: Tai Viet runs in ``script_font``, everything else
    (Latin, digits, punctuation) in ``fallback_font`` (Noto Sans Tai Viet has no Latin)."""
    return [(p, script_font if _TAI_VIET.fullmatch(p) else fallback_font)
            for p in _TAI_VIET.split(line) if p]


def font_runs(line: str, script_font: str, fallback_font: str) -> str:
    """Switch font inline between Tai Viet runs and everything else (Latin, digits,
    punctuation): libass does not fall back between fonts given by name in a fontsdir."""
    return "".join(f"{{\\fn{font}}}{p}" for p, font in script_runs(line, script_font,
                                                                    fallback_font))


def _escape(line: str) -> str:
    # Braces start override blocks in ASS; a literal backslash-N would become a line break.
    return line.replace("{", "(").replace("}", ")").replace("\\", "/")


def write_subtitles(cues: list[Cue], lang: Language, out_dir: Path,
                    style: SubtitleStyle = SubtitleStyle(), stem: str = "") -> list[Path]:
    """Write ``<stem>.srt``, ``.vtt`` and ``.ass`` (stem defaults to the language code) into
    ``out_dir`` atomically."""
    plain = build_ssa(cues, replace(lang, fallback_font=""), style)
    styled = build_ssa(cues, lang, style)
    written = []
    for ext, fmt in FORMATS.items():
        path = out_dir / f"{stem or lang.code}.{ext}"
        with atomic_path(path) as tmp:
            (styled if ext == "ass" else plain).save(str(tmp), format_=fmt, encoding="utf-8")
        written.append(path)
    return written
