"""Shared fixtures: a short generated lesson, tiny random models, isolated settings."""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from pipeline.core.config import PROJECT_ROOT, Settings, load_settings
from pipeline.core.languages import Registry, load_registry

if TYPE_CHECKING:
    from fastapi import FastAPI
    from fastapi.testclient import TestClient

    from pipeline.core.runs import RunLauncher
    from pipeline.review.store import ReviewStore

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("CAUNOI_UI_LANG", "vi")
# Prefect stops its temporary server at interpreter exit, after pytest closed the streams.
logging.raiseExceptions = False

SCRIPTS = PROJECT_ROOT / "scripts"
#: Settings a run may swap to check that the tests tell the product from a baseline, e.g.
#: ``CAUNOI_ALIGNER=proportional pytest -k align`` must fail. Everything else stays isolated.
SWAPPABLE = ("CAUNOI_ALIGNER", "CAUNOI_MT_BACKEND", "CAUNOI_PROFILES", "CAUNOI_COMPUTE_TYPE")


class _SchemaReplay:
    """Each fresh SQLite review database migrated by Alembic once a session, then replayed.

    ``Database.migrate`` on an SQLite file whose content is empty, or exactly what this
    replay last left in some file, runs Alembic for real the first time and records the
    statements it added (``iterdump``); the next database in the same state gets those
    statements (a few ms instead of ~0.1–0.3 s of Alembic per store), and its dump is
    compared with the recorded one. Any other state (a migration test's old revision, data)
    and PostgreSQL always go through Alembic. ``CAUNOI_TEST_REAL_MIGRATIONS=1`` turns it off.
    """

    def __init__(self, real: Callable[..., None]) -> None:
        self.real = real
        #: (chain, version table, dump before) -> (statements added, dump after)
        self.known: dict[tuple[str, str, tuple[str, ...]], tuple[list[str], tuple[str, ...]]] = {}
        self.made: set[tuple[str, ...]] = {()}

    @staticmethod
    def dump(conn: Any) -> tuple[str, ...]:
        raw = conn.connection.driver_connection
        return tuple(line for line in raw.iterdump()
                     if line not in ("BEGIN TRANSACTION;", "COMMIT;"))

    def migrate(self, db: Any, script_location: Path,
                version_table: str = "alembic_version") -> None:
        if db.engine.dialect.name != "sqlite" or db.engine.url.database in (None, "", ":memory:"):
            self.real(db, script_location, version_table)
            return
        with db.engine.begin() as conn:
            before = self.dump(conn)
            key = (str(script_location), version_table, before)
            if before in self.made and key in self.known:
                added, after = self.known[key]
                for statement in added:
                    conn.exec_driver_sql(statement)
                assert self.dump(conn) == after, "replayed schema differs from Alembic's"
                return
        self.real(db, script_location, version_table)
        if before not in self.made:
            return
        with db.engine.connect() as conn:
            after = self.dump(conn)
        if set(before) <= set(after):  # only additions: replayable on the same state
            old = set(before)
            self.known[key] = ([line for line in after if line not in old], after)
            self.made.add(after)


@pytest.fixture(scope="session", autouse=True)
def _replay_sqlite_migrations() -> Iterator[None]:
    if os.environ.get("CAUNOI_TEST_REAL_MIGRATIONS"):
        yield
        return
    from pipeline.review.db import Database

    replay = _SchemaReplay(Database.migrate)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(Database, "migrate",
                   lambda db, script_location, version_table="alembic_version":
                   replay.migrate(db, script_location, version_table))
        yield


def run_script(name: str, *args: str) -> None:
    subprocess.run([sys.executable, str(SCRIPTS / name), *args], check=True,
                   capture_output=True, text=True)


@pytest.fixture(scope="session")
def lessons_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("lessons")


@pytest.fixture(scope="session")
def short_lesson(lessons_root: Path) -> Path:
    """A ~20 s lesson: the first 4 sentences of the sample (espeak-ng Southern voice, uneven
    pace and pauses, a hesitation inside sentence 1, room tone; see make_sample_lesson.py)."""
    run_script("make_sample_lesson.py", "--out", str(lessons_root), "--id", "short-qr",
               "--sentences", "4")
    return lessons_root / "short-qr"


