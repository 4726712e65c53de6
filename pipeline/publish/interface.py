"""The offline bundle's own words per language (issue 31, item 14): the Vietnamese source
texts that translators translate through the review workflow (a built-in review lesson,
``INTERFACE_LESSON_ID``, holds one unit per key), and the approved texts the bundle page
shows in each language's section. A word with no approved translation falls back to an
icon that carries its meaning."""

from __future__ import annotations

from pipeline.core.i18n import BUNDLE

__all__ = ["INTERFACE_LESSON_ID", "interface_source"]

#: The review lesson that holds the bundle's interface units (reserved: no real lesson
#: may use this id).
INTERFACE_LESSON_ID = "giao-dien-goi-bai"


def interface_source() -> dict[str, str]:
    """Unit key → Vietnamese source text of every translatable word of the bundle page."""
    return {key: vi for key, (vi, _en) in BUNDLE.items() if key != "decimal"}
