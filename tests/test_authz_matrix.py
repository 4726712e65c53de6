"""Every route of the web app (review pages and portal: pages, JSON, media, uploads) ×
every role, as one table: the status each role gets, *without following redirects* (a
save that went through and then redirected to a 403 page is a 303 here), and for writes,
the store and the files unchanged whenever the role is refused.

A route of the app without a row fails ``test_every_route_has_a_row``. Removing any single
role check of the app makes some row fail (issue 28: the still route's language check
and the save route's edit check once went unnoticed)."""

from __future__ import annotations

import dataclasses
import hashlib
import os
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from flows.app import create_app
from pipeline.core.config import Settings, load_settings
from pipeline.core.languages import Registry
from pipeline.core.runs import RunInfo, RunKind
from pipeline.portal.lessons import CheckResult
from pipeline.review.store import ReviewStore
from pipeline.review.tables import Base
from pipeline.steps.web_options import web_options
from pipeline.voice.check import RecordingInfo
from tests import test_review_dbs as dbs
from tests.conftest import SWAPPABLE
from tests.web_world import (
    ALL_ROLES,
    LESSON,
    PASSWORD,
    ROLES,
    World,
    csrf_in,
    fake_media,
    portal_settings,
    seed,
)

fast_passwords = dbs.fast_passwords


class Launcher:
    """Remembers the runs asked for; reports none (so every allowed start is accepted)."""

    mode = "embedded"

    def __init__(self) -> None:
        self.started: list[tuple[str, str]] = []

    def start(self, kind: RunKind, lesson_id: str, *, language: str | None = None,
              params: dict[str, object] | None = None) -> RunInfo:
        self.started.append((kind, lesson_id))
        return RunInfo("1", kind, lesson_id, "queued")

    def runs(self, lesson_id: str) -> list[RunInfo]:
        return []


def make_app(world: World, registry: Registry, launcher: Launcher) -> FastAPI:
    """The one place this file builds the web app (review pages + portal)."""
    web, portal = web_options(world.settings, "s" * 40, runs=launcher)
    web = dataclasses.replace(web, glossary_dir=world.tmp / "gl", tm_dir=world.tmp / "tm")
    return create_app(world.store, registry, web, portal)


KEY = "c" * 16 + "-1.1"  # the lesson's first cue
L = f"/l/{LESSON}/hmn"
P = f"/portal/l/{LESSON}"
TUS = {"Tus-Resumable": "1.0.0", "Content-Type": "application/offset+octet-stream"}

#: Who may do what (the roles of tests.web_world).
VIEW = {"tr_lang", "rv_lang", "admin"}  # a language's pages: its translators, reviewers
APPROVE = {"rv_lang", "admin"}
EDITORS = {"ed_team", "ed_other", "admin"}
TEAM = {"ed_team", "admin"}  # the lesson's team
VIDEO = VIEW | {"ed_team"}
RECORD = VIEW | {"vo_lang"}  # a language's voices record (and hear its clips)
V = f"{L}/voice"
SIGNED = set(ROLES)


def expect(ok: int, allowed: set[str], refused: int = 403, *, anon: int = 303,
           **special: int) -> dict[str, int]:
    """Role -> status: ``ok`` for ``allowed``, ``refused`` for the other signed-in roles,
    ``anon`` for nobody signed in, and ``special`` overrides (role=status)."""
    found = {r: ok if r in allowed else refused for r in ROLES}
    return {"anon": anon, **found, **special}


def everyone(status: int) -> dict[str, int]:
    return dict.fromkeys(ALL_ROLES, status)


#: A portal route's refusals: not an editor 403, another team's editor 404 (the lesson
#: is not theirs, whether it exists or not).
def portal(ok: int) -> dict[str, int]:
    return expect(ok, TEAM, ed_other=404)


def media(ok: int, allowed: set[str]) -> dict[str, int]:
    """Media: forbidden and unknown are the same 404."""
    return expect(ok, allowed, 404)


