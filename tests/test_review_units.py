"""Issue 31 items 9 and 14 (review side): the lesson title, its chapter headings and the
offline bundle's interface words are units translated and approved like cues, on SQLite and
PostgreSQL. Target texts are markers derived from the source, never invented text."""

from __future__ import annotations

import gzip
import hashlib
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from pipeline.core.languages import Registry
from pipeline.core.types import Cue
from pipeline.review.gate import GateResult, review_gate
from pipeline.review.interface import approved_interface, sync_interface
from pipeline.review.store import ReviewStore
from pipeline.review.sync import ReservedLessonError
from pipeline.review.units import chapter_key
from pipeline.translate.drafts import TranslatedCue, Translation
from pipeline.translate.qa import run_checks
from tests import test_review_dbs as dbs
from tests.test_review_dbs import upgrade_to

db_url, fast_passwords, pg_server = dbs.db_url, dbs.fast_passwords, dbs.pg_server

PASSWORD = "correct horse 9"
LESSON = "qr-pay"
TITLE = "Trả tiền bằng mã QR"
CHAPTERS = ("Mở ứng dụng", "Quét mã", "Mở ứng dụng")  # one heading twice: one unit
CUES = [Cue(i, i, 4000 * i, 4000 * i + 3500, (f"Câu tiếng Việt số {i}.",), f"{i:016x}-1.1")
        for i in range(3)]
UI_ID = "giao-dien-goi-bai"


def marker(source: str) -> str:
    """A letters-only stand-in for a translation, unique to its source text."""
    digest = hashlib.sha256(source.encode("utf-8")).hexdigest()
    return "hmn " + "".join(chr(97 + int(h, 16)) for h in digest[:10])


@pytest.fixture
def store(db_url: str) -> Iterator[ReviewStore]:
    s = ReviewStore(db_url)
    s.add_user("mai", PASSWORD, {"hmn": "reviewer"})
    yield s
    s.engine.dispose()


def _gate(store: ReviewStore, registry: Registry, out: Path, title: str = TITLE,
          chapters: tuple[str, ...] = CHAPTERS,
          titles: dict[str, str] | None = None) -> GateResult:
    drafts = Translation("hmn", tuple(
        TranslatedCue(c.index, c.sentence_index, c.start_ms, c.end_ms, c.text,
                      marker(c.text) + f" {c.index}.", "mt:test", cue_id=c.id) for c in CUES))
    return review_gate(store, LESSON, title, CUES, {"hmn": drafts}, [registry.get("hmn")],
                       out / "subtitles", (), chapters=chapters, titles=titles)


def _approve(store: ReviewStore, units: bool = True) -> bool:
    for c in store.cues(LESSON, "hmn"):
        assert store.save("mai", LESSON, "hmn", c.key, c.text, c.version, "approve").ok
    if units:
        for u in store.units(LESSON, "hmn"):
            text = u.text or marker(u.source) + (" QR" if "QR" in u.source else "")
            assert store.save("mai", LESSON, "hmn", u.key, text, u.version, "approve").ok
    return store.approve_language("mai", LESSON, "hmn")


def test_title_and_chapters_become_units(store: ReviewStore, registry: Registry,
                                         tmp_path: Path) -> None:
    _gate(store, registry, tmp_path)
    units = store.units(LESSON, "hmn")
    assert [(u.kind, u.key, u.source, u.text) for u in units] == [
        ("title", "title", TITLE, ""),
        ("chapter", chapter_key("Mở ứng dụng"), "Mở ứng dụng", ""),
        ("chapter", chapter_key("Quét mã"), "Quét mã", "")]
    # Narration is what it was: cues() and the voice sentences know no units.
    assert [c.key for c in store.cues(LESSON, "hmn")] == [c.id for c in CUES]
    assert store.recordings.progress(LESSON, "hmn") == (0, 3)
    assert [v.kind for v in store.items(LESSON, "hmn")] == ["title"] + ["chapter"] * 2 + [
        "cue"] * 3


def test_approval_waits_for_the_title_then_gives_titles_and_chapters(
        store: ReviewStore, registry: Registry, tmp_path: Path) -> None:
    _gate(store, registry, tmp_path)
    assert not _approve(store, units=False)  # every cue approved, the title empty
    assert _approve(store)
    gate = _gate(store, registry, tmp_path)
    assert gate.approved == {"hmn": "mai"}
    assert gate.titles == {"hmn": marker(TITLE) + " QR"}
    assert gate.chapters == {"hmn": {"Mở ứng dụng": marker("Mở ứng dụng"),
                                     "Quét mã": marker("Quét mã")}}


def test_empty_title_cannot_be_approved(store: ReviewStore, registry: Registry,
                                        tmp_path: Path) -> None:
    _gate(store, registry, tmp_path)
    title = store.units(LESSON, "hmn")[0]
    result = store.save("mai", LESSON, "hmn", "title", "", title.version, "approve")
    assert (result.ok, result.reason) == (False, "empty")


