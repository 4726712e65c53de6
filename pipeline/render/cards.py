"""The title card drawn with moviepy (Noto fonts), saved as PNG for the encoder; its size
is the output frame's (upright outputs get an upright card)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline.render.fonts import font_file

__all__ = ["CardStyle", "title_card"]


@dataclass(frozen=True)
class CardStyle:
    background: tuple[int, int, int] = (0, 88, 66)
    text: str = "white"
    # Font sizes as shares of the frame's short side (title, second title, label).
    title: float = 0.07
    subtitle: float = 0.055
    label: float = 0.045


def _text(text: str, font: str, size: int, width: int, style: CardStyle,
          bold: bool = False) -> Any:
    from moviepy import TextClip

    # moviepy clips the bottom of letters with a dot below (ệ, ặ) without a margin.
    return TextClip(font=font_file(font, bold=bold), text=text, font_size=size,
                    color=style.text, method="caption", size=(width, None),
                    margin=(0, max(4, size // 3)), text_align="center")


def title_card(dst: Path, size: tuple[int, int], title_vi: str, title_target: str = "",
               language_label: str = "", font: str = "Noto Sans",
               style: CardStyle = CardStyle()) -> Path:
    """The opening card: the title in the target language (when a person has given one) and
    in Vietnamese, with the language's own name."""
    from moviepy import ColorClip, CompositeVideoClip

    w, h = size
    short = min(w, h)
    text_w = w - 2 * max(16, short // 12)
    layers = [ColorClip(size=size, color=style.background).with_duration(1)]
    y = int(h * 0.22)
    if title_target:
        main = _text(title_target, font, round(short * style.title), text_w, style, bold=True)
        layers.append(main.with_position(("center", y)).with_duration(1))
        y += main.h + short // 30
    vi_size = style.subtitle if title_target else style.title
    vi = _text(title_vi, "Noto Sans", round(short * vi_size), text_w, style,
               bold=not title_target)
    layers.append(vi.with_position(("center", y)).with_duration(1))
    if language_label:
        label = _text(language_label, font, round(short * style.label), text_w, style)
        layers.append(label.with_position(("center", h - label.h - short // 10))
                      .with_duration(1))
    clip = CompositeVideoClip(layers, size=size)
    clip.save_frame(str(dst), t=0)
    return dst