@dataclass(frozen=True)
class Row:
    method: str
    route: str  # the route's path as the app declares it
    path: str  # the path requested (ids filled in)
    want: dict[str, int]
    write: bool = False
    # Request arguments: (world, csrf token of the role) -> kwargs of client.request.
    args: Callable[[World, str], dict[str, Any]] = field(default=lambda w, c: {})


def form(**data: Any) -> Callable[[World, str], dict[str, Any]]:
    return lambda w, csrf: {"data": {"csrf": csrf, **data}}


def _version(w: World) -> int:
    return next(c.version for c in w.store.cues(LESSON, "hmn") if c.key == KEY)


def _save(action: str) -> Callable[[World, str], dict[str, Any]]:
    return lambda w, csrf: {"data": {"csrf": csrf, "version": _version(w), "action": action,
                                     "text": "HACKED", "reason": "r"}}


def _tus(w: World, csrf: str, **headers: str) -> dict[str, Any]:
    return {"headers": {"Tus-Resumable": "1.0.0", "X-CSRF-Token": csrf, **headers}}


def _recording(w: World, csrf: str) -> dict[str, Any]:
    return {"data": {"csrf": csrf}, "files": {"recording": ("new.mp4", b"\0" * 64)}}


def _new_lesson(w: World, csrf: str) -> dict[str, Any]:
    return {"data": {"csrf": csrf, "title": "Bài mới", "team": "laocai",
                     "languages": ["hmn"], "script_text": "# A\nMột câu.\n"},
            "files": {"recording": ("r.mp4", b"\0" * 64)}}


def _proposal(w: World) -> int:
    return w.store.proposals()[0].id


