"""The review store: lessons, cues, every version of every translation, approvals, audit.

SQLite in WAL mode by default (a file under the output folder), PostgreSQL by URL. Saves use
optimistic concurrency: a save names the version it edited, and a stale save is refused with
the current text instead of overwriting it.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, func, select, update
from sqlalchemy.orm import Session, sessionmaker

from pipeline.core.errors import CaunoiError
from pipeline.core.types import Cue
from pipeline.review.security import hash_password, verify_password
from pipeline.review.tables import (
    Approval,
    AuditEntry,
    Comment,
    CueRow,
    GlossaryProposal,
    LessonRow,
    Translation,
    TranslationVersion,
    User,
    UserLanguage,
    utcnow,
)
from pipeline.translate.drafts import TranslatedCue

__all__ = [
    "MAX_TEXT",
    "ROLES",
    "CueView",
    "NotAllowedError",
    "ReviewStore",
    "SaveResult",
]

log = logging.getLogger("caunoi.review")

ROLES = ("translator", "reviewer", "admin")
#: Longest translation or comment accepted (characters).
MAX_TEXT = 1000


class NotAllowedError(CaunoiError):
    vi = "Người dùng {user} không có quyền {action} cho ngôn ngữ {lang}."
    en = "User {user} may not {action} for language {lang}."
    exit_code = 2


@dataclass(frozen=True)
class SaveResult:
    ok: bool
    version: int
    text: str
    state: str
    updated_by: str = ""


@dataclass(frozen=True)
class CueView:
    idx: int
    sentence: int
    start_ms: int
    end_ms: int
    source: str
    text: str
    origin: str
    state: str
    version: int
    checks: list[dict[str, str]]
    updated_by: str


def _sqlite_pragmas(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA busy_timeout=10000")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()


class ReviewStore:
    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = create_engine(url, future=True, pool_pre_ping=True)
        if url.startswith("sqlite"):
            if self.engine.url.database:
                Path(self.engine.url.database).parent.mkdir(parents=True, exist_ok=True)
            _sqlite_pragmas(self.engine)
        self._session = sessionmaker(self.engine, expire_on_commit=False)
        self.migrate()

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

    # --- users -------------------------------------------------------------------------

    def add_user(self, username: str, password: str, languages: dict[str, str],
                 admin: bool = False, display_name: str = "", by: str = "cli") -> None:
        """Create a user with per-language roles, e.g. {"hmn": "reviewer"}."""
        for role in languages.values():
            if role not in ROLES:
                raise NotAllowedError(user=username, action=f"have role '{role}'",
                                      lang=", ".join(languages))
        with self.session() as s:
            user = s.scalar(select(User).where(User.username == username))
            if user is None:
                user = User(username=username, display_name=display_name or username,
                            password_hash=hash_password(password), is_admin=admin)
                s.add(user)
                s.flush()
            else:
                user.password_hash = hash_password(password)
                user.is_admin = admin or user.is_admin
            for lang, role in languages.items():
                row = s.scalar(select(UserLanguage).where(UserLanguage.user_id == user.id,
                                                          UserLanguage.lang == lang))
                if row is None:
                    s.add(UserLanguage(user_id=user.id, lang=lang, role=role))
                else:
                    row.role = role
            self._audit(s, by, "user_add", detail={"user": username, "languages": languages,
                                                   "admin": admin})

    def authenticate(self, username: str, password: str) -> User | None:
        with self.session() as s:
            user = s.scalar(select(User).where(User.username == username))
            ok = user is not None and verify_password(user.password_hash, password)
            self._audit(s, username, "login" if ok else "login_failed")
            return user if ok else None

    def user(self, user_id: int) -> User | None:
        with self.session() as s:
            return s.get(User, user_id)

    def roles(self, username: str) -> dict[str, str]:
        """Language -> role; admins may act on every language as reviewers."""
        with self.session() as s:
            user = s.scalar(select(User).where(User.username == username))
            if user is None:
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
        return action in ("view", "edit") or role in ("reviewer", "admin")

    def require(self, username: str, lang: str, action: str) -> None:
        if not self.can(username, lang, action):
            raise NotAllowedError(user=username, action=action, lang=lang)

    # --- lessons -----------------------------------------------------------------------

    def sync_lesson(self, lesson_id: str, title: str, cues: list[Cue],
                    translations: dict[str, list[TranslatedCue]], video: str = "") -> None:
        """Load a lesson's cues and machine drafts. Human work is never overwritten: a
        translation a person has saved keeps its text; only untouched drafts are refreshed."""
        with self.session() as s:
            lesson = s.get(LessonRow, lesson_id)
            if lesson is None:
                lesson = LessonRow(id=lesson_id, title=title, video=video)
                s.add(lesson)
            lesson.title, lesson.video, lesson.updated_at = title, video, utcnow()
            rows = {c.idx: c for c in s.scalars(select(CueRow).where(
                CueRow.lesson_id == lesson_id))}
            for c in cues:
                row = rows.get(c.index)
                if row is None:
                    row = CueRow(lesson_id=lesson_id, idx=c.index, sentence=c.sentence_index,
                                 start_ms=c.start_ms, end_ms=c.end_ms, source=c.text)
                    s.add(row)
                    rows[c.index] = row
                else:
                    row.sentence, row.start_ms, row.end_ms = (c.sentence_index, c.start_ms,
                                                              c.end_ms)
                    row.source = c.text
            s.flush()
            for lang, items in translations.items():
                for t in items:
                    self._sync_translation(s, rows[t.cue], lang, t)

    def _sync_translation(self, s: Session, cue: CueRow, lang: str, t: TranslatedCue) -> None:
        row = s.scalar(select(Translation).where(Translation.cue_id == cue.id,
                                                 Translation.lang == lang))
        checks = [c.to_json() for c in t.checks]
        if row is None:
            row = Translation(cue_id=cue.id, lang=lang, text=t.target, origin=t.origin,
                              state="draft", checks=checks, version=1,
                              updated_by="pipeline")
            s.add(row)
            s.flush()
            s.add(TranslationVersion(translation_id=row.id, version=1, text=row.text,
                                     state="draft", origin=row.origin, author="pipeline"))
            return
        touched = s.scalar(select(func.count()).select_from(TranslationVersion).where(
            TranslationVersion.translation_id == row.id,
            TranslationVersion.author != "pipeline"))
        if touched or row.text == t.target:
            return
        row.text, row.origin, row.checks = t.target, t.origin, checks
        row.version += 1
        s.add(TranslationVersion(translation_id=row.id, version=row.version, text=row.text,
                                 state=row.state, origin=row.origin, author="pipeline"))

    def lessons(self) -> list[LessonRow]:
        with self.session() as s:
            return list(s.scalars(select(LessonRow).order_by(LessonRow.id)))

    def languages_of(self, lesson_id: str) -> list[str]:
        with self.session() as s:
            q = (select(Translation.lang).join(CueRow, CueRow.id == Translation.cue_id)
                 .where(CueRow.lesson_id == lesson_id).distinct())
            return sorted(s.scalars(q))

    def cues(self, lesson_id: str, lang: str) -> list[CueView]:
        with self.session() as s:
            q = (select(CueRow, Translation).join(Translation, Translation.cue_id == CueRow.id)
                 .where(CueRow.lesson_id == lesson_id, Translation.lang == lang)
                 .order_by(CueRow.idx))
            return [CueView(c.idx, c.sentence, c.start_ms, c.end_ms, c.source, t.text, t.origin,
                            t.state, t.version, list(t.checks or []), t.updated_by)
                    for c, t in s.execute(q)]

    def progress(self, lesson_id: str, lang: str) -> tuple[int, int]:
        """(approved cues, all cues)."""
        views = self.cues(lesson_id, lang)
        return sum(v.state == "approved" for v in views), len(views)

    def is_approved(self, lesson_id: str, lang: str) -> bool:
        with self.session() as s:
            return s.scalar(select(Approval).where(Approval.lesson_id == lesson_id,
                                                   Approval.lang == lang)) is not None

    def approval(self, lesson_id: str, lang: str) -> Approval | None:
        with self.session() as s:
            return s.scalar(select(Approval).where(Approval.lesson_id == lesson_id,
                                                   Approval.lang == lang))

    # --- editing -----------------------------------------------------------------------

    def _row(self, s: Session, lesson_id: str, lang: str, idx: int) -> tuple[CueRow, Translation]:
        found = s.execute(select(CueRow, Translation)
                          .join(Translation, Translation.cue_id == CueRow.id)
                          .where(CueRow.lesson_id == lesson_id, CueRow.idx == idx,
                                 Translation.lang == lang)).first()
        if found is None:
            raise NotAllowedError(user="?", action=f"find cue {idx} of {lesson_id}", lang=lang)
        return found[0], found[1]

    def save(self, username: str, lesson_id: str, lang: str, idx: int, text: str,
             expected_version: int, action: str = "save") -> SaveResult:
        """Save a new text (``action`` save) or a decision (approve/reject) on one cue.

        Returns ``ok=False`` with the current text and version when someone else saved
        first (a stale edit): nothing is overwritten.
        """
        self.require(username, lang, "approve" if action in ("approve", "reject") else "edit")
        text = " ".join(text.split())[:MAX_TEXT]
        with self.session() as s:
            _, row = self._row(s, lesson_id, lang, idx)
            state = {"save": "draft", "approve": "approved", "reject": "rejected"}[action]
            origin = "human" if action == "save" and text != row.text else row.origin
            if action == "approve" and not text:
                return SaveResult(False, row.version, row.text, row.state, row.updated_by)
            result = s.execute(
                update(Translation)
                .where(Translation.id == row.id, Translation.version == expected_version)
                .values(text=text, state=state, origin=origin, version=expected_version + 1,
                        updated_by=username, updated_at=utcnow())
                .execution_options(synchronize_session=False))
            if result.rowcount != 1:  # type: ignore[attr-defined]
                s.refresh(row)
                self._audit(s, username, "conflict", lesson_id, lang, idx,
                            {"expected": expected_version, "current": row.version})
                return SaveResult(False, row.version, row.text, row.state, row.updated_by)
            s.add(TranslationVersion(translation_id=row.id, version=expected_version + 1,
                                     text=text, state=state, origin=origin, author=username))
            # Any change to a cue re-opens the language for review.
            if action != "approve":
                approval = s.scalar(select(Approval).where(Approval.lesson_id == lesson_id,
                                                           Approval.lang == lang))
                if approval is not None:
                    s.delete(approval)
            self._audit(s, username, action, lesson_id, lang, idx,
                        {"version": expected_version + 1, "text": text})
            return SaveResult(True, expected_version + 1, text, state, username)

    def approve_language(self, username: str, lesson_id: str, lang: str,
                         tm_dir: Path | None = None) -> bool:
        """Approve the whole language once every cue is approved; approved sentences go to
        the translation memory. Returns False while some cue is not approved."""
        self.require(username, lang, "approve")
        views = self.cues(lesson_id, lang)
        if not views or any(v.state != "approved" for v in views):
            return False
        with self.session() as s:
            if s.scalar(select(Approval).where(Approval.lesson_id == lesson_id,
                                               Approval.lang == lang)) is None:
                s.add(Approval(lesson_id=lesson_id, lang=lang, approved_by=username))
            self._audit(s, username, "approve_language", lesson_id, lang)
        if tm_dir is not None:
            from pipeline.translate.tm import TranslationMemory

            tm = TranslationMemory(tm_dir, lang)
            by_sentence: dict[int, list[CueView]] = {}
            for v in views:
                by_sentence.setdefault(v.sentence, []).append(v)
            for group in by_sentence.values():
                tm.add(" ".join(v.source for v in group), " ".join(v.text for v in group),
                       origin="human", lesson=lesson_id)
        return True

    def comment(self, username: str, lesson_id: str, lang: str, idx: int, text: str) -> None:
        self.require(username, lang, "edit")
        with self.session() as s:
            _, row = self._row(s, lesson_id, lang, idx)
            s.add(Comment(translation_id=row.id, author=username, text=text[:MAX_TEXT]))
            self._audit(s, username, "comment", lesson_id, lang, idx, {"text": text[:200]})

    def history(self, lesson_id: str, lang: str, idx: int) -> list[TranslationVersion]:
        with self.session() as s:
            _, row = self._row(s, lesson_id, lang, idx)
            return list(s.scalars(select(TranslationVersion)
                                  .where(TranslationVersion.translation_id == row.id)
                                  .order_by(TranslationVersion.version)))

    def comments(self, lesson_id: str, lang: str, idx: int) -> list[Comment]:
        with self.session() as s:
            _, row = self._row(s, lesson_id, lang, idx)
            return list(s.scalars(select(Comment).where(Comment.translation_id == row.id)
                                  .order_by(Comment.id)))

    def propose_term(self, username: str, lang: str, vi: str, target: str, note: str) -> None:
        self.require(username, lang, "edit")
        with self.session() as s:
            s.add(GlossaryProposal(lang=lang, vi=vi[:200], target=target[:200],
                                   note=note[:MAX_TEXT], proposed_by=username))
            self._audit(s, username, "propose_term", lang=lang, detail={"vi": vi})

    def proposals(self, status: str = "open") -> list[GlossaryProposal]:
        with self.session() as s:
            return list(s.scalars(select(GlossaryProposal)
                                  .where(GlossaryProposal.status == status)
                                  .order_by(GlossaryProposal.id)))

    def decide_proposal(self, username: str, proposal_id: int, accept: bool,
                        glossary_dir: Path) -> None:
        """An admin accepts (into ``<lang>.csv``, credited to the reviewer) or rejects."""
        if "*" not in self.roles(username):
            raise NotAllowedError(user=username, action="decide glossary proposals", lang="*")
        from pipeline.translate.glossary import Term, load_glossary, write_glossary

        with self.session() as s:
            p = s.get(GlossaryProposal, proposal_id)
            if p is None or p.status != "open":
                return
            p.status = "accepted" if accept else "rejected"
            if accept:
                terms = [t for t in load_glossary(glossary_dir, p.lang).terms
                         if t.vi.lower() != p.vi.lower()]
                terms.append(Term(p.vi, p.target, "", p.note, "approved",
                                  f"reviewer {p.proposed_by}, {dt.date.today().isoformat()}"))
                write_glossary(glossary_dir / f"{p.lang}.csv", terms)
            self._audit(s, username, "decide_term", lang=p.lang,
                        detail={"id": proposal_id, "accepted": accept})

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
