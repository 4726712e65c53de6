"""Red team on XLIFF import into the review store (issue 31's interface and title units
travel this way too): an oversize file, one unit repeated 100,000 times, a translation far
longer than the web pages accept. Each refuses the whole file in one sentence, nothing
saved (on main: 246 s and 99,999 conflict lines, exit 1; or 99,999 characters saved)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from pipeline.core.errors import LessonConfigError
from pipeline.core.ids import INTERFACE_LESSON_ID
from pipeline.core.limits import InputLimitError, Limits
from pipeline.publish.interface import interface_source
from pipeline.review.exchange import export_xliff, import_xliff
from pipeline.review.interface import sync_interface
from pipeline.review.store import ReviewStore

PASSWORD = "correct horse 9"
UNIT = f'<unit id="{INTERFACE_LESSON_ID}:ui.watch:v1"'


@pytest.fixture
def store(tmp_path: Path) -> Iterator[ReviewStore]:
    s = ReviewStore(f"sqlite:///{tmp_path / 'review.sqlite3'}")
    s.add_user("mai", PASSWORD, {"hmn": "reviewer"})
    sync_interface(s, interface_source(), ["hmn"], INTERFACE_LESSON_ID)
    yield s
    s.engine.dispose()


def _package(store: ReviewStore, tmp_path: Path, target: str) -> str:
    """The exported package with ``target`` as the translation of the "watch" unit."""
    path = tmp_path / "base.xlf"
    export_xliff(store, INTERFACE_LESSON_ID, "hmn", path)
    return path.read_text(encoding="utf-8").replace(
        "<source>Xem</source>", f"<source>Xem</source><target>{target}</target>", 1)


def _watch(store: ReviewStore) -> tuple[str, int]:
    unit = next(u for u in store.items(INTERFACE_LESSON_ID, "hmn") if u.key == "ui.watch")
    return unit.text, unit.version


def test_one_unit_given_twice_refuses_the_file(store: ReviewStore, tmp_path: Path) -> None:
    xml = _package(store, tmp_path, "Saib")
    unit = re.search(re.escape(UNIT) + r".*?</unit>", xml, re.S)
    assert unit is not None
    path = tmp_path / "dup.xlf"
    path.write_text(xml.replace("</file>", unit.group(0) * 1000 + "</file>"),
                    encoding="utf-8")
    with pytest.raises(LessonConfigError) as e:
        import_xliff(store, "mai", path)
    assert "more than once" in e.value.message("en")
    assert _watch(store) == ("", 1)


def test_translation_longer_than_the_pages_accept(store: ReviewStore, tmp_path: Path) -> None:
    path = tmp_path / "long.xlf"
    path.write_text(_package(store, tmp_path, "Saib " * 2000), encoding="utf-8")
    with pytest.raises(LessonConfigError) as e:
        import_xliff(store, "mai", path)
    assert "1000" in e.value.message("en")
    assert _watch(store) == ("", 1)


def test_oversize_file_refused_before_parsing(store: ReviewStore, tmp_path: Path) -> None:
    path = tmp_path / "big.xlf"
    path.write_text(_package(store, tmp_path, "Saib").replace(
        "</xliff>", "<!-- " + "x" * (2 * 2**20) + " --></xliff>"), encoding="utf-8")
    with pytest.raises(InputLimitError) as e:
        import_xliff(store, "mai", path, Limits(max_exchange_mb=1))
    assert "max_exchange_mb" in e.value.message("en")
    assert _watch(store) == ("", 1)


def test_markup_and_inline_codes_are_plain_text(store: ReviewStore, tmp_path: Path) -> None:
    """Escaped markup stays the characters the translator typed (escaped again on every
    page); XLIFF inline codes (``<pc>``, ``<ph>``) keep only their text."""
    path = tmp_path / "markup.xlf"
    path.write_text(_package(store, tmp_path, "&lt;b&gt;Sa<pc id='1'>ib</pc><ph id='2'/>"),
                    encoding="utf-8")
    report = import_xliff(store, "mai", path)
    assert len(report.applied) == 1
    assert _watch(store) == ("<b>Saib", 2)
