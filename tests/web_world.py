"""A small world for the web app's security tests: one portal lesson of team ``laocai``
with review cues in Hmong and English, its outputs (finals, cue media, a deviation, a
bundle), one user per role, a glossary proposal; fake media builds (no ffmpeg); a real
uvicorn server on 127.0.0.1 for tests that need concurrency."""

from __future__ import annotations

import contextlib
import json
import re
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI

from pipeline.core.config import Settings
from pipeline.core.types import Cue
from pipeline.portal.lessons import write_lesson_toml
from pipeline.portal.store import PortalStore
from pipeline.review.store import ReviewStore
from pipeline.translate.drafts import TranslatedCue

PASSWORD = "correct horse 9"
LESSON = "tra-tien-qr-1a2b"
OTHER_LESSON = "ban-che-9f9f"  # team hagiang
LANGS = ("hmn", "en")
SOURCES = ("Trả 45.000 đồng.", "Bấm nút xác nhận.")

#: Role -> (user name, language roles, editor teams, admin). "anon" is nobody.
ROLES: dict[str, tuple[str, dict[str, str], tuple[str, ...], bool]] = {
    "norole": ("khach", {}, (), False),
    "tr_lang": ("tran", {"hmn": "translator"}, (), False),
    "rv_lang": ("rvhm", {"hmn": "reviewer"}, (), False),
    "tr_other": ("trbl", {"blt": "translator"}, (), False),
    "rv_other": ("rvbl", {"blt": "reviewer"}, (), False),
    "ed_team": ("lan", {}, ("laocai",), False),
    "ed_other": ("binh", {}, ("hagiang",), False),
    "vo_lang": ("vohm", {"hmn": "voice"}, (), False),
    "admin": ("root", {}, (), True),
}
ALL_ROLES = ("anon", *ROLES)


@dataclass
class World:
    store: ReviewStore
    settings: Settings
    tmp: Path

    @property
    def out(self) -> Path:
        return self.settings.lesson_out(LESSON)

    @property
    def lesson_dir(self) -> Path:
        return Path(self.settings.lessons_dir) / LESSON


def portal_settings(settings: Settings, tmp: Path) -> Settings:
    return replace(settings, lessons_dir=tmp / "lessons", max_recording_mb=2)


def _cues(lesson: str) -> tuple[list[Cue], dict[str, list[TranslatedCue]]]:
    hexa = ("c" if lesson == LESSON else "d") * 16
    cues = [Cue(i, i, 1000 * i, 1000 * i + 900, (text,), f"{hexa}-{i + 1}.1", 1)
            for i, text in enumerate(SOURCES)]
    drafts = {lang: [TranslatedCue(c.index, c.index, c.start_ms, c.end_ms, c.text, "draft",
                                   "mt:test", cue_id=c.id) for c in cues] for lang in LANGS}
    return cues, drafts


def _lesson(world: World, lesson: str, team: str) -> None:
    folder = Path(world.settings.lessons_dir) / lesson
    folder.mkdir(parents=True)
    write_lesson_toml(folder, lesson, "Trả tiền", list(LANGS), ["compat"])
    (folder / "script.md").write_text("# Một\n" + "\n".join(SOURCES) + "\n", encoding="utf-8")
    (folder / "recording.mp4").write_bytes(b"\0" * 64)
    world.store.sync_lesson(lesson, "Trả tiền", *_cues(lesson))
    PortalStore.on(world.store).lessons.add(lesson, team, "Trả tiền", "lan")
    out = world.settings.lesson_out(lesson)
    (out / "video").mkdir(parents=True)
    for name in ("vi-compat.mp4", "hmn-compat.mp4", "en-compat.mp4"):
        (out / "video" / name).write_bytes(b"\x00\x00\x00\x18ftypmp42" + name.encode())
    (out / "work").mkdir()
    wav = out / "work" / "audio.wav"
    wav.write_bytes(b"RIFF")
    (out / "ingest.json").write_text(json.dumps({
        "media": {"path": str(folder / "recording.mp4"),
                  "video": {"width": 640, "height": 360, "rotation": 0}},
        "lesson": {"profiles": ["compat"], "dir": str(folder)}, "audio_wav": str(wav)}),
        encoding="utf-8")
    (out / "alignment.json").write_text(json.dumps([
        {"status": "skipped", "index": 1, "text": SOURCES[1], "start": 1.0, "end": 2.0}]),
        encoding="utf-8")
    bundles = world.settings.out_dir / "bundles"
    bundles.mkdir(parents=True, exist_ok=True)
    (bundles / f"{lesson}.zip").write_bytes(b"PK\x05\x06" + bytes(18))


