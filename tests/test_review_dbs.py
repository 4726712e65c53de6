"""The review store on both databases it supports: SQLite (a file) and a real PostgreSQL
server started for the test session from Debian's ``postgresql`` binaries
(``flows.postgres.LocalPostgres``, throwaway: no fsync, on a free local port). Other review
tests import ``db_url`` from here.

Also the migration that carries a 0001 database over to stable cue ids.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from flows.env import free_port
from flows.postgres import LocalPostgres, postgres_bindir
from pipeline.core.types import cue_id, sentence_ids
from pipeline.review.store import ReviewStore

__all__ = ["db_url", "fast_passwords", "pg_server"]


_CLUSTER: list[LocalPostgres] = []
#: Autocommit engines on clusters' ``postgres`` databases, by URL: they create and drop the
#: tests' databases (a ``psql`` process each cost ~0.3 s).
_ADMIN: dict[str, sa.Engine] = {}
#: The session's test databases not in use, emptied (reused: creating one costs ~0.3–1 s).
_FREE: list[str] = []


def _admin(cluster: LocalPostgres) -> sa.Engine:
    url = cluster.url("postgres")
    if url not in _ADMIN:
        _ADMIN[url] = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    return _ADMIN[url]


def _cluster() -> LocalPostgres:
    bindir = postgres_bindir()
    if bindir is None:
        pytest.skip("PostgreSQL binaries (initdb, pg_ctl) not installed: "
                    "apt-get install postgresql (scripts/setup_system.sh)")
    try:
        import psycopg  # noqa: F401
    except ImportError:
        pytest.skip("psycopg not installed: pip install -e '.[postgres]'")
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        pytest.skip("running as root without runuser: cannot start PostgreSQL")
    if not _CLUSTER:
        cluster = LocalPostgres(Path(tempfile.mkdtemp(prefix="caunoi-pg-")), free_port(),
                                durable=False, max_connections=200)
        cluster.start()
        atexit.register(cluster.remove)
        _CLUSTER.append(cluster)
    return _CLUSTER[0]


@pytest.fixture(autouse=True)
def fast_passwords(monkeypatch: pytest.MonkeyPatch) -> None:
    """Cheap argon2 settings for tests (the real ones cost ~0.1 s a hash by design)."""
    from argon2 import PasswordHasher

    from pipeline.review import accounts, security

    monkeypatch.setattr(security, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024,
                                                            parallelism=1))
    monkeypatch.setattr(accounts, "_DUMMY", {})


@pytest.fixture(scope="session")
def pg_server() -> Iterator[LocalPostgres]:
    """The session's PostgreSQL cluster, stopped when the session ends (atexit is only
    the fallback)."""
    cluster = _cluster()
    yield cluster
    while _ADMIN:
        _ADMIN.popitem()[1].dispose()
    _FREE.clear()
    cluster.remove()
    _CLUSTER.clear()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty review database URL on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'review.sqlite3'}"
        return
    cluster: LocalPostgres = request.getfixturevalue("pg_server")
    name = _FREE.pop() if _FREE else _new_database(cluster)
    yield cluster.url(name)
    _empty_database(cluster, name)
    _FREE.append(name)


def _new_database(cluster: LocalPostgres) -> str:
    """A new database (what ``cluster.ensure_database`` does, without a ``psql`` process)."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    with _admin(cluster).connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    return name


def _empty_database(cluster: LocalPostgres, name: str) -> None:
    """Make a used test database as empty as a new one (its connections closed, every schema
    dropped, ``public`` made again): CREATE DATABASE costs ~0.3–1 s here, this a few ms."""
    with _admin(cluster).connect() as conn:
        conn.exec_driver_sql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                             f"WHERE datname = '{name}' AND pid <> pg_backend_pid()")
    engine = sa.create_engine(cluster.url(name), poolclass=sa.pool.NullPool)
    try:
        with engine.begin() as conn:
            schemas = conn.exec_driver_sql(
                "SELECT nspname FROM pg_namespace WHERE nspname NOT LIKE 'pg\\_%%' "
                "AND nspname <> 'information_schema'").scalars().all()
            for schema in schemas:
                conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
            conn.exec_driver_sql("CREATE SCHEMA public")
            left = conn.exec_driver_sql(
                "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname NOT LIKE 'pg\\_%%' AND n.nspname <> 'information_schema'"
            ).scalar()
            assert left == 0, f"{left} relations left in {name}"
    finally:
        engine.dispose()


