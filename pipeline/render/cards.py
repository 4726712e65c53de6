"""The title card drawn with moviepy (Noto fonts), saved as PNG for the encoder; its size
is the output frame's (upright outputs get an upright card)."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import regex

from pipeline.render.fonts import font_file
from pipeline.subtitles.formats import script_runs

__all__ = ["CardStyle", "title_card", "wrap_words"]


@dataclass(frozen=True)
class CardStyle:
    background: tuple[int, int, int] = (0, 88, 66)
    text: str = "white"
    # Font sizes as shares of the frame's short side (title, second title, label).
    title: float = 0.07
    subtitle: float = 0.055
    label: float = 0.045


def wrap_words(text: str, font_path: str, size: int, width: int,
               split_long: bool = False) -> list[str] | None:
    """``text`` in lines no wider than ``width`` px, broken at spaces; a word wider than a
    line gives None, or is cut between letters with ``split_long``. (moviepy's caption
    wrapping breaks inside words: its last-space index counts from the text's start but
    slices the current line, so a title read "... điện thoạ / i".)"""
    from PIL import ImageFont

    font = ImageFont.truetype(font_path, size)
    lines: list[str] = []
    for word in text.split():
        pieces = [word]
        if font.getlength(word) > width:
            if not split_long:
                return None
            pieces = [""]
            for ch in regex.findall(r"\X", word):
                if pieces[-1] and font.getlength(pieces[-1] + ch) > width:
                    pieces.append("")
                pieces[-1] += ch
        for i, piece in enumerate(pieces):
            if lines and i == 0 and font.getlength(f"{lines[-1]} {piece}") <= width:
                lines[-1] = f"{lines[-1]} {piece}"
            else:
                lines.append(piece)
    return lines if split_long else _balanced(text.split(), len(lines), font)


def _balanced(words: list[str], n: int, font: Any) -> list[str]:
    """``words`` in ``n`` lines whose longest is as short as it can be (no lone last word)."""
    if n < 2:
        return [" ".join(words)] if words else []
    best: tuple[float, list[str]] = (float("inf"), [" ".join(words)])
    for cuts in itertools.combinations(range(1, len(words)), n - 1):
        bounds = (0, *cuts, len(words))
        lines = [" ".join(words[a:b]) for a, b in itertools.pairwise(bounds)]
        widest = max(font.getlength(line) for line in lines)
        best = min(best, (widest, lines))
    return best[1]


def _runs(text: str, font: str, fallback: str) -> list[tuple[str, str]]:
    """``text`` as (piece, font) runs: the script's letters in ``font``, the rest (Latin,
    digits, punctuation) in ``fallback``; one run in ``font`` without a fallback."""
    if not fallback or fallback == font:
        return [(text, font)]
    return script_runs(text, font, fallback)


def _text(text: str, font: str, size: int, width: int, style: CardStyle,
          bold: bool = False, fallback: str = "") -> Any:
    """A centred block of ``text`` wrapped at spaces to ``width``; the size shrinks (down to
    half) until every word fits on a line and the block takes at most four lines. With a
    ``fallback``, the script's letters are drawn in ``font`` and everything else in it."""
    from moviepy import TextClip

    fonts = {f for _, f in _runs(text, font, fallback)}
    if len(fonts) > 1:
        return _mixed_text(text, font, fallback, size, width, style, bold)
    path = font_file(fonts.pop() if fonts else font, bold=bold)
    floor = max(8, size // 2)
    lines = wrap_words(text, path, size, width)
    while (lines is None or len(lines) > 4) and size > floor:
        size = max(floor, size - max(1, size // 10))
        lines = wrap_words(text, path, size, width)
    if lines is None:
        lines = wrap_words(text, path, size, width, split_long=True)
    # moviepy clips the bottom of letters with a dot below (ệ, ặ) without a margin.
    return TextClip(font=path, text="\n".join(lines or [text]), font_size=size,
                    color=style.text, method="label", margin=(0, max(4, size // 3)),
                    text_align="center")


def _mixed_text(text: str, font: str, fallback: str, size: int, width: int,
                style: CardStyle, bold: bool) -> Any:
    """A centred block of text mixing the script's letters and Latin ones, each run in its
    own font (one font cannot draw both), drawn with Pillow into a moviepy clip."""
    import numpy as np
    from moviepy import ImageClip
    from PIL import Image, ImageDraw, ImageFont

    floor = max(8, size // 2)
    while True:
        faces = {f: ImageFont.truetype(font_file(f, bold=bold), size) for f in (font, fallback)}

        def length(piece: str, faces: dict[str, Any] = faces) -> float:
            return float(sum(faces[f].getlength(p) for p, f in _runs(piece, font, fallback)))

        lines: list[str] = []
        for word in text.split():
            joined = f"{lines[-1]} {word}" if lines else word
            if lines and length(joined) <= width:
                lines[-1] = joined
            else:
                lines.append(word)
        if (len(lines) <= 4 and all(length(x) <= width for x in lines)) or size <= floor:
            break
        size = max(floor, size - max(1, size // 10))
    line_h, margin = round(size * 1.3), max(4, size // 3)
    img = Image.new("RGBA", (width, line_h * len(lines) + 2 * margin), (0, 0, 0, 0))
    draw = ImageDraw.Draw(img)
    for i, line in enumerate(lines):
        x = (width - length(line)) / 2
        for piece, f in _runs(line, font, fallback):
            draw.text((x, margin + i * line_h), piece, font=faces[f], fill=style.text)
            x += faces[f].getlength(piece)
    rgba = np.asarray(img)
    mask = ImageClip(rgba[:, :, 3] / 255.0, is_mask=True)
    return ImageClip(rgba[:, :, :3]).with_mask(mask)


def title_card(dst: Path, size: tuple[int, int], title_vi: str, title_target: str = "",
               language_label: str = "", font: str = "Noto Sans",
               style: CardStyle = CardStyle(), fallback_font: str = "") -> Path:
    """The opening card: the title in the target language (when a person has given one) and
    in Vietnamese, with the language's own name. ``fallback_font`` draws what ``font`` has
    no letters for (Noto Sans Tai Viet has no Latin letters or digits)."""
    from moviepy import ColorClip, CompositeVideoClip

    w, h = size
    short = min(w, h)
    text_w = w - 2 * max(16, short // 12)
    layers = [ColorClip(size=size, color=style.background).with_duration(1)]
    y = int(h * 0.22)
    if title_target:
        main = _text(title_target, font, round(short * style.title), text_w, style, bold=True,
                     fallback=fallback_font)
        layers.append(main.with_position(("center", y)).with_duration(1))
        y += main.h + short // 30
    vi_size = style.subtitle if title_target else style.title
    vi = _text(title_vi, "Noto Sans", round(short * vi_size), text_w, style,
               bold=not title_target)
    layers.append(vi.with_position(("center", y)).with_duration(1))
    if language_label:
        label = _text(language_label, font, round(short * style.label), text_w, style,
                      fallback=fallback_font)
        layers.append(label.with_position(("center", h - label.h - short // 10))
                      .with_duration(1))
    clip = CompositeVideoClip(layers, size=size)
    clip.save_frame(str(dst), t=0)
    return dst
