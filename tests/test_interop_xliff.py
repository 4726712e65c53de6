"""XLIFF 2.0 that other tools accept (issue 32): every exported file validates against the
OASIS XLIFF 2.0 core schema (tests/data/schemas, lxml), is read the same by translate-toolkit
and by the standard library's ElementTree, and comes back from either through
``import_xliff``. Target texts are test markers, never invented translations."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest

from pipeline.core.languages import Registry
from pipeline.core.types import Cue
from pipeline.review.exchange import export_xliff, import_xliff
from pipeline.review.store import ReviewStore
from pipeline.steps.translate import _write_translation
from pipeline.translate.drafts import TranslatedCue, Translation
from pipeline.translate.xliff import parse_unit_id, unit_id
from tests.interop import XLIFF_NS, xliff_errors, xliff_units_by_elementtree

LESSON = "qr-pay"
SOURCES = ["Mở ứng dụng ngân hàng.", "Bấm nút quét mã.", "Đưa camera vào mã.",
           "Nhập 6 chữ số.", "Kiểm tra tên cửa hàng."]
KEYS = [f"{'c' * 15}{i}-{i + 1}.1" for i in range(len(SOURCES))]


@pytest.fixture
def store(tmp_path: Path) -> Iterator[ReviewStore]:
    """Cue 0 a machine draft, 1 a human draft, 2 approved, 3 untranslated, 4 rejected;
    cue 3's later draft drops its number (a QA error)."""
    s = ReviewStore(f"sqlite:///{tmp_path / 'review.sqlite3'}")
    cues = [Cue(i, i, 1000 * i, 1000 * i + 900, (text,), KEYS[i], 1)
            for i, text in enumerate(SOURCES)]
    drafts = [TranslatedCue(i, i, c.start_ms, c.end_ms, c.text,
                            "" if i == 3 else f"en {'abcde'[i]}.", "mt:test", cue_id=c.id)
              for i, c in enumerate(cues)]
    s.sync_lesson(LESSON, "Trả tiền", cues, {"en": drafts})
    s.add_user("mai", "correct horse 9", {"en": "reviewer"})
    by_idx = {c.idx: c for c in s.cues(LESSON, "en")}
    s.save("mai", LESSON, "en", 1, "en b (human).", by_idx[1].version)
    approved = s.save("mai", LESSON, "en", 2, by_idx[2].text, by_idx[2].version, "approve",
                      reason="test marker text")
    assert approved.ok
    s.save("mai", LESSON, "en", 4, by_idx[4].text, by_idx[4].version, "reject",
           reason="wrong shop")
    yield s
    s.engine.dispose()


def test_export_validates_against_the_oasis_schema(store: ReviewStore, tmp_path: Path) -> None:
    path = tmp_path / "en.xlf"
    assert export_xliff(store, LESSON, "en", path) == 5
    assert xliff_errors(path) == []
    units = xliff_units_by_elementtree(path)
    ids = [unit_id(LESSON, k, c.version) for k, c in zip(KEYS, store.cues(LESSON, "en"),
                                                        strict=True)]
    assert list(units) == ids
    assert [u["state"] for u in units.values()] == [
        "translated", "translated", "final", "initial", "initial"]
    assert [u["sub_state"] for u in units.values()] == [None, None, None, None,
                                                        "caunoi:rejected"]
    assert units[ids[3]]["target"] is None and units[ids[1]]["target"] == "en b (human)."
    assert any("origin: human" in n for n in units[ids[1]]["notes"])
    assert any("rejected: wrong shop" in n for n in units[ids[4]]["notes"])
    text = path.read_text(encoding="utf-8")
    assert "<segment xml:space" not in text and 'state="reviewed"' not in text
    # Every id names its lesson, cue and version again.
    refs = [parse_unit_id(i) for i in ids]
    assert [(r.lesson, r.key, r.version) for r in refs if r] == [
        (LESSON, k, c.version) for k, c in zip(KEYS, store.cues(LESSON, "en"), strict=True)]