def test_sync_is_idempotent_keeps_human_work_and_reopens_a_changed_title(
        store: ReviewStore, registry: Registry, tmp_path: Path) -> None:
    _gate(store, registry, tmp_path)
    assert _approve(store)
    before = store.units(LESSON, "hmn")
    _gate(store, registry, tmp_path)  # the same lesson again: nothing moves
    assert store.units(LESSON, "hmn") == before
    assert store.is_approved(LESSON, "hmn")

    gate = _gate(store, registry, tmp_path, title="Trả tiền bằng mã QR ở chợ",
                 chapters=("Mở ứng dụng", "Quét mã QR"))
    assert gate.awaiting == ["hmn"] and gate.titles == {} and gate.chapters == {}
    units = {u.key: u for u in store.units(LESSON, "hmn")}
    title = units["title"]
    assert title.state == "needs_review" and title.suggestion == marker(TITLE) + " QR"
    kept = units[chapter_key("Mở ứng dụng")]
    assert (kept.text, kept.state) == (marker("Mở ứng dụng"), "approved")
    new = units[chapter_key("Quét mã QR")]
    assert new.state == "needs_review" and new.suggestion == marker("Quét mã")
    assert chapter_key("Quét mã") not in units  # retired, with its history


def test_team_title_seeds_a_draft_not_an_approval(store: ReviewStore, registry: Registry,
                                                  tmp_path: Path) -> None:
    _gate(store, registry, tmp_path, titles={"hmn": "Them nyiaj QR"})
    title = store.units(LESSON, "hmn", ("title",))[0]
    assert (title.text, title.origin, title.state) == ("Them nyiaj QR", "team", "draft")
    _gate(store, registry, tmp_path, titles={"hmn": "Them nyiaj QR"})
    assert store.units(LESSON, "hmn", ("title",))[0].version == title.version


def test_interface_units_sync_and_approved_words(store: ReviewStore) -> None:
    texts = {"watch": "Xem", "listen": "Chỉ nghe (MP3, {mb} MB)"}
    sync_interface(store, texts, ["hmn"], UI_ID)
    sync_interface(store, texts, ["hmn"], UI_ID)  # idempotent
    units = store.items(UI_ID, "hmn")
    assert [(u.kind, u.key, u.source) for u in units] == [
        ("ui", "ui.watch", "Xem"), ("ui", "ui.listen", "Chỉ nghe (MP3, {mb} MB)")]
    assert approved_interface(store, "hmn") == {}
    assert approved_interface(store, "blt") == {}

    watch = units[0]
    assert store.save("mai", UI_ID, "hmn", "ui.watch", "Saib", watch.version, "approve").ok
    listen = units[1]
    refused = store.save("mai", UI_ID, "hmn", "ui.listen", "Mloog xwb (MP3, MB)",
                         listen.version, "approve")
    assert (refused.ok, refused.reason) == (False, "qa")
    assert [c["code"] for c in refused.checks] == ["fields"]
    assert approved_interface(store, "hmn") == {"watch": "Saib"}
    assert approved_interface(store, "hmn", UI_ID) == {"watch": "Saib"}

    sync_interface(store, {**texts, "watch": "Xem video"}, ["hmn"], UI_ID)
    assert approved_interface(store, "hmn") == {}  # a changed source goes back to review
    changed = store.items(UI_ID, "hmn")[0]
    assert (changed.state, changed.suggestion) == ("needs_review", "Saib")


def test_reserved_id_is_refused_both_ways(store: ReviewStore) -> None:
    sync_interface(store, {"watch": "Xem"}, ["hmn"], UI_ID)
    with pytest.raises(ReservedLessonError) as e:
        store.sync_lesson(UI_ID, TITLE, CUES, {})
    assert UI_ID in str(e.value)
    store.sync_lesson(LESSON, TITLE, CUES, {})
    with pytest.raises(ReservedLessonError):
        sync_interface(store, {"watch": "Xem"}, ["hmn"], LESSON)


def test_field_check_keeps_placeholders(registry: Registry) -> None:
    hmn = registry.get("hmn")
    found = run_checks("Chỉ nghe (MP3, {mb} MB)", "Mloog xwb (MP3, MB)", hmn, glossary={},
                       dnt=())
    assert [(i.code, i.detail, i.severity) for i in found if i.code == "fields"] == [
        ("fields", "{mb}", "error")]
    assert "ngoặc nhọn" in found[0].message("vi") or any(
        "ngoặc nhọn" in i.message("vi") for i in found)
    kept = run_checks("Chỉ nghe (MP3, {mb} MB)", "Mloog xwb (MP3, {mb} MB)", hmn,
                      glossary={}, dnt=())
    assert not [i for i in kept if i.code == "fields"]


