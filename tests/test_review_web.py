"""The review pages' hardening (issue 14 items 3, 5, 6, 7 over HTTP): refusal messages,
sessions that end at once, accounts, media access, ids, headers, input cleaning."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from flows.cli import main
from pipeline.core.types import Cue
from pipeline.review import accounts
from pipeline.review.checks import BadUsernameError, normalise_username
from pipeline.review.store import ReviewStore
from pipeline.review.web import SECURITY_HEADERS
from pipeline.translate.drafts import TranslatedCue
from tests import test_review_dbs as dbs
from tests.conftest import ReviewApp

db_url, fast_passwords, pg_server = dbs.db_url, dbs.fast_passwords, dbs.pg_server

LESSON = "qr-market"
PASSWORD = "correct horse 9"
SOURCES = ["Trả 45.000 đồng.", "Bấm nút xác nhận.", "Mở ứng dụng."]


@pytest.fixture
def store(tmp_path: Path) -> Iterator[ReviewStore]:
    s = ReviewStore(f"sqlite:///{tmp_path / 'review.sqlite3'}")
    cues = [Cue(i, i, 1000 * i, 1000 * i + 900, (text,), f"{'c' * 16}-{i + 1}.1", 1)
            for i, text in enumerate(SOURCES)]
    s.sync_lesson(LESSON, "T", cues, {lang: [TranslatedCue(
        c.index, c.index, c.start_ms, c.end_ms, c.text, "", "human", cue_id=c.id)
        for c in cues] for lang in ("hmn", "en")})
    s.add_user("mai", PASSWORD, {"hmn": "reviewer"})
    s.add_user("admin", PASSWORD, {}, admin=True)
    yield s
    s.engine.dispose()


@pytest.fixture
def out(tmp_path: Path) -> Path:
    video = tmp_path / "out" / LESSON / "video"
    video.mkdir(parents=True)
    for name in ("vi-compat.mp4", "hmn-compat.mp4", "en-compat.mp4"):
        (video / name).write_bytes(b"\x00\x00\x00\x18ftypmp42")
    (tmp_path / "out" / "video").mkdir()
    (tmp_path / "out" / "video" / "x-compat.mp4").write_bytes(b"outside the lesson")
    return tmp_path / "out"


@pytest.fixture
def client(store: ReviewStore, review_app: ReviewApp, out: Path,
           tmp_path: Path) -> Iterator[TestClient]:
    app = review_app.app(store, out_dir=out)
    (tmp_path / "gl").mkdir()
    with review_app.client(app) as c:
        yield c


def login(client: TestClient, user: str, password: str = PASSWORD) -> int:
    page = client.get("/login")
    token = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert token is not None
    return client.post("/login", data={"username": user, "password": password,
                                       "csrf": token.group(1)},
                       follow_redirects=False).status_code


def csrf_of(client: TestClient) -> str:
    m = re.search(r'name="csrf" value="([^"]+)"', client.get("/").text)
    assert m is not None
    return m.group(1)


def _save(client: TestClient, idx: int, text: str, version: int, action: str = "save",
          **extra: str) -> tuple[int, str]:
    r = client.post(f"/l/{LESSON}/hmn/c/{idx}", data={
        "csrf": csrf_of(client), "version": version, "action": action, "text": text, **extra},
        follow_redirects=False)
    return r.status_code, r.text


def test_approving_an_empty_cue_says_so(client: TestClient) -> None:
    """Item 3: not a 409 'someone else edited'."""
    login(client, "mai")
    status, text = _save(client, 1, "", 1, "approve")
    assert status == 422
    assert "Không thể duyệt câu trống" in text and "Người khác" not in text


def test_qa_errors_block_approval_until_a_reason(client: TestClient,
                                                 store: ReviewStore) -> None:
    login(client, "mai")
    assert _save(client, 0, "Them 54,000 nyiaj.", 1)[0] == 303
    page = client.get(f"/l/{LESSON}/hmn?ui=en").text
    assert "A number, date or amount differs" in page and "Số, ngày" not in page
    status, text = _save(client, 0, "Them 54,000 nyiaj tag.", 2, "approve")
    assert status == 422 and "the checks below found errors" in text
    assert "Them 54,000 nyiaj tag.</textarea>" in text  # what was typed is kept
    status, _ = _save(client, 0, "Them 54,000 nyiaj.", 2, "approve", reason="price changed")
    assert status == 303 and store.cues(LESSON, "hmn")[0].state == "approved"


def test_sessions_end_at_logout_password_change_disable_and_revoke(
        client: TestClient, store: ReviewStore) -> None:
    """Item 5: a saved cookie stops working at once."""
    for end in ("logout", "passwd", "disable", "revoke", "remove"):
        client.cookies.clear()
        assert login(client, "mai") == 303, end
        cookie = client.cookies.get("caunoi_session")
        assert client.get("/", follow_redirects=False).status_code == 200
        if end == "logout":
            client.post("/logout", data={"csrf": csrf_of(client)})
        elif end == "passwd":
            store.set_password("mai", PASSWORD)
        elif end == "disable":
            store.set_disabled("mai")
            assert login(client, "mai") == 401
            store.set_disabled("mai", False)
        elif end == "revoke":
            store.revoke("mai", ["hmn"])
            store.grant("mai", {"hmn": "reviewer"})
        else:
            store.remove_user("mai")
        client.cookies.clear()
        client.cookies.set("caunoi_session", str(cookie))
        r = client.get("/", follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == "/login", end


def test_usernames_are_normalised_and_validated(store: ReviewStore) -> None:
    assert normalise_username("Ｍai") == "mai"  # full-width M, capital
    for bad in ("", " ", "<b>x</b>", "ma\u200bi", "m", "a b"):
        with pytest.raises(BadUsernameError):
            normalise_username(bad)
    with pytest.raises(Exception, match=r"đã có|already exists"):
        store.add_user("MAI", PASSWORD, {})
    assert store.authenticate("MAI", PASSWORD) is not None


def test_sign_in_checks_a_password_even_for_unknown_names(
        store: ReviewStore, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    real = accounts.verify_password
    monkeypatch.setattr(accounts, "verify_password",
                        lambda h, p: calls.append(h) or real(h, p))
    assert store.authenticate("nobody", PASSWORD) is None
    assert store.authenticate("<bad name>", PASSWORD) is None
    assert store.authenticate("mai", "wrong password") is None
    assert len(calls) == 3 and all(h.startswith("$argon2") for h in calls)


def test_users_cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                   capsys: pytest.CaptureFixture[str]) -> None:
    """Item 5: add refuses an existing name; list, passwd, disable, grant, revoke, remove."""
    monkeypatch.setenv("CAUNOI_NEW_PASSWORD", PASSWORD)
    out = ["--out", str(tmp_path / "out")]
    assert main(["users", "add", "lan", "--lang", "hmn:translator", *out]) == 0
    assert "Đã tạo người dùng lan" in capsys.readouterr().out
    assert main(["users", "add", "LAN", "--lang", "hmn:reviewer", *out]) == 2
    assert "lan" in capsys.readouterr().err
    # A taken name is said first, even with a password the rule would refuse.
    monkeypatch.setenv("CAUNOI_NEW_PASSWORD", "short")
    assert main(["users", "add", "lan", *out]) == 2
    err = capsys.readouterr().err
    assert "lan" in err and "8" not in err
    monkeypatch.setenv("CAUNOI_NEW_PASSWORD", PASSWORD)
    assert main(["users", "grant", "lan", "--lang", "en:reviewer", *out]) == 0
    assert main(["users", "revoke", "lan", "--lang", "hmn", *out]) == 0
    assert main(["users", "disable", "lan", *out]) == 0
    assert main(["users", "passwd", "lan", *out]) == 0
    capsys.readouterr()
    assert main(["users", "list", *out]) == 0
    listed = capsys.readouterr().out
    assert "lan" in listed and "en:reviewer" in listed and "hmn" not in listed
    assert main(["users", "remove", "lan", *out]) == 0
    assert main(["users", "remove", "lan", *out]) == 2


def test_media_only_from_the_lesson_folder_and_by_language(client: TestClient) -> None:
    """Item 6."""
    signed_out = client.get(f"/media/{LESSON}/vi-compat.mp4", follow_redirects=False)
    assert signed_out.status_code == 303
    login(client, "mai")
    assert client.get(f"/media/{LESSON}/vi-compat.mp4").status_code == 200
    assert client.get(f"/media/{LESSON}/hmn-compat.mp4").status_code == 200
    assert client.get(f"/media/{LESSON}/en-compat.mp4").status_code == 404  # no en role
    for path in ("/media/%2e%2e/x-compat.mp4", "/media/..%2Fvideo/x-compat.mp4",
                 f"/media/{LESSON}/..%2F..%2Fvideo%2Fx-compat.mp4", "/media/nope/vi-compat.mp4",
                 f"/media/{LESSON}/vi-compat.mp4.txt"):
        assert client.get(path).status_code == 404, path


def test_ids_are_validated(client: TestClient) -> None:
    login(client, "mai")
    token = csrf_of(client)
    huge = "9" * 40
    assert client.get(f"/l/{LESSON}/hmn/c/{huge}/history").status_code == 404
    assert client.get(f"/l/{LESSON}/xx/c/1/history").status_code == 404
    assert client.get("/l/nope/hmn").status_code == 404
    assert client.get(f"/l/{LESSON}/hmn?page={huge}").status_code == 200
    r = client.post(f"/l/{LESSON}/hmn/c/{huge}", data={"csrf": token, "version": 1,
                                                        "action": "save", "text": "x"})
    assert r.status_code == 404
    r = client.post(f"/l/{LESSON}/hmn/c/1", data={"csrf": token, "version": huge,
                                                   "action": "save", "text": "x"})
    assert r.status_code == 422
    client.cookies.clear()
    login(client, "admin")
    r = client.post(f"/admin/glossary/{huge}", data={"csrf": csrf_of(client),
                                                     "decision": "accept"})
    assert r.status_code == 404


def test_security_headers(client: TestClient) -> None:
    for path in ("/login", "/"):
        r = client.get(path, follow_redirects=False)
        for name, value in SECURITY_HEADERS.items():
            assert r.headers[name] == value
        assert r.headers["Cache-Control"] == "no-store"
    csp = SECURITY_HEADERS["Content-Security-Policy"]
    # The only script allowed is the app's own file (issue 15): never inline, never eval.
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    assert "frame-ancestors 'none'" in csp and directives["script-src"] == "'self'"
    assert "'unsafe-inline'" not in csp.split("style-src")[0]  # never for scripts
    assert "<script" not in client.get("/login").text


def test_input_is_nfc_and_control_characters_are_refused(client: TestClient,
                                                         store: ReviewStore) -> None:
    login(client, "mai")
    decomposed = "Nyob zoo Vie\u0302\u0323t"
    assert _save(client, 1, decomposed, 1)[0] == 303
    assert store.cues(LESSON, "hmn")[1].text == "Nyob zoo Việt"
    for bad in ("a\x00b", "a\x1bb", "bell\x07", "abc\u202edef", "x\u2066y"):
        status, text = _save(client, 2, bad, 1)
        assert status == 422 and "ký tự điều khiển" in text, bad
    assert store.cues(LESSON, "hmn")[2].version == 1


def test_glossary_proposals_are_cleaned_and_a_breaking_accept_is_refused(
        client: TestClient, store: ReviewStore, tmp_path: Path) -> None:
    """Item 7."""
    login(client, "mai")
    token = csrf_of(client)
    r = client.post(f"/l/{LESSON}/hmn/propose", data={"csrf": token, "vi": "   ",
                                                       "target": "  ", "note": ""})
    assert r.status_code == 422 and not store.proposals()
    client.post(f"/l/{LESSON}/hmn/propose", data={"csrf": token, "vi": "  =HYPERLINK(1) ",
                                                   "target": "@SUM(A1)", "note": "-2+3"})
    client.post(f"/l/{LESSON}/hmn/propose", data={"csrf": token, "vi": "mã QR",
                                                   "target": "MARKER-A", "note": ""})
    client.cookies.clear()
    login(client, "admin")
    first, second = (p.id for p in store.proposals())
    assert client.post(f"/admin/glossary/{first}", data={
        "csrf": csrf_of(client), "decision": "accept"}).status_code == 200
    csv_text = (tmp_path / "gl" / "hmn.csv").read_text(encoding="utf-8")
    assert "'=HYPERLINK(1),'@SUM(A1)" in csv_text and ",'-2+3," in csv_text
    from pipeline.translate.glossary import load_glossary

    assert load_glossary(tmp_path / "gl", "hmn").terms[0].vi == "=HYPERLINK(1)"
    # A glossary that is already broken: the accept is refused, the file is unchanged.
    (tmp_path / "gl" / "hmn.csv").write_text(csv_text + "x,y,,,approved,\n", encoding="utf-8")
    before = (tmp_path / "gl" / "hmn.csv").read_bytes()
    r = client.post(f"/admin/glossary/{second}", data={"csrf": csrf_of(client),
                                                        "decision": "accept"})
    assert r.status_code == 422 and "Chưa nhận được thuật ngữ" in r.text
    assert (tmp_path / "gl" / "hmn.csv").read_bytes() == before
    assert [p.id for p in store.proposals()] == [second]


def test_cli_import_with_one_bad_unit_saves_nothing(tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    """Item 4 through `caunoi review import`: exit 2, nothing saved, an audit entry."""
    from pipeline.review.exchange import export_xliff

    out = tmp_path / "out"
    store = ReviewStore(f"sqlite:///{(out / 'review.sqlite3').resolve()}")
    cues = [Cue(i, i, 1000 * i, 1000 * i + 900, (text,), f"{'e' * 16}-{i + 1}.1", 1)
            for i, text in enumerate(SOURCES)]
    store.sync_lesson(LESSON, "T", cues, {"en": [TranslatedCue(
        c.index, c.index, c.start_ms, c.end_ms, c.text, "", "human", cue_id=c.id)
        for c in cues]})
    store.add_user("mai", PASSWORD, {"en": "reviewer"})
    path = tmp_path / "en.xlf"
    export_xliff(store, LESSON, "en", path)
    text = path.read_text(encoding="utf-8")
    text = text.replace("<source>Bấm nút xác nhận.</source>",
                        "<source>Bấm nút xác nhận.</source><target>Press confirm.</target>")
    assert "<target>Press confirm.</target>" in text  # one valid unit...
    text = text.replace(f"{LESSON}:{'e' * 16}-3.1:v1", f"{LESSON}:not-a-cue:v1")  # one bad
    path.write_text(text, encoding="utf-8")
    code = main(["review", "import", str(path), "--user", "mai", "--out", str(out)])
    assert code == 2 and "not-a-cue" in capsys.readouterr().err
    assert [c.text for c in store.cues(LESSON, "en")] == ["", "", ""]
    assert [a.action for a in store.audit()][-1] == "import_xliff_refused"
    store.engine.dispose()


def test_error_pages_have_the_header_in_the_ui_language(client: TestClient) -> None:
    """403 and 404 pages show the app name, a way home, the language switch and sign-out."""
    login(client, "mai")
    r = client.get(f"/l/{LESSON}/en?ui=en")  # mai has no role for English
    assert r.status_code == 403
    assert "You are not allowed" in r.text and 'href="/"' in r.text
    assert "Sign out" in r.text and "Tiếng Việt" in r.text and "<header>" in r.text
    r = client.get("/no-such-page?ui=vi")
    assert r.status_code == 404
    assert "Không tìm thấy trang này." in r.text and "Về trang chính" in r.text
    assert "Đăng xuất" in r.text
    client.cookies.clear()
    r = client.get("/no-such-page?ui=en")
    assert r.status_code == 404 and "<header>" in r.text and "Sign out" not in r.text


def test_language_names_are_not_doubled(client: TestClient) -> None:
    """The native name shows only when it differs from the UI-language name."""
    login(client, "admin")
    english = client.get("/?ui=en").text
    assert "English (English)" not in english and "English" in english
    vietnamese = client.get("/?ui=vi").text
    assert "Tiếng Anh (English)" in vietnamese
