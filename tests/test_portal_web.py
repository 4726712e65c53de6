"""The content-team portal over HTTP (issue 18): resumable uploads (tus), limits stated and
enforced before upload, the plain form without JavaScript, the check shown before any run,
editor vs reviewer permissions, CSRF, upload ids and quotas."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import re
import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from pipeline.core.config import Settings
from pipeline.core.languages import Registry
from pipeline.core.runs import RunInfo, RunKind
from pipeline.portal.store import PortalStore
from pipeline.review.store import ReviewStore
from tests import test_review_dbs as dbs
from tests.conftest import ReviewApp
from tests.test_review_workbench import login

fast_passwords = dbs.fast_passwords
PASSWORD = "correct horse 9"
TUS = {"Tus-Resumable": "1.0.0"}


class RecordingLauncher:
    """Remembers what the pages asked to start (the launchers have their own tests)."""

    mode = "embedded"

    def __init__(self) -> None:
        self.started: list[tuple[RunKind, str, dict[str, object]]] = []

    def start(self, kind: RunKind, lesson_id: str, *, language: str | None = None,
              params: dict[str, object] | None = None) -> RunInfo:
        self.started.append((kind, lesson_id, dict(params or {})))
        return self.runs(lesson_id)[0]

    def runs(self, lesson_id: str) -> list[RunInfo]:
        return [RunInfo(str(i), k, lesson_id, "running", steps={"ingest": "done",
                                                                 "audio": "running"},
                        message="Không đọc được /srv/caunoi/out/x/audio/narration.wav",
                        messages={"vi": "Không đọc được /srv/caunoi/out/x/audio/narration.wav",
                                  "en": "Cannot read /srv/caunoi/out/x/audio/narration.wav"})
                for i, (k, lid, _) in enumerate(self.started) if lid == lesson_id][::-1]


@pytest.fixture
def portal_settings(settings: Settings, tmp_path: Path) -> Settings:
    return dataclasses.replace(settings, lessons_dir=tmp_path / "lessons",
                               max_recording_mb=2)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[ReviewStore]:
    s = ReviewStore(f"sqlite:///{tmp_path / 'review.sqlite3'}")
    editors = PortalStore.on(s).editors
    editors.add_user("lan", PASSWORD, {}, teams=("laocai",))
    editors.add_user("binh", PASSWORD, {}, teams=("hagiang",))
    s.add_user("mai", PASSWORD, {"hmn": "reviewer"})
    yield s
    s.engine.dispose()


@pytest.fixture
def launcher() -> RecordingLauncher:
    return RecordingLauncher()


@pytest.fixture
def client(store: ReviewStore, review_app: ReviewApp, portal_settings: Settings,
           launcher: RecordingLauncher, tmp_path: Path) -> Iterator[TestClient]:
    app = review_app.from_settings(store, portal_settings, launcher,
                                   {"tm_dir": tmp_path / "tm"}, max_active_uploads=2)
    with review_app.client(app) as c:
        yield c


def _rec(lesson: Path) -> Path:
    return next(lesson.glob("recording.*"))


def _sum(data: bytes) -> str:
    return "sha256 " + base64.b64encode(hashlib.sha256(data).digest()).decode()


def create_upload(client: TestClient, csrf: str, length: int, name: str = "rec.wav") -> str:
    r = client.post("/portal/uploads", headers=TUS | {
        "X-CSRF-Token": csrf, "Upload-Length": str(length),
        "Upload-Metadata": "filename " + base64.b64encode(name.encode()).decode()})
    assert r.status_code == 201, r.text
    return str(r.headers["Location"])


def patch(client: TestClient, csrf: str, url: str, offset: int, data: bytes,
          checksum: str | None = None) -> int:
    r = client.patch(url, content=data, headers=TUS | {
        "X-CSRF-Token": csrf, "Content-Type": "application/offset+octet-stream",
        "Upload-Offset": str(offset), "Upload-Checksum": checksum or _sum(data)})
    return r.status_code


def offset_of(client: TestClient, csrf: str, url: str) -> int:
    r = client.head(url, headers=TUS | {"X-CSRF-Token": csrf})
    assert r.status_code == 200
    return int(r.headers["Upload-Offset"])


def upload_all(client: TestClient, csrf: str, data: bytes, chunk: int = 64 * 1024,
               name: str = "recording.wav") -> str:
    url = create_upload(client, csrf, len(data), name)
    for start in range(0, len(data), chunk):
        assert patch(client, csrf, url, start, data[start:start + chunk]) == 204
    return url.rsplit("/", 1)[1]


def hand_in(client: TestClient, csrf: str, short_lesson: Path, **fields: object) -> str:
    r = client.post("/portal/new", data={
        "csrf": csrf, "title": "Trả tiền bằng mã QR", "team": "laocai",
        "languages": ["hmn"], "profiles": ["compat"],
        "script_text": (short_lesson / "script.md").read_text(encoding="utf-8"), **fields},
        follow_redirects=False)
    assert r.status_code == 303, r.text
    return str(r.headers["Location"]).split("?")[0].rsplit("/", 1)[1]


def test_chunked_upload_is_checked_and_its_sentences_shown_before_any_run(
        client: TestClient, short_lesson: Path, portal_settings: Settings,
        launcher: RecordingLauncher) -> None:
    csrf = login(client, "lan")
    data = _rec(short_lesson).read_bytes()
    upload_id = upload_all(client, csrf, data, name="screen capture.mp4")
    lesson_id = hand_in(client, csrf, short_lesson, upload_id=upload_id)
    folder = portal_settings.lessons_dir / lesson_id
    assert (folder / "recording.mp4").read_bytes() == data
    assert not list((portal_settings.lessons_dir / ".uploads").iterdir())
    page = client.get(f"/portal/l/{lesson_id}")
    assert page.status_code == 200
    assert 'id="check-ok"' in page.text and 'id="check-error"' not in page.text
    first = (short_lesson / "script.md").read_text(encoding="utf-8").split("\n")
    assert any(line.strip() and line.strip() in page.text for line in first
               if not line.startswith("#"))
    assert launcher.started == []  # nothing runs until asked
    r = client.post(f"/portal/l/{lesson_id}/run", data={"csrf": csrf}, follow_redirects=False)
    assert r.status_code == 303 and launcher.started == [("produce", lesson_id, {})]
    page = client.get(r.headers["Location"]).text
    assert re.search(r'action="/portal/l/[^"]+/run">.*?<button disabled', page, re.S)
    assert "<td>Nhận bài học</td>" in page and "<td>ingest</td>" not in page
    again = client.post(f"/portal/l/{lesson_id}/run", data={"csrf": csrf})
    assert again.status_code == 409 and len(launcher.started) == 1
    status = client.get(f"/portal/l/{lesson_id}/status.json").json()
    assert status["active"] and status["runs"][0]["steps"]["audio"] == "running"
    # Run messages name files, never the server's folders (page and progress poll).
    assert status["runs"][0]["message"] == "Không đọc được narration.wav"
    assert "narration.wav" in page and "/srv/" not in page
    english = client.get(f"/portal/l/{lesson_id}/status.json?ui=en")
    assert english.json()["runs"][0]["message"] == "Cannot read narration.wav"
    assert "/srv/" not in english.text


def test_interrupted_upload_resumes_from_the_last_verified_byte(
        client: TestClient, portal_settings: Settings) -> None:
    csrf = login(client, "lan")
    data = bytes(range(256)) * 1000
    url = create_upload(client, csrf, len(data))
    assert patch(client, csrf, url, 0, data[:100_000]) == 204
    # The uplink drops in the middle of the next chunk: the bytes that arrived do not
    # match the chunk's checksum, so none of them is kept.
    assert patch(client, csrf, url, 100_000, data[100_000:130_000],
                 _sum(data[100_000:200_000])) == 460
    assert offset_of(client, csrf, url) == 100_000
    assert patch(client, csrf, url, 150_000, data[150_000:200_000]) == 409  # wrong offset
    assert patch(client, csrf, url, 100_000, data[100_000:]) == 204
    assert offset_of(client, csrf, url) == len(data)
    part = portal_settings.lessons_dir / ".uploads" / f"{url.rsplit('/', 1)[1]}.part"
    assert part.read_bytes() == data


def test_bad_checksum_is_refused_and_nothing_kept(client: TestClient,
                                                  portal_settings: Settings) -> None:
    csrf = login(client, "lan")
    url = create_upload(client, csrf, 1000)
    assert patch(client, csrf, url, 0, b"a" * 500, _sum(b"b" * 500)) == 460
    assert patch(client, csrf, url, 0, b"a" * 500, "md5 xyz") == 460
    assert offset_of(client, csrf, url) == 0


def test_oversize_is_refused_before_any_byte_and_the_limit_is_stated(
        client: TestClient, portal_settings: Settings) -> None:
    csrf = login(client, "lan")
    page = client.get("/portal/new").text
    assert "2 MB" in page and 'data-max="2097152"' in page
    r = client.post("/portal/uploads", headers=TUS | {
        "X-CSRF-Token": csrf, "Upload-Length": str(3 * 1024 * 1024)})
    assert r.status_code == 413 and "2.0 MB" in r.text
    assert not list((portal_settings.lessons_dir / ".uploads").glob("*"))
    url = create_upload(client, csrf, 10)
    assert patch(client, csrf, url, 0, b"x" * 11) == 413  # more than declared
    assert offset_of(client, csrf, url) == 0


def test_plain_form_without_javascript_hands_in_a_lesson(
        client: TestClient, short_lesson: Path, portal_settings: Settings) -> None:
    csrf = login(client, "lan")
    data = _rec(short_lesson).read_bytes()
    r = client.post("/portal/new", data={
        "csrf": csrf, "title": "Bài không cần JS", "team": "laocai", "languages": ["hmn"]},
        files={"recording": ("narration.mp4", data, "video/mp4"),
               "script_file": ("script.md", (short_lesson / "script.md").read_bytes(),
                               "text/markdown")}, follow_redirects=False)
    assert r.status_code == 303, r.text
    lesson_id = r.headers["Location"].split("?")[0].rsplit("/", 1)[1]
    assert lesson_id.startswith("bai-khong-can-js-")
    assert (portal_settings.lessons_dir / lesson_id / "recording.mp4").read_bytes() == data
    assert 'id="check-ok"' in client.get(f"/portal/l/{lesson_id}").text


def test_a_bad_lesson_is_refused_at_hand_in_and_a_broken_one_cannot_run(
        client: TestClient, short_lesson: Path, portal_settings: Settings) -> None:
    """Issue 31 item 7: a failed check creates no lesson (the upload is kept for the next
    try); a lesson broken later shows the check's sentence, a greyed run button saying why
    and the action that fixes it."""
    csrf = login(client, "lan")
    upload_id = upload_all(client, csrf, _rec(short_lesson).read_bytes(), name="r.mp4")
    r = client.post("/portal/new", data={
        "csrf": csrf, "title": "Bài hỏng", "team": "laocai", "languages": ["hmn"],
        "profiles": ["compat"], "script_text": "# A\n", "upload_id": upload_id})
    assert r.status_code == 422 and "script.md" in r.text
    assert not [p for p in portal_settings.lessons_dir.iterdir() if not p.name.startswith(".")]
    assert 'id="upload-kept"' in r.text  # the recording was fine: not sent again
    lesson_id = hand_in(client, csrf, short_lesson, upload_id=upload_id)
    client.post(f"/portal/l/{lesson_id}/script", data={"csrf": csrf, "script_text": "# A\n"})
    page = client.get(f"/portal/l/{lesson_id}").text
    assert 'id="check-error"' in page and "script.md" in page
    assert str(short_lesson.parent) not in page and "/tmp/" not in page
    assert re.search(r"<button disabled", page) and 'id="why-disabled"' in page
    assert re.search(r'id="fix-action" href="#script"', page)


def test_editor_and_reviewer_permissions(client: TestClient, short_lesson: Path,
                                         store: ReviewStore) -> None:
    csrf = login(client, "lan")
    upload_id = upload_all(client, csrf, _rec(short_lesson).read_bytes(), name="r.mp4")
    lesson_id = hand_in(client, csrf, short_lesson, upload_id=upload_id)
    assert "Trả tiền bằng mã QR" in client.get("/portal").text
    # An editor is not a translator: the review pages of a language stay closed.
    assert client.get("/l/x/hmn").status_code in (403, 404)
    assert client.post("/portal/new", data={"csrf": csrf, "title": "x", "team": "hagiang",
                                            "languages": ["hmn"]}).status_code == 422
    client.cookies.clear()
    csrf_b = login(client, "binh")  # another team's editor
    assert client.get(f"/portal/l/{lesson_id}").status_code == 404
    assert client.get(f"/portal/l/{lesson_id}/status.json").status_code == 404
    assert client.post(f"/portal/l/{lesson_id}/run",
                       data={"csrf": csrf_b}).status_code == 404
    assert "Trả tiền" not in client.get("/portal").text
    client.cookies.clear()
    csrf_m = login(client, "mai")  # a reviewer, not an editor
    assert client.get("/portal").status_code == 403
    assert client.get("/portal/new").status_code == 403
    assert client.post("/portal/uploads", headers=TUS | {
        "X-CSRF-Token": csrf_m, "Upload-Length": "10"}).status_code == 403
    PortalStore.on(store).editors.grant("mai", {}, teams=("laocai",))
    assert client.get(f"/portal/l/{lesson_id}").status_code == 200


def test_csrf_is_required_everywhere(client: TestClient, short_lesson: Path) -> None:
    csrf = login(client, "lan")
    assert client.post("/portal/uploads", headers=TUS | {"Upload-Length": "10"}
                       ).status_code == 403
    url = create_upload(client, csrf, 10)
    assert client.patch(url, content=b"x" * 10, headers=TUS | {
        "Content-Type": "application/offset+octet-stream", "Upload-Offset": "0",
        "X-CSRF-Token": "wrong"}).status_code == 403
    assert client.post("/portal/new", data={"title": "x", "team": "laocai",
                                            "languages": ["hmn"]}).status_code == 403
    upload_id = upload_all(client, csrf, _rec(short_lesson).read_bytes(), name="r.mp4")
    lesson_id = hand_in(client, csrf, short_lesson, upload_id=upload_id)
    for action in ("run", "script", "publish"):
        assert client.post(f"/portal/l/{lesson_id}/{action}",
                           data={"csrf": "nope"}).status_code == 403


def test_upload_ids_owners_and_quota(client: TestClient) -> None:
    csrf = login(client, "lan")
    mine = create_upload(client, csrf, 10)
    assert client.head("/portal/uploads/..%2F..%2Fetc", headers=TUS | {
        "X-CSRF-Token": csrf}).status_code == 404
    create_upload(client, csrf, 10)
    r = client.post("/portal/uploads", headers=TUS | {"X-CSRF-Token": csrf,
                                                       "Upload-Length": "10"})
    assert r.status_code == 429  # max_active_uploads=2
    client.cookies.clear()
    other = login(client, "binh")
    assert client.head(mine, headers=TUS | {"X-CSRF-Token": other}).status_code == 404
    assert patch(client, other, mine, 0, b"x" * 10) == 404


def test_script_edit_keeps_the_lesson_and_rechecks(client: TestClient, short_lesson: Path,
                                                   portal_settings: Settings) -> None:
    csrf = login(client, "lan")
    upload_id = upload_all(client, csrf, _rec(short_lesson).read_bytes(), name="r.mp4")
    lesson_id = hand_in(client, csrf, short_lesson, upload_id=upload_id)
    r = client.post(f"/portal/l/{lesson_id}/script", data={
        "csrf": csrf, "script_text": "# Chương\nMột câu mới được thêm vào.\n"},
        follow_redirects=False)
    assert r.status_code == 303
    page = client.get(r.headers["Location"]).text
    assert "Một câu mới được thêm vào." in page and "Đã lưu kịch bản." in page
    assert (portal_settings.lessons_dir / lesson_id / "script.md").read_text(
        encoding="utf-8").startswith("# Chương")


def test_security_headers_allow_only_our_own_script(client: TestClient) -> None:
    login(client, "lan")
    r = client.get("/portal/new")
    csp = r.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp.split("style-src")[0]
    assert '<script src="/portal/static/portal.js"' in r.text and "<script>" not in r.text
    js = client.get("/portal/static/portal.js", headers={"Accept-Encoding": "gzip"})
    # What a phone downloads (once: it is cached) is the gzipped script.
    assert js.status_code == 200 and js.headers["Content-Encoding"] == "gzip"
    assert js.num_bytes_downloaded <= 5 * 1024 and len(js.content) <= 12 * 1024


def test_no_portal_without_options(store: ReviewStore, review_app: ReviewApp,
                                   tmp_path: Path) -> None:
    app = review_app.app(store, out_dir=tmp_path, glossary_dir=tmp_path, tm_dir=tmp_path)
    with review_app.client(app) as c:
        login(c, "lan")
        assert c.get("/portal").status_code == 404


def test_upload_sweep_removes_expired(tmp_path: Path) -> None:
    from pipeline.portal.uploads import UploadStore

    ups = UploadStore(tmp_path / "u", 100, ttl_s=-1)
    ups.create("lan", 10, "a.wav")
    assert ups.sweep() == 1 and not list((tmp_path / "u").iterdir())
    shutil.rmtree(tmp_path / "u")


def test_refused_hand_ins_keep_the_upload_and_never_block_new_ones(client: TestClient) -> None:
    csrf = login(client, "lan")
    for _ in range(4):  # max_active_uploads=2: finished uploads do not count
        upload_id = upload_all(client, csrf, b"x" * 10, name="r.wav")
        r = client.post("/portal/new", data={"csrf": csrf, "title": "", "team": "laocai",
                                             "languages": ["hmn"], "upload_id": upload_id})
        assert r.status_code == 422
        assert f'name="upload_id" value="{upload_id}"' in r.text and "r.wav" in r.text
    create_upload(client, csrf, 10)
    create_upload(client, csrf, 10)
    r = client.post("/portal/uploads", headers=TUS | {"X-CSRF-Token": csrf,
                                                       "Upload-Length": "10"})
    assert r.status_code == 429


def test_only_the_newest_finished_uploads_are_kept(tmp_path: Path) -> None:
    import asyncio

    from pipeline.portal.uploads import UploadStore

    async def one(data: bytes) -> AsyncIterator[bytes]:
        yield data

    ups = UploadStore(tmp_path / "u", 100, max_active=1)
    done = []
    for _ in range(2):
        done.append(ups.create("lan", 1, "a.wav"))
        asyncio.run(ups.append(done[-1].id, "lan", 0, one(b"x")))
    ups.create("lan", 1, "b.wav")
    assert {u.id for u in ups.active("lan") if u.complete} == {done[1].id}


def test_the_offline_bundle_is_downloaded_by_editors_of_the_team(
        client: TestClient, short_lesson: Path, portal_settings: Settings) -> None:
    from pipeline.core.i18n import t

    csrf = login(client, "lan")
    upload_id = upload_all(client, csrf, _rec(short_lesson).read_bytes(), name="r.mp4")
    lesson_id = hand_in(client, csrf, short_lesson, upload_id=upload_id)
    url = f"/portal/l/{lesson_id}/bundle.zip"
    assert 'id="bundle-link"' not in client.get(f"/portal/l/{lesson_id}").text
    assert client.get(url).status_code == 404
    zip_path = portal_settings.out_dir / "bundles" / f"{lesson_id}.zip"
    zip_path.parent.mkdir(parents=True)
    zip_path.write_bytes(b"PK\x05\x06" + bytes(18))
    assert f'href="{url}"' in client.get(f"/portal/l/{lesson_id}").text
    r = client.get(url)
    assert r.status_code == 200 and r.content == zip_path.read_bytes()
    assert lesson_id in r.headers["Content-Disposition"]
    client.cookies.clear()
    login(client, "binh")
    assert client.get(url).status_code == 404
    assert "/" not in t("portal.run_published", n=3, target="published") + t("portal.run_bundled")


@pytest.mark.parametrize(("user", "home"), [("lan", "/portal"), ("mai", "/")])
def test_sign_in_lands_editors_on_the_portal(client: TestClient, user: str, home: str) -> None:
    token = re.search(r'name="csrf" value="([^"]+)"', client.get("/login").text)
    assert token is not None
    r = client.post("/login", data={"username": user, "password": PASSWORD,
                                    "csrf": token.group(1)}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["Location"] == home


def test_a_text_file_named_mp4_is_refused_with_a_plain_sentence(
        client: TestClient, short_lesson: Path, portal_settings: Settings) -> None:
    csrf = login(client, "lan")
    upload_id = upload_all(client, csrf, b"not a video\n" * 50, name="bai hoc.mp4")
    r = client.post("/portal/new", data={
        "csrf": csrf, "title": "Bài", "team": "laocai", "languages": ["hmn"],
        "script_text": "# A\nMột câu.\n", "upload_id": upload_id})
    assert r.status_code == 422 and "bai hoc.mp4" in r.text and "xuất lại" in r.text
    assert "Errno" not in r.text and str(portal_settings.lessons_dir) not in r.text
    assert 'name="upload_id" value=""' in r.text
    assert not [p for p in portal_settings.lessons_dir.iterdir() if not p.name.startswith(".")]
    good = upload_all(client, csrf, _rec(short_lesson).read_bytes(), name="r.mp4")
    lesson_id = hand_in(client, csrf, short_lesson, upload_id=good)
    r = client.post(f"/portal/l/{lesson_id}/recording", data={"csrf": csrf}, files={
        "recording": ("x.wav", b"RIFF nonsense" * 20, "audio/wav")})
    assert r.status_code == 422 and "x.wav" in r.text and "Errno" not in r.text
    assert (portal_settings.lessons_dir / lesson_id / "recording.mp4").is_file()
    assert not (portal_settings.lessons_dir / lesson_id / "recording.wav").exists()


def test_long_words_wrap_on_narrow_screens(client: TestClient) -> None:
    login(client, "lan")
    for page in ("/portal", "/portal/new"):
        assert "overflow-wrap:anywhere" in client.get(page).text


def test_one_time_messages_leave_the_address(client: TestClient) -> None:
    js = client.get("/portal/static/portal.js").text
    assert "history.replaceState" in js and 'indexOf("msg=")' in js


def test_a_lesson_changed_after_its_run_is_not_published_until_it_runs_again(
        client: TestClient, short_lesson: Path, portal_settings: Settings,
        registry: Registry) -> None:
    from pipeline.ingest import IngestOptions, changed_since_ingest, ingest

    csrf = login(client, "lan")
    upload_id = upload_all(client, csrf, _rec(short_lesson).read_bytes(), name="r.mp4")
    lesson_id = hand_in(client, csrf, short_lesson, upload_id=upload_id)
    folder = portal_settings.lessons_dir / lesson_id
    out = portal_settings.lesson_out(lesson_id)
    assert not changed_since_ingest(folder, out)  # never run: nothing is out of date
    ingest(folder, registry, IngestOptions(out_dir=portal_settings.out_dir))
    (out / "video").mkdir(parents=True)
    (out / "video" / "vi-compat.mp4").write_bytes(b"\0" * 2048)  # the run's final
    page = client.get(f"/portal/l/{lesson_id}").text
    assert not changed_since_ingest(folder, out)
    assert 'name="languages" value="vi"' in page and "cần chạy lại" not in page
    client.post(f"/portal/l/{lesson_id}/script", data={
        "csrf": csrf, "script_text": "# Chương\nMột câu mới được thêm vào.\n"})
    assert changed_since_ingest(folder, out)
    page = client.get(f"/portal/l/{lesson_id}").text
    assert "cần chạy lại" in page and 'name="languages" value="vi"' not in page
    r = client.post(f"/portal/l/{lesson_id}/publish", data={
        "csrf": csrf, "languages": ["vi"], "action": "publish"})
    assert r.status_code == 422
