"""Issue 28's web findings, each reproduced as the red team did it: two writers on one
upload, media around team and language rights, a replaced recording that did not look new,
the upload quota under parallel requests, unbounded clip builds, a flood of still previews.
Concurrency runs against a real uvicorn server on 127.0.0.1; every wait is bounded."""

from __future__ import annotations

import base64
import dataclasses
import fcntl
import hashlib
import os
import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from flows.app import create_app
from pipeline.core.config import Settings
from pipeline.core.languages import Registry
from pipeline.review.store import ReviewStore
from pipeline.steps.web_options import web_options
from tests import test_review_dbs as dbs
from tests.test_portal_web import RecordingLauncher
from tests.web_world import (
    LESSON,
    PASSWORD,
    World,
    csrf_in,
    fake_media,
    live_server,
    portal_settings,
    seed,
)

fast_passwords = dbs.fast_passwords
TUS = {"Tus-Resumable": "1.0.0"}


def make_app(world: World, registry: Registry, **portal: Any) -> FastAPI:
    """The one place these tests build the web app (review pages + portal)."""
    web, opts = web_options(world.settings, "s" * 40, runs=RecordingLauncher())
    web = dataclasses.replace(web, glossary_dir=world.tmp / "gl", tm_dir=world.tmp / "tm")
    return create_app(world.store, registry, web, dataclasses.replace(opts, **portal))


@pytest.fixture
def world(settings: Settings, tmp_path: Path) -> Iterator[World]:
    store = ReviewStore(f"sqlite:///{tmp_path / 'review.sqlite3'}")
    yield seed(store, portal_settings(settings, tmp_path), tmp_path)
    store.engine.dispose()


def sign_in(client: httpx.Client, user: str) -> str:
    """Sign ``user`` in on ``client``; returns the session's CSRF token."""
    token = csrf_in(client.get("/login").text)
    r = client.post("/login", data={"username": user, "password": PASSWORD, "csrf": token})
    assert r.status_code == 303, r.text
    home = r.headers["location"]
    return csrf_in(client.get(home).text)


def _sum(data: bytes) -> str:
    return "sha256 " + base64.b64encode(hashlib.sha256(data).digest()).decode()


def _create_upload(client: httpx.Client, csrf: str, length: int, name: str = "r.mp4") -> str:
    r = client.post("/portal/uploads", headers=TUS | {
        "X-CSRF-Token": csrf, "Upload-Length": str(length),
        "Upload-Metadata": "filename " + base64.b64encode(name.encode()).decode()})
    assert r.status_code == 201, r.text
    return str(r.headers["Location"])


def _patch(client: httpx.Client, csrf: str, url: str, offset: int, data: bytes) -> httpx.Response:
    return client.patch(url, content=data, headers=TUS | {
        "X-CSRF-Token": csrf, "Content-Type": "application/offset+octet-stream",
        "Upload-Offset": str(offset), "Upload-Checksum": _sum(data)})


def _held(part: Path) -> bool:
    """Whether some request holds the one-writer lock of ``part`` (asked without waiting)."""
    with open(part, "rb") as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(f, fcntl.LOCK_UN)
        return False


def _until(condition: Any, what: str, seconds: float = 10.0) -> None:
    """Wait (bounded) for ``condition()``; fail naming ``what``."""
    end = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > end:
            pytest.fail(f"never happened: {what}")
        time.sleep(0.02)


def _stalled_patch(base: str, client: httpx.Client, csrf: str, url: str,
                   sent: bytes, length: int) -> socket.socket:
    """A PATCH that sends its headers and ``sent`` of ``length`` bytes, then goes quiet
    (a phone whose uplink stalled)."""
    host, port = base.removeprefix("http://").split(":")
    cookie = "; ".join(f"{k}={v}" for k, v in client.cookies.items())
    head = (f"PATCH {url} HTTP/1.1\r\nHost: {host}\r\nCookie: {cookie}\r\n"
            f"X-CSRF-Token: {csrf}\r\nTus-Resumable: 1.0.0\r\n"
            "Content-Type: application/offset+octet-stream\r\nUpload-Offset: 0\r\n"
            f"Content-Length: {length}\r\n\r\n")
    sock = socket.create_connection((host, int(port)), timeout=10)
    sock.sendall(head.encode() + sent)
    return sock


