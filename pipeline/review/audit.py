"""The audit log: who did what, when. Append-only; every collaborator writes its entries in
the transaction of the change they record."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from pipeline.review.db import Database
from pipeline.review.tables import AuditEntry

__all__ = ["Audit"]


class Audit:
    def __init__(self, db: Database) -> None:
        self.db = db

    @staticmethod
    def write(s: Session, username: str, action: str, lesson_id: str = "", lang: str = "",
              idx: int | None = None, detail: dict[str, object] | None = None) -> None:
        """Add an entry to the transaction ``s`` (written when it commits)."""
        s.add(AuditEntry(username=username, action=action, lesson_id=lesson_id, lang=lang,
                         cue_idx=idx, detail=detail or {}))

    def entries(self, lesson_id: str | None = None) -> list[AuditEntry]:
        with self.db.session() as s:
            q = select(AuditEntry).order_by(AuditEntry.id)
            if lesson_id is not None:
                q = q.where(AuditEntry.lesson_id == lesson_id)
            return list(s.scalars(q))

    def event(self, username: str, action: str, lesson_id: str = "", lang: str = "",
              detail: dict[str, object] | None = None) -> None:
        """An entry on its own (not part of a change the store makes)."""
        with self.db.session() as s:
            self.write(s, username, action, lesson_id, lang, None, detail)