ROWS: list[Row] = [
    # Sign-in and static files: the same for everyone.
    Row("GET", "/healthz", "/healthz", everyone(200)),
    Row("GET", "/login", "/login", everyone(200)),
    Row("POST", "/login", "/login", everyone(303), False,  # anyone may sign in (again)
        lambda w, c: {"data": {"username": "rvhm", "password": PASSWORD, "csrf": "L"},
                      "cookies": {"caunoi_login_csrf": "L"}}),
    Row("POST", "/logout", "/logout", expect(303, SIGNED), False, form()),
    Row("GET", "/static/review.js", "/static/review.js", everyone(200)),
    Row("GET", "/portal/static/portal.js", "/portal/static/portal.js", everyone(200)),
    Row("OPTIONS", "/portal/uploads", "/portal/uploads", everyone(204)),
    # Review pages: a language's translators and reviewers (and admins).
    Row("GET", "/", "/", expect(200, SIGNED)),
    Row("GET", "/l/{lesson_id}/{lang}", L, expect(200, VIEW)),
    Row("GET", "/l/{lesson_id}/{lang}/c/{cue}", f"{L}/c/{KEY}", expect(200, VIEW)),
    Row("GET", "/l/{lesson_id}/{lang}/c/{cue}/history", f"{L}/c/{KEY}/history",
        expect(200, VIEW)),
    Row("POST", "/l/{lesson_id}/{lang}/c/{cue}/use", f"{L}/c/{KEY}/use", expect(200, VIEW),
        True, form(text="copied")),
    Row("POST", "/l/{lesson_id}/{lang}/c/{cue}", f"{L}/c/{KEY}", expect(303, VIEW), True,
        _save("save")),
    Row("POST", "/l/{lesson_id}/{lang}/c/{cue}", f"{L}/c/{KEY}", expect(303, APPROVE), True,
        _save("approve")),
    Row("POST", "/l/{lesson_id}/{lang}/c/{cue}/comment", f"{L}/c/{KEY}/comment",
        expect(303, VIEW), True, form(text="a note")),
    Row("POST", "/l/{lesson_id}/{lang}/propose", f"{L}/propose", expect(303, VIEW), True,
        form(vi="xác nhận", target="lees paub")),
    Row("POST", "/l/{lesson_id}/{lang}/bulk-approve", f"{L}/bulk-approve",
        expect(303, APPROVE), True, form()),
    # Not every cue is approved yet: the page says so (200), nothing is approved.
    Row("POST", "/l/{lesson_id}/{lang}/approve-all", f"{L}/approve-all",
        expect(200, APPROVE), True, form()),
    # Voices: a language's roles record (a file that is not audio: 422 once allowed);
    # its reviewers review; a recording is heard by its speaker and the reviewers.
    Row("GET", "/l/{lesson_id}/{lang}/voice", V, expect(200, RECORD)),
    Row("POST", "/l/{lesson_id}/{lang}/voice/consent", f"{V}/consent", expect(303, RECORD),
        True, form(name="Mai", agree="1")),
    Row("POST", "/l/{lesson_id}/{lang}/voice/{n}", f"{V}/1", expect(422, RECORD), True,
        lambda w, c: {"data": {"csrf": c}, "files": {"audio": ("a.wav", b"\0" * 64)}}),
    Row("GET", "/l/{lesson_id}/{lang}/voice/{n}/audio", f"{V}/1/audio",
        media(200, {"vo_lang", "rv_lang", "admin"})),
    Row("GET", "/l/{lesson_id}/{lang}/voices", f"{L}/voices", expect(200, APPROVE)),
    Row("POST", "/l/{lesson_id}/{lang}/voices/{n}", f"{L}/voices/1", expect(303, APPROVE),
        True, form(action="reject", reason="too fast")),
    Row("GET", "/static/voice.js", "/static/voice.js", everyone(200)),
    Row("GET", "/admin/glossary", "/admin/glossary", expect(200, {"admin"})),
    Row("POST", "/admin/glossary/{proposal_id}", "/admin/glossary/{proposal}",
        expect(303, {"admin"}), True, form(decision="reject")),
    # Media: the same rights as the page that links them; forbidden = unknown = 404.
    Row("GET", "/l/{lesson_id}/{lang}/c/{cue}/clip.opus", f"{L}/c/{KEY}/clip.opus",
        media(200, RECORD)),
    Row("GET", "/l/{lesson_id}/{lang}/c/{cue}/still.webp", f"{L}/c/{KEY}/still.webp",
        media(200, VIEW)),
    Row("GET", "/l/{lesson_id}/{lang}/c/{cue}/still.webp",
        f"{L}/c/{KEY}/still.webp?text=th%E1%BB%AD", media(200, VIEW)),
    Row("GET", "/media/{lesson_id}/{name}", f"/media/{LESSON}/hmn-compat.mp4",
        media(200, VIDEO)),
    Row("GET", "/media/{lesson_id}/{name}", f"/media/{LESSON}/vi-compat.mp4",
        media(200, VIDEO)),
    # The portal: editors; a lesson's pages and files to the editors of its team.
    Row("GET", "/portal", "/portal", expect(200, EDITORS)),
    Row("GET", "/portal/new", "/portal/new", expect(200, EDITORS)),
    Row("POST", "/portal/new", "/portal/new", expect(303, TEAM, ed_other=422), True,
        _new_lesson),
    Row("GET", "/portal/l/{lesson_id}", P, portal(200)),
    Row("GET", "/portal/l/{lesson_id}/status.json", f"{P}/status.json", portal(200)),
    Row("GET", "/portal/l/{lesson_id}/media/{name}", f"{P}/media/vi-compat.mp4", portal(200)),
    Row("GET", "/portal/l/{lesson_id}/bundle.zip", f"{P}/bundle.zip", portal(200)),
    Row("GET", "/portal/l/{lesson_id}/clip/{n}.ogg", f"{P}/clip/0.ogg", portal(200)),
    Row("POST", "/portal/l/{lesson_id}/script", f"{P}/script", portal(303), True,
        form(script_text="# A\nHACKED.\n")),
    Row("POST", "/portal/l/{lesson_id}/recording", f"{P}/recording", portal(303), True,
        _recording),
    Row("POST", "/portal/l/{lesson_id}/run", f"{P}/run", portal(303), True, form()),
    Row("POST", "/portal/l/{lesson_id}/publish", f"{P}/publish", portal(303), True,
        form(languages=["vi"], action="publish")),
    Row("POST", "/portal/l/{lesson_id}/settings", f"{P}/settings", portal(303), True,
        form(languages=["hmn"], profiles=["compat"])),
    # The matrix's lesson has a script: the team's editors are told no draft is needed
    # (409); drafting one is test_portal_loose's.
    Row("POST", "/portal/l/{lesson_id}/draft", f"{P}/draft", portal(409), True, form()),
    # Unconfirmed (the team's editors get the page back, 422): every role meets the same
    # lesson; deleting it is test_portal_web's.
    Row("POST", "/portal/l/{lesson_id}/delete", f"{P}/delete", portal(422), True, form()),
    # Resumable uploads: editors; an upload only to the editor who began it (lan).
    Row("POST", "/portal/uploads", "/portal/uploads", expect(201, EDITORS), True,
        lambda w, c: _tus(w, c, **{"Upload-Length": "10"})),
    Row("HEAD", "/portal/uploads/{upload_id}", "/portal/uploads/{upload}",
        expect(200, {"ed_team"}, ed_other=404, admin=404), False, _tus),
    Row("PATCH", "/portal/uploads/{upload_id}", "/portal/uploads/{upload}",
        expect(204, {"ed_team"}, ed_other=404, admin=404), True,
        lambda w, c: {**_tus(w, c, **TUS, **{"Upload-Offset": "0"}), "content": b"x" * 10}),
    Row("DELETE", "/portal/uploads/{upload_id}", "/portal/uploads/{upload}",
        expect(204, {"ed_team"}, ed_other=404, admin=404), True, _tus),
]