def test_a_second_writer_is_refused_at_once_and_the_app_keeps_answering(
        world: World, registry: Registry) -> None:
    """HIGH: two PATCHes on one upload froze the whole app (a blocking lock on the event
    loop). Now the second is refused with 423 + Retry-After; /healthz and /login answer."""
    app = make_app(world, registry)
    with live_server(app) as base, httpx.Client(base_url=base, timeout=10) as client:
        csrf = sign_in(client, "lan")
        data = bytes(range(256)) * 40
        url = _create_upload(client, csrf, len(data))
        part = Path(world.settings.lessons_dir) / ".uploads" / f"{url.rsplit('/', 1)[1]}.part"
        first = _stalled_patch(base, client, csrf, url, data[:1000], len(data))
        _until(lambda: _held(part), "the first PATCH holds the upload")
        try:
            second = _patch(client, csrf, url, 0, data)
        except httpx.TimeoutException:
            pytest.fail("the second PATCH hung: the app froze")
        assert second.status_code == 423 and int(second.headers["Retry-After"]) > 0
        assert client.get("/healthz").json() == {"status": "ok"}
        with httpx.Client(base_url=base, timeout=10) as other:
            assert other.get("/login").status_code == 200
        first.close()  # the phone gives up: the lock goes with the request
        _until(lambda: not _held(part), "the dropped PATCH releases the upload")
        assert client.head(url, headers=TUS | {"X-CSRF-Token": csrf}
                           ).headers["Upload-Offset"] == "0"  # no unverified byte kept
        assert _patch(client, csrf, url, 0, data).status_code == 204


def test_a_stalled_writer_is_given_up_and_the_retry_goes_on(
        world: World, registry: Registry) -> None:
    """A connection that stays open without sending (half-open TCP on 2G) holds the
    upload only until the idle limit; then the phone's retry is accepted."""
    app = make_app(world, registry)
    app.state.portal.uploads.idle_s = 0.5
    with live_server(app) as base, httpx.Client(base_url=base, timeout=10) as client:
        csrf = sign_in(client, "lan")
        data = b"x" * 5000
        url = _create_upload(client, csrf, len(data))
        part = Path(world.settings.lessons_dir) / ".uploads" / f"{url.rsplit('/', 1)[1]}.part"
        stalled = _stalled_patch(base, client, csrf, url, data[:100], len(data))
        try:
            _until(lambda: part.stat().st_size == 0 and not _held(part)
                   and _patch(client, csrf, url, 0, data).status_code == 204,
                   "the retry is accepted after the idle limit")
        finally:
            stalled.close()
        assert part.read_bytes() == data


def _client(app: FastAPI) -> TestClient:
    return TestClient(app, base_url="http://127.0.0.1", follow_redirects=False)


@pytest.mark.parametrize(("user", "vi", "hmn", "en"), [
    ("binh", 404, 404, 404),  # editor of another team
    ("rvbl", 404, 404, 404),  # reviewer of a language the lesson does not have
    ("khach", 404, 404, 404),  # signed in, no role
    ("tran", 200, 200, 404),  # translator of Hmong
    ("lan", 200, 200, 200),  # editor of the lesson's team
    ("root", 200, 200, 200),  # admin
])
def test_videos_only_to_those_who_see_the_pages_that_link_them(
        world: World, registry: Registry, user: str, vi: int, hmn: int, en: int) -> None:
    """MEDIUM: the Vietnamese final was served to any signed-in user."""
    with _client(make_app(world, registry)) as client:
        sign_in(client, user)
        got = [client.get(f"/media/{LESSON}/{x}-compat.mp4").status_code
               for x in ("vi", "hmn", "en")]
        assert got == [vi, hmn, en]


def test_unknown_and_forbidden_media_look_the_same_and_guessing_is_limited(
        world: World, registry: Registry) -> None:
    with _client(make_app(world, registry)) as client:
        sign_in(client, "rvbl")
        forbidden = client.get(f"/l/{LESSON}/hmn/c/0/still.webp")
        unknown = client.get("/l/tra-tien-qr-0000/hmn/c/0/still.webp")
        assert forbidden.status_code == unknown.status_code == 404
        assert forbidden.text == unknown.text
        from pipeline.review import limits_web

        client.cookies.clear()
        sign_in(client, "tran")
        answers = [client.get(f"/media/tra-tien-qr-{n:04x}/vi-compat.mp4").status_code
                   for n in range(limits_web.MISS_LIMIT)]
        assert answers == [404] * limits_web.MISS_LIMIT
        blocked = client.get(f"/media/{LESSON}/hmn-compat.mp4")  # even a right id now
        assert blocked.status_code == 429 and int(blocked.headers["Retry-After"]) > 0
        client.cookies.clear()
        sign_in(client, "lan")  # another user is not blocked
        assert client.get(f"/media/{LESSON}/hmn-compat.mp4").status_code == 200


