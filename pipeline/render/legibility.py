"""How big burned subtitles look on the phone they are made for: the glyph height, in CSS
px, when the video is shown full-width on a 360 px wide phone held upright."""

from __future__ import annotations

import tempfile
from pathlib import Path

import ffmpeg
import numpy as np
import pysubs2

from pipeline.core.media import run_ffmpeg
from pipeline.render.burn import BurnSpec
from pipeline.render.layout import VIEW_WIDTH_CSS, Layout
from pipeline.subtitles.formats import apply_style

__all__ = ["CAP_HEIGHT_EM", "glyph_height_css"]

#: Cap height of Noto Sans as a share of its em (1462/2048).
CAP_HEIGHT_EM = 0.714


def _cap_height_px(layout: Layout, font: str, ffmpeg_bin: str) -> int:
    """Rows of ink of a burned "H" at the layout's subtitle size (libass, measured)."""
    from PIL import Image

    with tempfile.TemporaryDirectory(prefix="caunoi-glyph-") as tmp_name:
        tmp = Path(tmp_name)
        subs = pysubs2.SSAFile()
        spec = BurnSpec(font=font, layout=layout)
        apply_style(subs, font, spec.style)
        style = subs.styles["Default"]
        style.outline, style.borderstyle = 0, 1
        subs.append(pysubs2.SSAEvent(start=0, end=5000, text="HHHH"))
        subs.save(str(tmp / "h.ass"), encoding="utf-8", format_="ass")
        png = tmp / "h.png"
        source = ffmpeg.input(f"color=black:s={layout.width}x{layout.height}:d=1", f="lavfi")
        args = (source.filter("ass", filename=str(tmp / "h.ass"))
                .output(str(png), vframes=1, update=1).get_args())
        run_ffmpeg(args, action="measuring glyph height", path=png, ffmpeg=ffmpeg_bin)
        ink = np.asarray(Image.open(png).convert("L")) > 128
    rows = np.flatnonzero(ink.any(axis=1))
    return int(rows[-1] - rows[0] + 1) if rows.size else 0


def glyph_height_css(layout: Layout, font: str = "Noto Sans", ffmpeg_bin: str = "") -> float:
    """The burned subtitles' em size in CSS px on a VIEW_WIDTH_CSS px wide phone, derived
    from the cap height libass actually draws (cap height / CAP_HEIGHT_EM)."""
    em_px = _cap_height_px(layout, font, ffmpeg_bin) / CAP_HEIGHT_EM
    return em_px * VIEW_WIDTH_CSS / layout.width
