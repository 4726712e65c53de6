#!/usr/bin/env python3
"""Issue 28's red-team requests against the web app, re-run on a real uvicorn server on
127.0.0.1 with real ffmpeg (a generated 6 s recording): media around the rights, upload
quota under parallel requests, 40 deviation clips at once, 80 still previews at once
while someone signs in, and last two PATCHes on one upload. Prints status codes and times.

    python scripts/redteam_web.py
"""

from __future__ import annotations

import collections
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import httpx

from flows.app import create_app
from pipeline.core.config import PROJECT_ROOT
from pipeline.core.languages import load_registry
from pipeline.core.media import ffmpeg_exe
from pipeline.steps.web_options import web_options
from tests.web_world import LESSON, PASSWORD, World, csrf_in, live_server, seed_scratch

TUS = {"Tus-Resumable": "1.0.0"}


def _world(tmp: Path) -> tuple[World, Any]:
    world, settings = seed_scratch(tmp)
    rec, wav = world.lesson_dir / "recording.mp4", world.out / "work" / "audio.wav"
    subprocess.run([ffmpeg_exe(), "-v", "error", "-y", "-f", "lavfi", "-i",
                    "testsrc=size=640x360:rate=15", "-f", "lavfi", "-i", "sine=f=300",
                    "-t", "6", "-c:v", "libx264", "-c:a", "aac", str(rec)], check=True)
    subprocess.run([ffmpeg_exe(), "-v", "error", "-y", "-i", str(rec), "-ac", "1", "-ar", "16000",
                    str(wav)], check=True)
    registry = load_registry(PROJECT_ROOT / "glossaries")
    web, portal = web_options(settings, "s" * 40)
    app = create_app(world.store, registry, replace(web, glossary_dir=tmp / "gl",
                                                   tm_dir=tmp / "tm"), portal)
    return world, app


def _sign_in(base: str, user: str) -> tuple[httpx.Client, str]:
    c = httpx.Client(base_url=base, timeout=20)
    token = csrf_in(c.get("/login").text)
    r = c.post("/login", data={"username": user, "password": PASSWORD, "csrf": token})
    return c, csrf_in(c.get(r.headers["location"]).text)


def _timed(fn: Any) -> tuple[str, float]:
    start = time.monotonic()
    try:
        status = str(fn().status_code)
    except httpx.TimeoutException:
        status = "timeout"
    except httpx.HTTPError as e:  # the server broke the answer off
        status = type(e).__name__
    return status, time.monotonic() - start


def _burst(base: str, cookies: httpx.Cookies, paths: list[str]) -> list[tuple[str, float]]:
    def get(path: str) -> tuple[str, float]:
        with httpx.Client(base_url=base, cookies=cookies, timeout=60) as c:
            return _timed(lambda: c.get(path))

    with ThreadPoolExecutor(len(paths)) as pool:
        return list(pool.map(get, paths))


def _counted(module: Any, name: str) -> dict[str, int]:
    """Wrap ``module.name`` to count how many calls run at once."""
    real, counts, lock = getattr(module, name), {"now": 0, "max": 0}, threading.Lock()

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with lock:
            counts["now"] += 1
            counts["max"] = max(counts["max"], counts["now"])
        try:
            return real(*args, **kwargs)
        finally:
            with lock:
                counts["now"] -= 1

    setattr(module, name, wrapper)
    return counts


def _row(label: str, answers: list[tuple[str, float]], extra: str = "") -> None:
    statuses = collections.Counter(s for s, _ in answers)
    times = [t for _, t in answers]
    print(f"| {label} | {dict(sorted(statuses.items()))} | max {max(times):.2f} s, "
          f"median {statistics.median(times):.2f} s | {extra} |", flush=True)