def _routes(app: FastAPI) -> set[tuple[str, str]]:
    """(method, path) of every route, through included routers."""
    found: set[tuple[str, str]] = set()

    def walk(routes: list[Any], prefix: str) -> None:
        for r in routes:
            if hasattr(r, "original_router"):
                ctx = getattr(r, "include_context", None)
                walk(r.original_router.routes, prefix + getattr(ctx, "prefix", ""))
            elif hasattr(r, "routes") and not hasattr(r, "methods"):
                walk(r.routes, prefix + getattr(r, "path", ""))
            else:
                found.update((m, prefix + r.path) for m in getattr(r, "methods", None) or ())

    walk(app.routes, "")
    return found


@dataclass
class Setup:
    world: World
    app: FastAPI
    launcher: Launcher
    upload: str
    # Role -> (session cookies, CSRF token): signed in once, in the seeded world.
    sessions: dict[str, tuple[dict[str, str], str]] = field(default_factory=dict)


@dataclass(frozen=True)
class Seeded:
    """The world seeded once per module (at ``live``, the folder every test's world is
    in) and kept pristine at ``pristine``; each test gets ``live`` restored from it, so
    its writes never reach another test."""

    live: Path
    pristine: Path
    sessions: dict[str, tuple[dict[str, str], str]]


def _world_settings(root: Path) -> Settings:
    env = {k: v for k, v in os.environ.items() if k in SWAPPABLE}
    return portal_settings(load_settings(
        config_file=root / "none.toml", env=env, out_dir=root / "out",
        model_dir=root / "no-models", prefect_home=root / "prefect"), root)


def _patch_world(mp: pytest.MonkeyPatch) -> None:
    """No ffmpeg, no recording checks (the matrix is about rights, not media)."""
    fake_media(mp)
    mp.setattr("pipeline.portal.intake.check_recording", lambda *_a: None)
    mp.setattr("pipeline.portal.intake.check_lesson", lambda *_a: CheckResult(True))


def _fast_passwords(mp: pytest.MonkeyPatch) -> None:
    """``test_review_dbs.fast_passwords`` for the module's seeding (cheap argon2)."""
    from argon2 import PasswordHasher

    from pipeline.review import accounts, security

    mp.setattr(security, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024,
                                                   parallelism=1))
    mp.setattr(accounts, "_DUMMY", {})


