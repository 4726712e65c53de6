"""Issue 31's loose ends in the portal (deleting a lesson reaches the review store) and
issue 29's draft script offered in the portal."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from fastapi.testclient import TestClient

from pipeline.core.config import Settings
from pipeline.core.types import Cue
from pipeline.review.store import ReviewStore
from pipeline.translate.drafts import TranslatedCue
from tests import test_portal_web as web
from tests import test_review_dbs as dbs
from tests.test_portal_web import _rec, hand_in, upload_all
from tests.test_review_workbench import login

client, launcher, portal_settings, store = web.client, web.launcher, web.portal_settings, \
    web.store
db_url, pg_server = dbs.db_url, dbs.pg_server

#: Tables that hang on a review lesson (each must be empty of it once it is removed).
_LESSON_TABLES = ("cues", "approvals", "voice_recordings")


def _sync(store: ReviewStore, lesson_id: str) -> None:
    """Two cues with Hmong drafts, approved and commented by a reviewer, the language
    approved."""
    cues = [Cue(i, i, 1000 * i, 1000 * i + 800, (f"Câu số {i}.",), f"{'a' * 15}{i}-1.1", 1)
            for i in range(2)]
    store.sync_lesson(lesson_id, "Trả tiền", cues, {"hmn": [TranslatedCue(
        c.index, c.index, c.start_ms, c.end_ms, c.text, f"Kab lus {c.index}", "mt:test",
        cue_id=c.id) for c in cues]})
    for i in range(2):
        store.save("mai", lesson_id, "hmn", i, f"Kab lus {i}", 1, action="approve")
        store.comment("mai", lesson_id, "hmn", i, "zoo")
    assert store.approve_language("mai", lesson_id, "hmn")


def _rows(store: ReviewStore, lesson_id: str) -> dict[str, int]:
    with store.engine.connect() as conn:
        found = {t: conn.execute(sa.text(f"SELECT count(*) FROM {t} WHERE lesson_id = :l"),
                                 {"l": lesson_id}).scalar_one() for t in _LESSON_TABLES}
        for t in ("translations", "translation_versions", "comments"):
            found[t] = conn.execute(sa.text(f"SELECT count(*) FROM {t}")).scalar_one()
    return found


def test_removing_a_review_lesson_takes_its_cues_and_keeps_the_audit(db_url: str) -> None:
    store = ReviewStore(db_url)
    try:
        store.add_user("mai", "correct horse 9", {"hmn": "reviewer"})
        _sync(store, "bai-a")
        _sync(store, "bai-b")
        before = _rows(store, "bai-a")
        assert before["cues"] == 2 and before["approvals"] == 1 and before["comments"] == 4
        assert store.remove_lesson("bai-a", "lan") == 2
        assert [x.id for x in store.lessons()] == ["bai-b"] and store.lesson("bai-a") is None
        after = _rows(store, "bai-a")
        # Nothing of bai-a is left; bai-b keeps all of its rows (half of each count).
        assert {t: after[t] for t in _LESSON_TABLES} == dict.fromkeys(_LESSON_TABLES, 0)
        assert all(after[t] * 2 == before[t] for t in ("translations", "translation_versions",
                                                        "comments"))
        actions = [(e.username, e.action) for e in store.audit("bai-a")]
        assert ("mai", "lesson_removed") not in actions and len(actions) > 1  # earlier kept
        assert actions[-1] == ("lan", "lesson_removed")
        assert store.audit("bai-a")[-1].detail == {"cues": 2}
        assert store.remove_lesson("bai-a", "lan") == 0  # already gone: nothing more said
        assert [e.action for e in store.audit("bai-a")].count("lesson_removed") == 1
    finally:
        store.engine.dispose()


def test_deleting_in_the_portal_removes_the_lesson_from_the_review_pages(
        client: TestClient, short_lesson: Path, portal_settings: Settings,
        store: ReviewStore) -> None:
    csrf = login(client, "lan")
    upload_id = upload_all(client, csrf, _rec(short_lesson).read_bytes(), name="r.mp4")
    lesson_id = hand_in(client, csrf, short_lesson, upload_id=upload_id)
    _sync(store, lesson_id)  # as a run's review step leaves it
    login(client, "mai")
    assert f"/l/{lesson_id}/hmn" in client.get("/").text
    csrf = login(client, "lan")
    r = client.post(f"/portal/l/{lesson_id}/delete", data={"csrf": csrf, "confirm": "yes"},
                    follow_redirects=False)
    assert r.status_code == 303
    assert store.lesson(lesson_id) is None and _rows(store, lesson_id)["cues"] == 0
    assert [e.username for e in store.audit(lesson_id)
            if e.action == "lesson_removed"] == ["lan"]
    login(client, "mai")
    assert f"/l/{lesson_id}/hmn" not in client.get("/").text
    assert client.get(f"/l/{lesson_id}/hmn").status_code == 404