def test_qa_findings_are_unit_notes(store: ReviewStore, tmp_path: Path) -> None:
    cue = store.cues(LESSON, "en")[3]
    store.save("mai", LESSON, "en", 3, "Enter the digits.", cue.version)
    path = tmp_path / "en.xlf"
    export_xliff(store, LESSON, "en", path)
    assert xliff_errors(path) == []
    notes = xliff_units_by_elementtree(path)[unit_id(LESSON, KEYS[3], cue.version + 1)]["notes"]
    assert any(n.startswith("QA error numbers:") for n in notes)


def test_round_trip_through_translate_toolkit(store: ReviewStore, tmp_path: Path) -> None:
    from translate.storage import xliff2

    path = tmp_path / "en.xlf"
    export_xliff(store, LESSON, "en", path)
    ttk = xliff2.Xliff2File.parsefile(str(path))
    units = {str(u.getid()): u for u in ttk.units}
    mine = xliff_units_by_elementtree(path)
    assert list(units) == list(mine)
    for uid, u in units.items():
        assert (u.source, u.target or None) == (mine[uid]["source"], mine[uid]["target"])
        assert (u.xmlelement.get("state") or "initial") == mine[uid]["state"]
        notes = u.getunitelement().find(f"{XLIFF_NS}notes")
        assert [n.text for n in notes] == mine[uid]["notes"]
    empty = next(uid for uid, u in mine.items() if u["target"] is None)
    units[empty].target = "Enter 6 digits."
    back = tmp_path / "ttk.xlf"
    back.write_bytes(bytes(ttk))
    report = import_xliff(store, "mai", back)
    assert report.applied == [3] and report.conflicts == []
    assert store.cues(LESSON, "en")[3].text == "Enter 6 digits."


def test_round_trip_through_elementtree(store: ReviewStore, tmp_path: Path) -> None:
    """A second reader and writer: the standard library edits a target, nothing of ours."""
    path = tmp_path / "en.xlf"
    export_xliff(store, LESSON, "en", path)
    ET.register_namespace("", XLIFF_NS.strip("{}"))
    tree = ET.parse(path)
    unit = next(u for u in tree.getroot().iter(f"{XLIFF_NS}unit"))
    target = unit.find(f"{XLIFF_NS}segment/{XLIFF_NS}target")
    assert target is not None
    target.text = "en a (edited in another tool)."
    back = tmp_path / "et.xlf"
    tree.write(back, encoding="utf-8", xml_declaration=True)
    assert xliff_errors(back) == []
    report = import_xliff(store, "mai", back)
    assert report.applied == [0]
    assert store.cues(LESSON, "en")[0].text == "en a (edited in another tool)."


def test_old_style_unit_ids_still_import(store: ReviewStore, tmp_path: Path) -> None:
    path = tmp_path / "en.xlf"
    export_xliff(store, LESSON, "en", path)
    cue = store.cues(LESSON, "en")[0]
    new, old = unit_id(LESSON, KEYS[0], cue.version), f"{LESSON}/{KEYS[0]}/v{cue.version}"
    text = path.read_text(encoding="utf-8").replace(new, old).replace(">en a.<", ">en a old.<")
    (tmp_path / "old.xlf").write_text(text, encoding="utf-8")
    assert import_xliff(store, "mai", tmp_path / "old.xlf").applied == [0]


def test_translate_step_work_package_validates(tmp_path: Path, registry: Registry) -> None:
    cues = [Cue(i, i, 1000 * i, 1000 * i + 900, (s,), KEYS[i], 1)
            for i, s in enumerate(SOURCES[:2])]
    drafts = [TranslatedCue(c.index, c.index, c.start_ms, c.end_ms, c.text,
                            "en a." if c.index == 0 else "", "mt:test", cue_id=c.id)
              for c in cues]
    json_path = tmp_path / "out" / LESSON / "translations" / "en.json"
    json_path.parent.mkdir(parents=True)
    files = _write_translation(Translation("en", tuple(drafts)), registry.get("en"), "vi",
                               json_path, LESSON)
    xlf = next(f for f in files if f.suffix == ".xlf")
    assert xliff_errors(xlf) == []
    units = xliff_units_by_elementtree(xlf)
    assert [u["state"] for u in units.values()] == ["translated", "initial"]
    assert list(units) == [unit_id(LESSON, k) for k in KEYS[:2]]
