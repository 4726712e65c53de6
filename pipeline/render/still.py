"""A still of one cue as the final video will show it: the recording's frame at that moment,
fitted to the profile's frame, with the text burned in by libass through the very path a
render takes (the language's subtitles written by ``write_subtitles``' builder, restyled and
re-fitted by :func:`pipeline.render.burn.write_burn_ass`, same font and Tai Viet fallback,
same line breaks), then shrunk to a small WebP for a reviewer's phone.

Uses the render package's public functions only (read-only)."""

from __future__ import annotations

import io
import tempfile
from pathlib import Path

import pysubs2

from pipeline.core.languages import Language
from pipeline.core.media import run_ffmpeg
from pipeline.core.storage import atomic_path
from pipeline.core.types import Cue
from pipeline.render.burn import BurnSpec, write_burn_ass
from pipeline.render.layout import Layout
from pipeline.subtitles.formats import build_ssa
from pipeline.subtitles.segment import fit_lines

__all__ = ["render_still"]

#: Width of the still sent to the phone, px (the final frame is shrunk to it).
STILL_WIDTH = 320
#: WebP quality: text stays readable, a still weighs a few KB.
STILL_QUALITY = 50


def _burn_ass(text: str, lang: Language, layout: Layout, protected: tuple[str, ...],
              tmp: Path) -> Path:
    """The ASS a render would burn for one cue showing ``text`` (shown for an hour)."""
    lines = fit_lines(text, lang, protected) if text.strip() else ()
    subs = build_ssa([Cue(0, 0, 0, 3_600_000, lines)], lang) if lines else pysubs2.SSAFile()
    src = tmp / "cue.ass"
    subs.save(str(src), encoding="utf-8", format_="ass")
    return write_burn_ass(src, tmp / "burn.ass", BurnSpec(font=lang.font, layout=layout))


def render_still(recording: Path, at_s: float, text: str, lang: Language, layout: Layout,
                 dst: Path, protected: tuple[str, ...] = (), width: int = STILL_WIDTH) -> Path:
    """Write ``dst`` (WebP): the frame of ``recording`` at ``at_s`` (recording timeline) in
    ``layout``'s frame with ``text`` burned in as the final video burns it.

    Raises:
        FfmpegError: the frame could not be read or the subtitles not burned.
    """
    from PIL import Image

    x, y, cw, ch = layout.content
    with tempfile.TemporaryDirectory(prefix="caunoi-still-") as name:
        tmp = Path(name)
        ass = _burn_ass(text, lang, layout, protected, tmp)
        chain = f"scale={cw}:{ch}:flags=lanczos,setsar=1"
        if (cw, ch) != layout.size:
            chain += f",pad={layout.width}:{layout.height}:{x}:{y}:color=black"
        chain += f",format=yuv420p,ass=filename={ass}"
        png = tmp / "frame.png"
        run_ffmpeg(["-ss", f"{max(0.0, at_s):.3f}", "-i", str(recording), "-frames:v", "1",
                    "-vf", chain, str(png)], "drawing a cue still", recording)
        with Image.open(png) as img:
            small = img.convert("RGB").resize(
                (width, max(2, round(img.height * width / img.width))), Image.Resampling.LANCZOS)
        buf = io.BytesIO()
        small.save(buf, "WEBP", quality=STILL_QUALITY, method=6)
    with atomic_path(dst) as part:
        part.write_bytes(buf.getvalue())
    return dst
