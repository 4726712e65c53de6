"""Found on left31's run over main (``scripts/redteam_web.py``): a phone that drops a
resumable upload's chunk mid-way (an ordinary event on 2G) was logged as an internal error
with two tracebacks (the app's and uvicorn's), and the exception left the application.
Now it is one info line; the chunk is discarded and the upload goes on from its offset.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.test_left31_limits import portal_client as portal_client
from tests.test_left31_limits import portal_settings as portal_settings
from tests.test_portal_web import create_upload, offset_of, patch
from tests.test_review_dbs import fast_passwords as fast_passwords
from tests.test_review_workbench import login


def _dropped_patch(client: TestClient, csrf: str, url: str) -> BaseException | None:
    """PATCH 1,000 of the 4,000 bytes it announces, then the connection drops (straight
    on the ASGI app: a TestClient cannot drop a request mid-body)."""
    headers = {"host": "127.0.0.1", "x-csrf-token": csrf, "tus-resumable": "1.0.0",
               "content-type": "application/offset+octet-stream", "upload-offset": "0",
               "content-length": "4000",
               "cookie": "; ".join(f"{k}={v}" for k, v in client.cookies.items())}
    scope: dict[str, Any] = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "PATCH",
        "scheme": "http", "path": url, "raw_path": url.encode(), "query_string": b"",
        "root_path": "", "headers": [(k.encode(), v.encode()) for k, v in headers.items()],
        "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 80), "state": {}}
    messages = [{"type": "http.request", "body": b"x" * 1000, "more_body": True}]

    async def receive() -> dict[str, Any]:
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    async def send(_message: dict[str, Any]) -> None:
        return None

    try:
        asyncio.run(client.app(scope, receive, send))  # type: ignore[arg-type]
    except BaseException as e:  # what the server would have to catch
        return e
    return None


def test_a_chunk_dropped_mid_way_is_no_internal_error_and_the_upload_goes_on(
        portal_client: TestClient, caplog: pytest.LogCaptureFixture) -> None:
    csrf = login(portal_client, "lan")
    url = create_upload(portal_client, csrf, 4000, "r.mp4")
    caplog.set_level(logging.INFO)
    raised = _dropped_patch(portal_client, csrf, url)
    assert raised is None, f"the dropped chunk left the app as {raised!r}"
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors == [], errors
    assert any("went away" in r.getMessage() for r in caplog.records)
    assert offset_of(portal_client, csrf, url) == 0  # the partial chunk is not kept
    assert patch(portal_client, csrf, url, 0, b"x" * 4000) == 204
    assert offset_of(portal_client, csrf, url) == 4000


def test_a_sign_in_page_left_open_too_long_asks_again_instead_of_forbidding(
        portal_client: TestClient) -> None:
    """hostile_web.py's "login without CSRF token" row: on main a phone user whose sign-in
    page sat open over an hour (its token cookie gone) read "You are not allowed to do
    this." Now the form comes back with a fresh token, the name kept, and a sentence."""
    from html import unescape

    from pipeline.core.i18n import t
    from tests.web_world import csrf_in

    page = portal_client.get("/login?ui=en").text
    stale = csrf_in(page)
    portal_client.cookies.clear()  # the login cookie expired (max_age one hour)
    r = portal_client.post("/login?ui=en", data={"username": "lan", "password": "x" * 9,
                                                 "csrf": stale}, follow_redirects=False)
    assert r.status_code == 403 and "caunoi_session" not in r.cookies
    text = unescape(r.text)
    assert t("forbidden", "en") not in text, "a stale sign-in page answered 'not allowed'"
    assert 'value="lan"' in r.text and t("login_again", "en") in text
    fresh = csrf_in(r.text)
    assert fresh != stale
    ok = portal_client.post("/login", data={"username": "lan", "password": "correct horse 9",
                                            "csrf": fresh}, follow_redirects=False)
    assert ok.status_code == 303


def test_the_name_kept_on_the_sign_in_form_is_escaped(portal_client: TestClient) -> None:
    r = portal_client.post("/login", data={"username": '"><script>alert(1)</script>',
                                           "password": "x" * 9, "csrf": "forged"})
    assert r.status_code == 403
    assert "<script>alert" not in r.text and "&lt;script&gt;" in r.text