def _sign_in(app: FastAPI, role: str) -> tuple[dict[str, str], str]:
    with TestClient(app, base_url="http://127.0.0.1", follow_redirects=False) as client:
        token = csrf_in(client.get("/login").text)
        r = client.post("/login", data={"username": ROLES[role][0], "password": PASSWORD,
                                        "csrf": token})
        assert r.status_code == 303
        return dict(client.cookies.items()), csrf_in(client.get("/").text)


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory, registry: Registry) -> Iterator[Seeded]:
    """Users of every role signed in, the lessons, their outputs, a voice recording: made
    once (it was 0.5 s of every test's set-up), restored for each test by copying."""
    live = tmp_path_factory.mktemp("authz-live")
    pristine = tmp_path_factory.mktemp("authz-pristine") / "world"
    with pytest.MonkeyPatch.context() as mp:
        _fast_passwords(mp)
        _patch_world(mp)
        store = ReviewStore(f"sqlite:///{live / 'review.sqlite3'}")
        world = seed(store, _world_settings(live), live)
        _voice(world)
        app = make_app(world, registry, Launcher())
        sessions = {role: _sign_in(app, role) for role in ROLES}
        store.engine.dispose()
    shutil.copytree(live, pristine, symlinks=True)
    yield Seeded(live, pristine, sessions)
    shutil.rmtree(pristine, ignore_errors=True)


def _fresh(seeded: Seeded, registry: Registry, mp: pytest.MonkeyPatch) -> Setup:
    """The seeded world as it was made (what the last test did is gone), and its app."""
    shutil.rmtree(seeded.live)
    shutil.copytree(seeded.pristine, seeded.live, symlinks=True)
    store = ReviewStore(f"sqlite:///{seeded.live / 'review.sqlite3'}")
    world = World(store, _world_settings(seeded.live), seeded.live)
    _patch_world(mp)
    launcher = Launcher()
    app = make_app(world, registry, launcher)
    upload = app.state.portal.uploads.create("lan", 10, "r.wav").id
    return Setup(world, app, launcher, upload, seeded.sessions)


@pytest.fixture
def setup(seeded: Seeded, registry: Registry, monkeypatch: pytest.MonkeyPatch) -> Iterator[Setup]:
    made = _fresh(seeded, registry, monkeypatch)
    yield made
    made.world.store.engine.dispose()


def _tree(root: Path) -> str:
    h = hashlib.sha256()
    for p in sorted(root.rglob("*")):
        if p.is_file():
            h.update(f"{p.relative_to(root)}:{p.stat().st_mtime_ns}".encode() + p.read_bytes())
    return h.hexdigest()


def test_a_test_that_changes_the_world_leaves_the_next_one_the_seeded_world(
        seeded: Seeded, registry: Registry, monkeypatch: pytest.MonkeyPatch) -> None:
    """What one test writes (a cue approved, a lesson's script, a session ended) is gone
    for the next, whose roles are still signed in; the pristine copy is never written."""
    pristine = _tree(seeded.pristine)
    first = _fresh(seeded, registry, monkeypatch)
    before = fingerprint(first.world, first.launcher)
    client, csrf = _signed_in(first, "rv_lang")
    assert client.request("POST", f"{L}/c/{KEY}", **_save("approve")(first.world, csrf)
                          ).status_code == 303
    assert client.post("/logout", data={"csrf": csrf}).status_code == 303
    editor, token = _signed_in(first, "ed_team")
    assert editor.post(f"{P}/script", data={"csrf": token, "script_text": "# A\nMới.\n"}
                       ).status_code == 303
    assert fingerprint(first.world, first.launcher) != before
    first.world.store.engine.dispose()

    second = _fresh(seeded, registry, monkeypatch)
    try:
        assert next(c for c in second.world.store.cues(LESSON, "hmn") if c.key == KEY
                    ).text == "Them 45.000"
        assert "Mới." not in (second.world.lesson_dir / "script.md").read_text(
            encoding="utf-8")
        client, _ = _signed_in(second, "rv_lang")
        assert client.get(L).status_code == 200  # the session the first one ended
        assert _tree(seeded.pristine) == pristine
    finally:
        second.world.store.engine.dispose()


