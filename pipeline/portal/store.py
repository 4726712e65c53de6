"""The portal's part of the review database: content-team editors (which teams a user hands
in lessons for) and the lessons handed in from the portal (their team, who made them).

Built on the review database's :class:`~pipeline.review.db.Database` and accounts (same
users, same audit log); opening a :class:`PortalStore` brings the portal's own chain of
migrations up to date.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from pipeline.core.errors import CaunoiError
from pipeline.portal.tables import EditorTeam, PortalLesson
from pipeline.review.accounts import Accounts, AlsoKept
from pipeline.review.audit import Audit
from pipeline.review.db import Database
from pipeline.review.store import ReviewStore
from pipeline.review.tables import User, utcnow

__all__ = ["ALL_TEAMS", "BadTeamError", "Editors", "PortalLessons", "PortalStore",
           "check_team"]

#: The portal's migrations, recorded in their own version table.
MIGRATIONS = Path(__file__).parent / "migrations"
VERSION_TABLE = "alembic_version_portal"
#: The editor team that stands for every team (a global editor).
ALL_TEAMS = "*"
_TEAM = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")


class BadTeamError(CaunoiError):
    key = "errors.bad_team"
    exit_code = 2


def check_team(team: str) -> str:
    """``team`` if it is a valid team name (or ``*``), else :class:`BadTeamError`."""
    if team != ALL_TEAMS and not _TEAM.match(team):
        raise BadTeamError(team=team[:40])
    return team


def _add_teams(s: Session, user_id: int, teams: tuple[str, ...]) -> None:
    for team in dict.fromkeys(check_team(x) for x in teams):
        if s.scalar(select(EditorTeam).where(EditorTeam.user_id == user_id,
                                             EditorTeam.team == team)) is None:
            s.add(EditorTeam(user_id=user_id, team=team))


def _remove_teams(s: Session, user_id: int, teams: tuple[str, ...]) -> None:
    if teams:
        s.execute(delete(EditorTeam).where(EditorTeam.user_id == user_id,
                                           EditorTeam.team.in_(teams)))


class Editors:
    """Content-team editors. A team is not a language role: editors do not edit
    translations. Account changes that name teams go through here so the teams are kept
    in the same transaction and audit entry as the rest of the change."""

    def __init__(self, db: Database, accounts: Accounts | None = None) -> None:
        self.db = db
        self.accounts = accounts or Accounts(db)

    def add_user(self, username: str, password: str, languages: dict[str, str],
                 admin: bool = False, display_name: str = "", by: str = "cli",
                 teams: tuple[str, ...] = ()) -> None:
        """:meth:`Accounts.add_user`, and the content teams the user edits for (``"*"`` =
        every team).

        Raises:
            BadTeamError: a team name is not valid (nothing is written).
        """
        self.accounts.add_user(username, password, languages, admin, display_name, by,
                               AlsoKept({"teams": list(teams)},
                                        lambda s, uid: _add_teams(s, uid, teams)))

    def grant(self, username: str, languages: dict[str, str], admin: bool = False,
              by: str = "cli", teams: tuple[str, ...] = ()) -> None:
        """Give roles, editor teams and/or admin."""
        self.accounts.grant(username, languages, admin, by,
                            AlsoKept({"teams": list(teams)},
                                     lambda s, uid: _add_teams(s, uid, teams)))

    def revoke(self, username: str, languages: list[str], admin: bool = False,
               by: str = "cli", teams: tuple[str, ...] = ()) -> None:
        """Take roles, editor teams (and/or admin) away; the user's sessions end at once."""
        self.accounts.revoke(username, languages, admin, by,
                             AlsoKept({"teams": list(teams)},
                                      lambda s, uid: _remove_teams(s, uid, teams)))

    def teams(self, username: str) -> tuple[str, ...]:
        """The content teams ``username`` edits for (``("*",)`` for admins and global
        editors); empty when they are not an editor (or disabled)."""
        with self.db.session() as s:
            user = s.scalar(select(User).where(User.username == username))
            if user is None or user.disabled:
                return ()
            if user.is_admin:
                return (ALL_TEAMS,)
            teams = tuple(s.scalars(select(EditorTeam.team).where(
                EditorTeam.user_id == user.id).order_by(EditorTeam.team)))
            return (ALL_TEAMS,) if ALL_TEAMS in teams else teams

    def can_edit_team(self, username: str, team: str) -> bool:
        """Whether ``username`` may hand in, run and publish lessons of ``team``."""
        teams = self.teams(username)
        return ALL_TEAMS in teams or team in teams

    def teams_by_user(self) -> dict[str, tuple[str, ...]]:
        """Username -> the teams written for them (as listed by ``caunoi users list``)."""
        with self.db.session() as s:
            rows = s.execute(select(User.username, EditorTeam.team)
                             .join(EditorTeam, EditorTeam.user_id == User.id)
                             .order_by(EditorTeam.team))
            found: dict[str, tuple[str, ...]] = {}
            for name, team in rows:
                found[name] = (*found.get(name, ()), team)
            return found


class PortalLessons:
    """Which team each portal lesson belongs to, and who handed it in."""

    def __init__(self, db: Database, audit: Audit | None = None) -> None:
        self.db = db
        self.audit = audit or Audit(db)

    def add(self, lesson_id: str, team: str, title: str, user: str) -> None:
        with self.db.session() as s:
            s.add(PortalLesson(id=lesson_id, team=team, title=title, created_by=user))
            self.audit.write(s, user, "portal_lesson_add", lesson_id=lesson_id,
                             detail={"team": team})

    def row(self, lesson_id: str) -> PortalLesson | None:
        with self.db.session() as s:
            return s.get(PortalLesson, lesson_id)

    def of_teams(self, teams: Iterable[str]) -> list[PortalLesson]:
        """The lessons of ``teams`` (every lesson for ``*``), most recently changed first."""
        teams = list(teams)
        query = select(PortalLesson).order_by(PortalLesson.updated_at.desc(),
                                              PortalLesson.id)
        if ALL_TEAMS not in teams:
            query = query.where(PortalLesson.team.in_(teams))
        with self.db.session() as s:
            return list(s.scalars(query))

    def touch(self, lesson_id: str, user: str, action: str) -> None:
        """Record a change to the lesson (sorts it first; the audit log keeps who and
        what)."""
        with self.db.session() as s:
            row = s.get(PortalLesson, lesson_id)
            if row is not None:
                row.updated_at = utcnow()
            self.audit.write(s, user, action, lesson_id=lesson_id)


    def remove(self, lesson_id: str, user: str) -> None:
        """Forget a deleted lesson (the audit log keeps who deleted it, and its title)."""
        with self.db.session() as s:
            row = s.get(PortalLesson, lesson_id)
            if row is None:
                return
            self.audit.write(s, user, "portal_lesson_delete", lesson_id=lesson_id,
                             detail={"team": row.team, "title": row.title})
            s.delete(row)


class PortalStore:
    """The portal's collaborators on the review store's database."""

    def __init__(self, db: Database, accounts: Accounts | None = None,
                 audit: Audit | None = None) -> None:
        db.migrate(MIGRATIONS, VERSION_TABLE)
        self.db = db
        audit = audit or Audit(db)
        self.editors = Editors(db, accounts or Accounts(db, audit))
        self.lessons = PortalLessons(db, audit)

    @classmethod
    def on(cls, store: ReviewStore) -> PortalStore:
        """The portal's part of ``store``'s database (same accounts and audit log)."""
        return cls(store.db, store.accounts, store.audit_log)