def seed(store: ReviewStore, settings: Settings, tmp: Path) -> World:
    """Users of every role, the lesson of team laocai and one of team hagiang."""
    world = World(store, settings, tmp)
    editors = PortalStore.on(store).editors
    for name, langs, teams, admin in ROLES.values():
        editors.add_user(name, PASSWORD, langs, teams=teams, admin=admin)
    _lesson(world, LESSON, "laocai")
    _lesson(world, OTHER_LESSON, "hagiang")
    store.propose_term("rvhm", "hmn", "mã QR", "QR code", "")
    (tmp / "gl").mkdir(exist_ok=True)
    return world


def seed_scratch(tmp: Path) -> tuple[World, Settings]:
    """The seeded world in a scratch folder with a SQLite review store and cheap password
    hashing, for the attack scripts run outside pytest."""
    from argon2 import PasswordHasher

    from pipeline.core.config import load_settings
    from pipeline.review import security

    security._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    settings = portal_settings(load_settings(
        config_file=tmp / "none.toml", env={}, out_dir=tmp / "out", model_dir=tmp / "m",
        prefect_home=tmp / "prefect"), tmp)
    return seed(ReviewStore(f"sqlite:///{tmp / 'review.sqlite3'}"), settings, tmp), settings


def fake_media(monkeypatch: pytest.MonkeyPatch, seconds: float = 0.0,
               gate: threading.Event | None = None) -> dict[str, int]:
    """Media builds without ffmpeg: each writes a few bytes (after ``seconds``, or once
    ``gate`` is set); returns counters of builds running now and at most at once."""
    counts = {"now": 0, "max": 0, "calls": 0}
    lock = threading.Lock()

    def build(dst: Path) -> None:
        with lock:
            counts["now"] += 1
            counts["calls"] += 1
            counts["max"] = max(counts["max"], counts["now"])
        try:
            if gate is not None:
                gate.wait(30)
            elif seconds:
                time.sleep(seconds)
            dst.parent.mkdir(parents=True, exist_ok=True)
            dst.write_bytes(b"OggS fake media")
        finally:
            with lock:
                counts["now"] -= 1

    def ffmpeg(args: list[str], *_a: Any, **_k: Any) -> str:
        build(Path(args[-1]))
        return ""

    def still(_rec: Path, _at: float, _text: str, _lang: Any, _layout: Any, dst: Path,
              *_a: Any, **_k: Any) -> Path:
        build(dst)
        return dst

    monkeypatch.setattr("pipeline.review.cue_media.run_ffmpeg", ffmpeg)
    monkeypatch.setattr("pipeline.portal.lessons.run_ffmpeg", ffmpeg)
    monkeypatch.setattr("pipeline.render.still.render_still", still)
    return counts


def csrf_in(html: str) -> str:
    m = re.search(r'name="csrf" value="([^"]+)"', html)
    assert m is not None, html[:300]
    return m.group(1)


@contextlib.contextmanager
def live_server(app: FastAPI) -> Iterator[str]:
    """``app`` served by uvicorn on 127.0.0.1 (a free port) in a daemon thread; yields its
    base URL. A server whose event loop hangs is left behind (daemon) rather than joined."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off",
                                           timeout_graceful_shutdown=2))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    for _ in range(500):
        if server.started:
            break
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()
