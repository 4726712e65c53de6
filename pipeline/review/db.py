"""The review database: engine, transactions, Alembic migrations and the per-lesson lock.

SQLite in WAL mode by default (a file under the output folder), PostgreSQL by URL. Every
collaborator of the store (accounts, cue sync, versions, approvals, audit, and the portal's
tables) works on one :class:`Database`; each can be built alone on it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, exc, select, update
from sqlalchemy.orm import Session, sessionmaker

from pipeline.core.errors import CaunoiError
from pipeline.review.tables import LessonRow, utcnow

__all__ = ["MAX_TEXT", "ROLES", "Database", "NotAllowedError", "NotFoundError",
           "ReviewDbUnreadableError"]

#: A language's roles: translators edit, reviewers also approve, voices record (only).
ROLES = ("translator", "reviewer", "admin", "voice")
#: Longest translation or comment accepted (characters).
MAX_TEXT = 1000
#: Review's own migrations (Alembic, version table ``alembic_version``).
MIGRATIONS = Path(__file__).parent / "migrations"


class NotAllowedError(CaunoiError):
    key = "errors.not_allowed"
    exit_code = 2


class NotFoundError(CaunoiError):
    key = "errors.not_found"
    exit_code = 2


class ReviewDbUnreadableError(CaunoiError):
    """The SQLite file of the review store is not a database (damaged, or another file)."""

    key = "errors.review_db_unreadable"
    exit_code = 2


def _sqlite_pragmas(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()


class Database:
    """One engine and its transactions; review's schema is brought up to date on opening."""

    def __init__(self, url: str, migrate: bool = True) -> None:
        self.url = url
        self.engine = create_engine(url, future=True, pool_pre_ping=True)
        if url.startswith("sqlite"):
            if self.engine.url.database:
                Path(self.engine.url.database).parent.mkdir(parents=True, exist_ok=True)
            _sqlite_pragmas(self.engine)
        self._session = sessionmaker(self.engine, expire_on_commit=False)
        if migrate:
            try:
                self.migrate(MIGRATIONS)
            except (exc.DatabaseError, sqlite3.DatabaseError) as e:
                # "file is not a database", "database disk image is malformed": exactly
                # sqlite3.DatabaseError (a locked database is an OperationalError).
                if type(getattr(e, "orig", e)) is not sqlite3.DatabaseError:
                    raise
                self.engine.dispose()
                raise ReviewDbUnreadableError(path=str(self.engine.url.database)) from e

    def migrate(self, script_location: Path, version_table: str = "alembic_version") -> None:
        """Bring one chain of Alembic migrations (review's, or another package's with its
        own version table) up to its head."""
        from alembic import command
        from alembic.config import Config

        cfg = Config()
        cfg.set_main_option("script_location", str(script_location))
        with self.engine.begin() as conn:
            cfg.attributes["connection"] = conn
            cfg.attributes["version_table"] = version_table
            command.upgrade(cfg, "head")

    @contextmanager
    def session(self) -> Iterator[Session]:
        with self._session.begin() as s:
            yield s

    def add_lesson(self, s: Session, lesson_id: str, title: str, video: str = "") -> None:
        """Insert the lesson's row unless it exists. One statement (``ON CONFLICT DO
        NOTHING``): a read-then-insert let two review steps creating the shared interface
        lesson at once fail with a UNIQUE error (7 of 12 did, three at a time)."""
        from sqlalchemy.dialects import postgresql, sqlite

        pg = self.engine.dialect.name == "postgresql"
        stmt = (postgresql.insert if pg else sqlite.insert)(LessonRow).values(
            id=lesson_id, title=title, video=video, updated_at=utcnow())
        s.execute(stmt.on_conflict_do_nothing(index_elements=[LessonRow.id]))

    def lock_lesson(self, s: Session, lesson_id: str) -> LessonRow:
        """Take the lesson's write lock for the rest of the transaction (a row lock on
        PostgreSQL, the database write lock on SQLite): saves and the language approval of
        one lesson run one after the other, so a check stays true until commit.

        Raises:
            NotFoundError: no such lesson.
        """
        done = s.execute(update(LessonRow).where(LessonRow.id == lesson_id)
                         .values(updated_at=utcnow())
                         .execution_options(synchronize_session=False))
        if done.rowcount != 1:  # type: ignore[attr-defined]
            raise NotFoundError(what=f"lesson {lesson_id}")
        lesson = s.scalar(select(LessonRow).where(LessonRow.id == lesson_id)
                          .with_for_update())
        assert lesson is not None
        return lesson
