"""Red team on issue 31's review side: the reserved interface lesson id reaching the
pipeline through a lesson folder, two review steps creating the shared interface lesson at
once, a review database file that is not a database, and two reviewers approving one unit
at the same moment. Every refusal is one plain sentence with exit code 2."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event

from flows.cli import main as cli
from pipeline.core.ids import INTERFACE_LESSON_ID, ReservedLessonError
from pipeline.core.languages import Registry
from pipeline.ingest import IngestOptions, load_lesson
from pipeline.publish.interface import interface_source
from pipeline.review.db import ReviewDbUnreadableError
from pipeline.review.interface import approved_interface, sync_interface
from pipeline.review.store import ReviewStore
from tests import test_review_dbs as dbs
from tests.test_review_units import CUES, LESSON, PASSWORD, TITLE, _gate, marker

db_url, fast_passwords, pg_server = dbs.db_url, dbs.fast_passwords, dbs.pg_server


def _lesson(root: Path, name: str) -> Path:
    folder = root / name
    folder.mkdir(parents=True)
    (folder / "lesson.toml").write_text('title = "Trả tiền"\nlanguages = ["hmn"]\n',
                                        encoding="utf-8")
    (folder / "script.md").write_text("# Mở đầu\nBấm nút xanh.\n", encoding="utf-8")
    (folder / "recording.mp4").write_bytes(b"\0" * 64)
    return folder


def test_reserved_id_is_refused_at_ingest_before_any_work(
        tmp_path: Path, registry: Registry, capsys: pytest.CaptureFixture[str]) -> None:
    """On main a lesson folder named like the interface lesson passed ``caunoi check`` and
    ran transcription and alignment before the review step refused it."""
    folder = _lesson(tmp_path / "lessons", INTERFACE_LESSON_ID)
    with pytest.raises(ReservedLessonError):
        load_lesson(folder, registry, IngestOptions())
    out = tmp_path / "out"
    assert cli(["--en", "check", str(folder), "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "reserved" in err and INTERFACE_LESSON_ID in err
    assert not (out / INTERFACE_LESSON_ID).exists()
    # the same id given in lesson.toml (``id = ...``) is refused too
    other = _lesson(tmp_path / "lessons", "ban-che")
    toml = other / "lesson.toml"
    toml.write_text(f'id = "{INTERFACE_LESSON_ID}"\n' + toml.read_text(encoding="utf-8"),
                    encoding="utf-8")
    with pytest.raises(ReservedLessonError):
        load_lesson(other, registry, IngestOptions())


def test_two_steps_creating_the_interface_lesson_at_once(
        db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every lesson's review step keeps the interface lesson; two running at once on a fresh
    store both found it missing and one failed with a UNIQUE error (7 of 12 steps, three
    processes at a time, on main). The other step's row is made to appear just before this
    step's insert, deterministically."""
    store, other = ReviewStore(db_url), ReviewStore(db_url)
    raced: list[str] = []

    def before(_conn: Any, _cursor: Any, statement: str, *_a: Any) -> None:
        if statement.lstrip().upper().startswith("INSERT INTO LESSONS") and not raced:
            raced.append(statement)
            sync_interface(other, interface_source(), ["blt"], INTERFACE_LESSON_ID)

    event.listen(store.engine, "before_cursor_execute", before)
    sync_interface(store, interface_source(), ["hmn"], INTERFACE_LESSON_ID)
    event.remove(store.engine, "before_cursor_execute", before)
    assert raced
    keys = {u.key for u in store.items(INTERFACE_LESSON_ID, "hmn")}
    assert keys == {f"ui.{k}" for k in interface_source()}
    assert {u.key for u in store.items(INTERFACE_LESSON_ID, "blt")} == keys
    other.engine.dispose()
    store.engine.dispose()


@pytest.mark.parametrize("content", [b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 20,
                                     b"SQLite format 3\x00" + b"\xff" * 4000])
def test_review_file_that_is_not_a_database(tmp_path: Path, content: bytes,
                                            capsys: pytest.CaptureFixture[str],
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """On main: "Internal error ... send that file to the developers", exit 1."""
    path = tmp_path / "review.sqlite3"
    path.write_bytes(content)
    with pytest.raises(ReviewDbUnreadableError) as e:
        ReviewStore(f"sqlite:///{path}")
    assert e.value.exit_code == 2 and str(path) in e.value.message("en")
    monkeypatch.setenv("CAUNOI_DATABASE_URL", f"sqlite:///{path}")
    assert cli(["--en", "users", "list"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "not a review database" in err
    assert path.read_bytes() == content  # left exactly as it was
    assert sorted(p.name for p in tmp_path.iterdir()) == ["review.sqlite3"]


@pytest.fixture
def store(db_url: str) -> Iterator[ReviewStore]:
    s = ReviewStore(db_url)
    s.add_user("mai", PASSWORD, {"hmn": "reviewer"})
    s.add_user("pao", PASSWORD, {"hmn": "reviewer"})
    yield s
    s.engine.dispose()


def test_two_reviewers_approve_one_title_at_once(store: ReviewStore, registry: Registry,
                                                 tmp_path: Path) -> None:
    """Same version, same moment, different texts: exactly one approval lands, the other is
    told someone saved first; the approved text is the winner's, whole."""
    _gate(store, registry, tmp_path)
    title = next(u for u in store.units(LESSON, "hmn") if u.kind == "title")
    barrier, results = threading.Barrier(2), {}

    def approve(user: str) -> None:
        text = f"{user} {marker(TITLE)} QR"  # QR: a do-not-translate name
        barrier.wait()
        results[user] = store.save(user, LESSON, "hmn", title.key, text, title.version,
                                   "approve")

    threads = [threading.Thread(target=approve, args=(u,)) for u in ("mai", "pao")]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert sorted(r.ok for r in results.values()) == [False, True]
    loser = next(r for r in results.values() if not r.ok)
    assert loser.reason == "conflict"
    winner = next(u for u, r in results.items() if r.ok)
    now = next(u for u in store.units(LESSON, "hmn") if u.key == title.key)
    assert now.state == "approved" and now.text.startswith(winner + " ")
    assert len(CUES) == 3


def test_hostile_approved_words_and_title_reach_the_bundle_page_as_text(
        store: ReviewStore, registry: Registry) -> None:
    """Stored XSS: an approved interface word and a translated title carrying markup are
    shown as text on the offline bundle's page (escaped), never run."""
    from pipeline.publish.page import PageItem, render_page

    sync_interface(store, interface_source(), ["hmn"], INTERFACE_LESSON_ID)
    unit = next(u for u in store.items(INTERFACE_LESSON_ID, "hmn") if u.key == "ui.watch")
    hostile = '<img src=x onerror="alert(document.cookie)">'
    assert store.save("mai", INTERFACE_LESSON_ID, "hmn", unit.key, hostile, unit.version,
                      "approve").ok
    words = approved_interface(store, "hmn")
    assert words == {"watch": hostile}
    item = PageItem("hmn", "</h3><script>alert(document.domain)</script>", True,
                    "v/hmn.mp4", "p/hmn.jpg", 12.0, 1000)
    page = render_page([item], ["hmn"], registry, "vi", {"hmn": words})
    assert "<img src=x" not in page and "<script>" not in page
    assert "&lt;img src=x onerror=&quot;alert(document.cookie)&quot;&gt;" in page
