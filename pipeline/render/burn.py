"""The ASS file that is burned into one output: the subtitles restyled for the output
frame (font size for legibility, box in the band or over the phone's bottom bar), lines
re-fitted to the frame width (a cue that would need three lines becomes two cues), chapter
banners stacked above the subtitles (never over the app bar at the top), and the
"draft" watermark in a bottom corner (never over the app bar either)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pysubs2
from PIL import ImageFont

from pipeline.core.i18n import t
from pipeline.render.fonts import font_file
from pipeline.render.layout import EM_PER_ASS_SIZE, SUBTITLE_LINES, Layout
from pipeline.subtitles.formats import SubtitleStyle, apply_style, font_runs

__all__ = ["BurnSpec", "fit_lines", "write_burn_ass"]

#: The watermark's ASS layer: below subtitles and banners (which are drawn over it).
WATERMARK_LAYER = 0
_TAGS = re.compile(r"\{[^}]*\}")
_FONT_TAG = re.compile(r"\{\\fn([^}]*)\}")
#: Gap kept between the two halves of a split cue, ms (the segmenter's minimum gap).
SPLIT_GAP_MS = 80


@dataclass(frozen=True)
class BurnSpec:
    # Subtitle font (the language's) and the frame layout.
    font: str
    layout: Layout
    # (start ms, heading) of each chapter and how long its banner shows, ms.
    chapters: tuple[tuple[int, str], ...] = ()
    banner_ms: int = 3000
    # Watermark the picture as a draft, in this language (i18n "render.draft_watermark";
    # the video's words are Vietnamese by default, whatever the UI language).
    draft: bool = False
    watermark_lang: str = "vi"
    # The font for what ``font`` cannot draw (Latin beside Tai Viet); "" none.
    fallback_font: str = ""

    @property
    def style(self) -> SubtitleStyle:
        f = self.layout.font_size
        return SubtitleStyle(play_res=self.layout.size, font_size=f,
                             margin_v=self.layout.margin_v, margin_h=max(8, f // 2),
                             padding=max(2, f // 8))

    @property
    def text_width(self) -> int:
        st = self.style
        return self.layout.width - 2 * (st.margin_h + st.padding)


@lru_cache(maxsize=16)
def _pil_font(font: str, ass_size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(font_file(font), max(1, round(ass_size * EM_PER_ASS_SIZE)))


def fit_lines(lines: list[str], font: str, ass_size: int, width: int) -> list[str]:
    """The lines as given when each fits ``width`` px, else the words re-wrapped greedily
    (a word longer than the width gets a line of its own)."""
    f = _pil_font(font, ass_size)
    if all(f.getlength(_TAGS.sub("", line)) <= width for line in lines):
        return lines
    out: list[str] = []
    for word in " ".join(_TAGS.sub("", line) for line in lines).split():
        if out and f.getlength(f"{out[-1]} {word}") <= width:
            out[-1] = f"{out[-1]} {word}"
        else:
            out.append(word)
    return out


def _split(event: pysubs2.SSAEvent, lines: list[str]) -> list[pysubs2.SSAEvent]:
    """Two-line pieces of ``lines``, the cue's time shared by their lengths."""
    pieces = [lines[i:i + SUBTITLE_LINES] for i in range(0, len(lines), SUBTITLE_LINES)]
    total = sum(len(x) for p in pieces for x in p) or 1
    span = event.end - event.start - SPLIT_GAP_MS * (len(pieces) - 1)
    out, t = [], event.start
    for k, piece in enumerate(pieces):
        share = sum(len(x) for x in piece) / total
        end = event.end if k == len(pieces) - 1 else t + round(span * share)
        out.append(event.copy())
        out[-1].start, out[-1].end, out[-1].text = t, end, r"\N".join(piece)
        t = end + SPLIT_GAP_MS
    return out


def _refit(subs: pysubs2.SSAFile, spec: BurnSpec) -> list[pysubs2.SSAEvent]:
    events: list[pysubs2.SSAEvent] = []
    size = spec.layout.font_size
    for ev in subs:
        lines = ev.text.split(r"\N")
        fitted = fit_lines(lines, spec.font, size, spec.text_width)
        if fitted is lines:
            events.append(ev)
            continue
        fonts = _FONT_TAG.findall(ev.text)
        if len(set(fonts)) == 2:  # Tai Viet runs: switch fonts again on the new lines
            fitted = [font_runs(x, fonts[0] if fonts[0] != fonts[-1] else fonts[1], fonts[-1])
                      for x in fitted]
        if len(fitted) <= SUBTITLE_LINES:
            ev.text = r"\N".join(fitted)
            events.append(ev)
        else:
            events += _split(ev, fitted)
    return events


def _banners(subs: pysubs2.SSAFile, spec: BurnSpec) -> None:
    if not spec.chapters:
        return
    style = subs.styles["Default"].copy()
    style.bold = True
    style.outlinecolor = style.backcolor = pysubs2.Color(0, 88, 66, 0x20)
    subs.styles["Chapter"] = style
    for start, heading in spec.chapters:
        # A heading is the language's approved one (its script: the language's font) or the
        # Vietnamese one (Noto Sans): measured with both, the one needing more lines is kept,
        # so neither script overflows the frame.
        lines = max((fit_lines([heading], font, spec.layout.font_size, spec.text_width)
                     for font in dict.fromkeys(("Noto Sans", spec.font))), key=len)
        if spec.fallback_font:  # the style's font has no Latin letters: switch per run
            lines = [font_runs(x, spec.font, spec.fallback_font) for x in lines]
        subs.append(pysubs2.SSAEvent(start=start, end=start + spec.banner_ms,
                                     text=r"\N".join(lines), style="Chapter", layer=0))


def _watermark(subs: pysubs2.SSAFile, spec: BurnSpec) -> None:
    """The draft watermark ("BẢN NHÁP") in the bottom-right corner: in the subtitle band
    when the layout has one, else over the bottom of the picture (an upright phone's bottom
    bar) -- never over the status and app bars at the top. It sits on a layer under the
    subtitles and banners, so a cue's box covers it instead of being pushed up by it
    (libass only moves events that collide on the same layer)."""
    style = subs.styles["Default"].copy()
    style.alignment = pysubs2.Alignment.BOTTOM_RIGHT
    style.fontname, style.fontsize = "Noto Sans", max(12, spec.layout.font_size * 3 // 4)
    style.marginv = spec.layout.margin_v
    style.marginr = spec.style.margin_h
    style.primarycolor = pysubs2.Color(255, 230, 120, 0x30)
    subs.styles["Watermark"] = style
    for ev in subs:
        ev.layer = max(ev.layer, WATERMARK_LAYER + 1)
    end = max((e.end for e in subs), default=0) + 3_600_000
    text = t("render.draft_watermark", spec.watermark_lang)
    subs.insert(0, pysubs2.SSAEvent(start=0, end=end, text=text, style="Watermark",
                                    layer=WATERMARK_LAYER))


def write_burn_ass(src: Path | None, dst: Path, spec: BurnSpec) -> Path:
    """Write the ASS to burn into one output (``src``: the language's subtitles, or None)."""
    subs = pysubs2.load(str(src), encoding="utf-8") if src else pysubs2.SSAFile()
    apply_style(subs, spec.font, spec.style)
    subs.events = _refit(subs, spec)
    _banners(subs, spec)
    if spec.draft:
        _watermark(subs, spec)
    subs.save(str(dst), encoding="utf-8", format_="ass")
    return dst