def media_and_quota(base: str) -> None:
    for user, who in (("binh", "editor of another team"), ("rvbl", "reviewer of blt"),
                      ("khach", "no role"), ("tran", "translator of hmn")):
        c, _ = _sign_in(base, user)
        _row(f"GET /media/{LESSON}/vi-compat.mp4 as {who}",
             [_timed(lambda c=c: c.get(f"/media/{LESSON}/vi-compat.mp4"))])
    c, _ = _sign_in(base, "trbl")
    _row("25 guessed lesson ids (/media/tra-tien-qr-XXXX/vi-compat.mp4), translator of blt",
         [_timed(lambda n=n: c.get(f"/media/tra-tien-qr-{n:04x}/vi-compat.mp4"))
          for n in range(25)])
    c, csrf = _sign_in(base, "lan")

    def create(_: int) -> tuple[str, float]:
        with httpx.Client(base_url=base, cookies=c.cookies, timeout=20) as one:
            return _timed(lambda: one.post("/portal/uploads", headers=TUS | {
                "X-CSRF-Token": csrf, "Upload-Length": "10"}))

    with ThreadPoolExecutor(9) as pool:
        _row("9 parallel POST /portal/uploads (limit 3)", list(pool.map(create, range(9))))


def floods(base: str) -> None:
    import pipeline.portal.lessons as lessons
    import pipeline.render.still as still

    clips = _counted(lessons, "run_ffmpeg")
    c, _ = _sign_in(base, "lan")
    answers = _burst(base, c.cookies, [f"/portal/l/{LESSON}/clip/0.ogg"] * 40)
    _row("40 deviation clips at once", answers, f"ffmpeg at once: {clips['max']}")
    stills = _counted(still, "render_still")
    c, _ = _sign_in(base, "tran")
    with httpx.Client(base_url=base, timeout=30) as quiet:
        _row("GET /login, 10 in a row, nothing else running (baseline)",
             [_timed(lambda: quiet.get("/login")) for _ in range(10)])
    logins: list[tuple[str, float]] = []
    done = threading.Event()

    def sign_ins() -> None:
        with httpx.Client(base_url=base, timeout=30) as other:
            while not done.is_set():
                logins.append(_timed(lambda: other.get("/login")))
                time.sleep(0.2)

    watcher = threading.Thread(target=sign_ins)
    watcher.start()
    time.sleep(0.3)
    answers = _burst(base, c.cookies, [f"/l/{LESSON}/hmn/c/0/still.webp?text=th%E1%BB%AD+{n}"
                                       for n in range(80)])
    done.set()
    watcher.join()
    _row("80 still previews at once (one translator)", answers,
         f"renders at once: {stills['max']}")
    _row("GET /login by someone else during the 80 previews", logins)


def two_writers(base: str, world: World) -> None:
    import socket

    c, csrf = _sign_in(base, "root")  # lan has 3 uploads in progress by now
    r = c.post("/portal/uploads", headers=TUS | {"X-CSRF-Token": csrf, "Upload-Length": "4000"})
    url = r.headers["location"]
    host, port = base.removeprefix("http://").split(":")
    cookie = "; ".join(f"{k}={v}" for k, v in c.cookies.items())
    first = socket.create_connection((host, int(port)))
    first.sendall((f"PATCH {url} HTTP/1.1\r\nHost: {host}\r\nCookie: {cookie}\r\n"
                   f"X-CSRF-Token: {csrf}\r\nTus-Resumable: 1.0.0\r\nContent-Type: "
                   "application/offset+octet-stream\r\nUpload-Offset: 0\r\n"
                   "Content-Length: 4000\r\n\r\n").encode() + b"x" * 1000)
    time.sleep(1.0)
    c.timeout = httpx.Timeout(15)
    _row("second PATCH on the same upload (first one stalled)", [_timed(lambda: c.patch(
        url, content=b"x" * 4000, headers=TUS | {
            "X-CSRF-Token": csrf, "Content-Type": "application/offset+octet-stream",
            "Upload-Offset": "0"}))])
    _row("GET /healthz meanwhile", [_timed(lambda: c.get("/healthz"))])
    _row("GET /login meanwhile (another client)",
         [_timed(lambda: httpx.get(base + "/login", timeout=15))])
    first.close()
    time.sleep(1.0)
    _row("GET /healthz after the first PATCH is dropped", [_timed(lambda: c.get("/healthz"))])


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="caunoi-redteam-") as d:
        world, app = _world(Path(d))
        print("| request | statuses | time | note |\n|---|---|---|---|", flush=True)
        with live_server(app) as base:
            media_and_quota(base)
            floods(base)
            two_writers(base, world)
    return 0


if __name__ == "__main__":
    code = main()
    sys.stdout.flush()
    os._exit(code)  # a frozen server thread (the old code) must not keep the process alive
