"""Which team each portal lesson belongs to, and who handed it in (review store tables)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select

from pipeline.review.accounts import ALL_TEAMS
from pipeline.review.store import ReviewStore
from pipeline.review.tables import PortalLesson, utcnow

__all__ = ["add_lesson", "lesson_row", "lessons_of", "touch"]


def add_lesson(store: ReviewStore, lesson_id: str, team: str, title: str, user: str) -> None:
    with store.session() as s:
        s.add(PortalLesson(id=lesson_id, team=team, title=title, created_by=user))
        store._audit(s, user, "portal_lesson_add", lesson_id=lesson_id,
                     detail={"team": team})


def lesson_row(store: ReviewStore, lesson_id: str) -> PortalLesson | None:
    with store.session() as s:
        return s.get(PortalLesson, lesson_id)


def lessons_of(store: ReviewStore, teams: Iterable[str]) -> list[PortalLesson]:
    """The lessons of ``teams`` (every lesson for ``*``), most recently changed first."""
    teams = list(teams)
    query = select(PortalLesson).order_by(PortalLesson.updated_at.desc(), PortalLesson.id)
    if ALL_TEAMS not in teams:
        query = query.where(PortalLesson.team.in_(teams))
    with store.session() as s:
        return list(s.scalars(query))


def touch(store: ReviewStore, lesson_id: str, user: str, action: str) -> None:
    """Record a change to the lesson (sorts it first; the audit log keeps who and what)."""
    with store.session() as s:
        row = s.get(PortalLesson, lesson_id)
        if row is not None:
            row.updated_at = utcnow()
        store._audit(s, user, action, lesson_id=lesson_id)
