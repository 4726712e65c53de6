"""The portal's tables, on the review database's ``Base`` (one database, one metadata):
its schema changes go through the portal's own migrations (``pipeline/portal/migrations``)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import DateTime, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from pipeline.review.tables import Base, utcnow

__all__ = ["Base", "EditorTeam", "PortalLesson"]


class EditorTeam(Base):
    """A content-team editor's team (``*`` = every team): they hand in and run lessons of
    that team from the portal. Not a language role: editors do not edit translations."""

    __tablename__ = "editor_teams"
    __table_args__ = (UniqueConstraint("user_id", "team"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    team: Mapped[str] = mapped_column(String(32))


class PortalLesson(Base):
    """A lesson handed in from the portal: its team and who created it."""

    __tablename__ = "portal_lessons"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    team: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
