"""The review store's engine, transactions, per-lesson lock and audit log.

SQLite in WAL mode by default (a file under the output folder), PostgreSQL by URL.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, select, update
from sqlalchemy.orm import Session, sessionmaker

from pipeline.core.errors import CaunoiError
from pipeline.review.checks import Checker
from pipeline.review.tables import AuditEntry, LessonRow, utcnow

__all__ = ["MAX_TEXT", "ROLES", "NotAllowedError", "NotFoundError", "SaveResult", "StoreBase"]

ROLES = ("translator", "reviewer", "admin")
#: Longest translation or comment accepted (characters).
MAX_TEXT = 1000


class NotAllowedError(CaunoiError):
    key = "errors.not_allowed"
    exit_code = 2


class NotFoundError(CaunoiError):
    key = "errors.not_found"
    exit_code = 2


@dataclass(frozen=True)
class SaveResult:
    """The outcome of a save or decision. ``reason`` says why it was refused: ``conflict``
    (someone saved first), ``empty`` (nothing to approve), ``qa`` (check errors and no
    override reason); "" when ``ok``."""

    ok: bool
    version: int
    text: str
    state: str
    updated_by: str = ""
    reason: str = ""
    checks: list[dict[str, str]] = field(default_factory=list)


def _sqlite_pragmas(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()


class StoreBase:
    def __init__(self, url: str, checker: Checker | None = None) -> None:
        self.url = url
        self.engine = create_engine(url, future=True, pool_pre_ping=True)
        if url.startswith("sqlite"):
            if self.engine.url.database:
                Path(self.engine.url.database).parent.mkdir(parents=True, exist_ok=True)
            _sqlite_pragmas(self.engine)
        self._session = sessionmaker(self.engine, expire_on_commit=False)
        self._checker = checker
        self.migrate()

    @property
    def checker(self) -> Checker:
        """The QA checks run on every save (default: the project's registry/glossaries)."""
        if self._checker is None:
            self._checker = Checker()
        return self._checker

    @checker.setter
    def checker(self, value: Checker) -> None:
        self._checker = value

    def migrate(self) -> None:
        """Bring the schema up to date with the Alembic migrations."""
        from alembic import command
        from alembic.config import Config

        cfg = Config()
        cfg.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
        with self.engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")

    @contextmanager
    def session(self) -> Iterator[Session]:
        with self._session.begin() as s:
            yield s

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

    # --- audit -------------------------------------------------------------------------

    def _audit(self, s: Session, username: str, action: str, lesson_id: str = "",
               lang: str = "", idx: int | None = None,
               detail: dict[str, object] | None = None) -> None:
        s.add(AuditEntry(username=username, action=action, lesson_id=lesson_id, lang=lang,
                         cue_idx=idx, detail=detail or {}))

    def audit(self, lesson_id: str | None = None) -> list[AuditEntry]:
        with self.session() as s:
            q = select(AuditEntry).order_by(AuditEntry.id)
            if lesson_id is not None:
                q = q.where(AuditEntry.lesson_id == lesson_id)
            return list(s.scalars(q))

    def audit_event(self, username: str, action: str, lesson_id: str = "", lang: str = "",
                    detail: dict[str, object] | None = None) -> None:
        with self.session() as s:
            self._audit(s, username, action, lesson_id, lang, None, detail)
