"""Review store and web pages over HTTP (FastAPI TestClient): auth, roles, CSRF, conflicts,
approvals, history, audit, XLIFF. Target texts are markers, never invented translations."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from pipeline.core.types import Cue
from pipeline.review.exchange import export_xliff, import_xliff
from pipeline.review.store import ReviewStore
from pipeline.translate.drafts import TranslatedCue
from pipeline.translate.qa import QAIssue
from pipeline.translate.tm import TranslationMemory
from tests import test_review_dbs as dbs
from tests.conftest import ReviewApp

# Fixtures shared by the review tests: every store test runs on SQLite and PostgreSQL.
db_url, fast_passwords, pg_server = dbs.db_url, dbs.fast_passwords, dbs.pg_server

LESSON = "qr-market"
PASSWORD = "correct horse 9"
CUES = [Cue(i, i // 2, 1000 * i, 1000 * i + 900, (f"Câu tiếng Việt số {i}.",))
        for i in range(6)]


def _drafts(lang: str, target: str = "DRAFT-{lang}-{i}") -> list[TranslatedCue]:
    return [TranslatedCue(cue=c.index, sentence=c.sentence_index, start_ms=c.start_ms,
                          end_ms=c.end_ms, source=c.text,
                          target=target.format(lang=lang, i=c.index), origin="mt:test",
                          checks=(QAIssue("length", "độ dài bất thường"),) if c.index == 0
                          else ())
            for c in CUES]


@pytest.fixture
def store(db_url: str) -> Iterator[ReviewStore]:
    """A store on SQLite and on PostgreSQL with one lesson and three users."""
    s = ReviewStore(db_url)
    s.sync_lesson(LESSON, "Trả tiền bằng mã QR", CUES, {"blt": _drafts("blt"),
                                                      "en": _drafts("en")})
    s.add_user("mai", PASSWORD, {"blt": "reviewer"})
    s.add_user("lan", PASSWORD, {"blt": "translator"})
    s.add_user("admin", PASSWORD, {}, admin=True)
    yield s
    s.engine.dispose()


@pytest.fixture
def app_client(store: ReviewStore, review_app: ReviewApp) -> Iterator[TestClient]:
    with review_app.client(review_app.app(store)) as client:
        yield client


def login(client: TestClient, user: str, password: str = PASSWORD) -> int:
    page = client.get("/login")
    token = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert token is not None
    resp = client.post("/login", data={"username": user, "password": password,
                                       "csrf": token.group(1)}, follow_redirects=False)
    return resp.status_code


def csrf_of(client: TestClient, path: str = "/") -> str:
    m = re.search(r'name="csrf" value="([^"]+)"', client.get(path).text)
    assert m is not None
    return m.group(1)


def version_of(client: TestClient, idx: int, lang: str = "blt") -> int:
    page = client.get(f"/l/{LESSON}/{lang}").text
    block = page[page.index(f'id="c{idx}"'):]
    m = re.search(r'name="version" value="(\d+)"', block)
    assert m is not None
    return int(m.group(1))


def test_sign_in_required_and_cookie_flags(app_client: TestClient) -> None:
    assert app_client.get("/", follow_redirects=False).headers["location"] == "/login"
    assert login(app_client, "mai", "wrong password") == 401
    assert login(app_client, "mai") == 303
    cookie = next(h for h in app_client.cookies.jar if h.name == "caunoi_session")
    assert cookie.has_nonstandard_attr("HttpOnly")
    page = app_client.get("/")
    assert "Trả tiền bằng mã QR" in page.text and "/l/qr-market/blt" in page.text
    assert "/l/qr-market/en" not in page.text


def test_login_is_rate_limited(app_client: TestClient) -> None:
    for _ in range(5):
        assert login(app_client, "mai", "bad") == 401
    assert login(app_client, "mai") == 429


def test_login_without_csrf_is_refused(app_client: TestClient) -> None:
    resp = app_client.post("/login", data={"username": "mai", "password": PASSWORD})
    assert resp.status_code == 403


def test_wrong_language_refused(app_client: TestClient, store: ReviewStore) -> None:
    login(app_client, "mai")
    token = csrf_of(app_client)
    assert app_client.get(f"/l/{LESSON}/en").status_code == 403
    before = store.cues(LESSON, "en")
    # Not followed: a save that went through would redirect to a page that answers 403.
    resp = app_client.post(f"/l/{LESSON}/en/c/1", data={"csrf": token, "version": 1,
                                                         "action": "save", "text": "x"},
                           follow_redirects=False)
    assert resp.status_code == 403 and store.cues(LESSON, "en") == before


def test_csrf_missing_or_wrong_is_403(app_client: TestClient) -> None:
    login(app_client, "mai")
    data = {"version": 1, "action": "save", "text": "NEW"}
    assert app_client.post(f"/l/{LESSON}/blt/c/1", data=data).status_code == 403
    bad = app_client.post(f"/l/{LESSON}/blt/c/1", data={**data, "csrf": "forged"})
    assert bad.status_code == 403


def test_save_then_stale_save_conflicts(app_client: TestClient, store: ReviewStore) -> None:
    login(app_client, "mai")
    token = csrf_of(app_client)
    v = version_of(app_client, 2)
    ok = app_client.post(f"/l/{LESSON}/blt/c/2", data={"csrf": token, "version": v,
                                                        "action": "save", "text": "EDIT-A"},
                         follow_redirects=False)
    assert ok.status_code == 303
    stale = app_client.post(f"/l/{LESSON}/blt/c/2", data={"csrf": token, "version": v,
                                                           "action": "save", "text": "EDIT-B"})
    assert stale.status_code == 409
    assert "EDIT-A" in stale.text and "EDIT-B" in stale.text  # nothing typed is lost
    # The same user saved first (another tab): not "someone else".
    assert "đã được lưu ở nơi khác" in stale.text and "Người khác" not in stale.text
    cue = next(c for c in store.cues(LESSON, "blt") if c.idx == 2)
    assert cue.text == "EDIT-A" and cue.version == v + 1 and cue.origin == "human:mai"
    actions = [a.action for a in store.audit(LESSON)]
    assert "save" in actions and "conflict" in actions
    listing = app_client.get(f"/l/{LESSON}/blt").text
    assert "Người sửa: mai" in listing and "người dịch mai" not in listing


def test_translator_cannot_approve(app_client: TestClient) -> None:
    login(app_client, "lan")
    token = csrf_of(app_client)
    resp = app_client.post(f"/l/{LESSON}/blt/c/0", data={"csrf": token, "version": 1,
                                                          "action": "approve",
                                                          "text": "DRAFT-blt-0"})
    assert resp.status_code == 403


def test_approve_all_after_every_cue(app_client: TestClient, store: ReviewStore,
                                     tmp_path: Path) -> None:
    login(app_client, "mai")
    token = csrf_of(app_client)
    early = app_client.post(f"/l/{LESSON}/blt/approve-all", data={"csrf": token})
    assert early.status_code == 200 and not store.is_approved(LESSON, "blt")
    for cue in store.cues(LESSON, "blt"):
        r = app_client.post(f"/l/{LESSON}/blt/c/{cue.idx}",
                            data={"csrf": token, "version": cue.version, "action": "approve",
                                  "text": cue.text}, follow_redirects=False)
        assert r.status_code == 303
    done = app_client.post(f"/l/{LESSON}/blt/approve-all", data={"csrf": token},
                           follow_redirects=False)
    assert done.status_code == 303 and store.is_approved(LESSON, "blt")
    tm = TranslationMemory(tmp_path / "tm", "blt")
    match = tm.lookup("Câu tiếng Việt số 0. Câu tiếng Việt số 1.")
    assert match is not None and match.exact
    # Editing an approved cue re-opens the language.
    cue = store.cues(LESSON, "blt")[0]
    store.save("mai", LESSON, "blt", 0, "CHANGED", cue.version)
    assert not store.is_approved(LESSON, "blt")


def test_history_comments_and_escaping(app_client: TestClient) -> None:
    login(app_client, "mai")
    token = csrf_of(app_client)
    app_client.post(f"/l/{LESSON}/blt/c/3", data={"csrf": token, "version": 1, "action": "save",
                                                   "text": "<script>alert(1)</script>"})
    app_client.post(f"/l/{LESSON}/blt/c/3/comment", data={"csrf": token, "text": "<b>hi</b>"})
    page = app_client.get(f"/l/{LESSON}/blt/c/3/history").text
    assert "&lt;script&gt;" in page and "<script>" not in page
    assert "&lt;b&gt;hi&lt;/b&gt;" in page
    assert "DRAFT-blt-3" in page  # version 1 kept


def test_input_length_limits(app_client: TestClient) -> None:
    login(app_client, "mai")
    token = csrf_of(app_client)
    resp = app_client.post(f"/l/{LESSON}/blt/c/1", data={"csrf": token, "version": 1,
                                                          "action": "save", "text": "x" * 1001})
    assert resp.status_code == 422


def test_page_weight_and_no_javascript(app_client: TestClient) -> None:
    login(app_client, "mai")
    page = app_client.get(f"/l/{LESSON}/blt?ui=en")
    assert len(page.content) < 100_000
    # Everything works without JavaScript; the one optional script is a file (the CSP
    # allows no inline script).
    assert re.findall(r"<script[^>]*>", page.text) == [
        '<script src="/static/review.js?v=2" defer>']
    # QA findings in the UI language only (issue 15): no Vietnamese in the English page.
    assert "Approve" in page.text and "unusually long or short" in page.text
    assert "bất thường" not in page.text


def test_glossary_proposal_to_admin(app_client: TestClient, store: ReviewStore,
                                    tmp_path: Path) -> None:
    login(app_client, "mai")
    token = csrf_of(app_client)
    app_client.post(f"/l/{LESSON}/blt/propose", data={"csrf": token, "vi": "mã QR",
                                                       "target": "TERM-MARKER", "note": "n"})
    app_client.cookies.clear()
    login(app_client, "admin")
    page = app_client.get("/admin/glossary")
    assert "TERM-MARKER" in page.text
    pid = store.proposals()[0].id
    (tmp_path / "gl").mkdir()
    app_client.post(f"/admin/glossary/{pid}", data={"csrf": csrf_of(app_client),
                                                     "decision": "accept"})
    csv_text = (tmp_path / "gl" / "blt.csv").read_text(encoding="utf-8")
    assert "mã QR,TERM-MARKER" in csv_text and "reviewer mai" in csv_text


def test_sync_keeps_human_work(store: ReviewStore) -> None:
    cue = store.cues(LESSON, "blt")[4]
    store.save("mai", LESSON, "blt", 4, "HUMAN", cue.version)
    store.sync_lesson(LESSON, "Trả tiền bằng mã QR", CUES,
                      {"blt": _drafts("blt", "NEW-MT")})
    texts = {c.idx: c.text for c in store.cues(LESSON, "blt")}
    assert texts[4] == "HUMAN" and texts[5] == "NEW-MT"


def test_xliff_round_trip_and_conflict(store: ReviewStore, tmp_path: Path) -> None:
    path = tmp_path / "blt.xlf"
    assert export_xliff(store, LESSON, "blt", path) == 6
    text = path.read_text(encoding="utf-8").replace("DRAFT-blt-1", "XLIFF-1")
    text = text.replace("DRAFT-blt-2", "XLIFF-2")
    path.write_text(text, encoding="utf-8")
    cue2 = next(c for c in store.cues(LESSON, "blt") if c.idx == 2)
    store.save("mai", LESSON, "blt", 2, "WEB-EDIT", cue2.version)  # someone edits meanwhile
    report = import_xliff(store, "lan", path)
    assert report.applied == [1]
    assert [c[0] for c in report.conflicts] == [2]
    texts = {c.idx: c.text for c in store.cues(LESSON, "blt")}
    assert texts[1] == "XLIFF-1" and texts[2] == "WEB-EDIT"
    assert any(a.action == "import_xliff" for a in store.audit(LESSON))
    with pytest.raises(Exception, match="en"):
        import_xliff(store, "lan", export_and_return(store, tmp_path))


def export_and_return(store: ReviewStore, tmp_path: Path) -> Path:
    path = tmp_path / "en.xlf"
    export_xliff(store, LESSON, "en", path)
    return path