def test_old_database_upgrades_with_cues_as_narration(tmp_path: Path) -> None:
    """A database from before units (the recorded 9c03f80 one) upgrades: every row is a
    narration cue, and units can be added beside them."""
    old = Path(__file__).parent / "data" / "review-db-9c03f80.sqlite3.gz"
    db = tmp_path / "old.sqlite3"
    with gzip.open(old, "rb") as src, db.open("wb") as dst:
        shutil.copyfileobj(src, dst)
    engine = sa.create_engine(f"sqlite:///{db}")
    with engine.connect() as conn:
        lessons = [r[0] for r in conn.execute(sa.text("SELECT DISTINCT lesson_id FROM cues"))]
        n = conn.execute(sa.text("SELECT count(*) FROM cues")).scalar()
    engine.dispose()
    store = ReviewStore(f"sqlite:///{db}")
    with store.engine.connect() as conn:
        kinds = conn.execute(sa.text("SELECT kind, count(*) FROM cues GROUP BY kind")).all()
    assert kinds == [("cue", n)]
    lang = store.languages_of(lessons[0])[0]
    assert store.units(lessons[0], lang) == []
    store.engine.dispose()


def test_units_alone_never_approve_a_language_without_narration_drafts(
        store: ReviewStore, registry: Registry, tmp_path: Path) -> None:
    """A target with no cue drafts gets its title and chapter units; approving those
    must not approve a language whose narration nobody translated."""
    store.add_user("ly", PASSWORD, {"blt": "reviewer"})
    review_gate(store, LESSON, TITLE, CUES, {}, [registry.get("blt")], tmp_path / "subs", (),
                chapters=CHAPTERS)
    for u in store.units(LESSON, "blt"):
        text = marker(u.source) + (" QR" if "QR" in u.source else "")
        assert store.save("ly", LESSON, "blt", u.key, text, u.version, "approve").ok
    assert not store.approve_language("ly", LESSON, "blt")


def test_migration_0006_makes_every_existing_row_narration(db_url: str) -> None:
    """A database at 0005 (SQLite and PostgreSQL): its cue is narration after 0006, and
    the lesson then takes its title unit beside it."""
    engine = sa.create_engine(db_url)
    with engine.begin() as conn:
        upgrade_to(conn, "0005")
        conn.execute(sa.text("INSERT INTO lessons (id, title, video, updated_at) "
                             "VALUES ('old', 'Mã QR', '', CURRENT_TIMESTAMP)"))
        conn.execute(sa.text(
            "INSERT INTO cues (lesson_id, idx, sentence, start_ms, end_ms, source, key, "
            "sentence_key) VALUES ('old', 0, 0, 0, 900, 'Quét mã.', "
            "'00000000000000aa-1.1', '00000000000000aa-1')"))
        conn.execute(sa.text(
            "INSERT INTO translations (cue_id, lang, text, origin, state, checks, version, "
            "updated_by, updated_at) SELECT id, 'hmn', 'Nyem', 'human', 'approved', '[]', 2, "
            "'mai', CURRENT_TIMESTAMP FROM cues WHERE lesson_id = 'old'"))
    engine.dispose()
    store = ReviewStore(db_url)  # upgrades to head
    try:
        assert [(c.kind, c.text) for c in store.cues("old", "hmn")] == [("cue", "Nyem")]
        assert store.units("old", "hmn") == []
        from pipeline.review.units import UnitSync, lesson_units

        UnitSync(store.cue_sync).sync_units("old", lesson_units("Mã QR", ()), ["hmn"],
                                            ("title", "chapter"))
        assert [(u.kind, u.source) for u in store.units("old", "hmn")] == [("title", "Mã QR")]
        assert [c.text for c in store.cues("old", "hmn")] == ["Nyem"]
    finally:
        store.engine.dispose()


def test_bulk_approval_covers_clean_units(store: ReviewStore, registry: Registry,
                                          tmp_path: Path) -> None:
    _gate(store, registry, tmp_path)
    for u in store.units(LESSON, "hmn"):
        text = marker(u.source) + (" QR" if "QR" in u.source else "")
        assert store.save("mai", LESSON, "hmn", u.key, text, u.version).ok
    typed = {u.idx for u in store.units(LESSON, "hmn") if not u.checks}
    assert typed  # texts no check flags
    assert typed <= set(store.approve_clean("mai", LESSON, "hmn"))


def test_review_step_refuses_the_reserved_lesson_id() -> None:
    from types import SimpleNamespace
    from typing import Any, cast

    from pipeline.publish.interface import INTERFACE_LESSON_ID
    from pipeline.steps.plan import Job
    from pipeline.steps.review import review_step

    run = SimpleNamespace(ingested=SimpleNamespace(lesson=SimpleNamespace(
        id=INTERFACE_LESSON_ID)))
    with pytest.raises(ReservedLessonError) as e:
        review_step(cast(Any, run), Job())
    assert INTERFACE_LESSON_ID in e.value.message("vi") and e.value.exit_code == 2
