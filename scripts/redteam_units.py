#!/usr/bin/env python3
"""Red team of issue 31's new surface, on a real uvicorn server on 127.0.0.1: the draft
button (another team's lesson, no CSRF token), the reserved interface lesson through the
portal, the review pages and the media routes, title/interface units' clip and still, a
translated title and an interface word carrying markup, a hostile machine draft in the
script box, a Word script of 1 MB of paragraphs uploaded while another user signs in.
Prints one Markdown row per request: status, time, and what the answer showed.

    python scripts/redteam_units.py
"""

from __future__ import annotations

import html
import io
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from dataclasses import replace
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import httpx

from flows.app import create_app
from pipeline.core.config import PROJECT_ROOT
from pipeline.core.languages import load_registry
from pipeline.core.media import ffmpeg_exe
from pipeline.publish.interface import INTERFACE_LESSON_ID, interface_source
from pipeline.review.interface import sync_interface
from pipeline.steps.web_options import web_options
from tests.test_authz_matrix import Launcher
from tests.web_world import (
    LESSON,
    OTHER_LESSON,
    PASSWORD,
    World,
    csrf_in,
    live_server,
    seed_scratch,
)

XSS = "<script>alert(document.domain)</script>"


def _world(tmp: Path) -> tuple[World, Any]:
    world, settings = seed_scratch(tmp)
    subprocess.run([ffmpeg_exe(), "-v", "error", "-y", "-f", "lavfi", "-i",
                    "testsrc=size=320x240:rate=5", "-f", "lavfi", "-i", "sine=f=300", "-t", "3",
                    "-c:v", "libx264", "-c:a", "aac", str(world.lesson_dir / "recording.mp4")],
                   check=True)
    sync_interface(world.store, interface_source(), ["hmn", "en"], INTERFACE_LESSON_ID)
    web, portal = web_options(settings, "s" * 40, runs=Launcher())
    app = create_app(world.store, load_registry(PROJECT_ROOT / "glossaries"),
                     replace(web, glossary_dir=tmp / "gl", tm_dir=tmp / "tm"), portal)
    return world, app


def _sign_in(base: str, user: str) -> tuple[httpx.Client, str]:
    c = httpx.Client(base_url=base, timeout=300, follow_redirects=False)
    token = csrf_in(c.get("/login").text)
    r = c.post("/login", data={"username": user, "password": PASSWORD, "csrf": token})
    return c, csrf_in(c.get(r.headers["location"]).text)


def _row(label: str, r: httpx.Response | str, seconds: float, note: str = "") -> None:
    status = r if isinstance(r, str) else str(r.status_code)
    if not isinstance(r, str):
        body = r.text
        note = note or ("RAW MARKUP" if XSS in body else
                        "shown escaped" if html.escape(XSS, quote=False) in body else "")
        if "Traceback" in body:
            note += " TRACEBACK"
    print(f"| {label} | {status} | {seconds:.2f} s | {note} |", flush=True)


def _req(c: httpx.Client, label: str, method: str, path: str, **kw: Any) -> httpx.Response:
    t0 = time.monotonic()
    r = c.request(method, path, **kw)
    _row(label, r, time.monotonic() - t0)
    return r


def routes(base: str, world: World) -> None:
    lan, csrf = _sign_in(base, "lan")  # editor of team laocai
    _req(lan, "draft on another team's lesson (IDOR)", "POST",
         f"/portal/l/{OTHER_LESSON}/draft", data={"csrf": csrf})
    _req(lan, "draft without a CSRF token", "POST", f"/portal/l/{LESSON}/draft", data={})
    _req(lan, "draft with another session's token", "POST", f"/portal/l/{LESSON}/draft",
         data={"csrf": _sign_in(base, "binh")[1]})
    root, _ = _sign_in(base, "root")
    for who, c in (("editor", lan), ("admin", root)):
        _req(c, f"portal page of the interface lesson ({who})", "GET",
             f"/portal/l/{INTERFACE_LESSON_ID}")
    tran, _ = _sign_in(base, "tran")  # translator of hmn
    trbl, _ = _sign_in(base, "trbl")  # translator of blt
    _req(tran, "interface lesson, review page (translator hmn)", "GET",
         f"/l/{INTERFACE_LESSON_ID}/hmn")
    _req(trbl, "interface lesson, review page (translator blt)", "GET",
         f"/l/{INTERFACE_LESSON_ID}/hmn")
    for path in (f"/l/{INTERFACE_LESSON_ID}/hmn/c/ui.watch/clip.opus",
                 f"/l/{INTERFACE_LESSON_ID}/hmn/c/ui.watch/still.webp",
                 f"/l/{LESSON}/hmn/c/title/clip.opus",
                 f"/l/{LESSON}/hmn/c/title/still.webp",
                 f"/media/{INTERFACE_LESSON_ID}/vi-compat.mp4"):
        _req(tran, f"GET {path.replace(LESSON, 'LESSON')}", "GET", path)