def test_a_recording_replaced_by_upload_marks_the_lesson_for_a_new_run(
        world: World, registry: Registry, short_lesson: Path) -> None:
    """MEDIUM: the upload's part file kept the time of its last chunk; finished before the
    last run, the replaced recording did not look newer than that run."""
    from pipeline.ingest import IngestOptions, changed_since_ingest, ingest
    from tests.test_portal_web import create_upload, hand_in, patch

    s = world.settings
    with _client(make_app(world, registry)) as client:
        csrf = sign_in(client, "lan")
        data = next(short_lesson.glob("recording.*")).read_bytes()
        first = create_upload(client, csrf, len(data))
        assert patch(client, csrf, first, 0, data) == 204
        lesson_id = hand_in(client, csrf, short_lesson, upload_id=first.rsplit("/", 1)[1])
        folder, out = Path(s.lessons_dir) / lesson_id, s.lesson_out(lesson_id)
        url = create_upload(client, csrf, len(data))  # the new recording, sent...
        assert patch(client, csrf, url, 0, data) == 204
        part = Path(s.lessons_dir) / ".uploads" / f"{url.rsplit('/', 1)[1]}.part"
        sent = time.time() - 3600
        os.utime(part, (sent, sent))  # ...an hour ago, before the run below
        ingest(folder, registry, IngestOptions(out_dir=s.out_dir))
        assert not changed_since_ingest(folder, out)
        r = client.post(f"/portal/l/{lesson_id}/recording", data={
            "csrf": csrf, "upload_id": url.rsplit("/", 1)[1]})
        assert r.status_code == 303, r.text
        assert changed_since_ingest(folder, out)
        assert "cần chạy lại" in client.get(f"/portal/l/{lesson_id}").text


def test_the_upload_quota_holds_under_parallel_requests(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """LOW: 4-9 of parallel creations passed a limit of 3."""
    from pipeline.portal.uploads import UploadQuotaError, UploadStore

    ups = UploadStore(tmp_path / "u", 100, max_active=3)
    counted = UploadStore.active

    def slow_count(self: UploadStore, user: str) -> list[Any]:
        found = counted(self, user)
        time.sleep(0.05)  # widen the window between counting and adding
        return found

    monkeypatch.setattr(UploadStore, "active", slow_count)
    start = threading.Barrier(9)

    def create(_: int) -> str:
        start.wait(10)
        try:
            ups.create("lan", 10, "a.wav")
        except UploadQuotaError:
            return "refused"
        return "created"

    with ThreadPoolExecutor(9) as pool:
        got = list(pool.map(create, range(9)))
    assert got.count("created") == 3 and len(ups.active("lan")) == 3


def _get_all(base: str, cookies: httpx.Cookies, paths: list[str]) -> list[Any]:
    """GET every path at once (one thread each); the futures of their answers."""
    pool = ThreadPoolExecutor(len(paths))

    def get(path: str) -> httpx.Response:
        with httpx.Client(base_url=base, cookies=cookies, timeout=60) as c:
            return c.get(path)

    futures = [pool.submit(get, p) for p in paths]
    pool.shutdown(wait=False)
    return futures


def test_deviation_clips_are_built_a_few_at_a_time(
        world: World, registry: Registry, monkeypatch: pytest.MonkeyPatch) -> None:
    """LOW: 40 clip requests ran 12 ffmpeg at once. Now 2 build, the others wait briefly
    or are answered 503 with a Retry-After."""
    gate = threading.Event()
    counts = fake_media(monkeypatch, gate=gate)
    app = make_app(world, registry)
    with live_server(app) as base, httpx.Client(base_url=base, timeout=10) as client:
        sign_in(client, "lan")
        futures = _get_all(base, client.cookies, [f"/portal/l/{LESSON}/clip/0.ogg"] * 8)
        try:
            _until(lambda: sum(f.done() for f in futures) >= 6, "6 requests answered", 30)
        finally:
            gate.set()
        answers = [f.result(30) for f in futures]
    statuses = sorted(r.status_code for r in answers)
    assert statuses == [200, 200] + [503] * 6 and counts["max"] <= 2
    assert all(int(r.headers["Retry-After"]) > 0 for r in answers if r.status_code == 503)


def test_a_flood_of_previews_leaves_sign_in_answering(
        world: World, registry: Registry, monkeypatch: pytest.MonkeyPatch) -> None:
    """LOW: 80 previews at once held every worker thread (each waiting its turn for
    ffmpeg) and /login took 12 s. Now previews are limited per user, waiting builds hold
    no thread, and /login answers while two builds are stuck."""
    gate = threading.Event()
    counts = fake_media(monkeypatch, gate=gate)
    app = make_app(world, registry)
    with live_server(app) as base, httpx.Client(base_url=base, timeout=10) as client:
        sign_in(client, "tran")
        futures = _get_all(base, client.cookies, [
            f"/l/{LESSON}/hmn/c/0/still.webp?text=th%E1%BB%AD+{n}" for n in range(80)])
        try:
            _until(lambda: counts["now"] == 2, "two previews building")
            _until(lambda: sum(f.done() for f in futures) >= 80 - 20,
                   "the previews over the user's limit answered")
            with httpx.Client(base_url=base, timeout=10) as other:
                try:
                    assert other.get("/login").status_code == 200
                except httpx.TimeoutException:
                    pytest.fail("/login did not answer during the previews")
        finally:
            gate.set()
        answers = [f.result(60) for f in futures]
    from pipeline.review import limits_web

    statuses = [r.status_code for r in answers]
    assert statuses.count(429) == 80 - limits_web.PREVIEW_LIMIT and counts["max"] <= 2
    assert statuses.count(200) >= 2 and set(statuses) <= {200, 429, 503}
    assert all("Retry-After" in r.headers for r in answers if r.status_code != 200)