def test_cluster_creates_and_drops_a_database(pg_server: LocalPostgres) -> None:
    """``LocalPostgres.ensure_database`` (server mode's set-up) and ``drop_database``: the
    fixtures above create the tests' databases without them."""
    def exists(name: str) -> bool:
        with _admin(pg_server).connect() as conn:
            return conn.exec_driver_sql(
                f"SELECT count(*) FROM pg_database WHERE datname = '{name}'").scalar() == 1

    name = f"t_{uuid.uuid4().hex[:12]}"
    pg_server.ensure_database(name)
    pg_server.ensure_database(name)  # already there: nothing to do, no error
    assert exists(name)
    pg_server.drop_database(name)
    assert not exists(name)


def test_store_migrates_on_both_databases(db_url: str) -> None:
    store = ReviewStore(db_url)
    with store.engine.connect() as conn:
        version = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
        columns = {c["name"] for c in sa.inspect(conn).get_columns("cues")}
        translations = {c["name"] for c in sa.inspect(conn).get_columns("translations")}
    store.engine.dispose()
    assert version == _head()
    assert {"key", "source_hash", "active"} <= columns
    assert "rejection" in translations  # 0003: the reason a cue was rejected


def migrations_config() -> Any:
    """An Alembic config for the review store's migrations."""
    from alembic.config import Config

    import pipeline.review

    cfg = Config()
    cfg.set_main_option("script_location",
                        str(Path(pipeline.review.__file__).parent / "migrations"))
    return cfg


def upgrade_to(conn: sa.Connection, revision: str) -> None:
    """Bring the database on ``conn`` to the review store's ``revision``."""
    from alembic import command

    cfg = migrations_config()
    cfg.attributes["connection"] = conn
    command.upgrade(cfg, revision)


def _head() -> str:
    """The newest migration (each change that adds one need not edit this test)."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(migrations_config()).get_current_head()
    assert head is not None
    return head


def test_migration_carries_existing_cues_to_stable_ids(db_url: str) -> None:
    """A database written by 0001 (cues keyed by position) gets keys computed from the text,
    and every translation stays on its sentence."""
    engine = sa.create_engine(db_url)
    with engine.begin() as conn:
        upgrade_to(conn, "0001")
        conn.execute(sa.text("INSERT INTO lessons (id, title, video, updated_at) "
                             "VALUES ('old', 'T', '', CURRENT_TIMESTAMP)"))
        sources = [(0, 0, "Mở ứng dụng"), (1, 0, "ngân hàng."), (2, 1, "Quét mã."),
                   (3, 2, "Mở ứng dụng ngân hàng.")]
        for idx, sent, text in sources:
            conn.execute(sa.text(
                "INSERT INTO cues (id, lesson_id, idx, sentence, start_ms, end_ms, source) "
                "VALUES (:i, 'old', :i, :s, 0, 1, :t)"), {"i": idx + 1, "s": sent, "t": text})
            conn.execute(sa.text(
                "INSERT INTO translations (id, cue_id, lang, text, origin, state, checks, "
                "version, updated_by, updated_at) VALUES (:i, :i, 'en', :t, 'human', "
                "'approved', '[]', 2, 'mai', CURRENT_TIMESTAMP)"),
                {"i": idx + 1, "t": f"EN-{idx}"})
    engine.dispose()
    store = ReviewStore(db_url)  # upgrades to head
    views = store.cues("old", "en")
    store.engine.dispose()
    first, second, third = sentence_ids(["Mở ứng dụng ngân hàng.", "Quét mã.",
                                         "Mở ứng dụng ngân hàng."])
    assert [(v.key, v.text) for v in views] == [
        (cue_id(first, 1), "EN-0"), (cue_id(first, 2), "EN-1"), (cue_id(second, 1), "EN-2"),
        (cue_id(third, 1), "EN-3")]
    assert third.endswith("-2")  # the repeated sentence is its second occurrence
