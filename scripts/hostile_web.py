#!/usr/bin/env python3
"""Hostile requests to the review web app (in-process, FastAPI's TestClient): each must be a
plain HTML 4xx/5xx page in the UI language, never a traceback or a JSON error.

    python scripts/hostile_web.py
"""

from __future__ import annotations

import re
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from fastapi.testclient import TestClient

from flows.app import create_app
from pipeline.core.config import PROJECT_ROOT
from pipeline.core.languages import load_registry
from pipeline.review.store import ReviewStore
from pipeline.review.web_common import WebOptions

LONG = "a" * 20_000

#: (label, method, path, extra request arguments)
REQUESTS: list[tuple[str, str, str, dict[str, object]]] = [
    ("unknown page (vi)", "GET", "/khong-co-trang-nay", {}),
    ("unknown page (en)", "GET", "/no-such-page?ui=en", {}),
    ("unknown UI language", "GET", "/no-such-page?ui=xx", {}),
    ("path traversal in media", "GET", "/media/qr/..%2F..%2F..%2Fetc%2Fpasswd", {}),
    ("dot-dot lesson id", "GET", "/l/..%2F..%2Fetc/hmn", {}),
    ("NUL in path", "GET", "/l/q%00r/hmn", {}),
    ("20,000-character path", "GET", "/l/" + LONG + "/hmn", {}),
    ("cue number with 25 digits", "GET", "/l/qr/hmn/c/9999999999999999999999999/history", {}),
    ("negative cue number", "GET", "/l/qr/hmn/c/-1/history", {}),
    ("wrong method (PUT /)", "PUT", "/", {}),
    ("login without CSRF token", "POST", "/login", {"data": {"username": "a", "password": "b"}}),
    ("login with 2 MB body", "POST", "/login", {"data": {"username": "x" * 2_000_000}}),
    ("login, NUL in user name", "POST", "/login", {"data": {"username": "a\x00b",
                                                           "password": "p", "csrf": "x"}}),
    ("forged session cookie", "GET", "/", {"cookies": {"caunoi_session": "forged.value"}}),
    ("edit without signing in", "POST", "/l/qr/hmn/c/1", {"data": {"text": "x"}}),
    ("non-UTF-8 form body", "POST", "/login",
     {"content": b"username=%FF%FE&password=\xff", "headers": {
         "content-type": "application/x-www-form-urlencoded"}}),
    ("malformed multipart", "POST", "/login",
     {"content": b"--x\r\nbroken", "headers": {"content-type": "multipart/form-data; boundary=x"}}),
    ("internal error (store failing, en)", "POST", "/login?ui=en", {"csrf": True}),
]

#: Requests made signed in as a translator for Hmong (lesson "qr" has one cue).
SIGNED_IN: list[tuple[str, str, str, dict[str, object]]] = [
    ("signed in: unknown lesson", "GET", "/l/nope/hmn", {}),
    ("signed in: language not allowed", "GET", "/l/qr/blt", {}),
    ("signed in: NUL in lesson id", "GET", "/l/q%00r/hmn", {}),
    ("signed in: 20,000-character lesson id", "GET", "/l/" + LONG + "/hmn", {}),
    ("signed in: cue number with 25 digits", "GET",
     "/l/qr/hmn/c/9999999999999999999999999/history", {}),
    ("signed in: negative cue number", "GET", "/l/qr/hmn/c/-1/history", {}),
    ("signed in: edit, fields missing", "POST", "/l/qr/hmn/c/0", {"data": {"text": "x"}}),
    ("signed in: edit, version not a number", "POST", "/l/qr/hmn/c/0",
     {"data": {"text": "x", "version": "abc", "csrf": "x"}}),
    ("signed in: media outside the lesson", "GET", "/media/qr/..%2F..%2Fetc%2Fpasswd", {}),
]


def _text(html: str) -> str:
    """The page's words (its <head>, styles and navigation bar left out: the message)."""
    html = re.sub(r"(?is)<(head|style|script|header|nav)\b.*?</\1>", " ", html)
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())[:90]


def _sign_in(client: TestClient, store: ReviewStore) -> None:
    from pipeline.core.types import Cue
    from pipeline.translate.drafts import TranslatedCue

    draft = TranslatedCue(cue=0, sentence=0, start_ms=0, end_ms=900, source="Câu một.",
                          target="Bản nháp.", origin="mt:test", checks=())
    store.sync_lesson("qr", "Trả tiền", [Cue(0, 0, 0, 900, ("Câu một.",))], {"hmn": [draft]})
    store.add_user("lan", "correct horse 9", {"hmn": "translator"})
    page = client.get("/login")
    token = re.search(r'name="csrf" value="([^"]+)"', page.text)
    client.post("/login", data={"username": "lan", "password": "correct horse 9",
                                "csrf": token.group(1) if token else ""})


def _row(client: TestClient, label: str, method: str, path: str,
         kwargs: dict[str, object]) -> None:
    resp = client.request(method, path, **kwargs)  # type: ignore[arg-type]
    kind = resp.headers.get("content-type", "").split(";")[0]
    leaked = "Traceback" in resp.text or '"detail"' in resp.text or "disk on fire" in resp.text
    where = f" → {resp.headers['location']}" if "location" in resp.headers else ""
    print(f"| {label} | {resp.status_code}{where} | {kind} | {'YES' if leaked else 'no'} | "
          f"{_text(resp.text)} |", flush=True)


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="caunoi-web-") as d:
        tmp = Path(d)
        store = ReviewStore(f"sqlite:///{tmp / 'review.sqlite3'}")
        app = create_app(store, load_registry(PROJECT_ROOT / "glossaries"), WebOptions(
            out_dir=tmp / "out", secret="s" * 40, glossary_dir=tmp / "gl", tm_dir=tmp / "tm"))
        client = TestClient(app, base_url="http://127.0.0.1", raise_server_exceptions=False,
                            follow_redirects=False)
        print("| request | status | type | traceback/JSON? | page text |\n|---|---|---|---|---|")
        for label, method, path, extra in REQUESTS:
            kwargs = dict(extra)
            if kwargs.pop("csrf", False):
                page = client.get("/login")
                token = re.search(r'name="csrf" value="([^"]+)"', page.text)

                def broken(*_a: object, **_k: object) -> None:
                    raise RuntimeError("disk on fire")

                store.authenticate = broken  # type: ignore[method-assign]
                kwargs["data"] = {"username": "mai", "password": "x" * 10,
                                  "csrf": token.group(1) if token else ""}
            _row(client, label, method, path, kwargs)
        store2 = ReviewStore(f"sqlite:///{tmp / 'review2.sqlite3'}")
        app2 = create_app(store2, load_registry(PROJECT_ROOT / "glossaries"), WebOptions(
            out_dir=tmp / "out", secret="s" * 40, glossary_dir=tmp / "gl", tm_dir=tmp / "tm"))
        signed = TestClient(app2, base_url="http://127.0.0.1", raise_server_exceptions=False,
                            follow_redirects=False)
        _sign_in(signed, store2)
        for label, method, path, extra in SIGNED_IN:
            _row(signed, label, method, path, dict(extra))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