def _voice(world: World) -> None:
    """The first sentence approved and recorded by the voice of hmn."""
    view = next(c for c in world.store.cues(LESSON, "hmn") if c.key == KEY)
    assert world.store.save("rvhm", LESSON, "hmn", KEY, "Them 45.000", view.version,
                            "approve").ok
    take = world.tmp / "take.wav"
    take.write_bytes(b"RIFF take")
    world.store.recordings.consent("vohm", "Vo")
    world.store.recordings.store("vohm", LESSON, "hmn", KEY.rsplit(".", 1)[0], take,
                                 RecordingInfo(str(take), "0" * 64, 900, 0, 900, 900, -3.0),
                                 world.settings.out_dir)


def test_every_route_has_a_row(setup: Setup) -> None:
    rows = {(r.method, r.route) for r in ROWS}
    routes = _routes(setup.app)
    assert len(routes) >= 38
    assert routes - rows == set(), "routes without a row in ROWS"
    assert rows - routes == set(), "rows of routes the app does not have"


def fingerprint(world: World, launcher: Launcher) -> str:
    """Everything a write could change: every table but the sessions, the lesson folders
    (uploads included), glossaries, translation memory, the runs asked for."""
    h = hashlib.sha256()
    with world.store.engine.connect() as c:
        for table in Base.metadata.sorted_tables:
            if table.name != "sessions":
                h.update(repr((table.name, sorted(map(repr, c.execute(select(table)))))).encode())
    for root in (Path(world.settings.lessons_dir), world.tmp / "gl", world.tmp / "tm"):
        for p in sorted(root.rglob("*")) if root.is_dir() else []:
            st = p.stat()
            h.update(f"{p}:{st.st_size}:{st.st_mtime_ns}".encode())
            if p.is_file():
                h.update(p.read_bytes())
    h.update(repr(launcher.started).encode())
    return h.hexdigest()


def _signed_in(setup: Setup, role: str) -> tuple[TestClient, str]:
    """A client of ``role``'s session (signed in once, in the seeded world)."""
    client = TestClient(setup.app, base_url="http://127.0.0.1", follow_redirects=False)
    if role == "anon":
        return client, ""
    cookies, csrf = setup.sessions[role]
    for name, value in cookies.items():
        client.cookies.set(name, value)
    return client, csrf


def _row_id(row: Row) -> str:
    return f"{row.method} {row.path.split('?')[0]}{'?' if '?' in row.path else ''}"


@pytest.mark.parametrize("row", ROWS, ids=[_row_id(r) for r in ROWS])
def test_each_role_gets_what_its_rights_say(setup: Setup, row: Row) -> None:
    # Refused roles first: an allowed write must not hide a refused one's effect.
    order = sorted(ALL_ROLES, key=lambda r: row.want[r] < 400)
    wrong = []
    for role in order:
        client, csrf = _signed_in(setup, role)
        path = row.path.format(upload=setup.upload, proposal=_proposal(setup.world))
        kwargs = row.args(setup.world, csrf)
        for name, value in kwargs.pop("cookies", {}).items():
            client.cookies.set(name, value)
        before = fingerprint(setup.world, setup.launcher) if row.write else ""
        got = client.request(row.method, path, **kwargs).status_code
        if got != row.want[role]:
            wrong.append(f"{role}: {got} (want {row.want[role]})")
        if row.write and row.want[role] >= 400 and \
                fingerprint(setup.world, setup.launcher) != before:
            wrong.append(f"{role}: refused ({got}) but the store changed")
        client.close()
    assert not wrong, f"{row.method} {path}: " + "; ".join(wrong)
