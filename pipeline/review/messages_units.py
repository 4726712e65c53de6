"""Messages about units that are not narration (the lesson title, chapter headings, the
offline bundle's words; issue 31, items 9 and 14): registered under the prefix ``units``."""

from __future__ import annotations

from pipeline.core.i18n import register_catalogue

__all__ = ["UNITS"]

UNITS: dict[str, tuple[str, str]] = {
    # The review lesson holding the bundle page's words (its name in every list).
    "interface_title": ("Giao diện gói bài học (USB)", "Words of the offline bundle (USB)"),
    # A unit's label where a cue shows its number.
    "label_title": ("Tên bài", "Lesson title"),
    "label_chapter": ("Tên chương", "Chapter heading"),
    "label_ui": ("Chữ giao diện", "Interface word"),
    # Where a unit's text appears (on its page, which has no sound or picture).
    "where_title": ("Tên bài học — hiện trên màn hình mở đầu, trong gói bài và danh sách bài",
                    "The lesson's title — shown on the opening screen, in the bundle and in "
                    "the list of lessons"),
    "where_chapter": ("Tên chương — hiện ở đầu chương", "Chapter heading — shown at the start "
                      "of the chapter"),
    "where_ui": ("Chữ trên trang của gói bài học (USB)", "A word on the page of the offline "
                 "bundle (USB)"),
    "fields_note": ("Giữ nguyên các chỗ trong ngoặc nhọn như {mb}: máy điền số vào đó.",
                    "Keep the parts in curly brackets such as {mb} as they are: a number is "
                    "filled in there."),
    "origin_team": ("Nguồn: đội nội dung viết", "Origin: written by the content team"),
}

register_catalogue("units", UNITS)