def stored_markup(base: str, world: World) -> None:
    store = world.store
    unit = next(u for u in store.items(INTERFACE_LESSON_ID, "hmn") if u.key == "ui.watch")
    store.add_user("rvx", PASSWORD, {"hmn": "reviewer"})
    store.save("rvx", INTERFACE_LESSON_ID, "hmn", unit.key, XSS, unit.version, "approve")
    rv, _ = _sign_in(base, "rvx")
    _req(rv, "interface lesson page with an approved <script> word", "GET",
         f"/l/{INTERFACE_LESSON_ID}/hmn")
    _req(rv, "its unit page", "GET", f"/l/{INTERFACE_LESSON_ID}/hmn/c/ui.watch")
    folder = Path(world.settings.lessons_dir) / LESSON
    (folder / "script.md").unlink()  # a lesson handed in without a script, then drafted
    out = world.settings.lesson_out(LESSON)
    from pipeline.portal.drafts import DRAFT_FILE, recording_stamp

    (out / DRAFT_FILE).write_text(json.dumps({"text": f"</textarea>{XSS}\n",
                                              "recording": recording_stamp(folder)}))
    lan, _ = _sign_in(base, "lan")
    _req(lan, "portal lesson page showing a hostile machine draft", "GET",
         f"/portal/l/{LESSON}")


def _big_docx(megabytes: int) -> bytes:
    import docx

    buf = io.BytesIO()
    docx.Document().save(buf)
    para = "<w:p><w:r><w:t>Xin chào bà con.</w:t></w:r></w:p>".encode()
    ns = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
    body = (f"<w:document {ns}><w:body>".encode() + para * (megabytes * 2**20 // len(para))
            + b"</w:body></w:document>")
    out = io.BytesIO()
    with zipfile.ZipFile(buf) as zi, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zo:
        for info in zi.infolist():
            zo.writestr(info.filename, body if info.filename == "word/document.xml"
                        else zi.read(info))
    return out.getvalue()


def word_upload(base: str) -> None:
    data = _big_docx(1)
    lan, csrf = _sign_in(base, "lan")
    times: list[float] = []
    done = threading.Event()

    def sign_ins() -> None:
        with httpx.Client(base_url=base, timeout=300) as other:
            while not done.is_set():
                t0 = time.monotonic()
                other.get("/login")
                times.append(time.monotonic() - t0)
                time.sleep(0.3)

    watcher = threading.Thread(target=sign_ins)
    watcher.start()
    _req(lan, f"upload a {len(data) // 1024} KB .docx of 1 MB of paragraphs", "POST",
         f"/portal/l/{LESSON}/script", data={"csrf": csrf},
         files={"script_file": ("../../kich-ban.docx", data)})
    done.set()
    watcher.join()
    _row("GET /login by someone else meanwhile", f"{len(times)} answers",
         max(times or [0.0]), "slowest shown")
    _req(lan, "the lesson page afterwards (reads the script)", "GET", f"/portal/l/{LESSON}")


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="caunoi-redteam-units-") as d:
        world, app = _world(Path(d))
        print("| request | status | time | note |\n|---|---|---|---|", flush=True)
        with live_server(app) as base:
            routes(base, world)
            stored_markup(base, world)
            word_upload(base)
        left = sorted(str(p.relative_to(d)) for p in Path(d).rglob("*kich-ban*"))
        print(f"\nfiles named after the uploaded name: {left or 'none'}")
    return 0


if __name__ == "__main__":
    code = main()
    sys.stdout.flush()
    os._exit(code)
