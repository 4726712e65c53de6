"""Title and chapter cards drawn with moviepy (Noto fonts), saved as PNG for the encoder."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pipeline.render.fonts import font_file

__all__ = ["CardStyle", "chapter_banner", "title_card"]


@dataclass(frozen=True)
class CardStyle:
    size: tuple[int, int] = (854, 480)
    background: tuple[int, int, int] = (0, 88, 66)
    text: str = "white"
    # moviepy clips the bottom of letters with a dot below (ệ, ặ) without a margin.
    margin: tuple[int, int] = (0, 12)


def _text(text: str, font: str, size: int, width: int, style: CardStyle, bold: bool = False):  # type: ignore[no-untyped-def]
    from moviepy import TextClip

    return TextClip(font=font_file(font, bold=bold), text=text, font_size=size,
                    color=style.text, method="caption", size=(width, None), margin=style.margin,
                    text_align="center")


def title_card(dst: Path, title_vi: str, title_target: str = "", language_label: str = "",
               font: str = "Noto Sans", style: CardStyle = CardStyle()) -> Path:
    """The opening card: the title in the target language (when a person has given one) and
    in Vietnamese, with the language's own name."""
    from moviepy import ColorClip, CompositeVideoClip

    w, h = style.size
    layers = [ColorClip(size=style.size, color=style.background).with_duration(1)]
    y = int(h * 0.22)
    if title_target:
        main = _text(title_target, font, 34, w - 80, style, bold=True)
        layers.append(main.with_position(("center", y)).with_duration(1))
        y += main.h + 16
    vi = _text(title_vi, "Noto Sans", 26 if title_target else 34, w - 80, style,
               bold=not title_target)
    layers.append(vi.with_position(("center", y)).with_duration(1))
    if language_label:
        label = _text(language_label, font, 22, w - 80, style)
        layers.append(label.with_position(("center", h - 80)).with_duration(1))
    clip = CompositeVideoClip(layers, size=style.size)
    clip.save_frame(str(dst), t=0)
    return dst


def chapter_banner(dst: Path, heading: str, style: CardStyle = CardStyle()) -> Path:
    """A banner for the top of the picture when a chapter starts (PNG with transparency)."""
    from moviepy import ColorClip, CompositeVideoClip

    w = style.size[0]
    label = _text(heading, "Noto Sans", 24, w - 60, style, bold=True)
    height = label.h + 16
    box = ColorClip(size=(w, height), color=style.background).with_opacity(0.85)
    clip = CompositeVideoClip([box.with_duration(1),
                               label.with_position(("center", 8)).with_duration(1)],
                              size=(w, height))
    clip.save_frame(str(dst), t=0, with_mask=True)
    return dst
