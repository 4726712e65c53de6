"""Where things go in the output frame: its size from the profile (short side, level
limit) and the recording's orientation, where the recording sits, and where subtitles and
chapter banners go so that they never cover the app bar at the top of a phone screen.

Sizes are even (4:2:0 chroma); upright captures may get a subtitle band below the screen
content when that costs less legibility than covering the phone's bottom bar.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from pipeline.render.profiles import Profile

__all__ = ["TITLE_FPS", "Layout", "Orientation", "glyph_font_size", "orientation_of",
           "plan_layout"]

Orientation = Literal["upright", "landscape", "square"]

#: The phone a video is judged on: 360 CSS px wide, held upright, video shown full-width.
VIEW_WIDTH_CSS = 360
#: Burned subtitles must be at least this tall there (em size, CSS px).
MIN_GLYPH_CSS = 14.0
#: libass sizes a font by ascent + descent; Noto Sans' em is 0.728 of the ASS size
#: (measured: cap height 52 px at size 100, cap height = 0.714 em).
EM_PER_ASS_SIZE = 0.728
#: Headroom over the minimum so rounding and hinting never take a glyph below it.
GLYPH_HEADROOM = 1.06
#: Share of an upright phone screen taken by its bottom bar (tab labels + navigation),
#: which subtitles may cover at no cost to the app content.
BOTTOM_BAR = 0.08
#: Share of the screen height at the top that is the status bar and the app bar.
TOP_BARS = 0.15
#: Frame rate of the title card when the profile keeps the recording's own frame times.
TITLE_FPS = 15
#: Subtitle box: lines × line height (in ASS sizes) + box padding + margin, in ASS sizes.
SUBTITLE_LINES = 2
LINE_HEIGHT = 1.25
BOX_EXTRA = 0.6


def orientation_of(width: int, height: int) -> Orientation:
    """Upright or landscape when one side is > 5 % longer, else square."""
    if height > width * 1.05:
        return "upright"
    if width > height * 1.05:
        return "landscape"
    return "square"


def glyph_font_size(frame_width: int) -> int:
    """ASS font size whose em is ≥ MIN_GLYPH_CSS CSS px when the frame is shown
    VIEW_WIDTH_CSS px wide."""
    em_px = MIN_GLYPH_CSS * frame_width / VIEW_WIDTH_CSS
    return math.ceil(em_px / EM_PER_ASS_SIZE * GLYPH_HEADROOM)


def _even(x: float) -> int:
    return max(2, 2 * round(x / 2))


def _macroblocks(w: int, h: int) -> int:
    return math.ceil(w / 16) * math.ceil(h / 16)


@dataclass(frozen=True)
class Layout:
    # Output frame size (even) and the rate the picture is sampled at.
    width: int
    height: int
    fps: int
    orientation: Orientation
    # Where the recording sits in the frame: x, y, width, height.
    content: tuple[int, int, int, int]
    # Subtitle band added below the content (its height; 0: subtitles over the picture).
    band: int
    # ASS font size for subtitles and the bottom margin of their box.
    font_size: int
    margin_v: int
    # Top of the app content (below status + app bar): chapter banners never go above
    # the bottom part of the picture, and the quality gates compare the area between.
    app_top: int

    @property
    def size(self) -> tuple[int, int]:
        return self.width, self.height

    def title_s(self, seconds: float) -> float:
        """The title card's length rounded up to whole frames: the recording (and the
        narration, and every time the gates sample) starts exactly there."""
        rate = self.fps or TITLE_FPS
        return math.ceil(seconds * rate - 1e-6) / rate

    @property
    def subtitle_top(self) -> int:
        """Highest row a two-line subtitle box reaches."""
        box = round(self.font_size * (SUBTITLE_LINES * LINE_HEIGHT + BOX_EXTRA))
        return self.height - self.margin_v - box

    @property
    def compare_band(self) -> tuple[int, int]:
        """Rows of the frame showing the recording untouched by banners or subtitles."""
        _, y, _, h = self.content
        return self.app_top, min(y + h, self.subtitle_top) - 2


def _fit(profile: Profile, cw: float, ch: float, extra: float) -> float:
    """Scale (≤ 1) that brings a frame of cw × (ch + extra) inside the level's limit."""
    if not profile.max_macroblocks:
        return 1.0
    s = 1.0
    while s > 0.3 and _macroblocks(_even(cw * s), _even((ch + extra) * s)) > \
            profile.max_macroblocks:
        s -= 0.005
    return s


def plan_layout(profile: Profile, source_size: tuple[int, int]) -> Layout:
    """The frame for ``profile`` given the recording's display size (rotation applied)."""
    sw, sh = source_size
    orient = orientation_of(sw, sh)
    short = min(sw, sh)
    cw, ch = sw * profile.short_side / short, sh * profile.short_side / short
    font = glyph_font_size(_even(cw))
    box = font * (SUBTITLE_LINES * LINE_HEIGHT + BOX_EXTRA)
    margin = max(4, round(font * 0.3))
    band = 0.0
    if orient == "upright" and profile.subtitle_band:
        # Band cost: how much the level limit shrinks the screen text; cover cost: the
        # share of app content (above the bottom bar) a two-line box would hide.
        band_scale = _fit(profile, cw, ch, box + margin)
        cover = max(0.0, (box + margin - BOTTOM_BAR * ch * _fit(profile, cw, ch, 0))
                    / (ch * _fit(profile, cw, ch, 0)))
        if 1 - band_scale < cover:
            band = box + margin
    s = _fit(profile, cw, ch, band)
    w, h_content = _even(cw * s), _even(ch * s)
    band_px = 2 * math.ceil(band * s / 2) if band else 0
    font = glyph_font_size(w) if s < 1 else font
    return Layout(width=w, height=h_content + band_px, fps=profile.max_fps, orientation=orient,
                  content=(0, 0, w, h_content), band=band_px, font_size=font,
                  margin_v=max(4, round(font * 0.3)),
                  app_top=round(h_content * (TOP_BARS if orient == "upright" else 0.12)))
