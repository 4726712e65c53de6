"""Users, roles and server-side sessions: the store's accounts collaborator.

Sessions live in the database: signing out, a password change, disabling a user, revoking
a role or removing the user ends their sessions at once. Usernames are normalised (NFKC,
case-folded) and validated; signing in takes the same time whether or not a name exists.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from pipeline.core.errors import CaunoiError
from pipeline.core.usernames import find, refuse_lookalike
from pipeline.review.audit import Audit
from pipeline.review.checks import BadUsernameError, normalise_username
from pipeline.review.db import ROLES, Database, NotAllowedError, NotFoundError
from pipeline.review.security import hash_password, new_token, verify_password
from pipeline.review.tables import SessionRow, User, UserLanguage, utcnow

__all__ = ["SESSION_DAYS", "Accounts", "AlsoKept", "SignedIn", "UserExistsError", "UserInfo"]

SESSION_DAYS = 14
# Verified against when the name is unknown, so both answers take as long (made on first
# use, with the same hasher settings as real passwords).
_DUMMY: dict[str, str] = {}


def _dummy_hash() -> str:
    if "hash" not in _DUMMY:
        _DUMMY["hash"] = hash_password(secrets.token_urlsafe(16))
    return _DUMMY["hash"]


class UserExistsError(CaunoiError):
    key = "errors.user_exists"
    exit_code = 2


@dataclass(frozen=True)
class UserInfo:
    username: str
    admin: bool
    disabled: bool
    roles: dict[str, str]


@dataclass(frozen=True)
class SignedIn:
    user_id: int
    username: str
    admin: bool
    csrf: str


@dataclass(frozen=True)
class AlsoKept:
    """What another package keeps with an account change (the portal's editor teams):
    written by ``write(session, user_id)`` in the same transaction, and named in the same
    audit entry by ``detail``."""

    detail: dict[str, object] = field(default_factory=dict)
    write: Callable[[Session, int], None] | None = None

    def apply(self, s: Session, user_id: int) -> None:
        if self.write is not None:
            self.write(s, user_id)


def _token_id(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class Accounts:
    """Users, their per-language roles and their sessions, on ``db``; changes are audited."""

    def __init__(self, db: Database, audit: Audit | None = None) -> None:
        self.db = db
        self.audit = audit or Audit(db)

    def _user(self, s: Session, username: str) -> User:
        user = s.scalar(select(User).where(User.username == normalise_username(username)))
        if user is None:
            raise NotFoundError(what=f"user {username}")
        return user

    def _end_sessions(self, s: Session, user_id: int) -> None:
        s.execute(delete(SessionRow).where(SessionRow.user_id == user_id))

    def add_user(self, username: str, password: str, languages: dict[str, str],
                 admin: bool = False, display_name: str = "", by: str = "cli",
                 also: AlsoKept | None = None) -> None:
        """Create a user with per-language roles, e.g. {"hmn": "reviewer"} (and what
        ``also`` keeps beside them, in the same transaction).

        Raises:
            UserExistsError: the (normalised) name is taken.
            BadUsernameError: the name is not valid.
        """
        name = normalise_username(username)
        self._check_roles(name, languages)
        with self.db.session() as s:
            if s.scalar(select(User).where(User.username == name)) is not None:
                raise UserExistsError(user=name)
            refuse_lookalike(name, s.scalars(select(User.username)))
            user = User(username=name, display_name=display_name or name,
                        password_hash=hash_password(password), is_admin=admin)
            s.add(user)
            s.flush()
            for lang, role in languages.items():
                s.add(UserLanguage(user_id=user.id, lang=lang, role=role))
            also = also or AlsoKept()
            also.apply(s, user.id)
            self.audit.write(s, by, "user_add", detail={"user": name, "languages": languages,
                                                        "admin": admin, **also.detail})

    def check_new_username(self, username: str) -> str:
        """The normalised name if a new user may take it (checked before asking for a
        password).

        Raises:
            UserExistsError: the (normalised) name is taken.
            BadUsernameError: the name is not valid.
        """
        name = normalise_username(username)
        with self.db.session() as s:
            if s.scalar(select(User).where(User.username == name)) is not None:
                raise UserExistsError(user=name)
            refuse_lookalike(name, s.scalars(select(User.username)))
        return name

    def _check_roles(self, name: str, languages: dict[str, str]) -> None:
        for role in languages.values():
            if role not in ROLES:
                raise NotAllowedError(user=name, action=f"have role '{role}'",
                                      lang=", ".join(languages))

    def users(self) -> list[UserInfo]:
        with self.db.session() as s:
            found = list(s.scalars(select(User).order_by(User.username)))
            roles = list(s.scalars(select(UserLanguage)))
            return [UserInfo(u.username, u.is_admin, u.disabled,
                             {r.lang: r.role for r in roles if r.user_id == u.id})
                    for u in found]

    def set_password(self, username: str, password: str, by: str = "cli") -> None:
        with self.db.session() as s:
            user = self._user(s, username)
            user.password_hash = hash_password(password)
            self._end_sessions(s, user.id)
            self.audit.write(s, by, "user_passwd", detail={"user": user.username})

    def set_disabled(self, username: str, disabled: bool = True, by: str = "cli") -> None:
        with self.db.session() as s:
            user = self._user(s, username)
            user.disabled = disabled
            self._end_sessions(s, user.id)
            self.audit.write(s, by, "user_disable" if disabled else "user_enable",
                             detail={"user": user.username})

    def remove_user(self, username: str, by: str = "cli") -> None:
        with self.db.session() as s:
            user = self._user(s, username)
            self._end_sessions(s, user.id)
            s.execute(delete(UserLanguage).where(UserLanguage.user_id == user.id))
            s.delete(user)
            self.audit.write(s, by, "user_remove", detail={"user": user.username})

    def grant(self, username: str, languages: dict[str, str], admin: bool = False,
              by: str = "cli", also: AlsoKept | None = None) -> None:
        """Give roles (a language's role is replaced) and/or admin (and what ``also``
        keeps)."""
        also = also or AlsoKept()
        with self.db.session() as s:
            user = self._user(s, username)
            self._check_roles(user.username, languages)
            also.apply(s, user.id)
            for lang, role in languages.items():
                row = s.scalar(select(UserLanguage).where(UserLanguage.user_id == user.id,
                                                          UserLanguage.lang == lang))
                if row is None:
                    s.add(UserLanguage(user_id=user.id, lang=lang, role=role))
                else:
                    row.role = role
            user.is_admin = user.is_admin or admin
            self.audit.write(s, by, "user_grant", detail={"user": user.username,
                                                          "languages": languages,
                                                          "admin": admin, **also.detail})

    def revoke(self, username: str, languages: list[str], admin: bool = False,
               by: str = "cli", also: AlsoKept | None = None) -> None:
        """Take roles (and/or admin, and what ``also`` removes) away; the user's sessions
        end at once."""
        also = also or AlsoKept()
        with self.db.session() as s:
            user = self._user(s, username)
            s.execute(delete(UserLanguage).where(UserLanguage.user_id == user.id,
                                                 UserLanguage.lang.in_(languages)))
            also.apply(s, user.id)
            if admin:
                user.is_admin = False
            self._end_sessions(s, user.id)
            self.audit.write(s, by, "user_revoke", detail={"user": user.username,
                                                           "languages": languages,
                                                           "admin": admin, **also.detail})

    def authenticate(self, username: str, password: str) -> User | None:
        """The user if the name and password match and the user is not disabled. An unknown
        or invalid name costs one password verification too (no timing difference)."""
        try:
            name = normalise_username(username)
        except BadUsernameError:
            name = ""
        with self.db.session() as s:
            found = find(name, s.scalars(select(User.username))) if name else None
            user = s.scalar(select(User).where(User.username == found)) if found else None
            ok = verify_password(user.password_hash if user else _dummy_hash(), password)
            ok = ok and user is not None and not user.disabled
            self.audit.write(s, found or name or "?", "login" if ok else "login_failed")
            return user if ok else None

    def user(self, user_id: int) -> User | None:
        with self.db.session() as s:
            return s.get(User, user_id)

    # --- sessions ----------------------------------------------------------------------

    def start_session(self, user: User) -> str:
        """A new session for ``user``; returns the token to put in the cookie."""
        token = secrets.token_urlsafe(32)
        with self.db.session() as s:
            s.add(SessionRow(id=_token_id(token), user_id=user.id, csrf=new_token(),
                             expires_at=utcnow() + dt.timedelta(days=SESSION_DAYS)))
        return token

    def signed_in(self, token: str) -> SignedIn | None:
        """Who holds ``token``, or None (unknown, ended, expired, user disabled)."""
        with self.db.session() as s:
            row = s.get(SessionRow, _token_id(token))
            if row is None or row.expires_at < utcnow():
                return None
            user = s.get(User, row.user_id)
            if user is None or user.disabled:
                return None
            return SignedIn(user.id, user.username, user.is_admin, row.csrf)

    def end_session(self, token: str) -> None:
        with self.db.session() as s:
            s.execute(delete(SessionRow).where(SessionRow.id == _token_id(token)))

    # --- roles -------------------------------------------------------------------------

    def roles(self, username: str) -> dict[str, str]:
        """Language -> role; admins may act on every language as reviewers."""
        with self.db.session() as s:
            user = s.scalar(select(User).where(User.username == username))
            if user is None or user.disabled:
                return {}
            rows = s.scalars(select(UserLanguage).where(UserLanguage.user_id == user.id))
            roles = {r.lang: r.role for r in rows}
            if user.is_admin:
                roles["*"] = "admin"
            return roles

    def can(self, username: str, lang: str, action: str) -> bool:
        roles = self.roles(username)
        if "*" in roles:
            return True
        role = roles.get(lang)
        if role is None:
            return False
        if action == "record":  # every role of the language may lend its voice
            return True
        if role == "voice":
            return False
        return action in ("view", "edit") or role in ("reviewer", "admin")

    def require(self, username: str, lang: str, action: str) -> None:
        if not self.can(username, lang, action):
            raise NotAllowedError(user=username, action=action, lang=lang)
