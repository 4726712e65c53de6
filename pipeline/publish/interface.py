"""The offline bundle's own words per language (issue 31, item 14): the Vietnamese source
texts that translators translate through the review workflow (a built-in review lesson,
``INTERFACE_LESSON_ID``, holds one unit per key), and the words a language's section of the
bundle page shows: its approved texts; for the languages the project's own catalogue is
written in (Vietnamese, English), that catalogue; otherwise no word at all, and the icon in
front of each label carries its meaning alone. A section never falls back to Vietnamese
words for a language whose speakers may not read Vietnamese."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from pipeline.core.i18n import BUNDLE, UI_LANGUAGES, t
from pipeline.core.ids import INTERFACE_LESSON_ID as _RESERVED_ID

__all__ = ["ICONS", "INTERFACE_LESSON_ID", "SectionWords", "interface_source"]

#: The review lesson that holds the bundle's interface units (reserved: no real lesson
#: may use this id; defined in core so that ingest refuses it).
INTERFACE_LESSON_ID = _RESERVED_ID

#: Every translatable word of the bundle page (a ``bundle.*`` catalogue key) and the icon
#: shown in front of it, alone when the language has no approved word. The header shows the
#: chosen language's tagline only; the picker's heading shows every language's approved word
#: beside the page's own (it is read before a language is chosen).
#: Icons are ones the Noto fonts draw without an emoji font (🌏 rather than 🌐, which fell
#: back to a box in Debian's Chromium with fonts-noto-core). "" = no icon: the sentence is
#: left out (tagline, help; the sound line's "🎧 Tiếng Việt" already says the voice is
#: Vietnamese) or replaced by the source language's own name (a title in Vietnamese is
#: marked "(Tiếng Việt)", as the picker names languages).
ICONS: dict[str, str] = {
    "tagline": "",
    "choose": "🌏",
    "watch": "▶",
    "download": "⬇",
    "listen": "🎧",
    "top": "↑",
    "help": "",
    "title_in_source": "",
    "sound_source": "",
}


def interface_source() -> dict[str, str]:
    """Unit key → Vietnamese source text of every translatable word of the bundle page."""
    return {key: BUNDLE[key][0] for key in ICONS}


@dataclass(frozen=True)
class SectionWords:
    """The words of one language's section of the bundle page."""

    # The section's language code.
    lang: str
    # Its approved interface texts, key → text (from the review store; may be empty).
    approved: Mapping[str, str] = field(default_factory=dict)

    def word(self, key: str) -> str:
        """The language's word for ``key``: approved, else the project's catalogue for
        Vietnamese and English, else "" (the icon alone)."""
        text = self.approved.get(key, "").strip()
        if text:
            return text
        return t(f"bundle.{key}", self.lang) if self.lang in UI_LANGUAGES else ""

    def label(self, key: str) -> str:
        """Icon and word ("▶ Xem"), or the icon alone when the language has no word."""
        return " ".join(x for x in (ICONS[key], self.word(key)) if x)

    @property
    def catalogued(self) -> bool:
        """True when the project's own catalogue speaks this language (numbers, durations)."""
        return self.lang in UI_LANGUAGES
