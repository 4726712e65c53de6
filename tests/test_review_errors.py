"""The web app's failures are plain pages in the UI language: never a traceback, never JSON."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from pipeline.review.store import ReviewStore
from tests.conftest import ReviewApp


@pytest.fixture
def client(tmp_path: Path, review_app: ReviewApp,
           monkeypatch: pytest.MonkeyPatch) -> TestClient:
    store = ReviewStore(f"sqlite:///{tmp_path / 'review.sqlite3'}")
    app = review_app.app(store)

    def broken(*_args: object, **_kw: object) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(store, "authenticate", broken)
    return TestClient(app, base_url="http://127.0.0.1", raise_server_exceptions=False)


def test_unknown_page_is_a_plain_404_in_the_ui_language(client: TestClient) -> None:
    vi = client.get("/khong-co-trang-nay")
    en = client.get("/no-such-page?ui=en")
    assert vi.status_code == en.status_code == 404
    assert vi.headers["content-type"].startswith("text/html") and "detail" not in vi.text
    assert vi.text != en.text


def test_internal_error_is_a_plain_500_without_traceback(client: TestClient) -> None:
    page = client.get("/login")
    import re

    token = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert token is not None
    resp = client.post("/login", data={"username": "mai", "password": "x" * 10,
                                       "csrf": token.group(1)})
    assert resp.status_code == 500
    assert resp.headers["content-type"].startswith("text/html")
    assert "Traceback" not in resp.text and "disk on fire" not in resp.text
    assert "lỗi" in resp.text
