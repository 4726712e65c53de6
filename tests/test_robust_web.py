"""Hostile requests to the web app: a form that does not validate is a plain HTML page in the
UI language (FastAPI would answer JSON with a "detail" list)."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from pipeline.review.store import ReviewStore
from tests.conftest import ReviewApp


def test_invalid_form_is_a_plain_page(tmp_path: Path, review_app: ReviewApp) -> None:
    store = ReviewStore(f"sqlite:///{tmp_path / 'review.sqlite3'}")
    app = review_app.app(store)
    client = TestClient(app, base_url="http://127.0.0.1", raise_server_exceptions=False,
                        follow_redirects=False)
    vi = client.post("/l/qr/hmn/c/1", data={"text": "x"})
    en = client.post("/login?ui=en", content=b"--x\r\nbroken",
                     headers={"content-type": "multipart/form-data; boundary=x"})
    for resp in (vi, en):
        assert resp.status_code == 422  # like every refused input of the app
        assert resp.headers["content-type"].startswith("text/html")
        assert "detail" not in resp.text and "Traceback" not in resp.text
    assert vi.text != en.text
