"""Issue 28's web findings, each reproduced as the red team did it: two writers on one
upload, media around team and language rights, a replaced recording that did not look new,
the upload quota under parallel requests, unbounded clip builds, a flood of still previews.
Concurrency runs against a real uvicorn server on 127.0.0.1; every wait is bounded."""

from __future__ import annotations

import base64
import fcntl
import hashlib
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from pipeline.core.config import Settings
from pipeline.core.languages import Registry
from pipeline.portal.context import PortalOptions
from pipeline.review.store import ReviewStore
from pipeline.review.web import WebOptions, create_app
from tests import test_review_dbs as dbs
from tests.test_portal_web import RecordingLauncher
from tests.web_world import (
    PASSWORD,
    World,
    csrf_in,
    live_server,
    portal_settings,
    seed,
)

fast_passwords = dbs.fast_passwords
TUS = {"Tus-Resumable": "1.0.0"}


def make_app(world: World, registry: Registry, **portal: Any) -> FastAPI:
    """The one place these tests build the web app (review pages + portal)."""
    s = world.settings
    return create_app(world.store, registry, WebOptions(
        out_dir=s.out_dir, secret="s" * 40, glossary_dir=world.tmp / "gl",
        tm_dir=world.tmp / "tm", runs=RecordingLauncher(), portal=PortalOptions(s, **portal)))


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
