"""The language registry as people pick from it: names that cannot be mistaken."""

from __future__ import annotations

from pipeline.core.languages import Registry


def test_every_target_says_where_it_is_spoken(registry: Registry) -> None:
    for lang in registry.languages.values():
        if not lang.source:
            assert lang.region_vi and lang.region_en, lang.code


def test_tai_dam_and_thai_cannot_be_confused(registry: Registry) -> None:
    """A commune team saying "tiếng Thái" means Tai Dam: the two labels differ in words
    a team reads (Thái Đen / Tây Bắc against Thái Lan), not only in the code."""
    tai, thai = registry.get("blt").label("vi"), registry.get("th").label("vi")
    assert "Thái Đen" in tai and "Tây Bắc" in tai
    assert "Thái Lan" in thai and "không phải" in thai
    assert "Thailand" in registry.get("th").label("en")


def test_native_name_only_where_the_name_does_not_hold_it(registry: Registry) -> None:
    assert registry.get("tyz").label("vi").startswith("Tiếng Tày — ")
    assert registry.get("hmn").label("vi").startswith("Tiếng H'Mông (Hmoob) — ")
    assert registry.get("vi").label("vi") == "Tiếng Việt"
