"""Stage 5: write cues as SRT, WebVTT and ASS (pysubs2); ASS carries the script's font."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import pysubs2
import regex

from pipeline.core.languages import Language
from pipeline.core.storage import atomic_path
from pipeline.core.types import Cue

__all__ = ["FORMATS", "SubtitleStyle", "build_ssa", "font_runs", "write_subtitles"]

#: Extension -> pysubs2 format id.
FORMATS: dict[str, str] = {"srt": "srt", "vtt": "vtt", "ass": "ass"}


@dataclass(frozen=True)
class SubtitleStyle:
    # Canvas the ASS coordinates refer to (the render size).
    play_res: tuple[int, int] = (854, 480)
    # Font size in canvas pixels: readable on a 5" 480p phone screen.
    font_size: int = 26
    # Distance from the bottom edge.
    margin_v: int = 18
    # Box behind the text: black at ~40 % transparency (ASS alpha 0x66).
    box_colour: tuple[int, int, int, int] = (0, 0, 0, 0x66)


def build_ssa(cues: list[Cue], lang: Language,
              style: SubtitleStyle = SubtitleStyle()) -> pysubs2.SSAFile:
    subs = pysubs2.SSAFile()
    subs.info["PlayResX"], subs.info["PlayResY"] = str(style.play_res[0]), str(style.play_res[1])
    subs.info["WrapStyle"] = "2"  # no automatic wrapping: the segmenter broke the lines
    subs.info["ScaledBorderAndShadow"] = "yes"
    r, g, b, a = style.box_colour
    subs.styles["Default"] = pysubs2.SSAStyle(
        fontname=lang.font, fontsize=style.font_size, primarycolor=pysubs2.Color(255, 255, 255),
        outlinecolor=pysubs2.Color(r, g, b, a), backcolor=pysubs2.Color(r, g, b, a),
        borderstyle=3,  # opaque box (libass draws it in the outline colour)
        outline=3, shadow=0, alignment=pysubs2.Alignment.BOTTOM_CENTER, marginv=style.margin_v,
        marginl=20, marginr=20,
    )
    tai_viet = "Tavt" in lang.scripts and bool(lang.fallback_font)
    for cue in cues:
        lines = [_escape(line) for line in cue.lines]
        if tai_viet:
            lines = [font_runs(line, lang.font, lang.fallback_font) for line in lines]
        subs.append(pysubs2.SSAEvent(start=cue.start_ms, end=cue.end_ms, text=r"\N".join(lines)))
    return subs


_TAI_VIET = regex.compile(r"([\uAA80-\uAADF]+(?:\s+[\uAA80-\uAADF]+)*)")


def font_runs(line: str, script_font: str, fallback_font: str) -> str:
    """Switch font inline between Tai Viet runs and everything else (Latin, digits,
    punctuation): libass does not fall back between fonts given by name in a fontsdir."""
    parts = [p for p in _TAI_VIET.split(line) if p]
    out = []
    for p in parts:
        font = script_font if _TAI_VIET.fullmatch(p) else fallback_font
        out.append(f"{{\\fn{font}}}{p}")
    return "".join(out)


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