@pytest.fixture(scope="session")
def distributed_lesson(short_lesson: Path,
                       tmp_path_factory: pytest.TempPathFactory) -> tuple[Settings, Path]:
    """The short lesson produced in Vietnamese and Hmong (compat, tiny, audio; no quality
    gates), Hmong approved with test marker texts: its settings and its output folder. Built
    once a session; the publish, bundle and HLS tests read it (``tests.test_distribute``)
    and copy it before they break anything."""
    from pipeline.review.store import ReviewStore
    from pipeline.steps import ProduceOptions, produce
    from tests.review_units import approve_units

    root = tmp_path_factory.mktemp("dist")
    settings = load_settings(config_file=root / "none.toml", env={}, out_dir=root / "out",
                             model_dir=root / "none", quality_gates=False)
    opts = ProduceOptions(settings, languages=("hmn",), profiles=("compat", "tiny", "audio"))
    produce(short_lesson, opts)
    store = ReviewStore(settings.review_url)
    store.add_user("rev", "password-123", {"hmn": "reviewer"})
    for cue in store.cues("short-qr", "hmn"):  # no MT model: the reviewer types test text
        saved = store.save("rev", "short-qr", "hmn", cue.idx, f"[test hmn] {cue.idx}",
                           cue.version)
        # Marker text fails the QA checks (numbers, names): the approver overrides.
        store.save("rev", "short-qr", "hmn", cue.idx, saved.text, saved.version, "approve",
                   reason="test marker text")
    approve_units(store, "rev", "short-qr", "hmn")  # the title and chapter headings
    assert store.approve_language("rev", "short-qr", "hmn", settings.tm_path)
    store.engine.dispose()
    produce(short_lesson, opts)
    out = settings.out_dir / "short-qr"
    # The audio profile writes an MP3 beside the Opus file (feature phones, loudspeakers).
    for code in ("vi", "hmn"):
        assert (out / "audio" / f"{code}-audio.mp3").is_file()
    return settings, out


@pytest.fixture(scope="session")
def tiny_models(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Tiny random-weight models built locally by scripts/make_tiny_models.py."""
    out = tmp_path_factory.mktemp("models")
    run_script("make_tiny_models.py", "--out", str(out))
    return out


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings isolated from the user's caunoi.toml and models (only ``SWAPPABLE`` variables
    of the environment are read)."""
    env = {k: v for k, v in os.environ.items() if k in SWAPPABLE}
    return load_settings(config_file=tmp_path / "none.toml", env=env,
                         out_dir=tmp_path / "out", model_dir=tmp_path / "no-models",
                         prefect_home=tmp_path / "prefect")


@pytest.fixture(scope="session")
def registry() -> Registry:
    return load_registry(PROJECT_ROOT / "glossaries")


@pytest.fixture
def lesson_copy(short_lesson: Path, tmp_path: Path) -> Callable[[str], Path]:
    """Copy the short lesson to a new folder that a test may break."""

    def make(name: str = "broken-lesson") -> Path:
        dst = tmp_path / "lessons" / name
        shutil.copytree(short_lesson, dst)
        return dst

    return make


class ReviewApp:
    """The web app as ``caunoi review serve`` builds it (``flows.app.create_app``), over a
    test's store: web options default to folders under the test's ``tmp_path`` (override
    any field by keyword); the portal is mounted by :meth:`from_settings`."""

    def __init__(self, registry: Registry, tmp_path: Path) -> None:
        self.registry, self.tmp_path = registry, tmp_path

    def app(self, store: ReviewStore, **opts: Any) -> FastAPI:
        """Review pages only; ``opts`` override ``WebOptions`` fields."""
        from flows.app import create_app
        from pipeline.review.web_common import WebOptions

        fields: dict[str, Any] = {"out_dir": self.tmp_path / "out", "secret": "s" * 40,
                                  "glossary_dir": self.tmp_path / "gl",
                                  "tm_dir": self.tmp_path / "tm", **opts}
        return create_app(store, self.registry, WebOptions(**fields))

    def from_settings(self, store: ReviewStore, settings: Settings,
                      runs: RunLauncher | None = None, web: dict[str, Any] | None = None,
                      **portal: Any) -> FastAPI:
        """Review and portal with the options ``pipeline.steps.web_options`` makes of
        ``settings``; ``web`` and ``portal`` override their fields."""
        from flows.app import create_app
        from pipeline.steps.web_options import web_options

        web_opts, portal_opts = web_options(settings, "s" * 40, runs=runs)
        return create_app(store, self.registry, replace(web_opts, **(web or {})),
                          replace(portal_opts, **portal))

    @contextmanager
    def client(self, app: FastAPI, **kw: Any) -> Iterator[TestClient]:
        """A TestClient on 127.0.0.1 (the app's lifespan runs inside the block)."""
        from fastapi.testclient import TestClient

        with TestClient(app, base_url="http://127.0.0.1", **kw) as client:
            yield client


@pytest.fixture
def review_app(registry: Registry, tmp_path: Path) -> ReviewApp:
    """Builds the web app (and TestClients on it) the way the server does."""
    return ReviewApp(registry, tmp_path)
