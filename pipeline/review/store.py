"""The review store: a thin facade over its collaborators, all on one :class:`Database`.

Each idea has its own module and class, constructible alone on a database: ``accounts``
(users, roles, sessions), ``sync`` (the pipeline's cues and drafts, by stable id), ``cues``
(reading cues, versions, comments), ``versions`` (saves and cue decisions), ``approvals``
(approving a whole language), ``proposals`` (glossary proposals), ``recordings`` (voice
recordings per narration sentence) and ``audit``. The
methods here only hand a call to the collaborator that owns it, so callers keep one object.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from pipeline.core.types import Cue
from pipeline.review.accounts import Accounts, SignedIn, UserInfo
from pipeline.review.approvals import Approvals, language_blockers
from pipeline.review.audit import Audit
from pipeline.review.checks import Checker
from pipeline.review.cues import CueRef, Cues, CueView, Rejection
from pipeline.review.db import MAX_TEXT, ROLES, Database, NotAllowedError, NotFoundError
from pipeline.review.proposals import Proposals, TermRefusedError
from pipeline.review.recordings import Recordings
from pipeline.review.sync import CueSync, SyncReport
from pipeline.review.tables import (
    Approval,
    AuditEntry,
    Comment,
    GlossaryProposal,
    LessonRow,
    TranslationVersion,
    User,
)
from pipeline.review.versions import SaveResult, Versions
from pipeline.translate.drafts import TranslatedCue
from pipeline.voice.types import Recording

__all__ = [
    "MAX_TEXT",
    "ROLES",
    "CueView",
    "NotAllowedError",
    "NotFoundError",
    "Rejection",
    "ReviewStore",
    "SaveResult",
    "TermRefusedError",
]


class ReviewStore:
    """SQLite in WAL mode by default, PostgreSQL by URL (see :class:`Database`)."""

    def __init__(self, url: str, checker: Checker | None = None) -> None:
        self.db = Database(url)
        self.audit_log = Audit(self.db)
        self.accounts = Accounts(self.db, self.audit_log)
        self.cue_sync = CueSync(self.db, self.audit_log)
        self.reading = Cues(self.db, self.accounts)
        self.versions = Versions(self.db, self.accounts, self.audit_log, checker)
        # The rule is read through this facade, so replacing ``language_blockers`` on the
        # store (as the lock test does) reaches the approval's transaction.
        self.approvals = Approvals(self.db, self.accounts, self.audit_log,
                                   lambda s, lesson, lang: self.language_blockers(s, lesson,
                                                                                 lang))
        self.terms = Proposals(self.db, self.accounts, self.audit_log)
        self.recordings = Recordings(self.db, self.accounts, self.audit_log)

    # --- the database ------------------------------------------------------------------

    @property
    def url(self) -> str:
        return self.db.url

    @property
    def engine(self) -> Engine:
        return self.db.engine

    @property
    def checker(self) -> Checker:
        return self.versions.checker

    @checker.setter
    def checker(self, value: Checker) -> None:
        self.versions.checker = value

    def lock_lesson(self, s: Session, lesson_id: str) -> LessonRow:
        return self.db.lock_lesson(s, lesson_id)

    def audit(self, lesson_id: str | None = None) -> list[AuditEntry]:
        return self.audit_log.entries(lesson_id)

    def audit_event(self, username: str, action: str, lesson_id: str = "", lang: str = "",
                    detail: dict[str, object] | None = None) -> None:
        self.audit_log.event(username, action, lesson_id, lang, detail)

    # --- accounts ----------------------------------------------------------------------

    def add_user(self, username: str, password: str, languages: dict[str, str],
                 admin: bool = False, display_name: str = "", by: str = "cli") -> None:
        self.accounts.add_user(username, password, languages, admin, display_name, by)

    def check_new_username(self, username: str) -> str:
        return self.accounts.check_new_username(username)

    def users(self) -> list[UserInfo]:
        return self.accounts.users()

    def set_password(self, username: str, password: str, by: str = "cli") -> None:
        self.accounts.set_password(username, password, by)

    def set_disabled(self, username: str, disabled: bool = True, by: str = "cli") -> None:
        self.accounts.set_disabled(username, disabled, by)

    def remove_user(self, username: str, by: str = "cli") -> None:
        self.accounts.remove_user(username, by)

    def grant(self, username: str, languages: dict[str, str], admin: bool = False,
              by: str = "cli") -> None:
        self.accounts.grant(username, languages, admin, by)

    def revoke(self, username: str, languages: list[str], admin: bool = False,
               by: str = "cli") -> None:
        self.accounts.revoke(username, languages, admin, by)

    def authenticate(self, username: str, password: str) -> User | None:
        return self.accounts.authenticate(username, password)

    def user(self, user_id: int) -> User | None:
        return self.accounts.user(user_id)

    def start_session(self, user: User) -> str:
        return self.accounts.start_session(user)

    def signed_in(self, token: str) -> SignedIn | None:
        return self.accounts.signed_in(token)

    def end_session(self, token: str) -> None:
        self.accounts.end_session(token)

    def roles(self, username: str) -> dict[str, str]:
        return self.accounts.roles(username)

    def can(self, username: str, lang: str, action: str) -> bool:
        return self.accounts.can(username, lang, action)

    def require(self, username: str, lang: str, action: str) -> None:
        self.accounts.require(username, lang, action)

    # --- cues: loading and reading -----------------------------------------------------

    def sync_lesson(self, lesson_id: str, title: str, cues: list[Cue],
                    translations: dict[str, list[TranslatedCue]],
                    video: str = "") -> SyncReport:
        return self.cue_sync.sync_lesson(lesson_id, title, cues, translations, video)

    def remove_lesson(self, lesson_id: str, by: str) -> int:
        return self.cue_sync.remove_lesson(lesson_id, by)

    def lessons(self) -> list[LessonRow]:
        return self.reading.lessons()

    def lesson(self, lesson_id: str) -> LessonRow | None:
        return self.reading.lesson(lesson_id)

    def languages_of(self, lesson_id: str) -> list[str]:
        return self.reading.languages_of(lesson_id)

    def cues(self, lesson_id: str, lang: str) -> list[CueView]:
        return self.reading.cues(lesson_id, lang)

    def units(self, lesson_id: str, lang: str,
              kinds: Sequence[str] = ("title", "chapter")) -> list[CueView]:
        return self.reading.units(lesson_id, lang, kinds)

    def items(self, lesson_id: str, lang: str) -> list[CueView]:
        return self.reading.items(lesson_id, lang)

    def progress(self, lesson_id: str, lang: str) -> tuple[int, int]:
        return self.reading.progress(lesson_id, lang)

    def rejections(self, username: str) -> list[Rejection]:
        return self.reading.rejections(username)

    def history(self, lesson_id: str, lang: str, idx: CueRef) -> list[TranslationVersion]:
        return self.reading.history(lesson_id, lang, idx)

    def machine_draft(self, lesson_id: str, lang: str, key: str) -> str:
        return self.reading.machine_draft(lesson_id, lang, key)

    def earlier_authors(self, lesson_id: str, lang: str) -> dict[str, str]:
        return self.reading.earlier_authors(lesson_id, lang)

    def comments(self, lesson_id: str, lang: str, idx: CueRef) -> list[Comment]:
        return self.reading.comments(lesson_id, lang, idx)

    # --- versions: saves and cue decisions ---------------------------------------------

    def save(self, username: str, lesson_id: str, lang: str, idx: CueRef, text: str,
             expected_version: int, action: str = "save", reason: str = "") -> SaveResult:
        return self.versions.save(username, lesson_id, lang, idx, text, expected_version,
                                  action, reason)

    def save_many(self, username: str, lesson_id: str, lang: str,
                  edits: list[tuple[CueRef, str, int]]) -> list[SaveResult]:
        return self.versions.save_many(username, lesson_id, lang, edits)

    def approve_clean(self, username: str, lesson_id: str, lang: str) -> list[int]:
        return self.versions.approve_clean(username, lesson_id, lang)

    def comment(self, username: str, lesson_id: str, lang: str, idx: CueRef,
                text: str) -> None:
        self.versions.comment(username, lesson_id, lang, idx, text)

    # --- approvals of a whole language --------------------------------------------------

    def language_blockers(self, s: Session, lesson_id: str, lang: str) -> list[int]:
        return language_blockers(s, lesson_id, lang)

    def approve_language(self, username: str, lesson_id: str, lang: str,
                         tm_dir: Path | None = None) -> bool:
        return self.approvals.approve_language(username, lesson_id, lang, tm_dir)

    def approval(self, lesson_id: str, lang: str) -> Approval | None:
        return self.approvals.approval(lesson_id, lang)

    def is_approved(self, lesson_id: str, lang: str) -> bool:
        return self.approvals.is_approved(lesson_id, lang)

    # --- glossary proposals ------------------------------------------------------------

    def propose_term(self, username: str, lang: str, vi: str, target: str, note: str) -> None:
        self.terms.propose_term(username, lang, vi, target, note)

    def proposals(self, status: str = "open") -> list[GlossaryProposal]:
        return self.terms.proposals(status)

    def decide_proposal(self, username: str, proposal_id: int, accept: bool,
                        glossary_dir: Path) -> None:
        self.terms.decide_proposal(username, proposal_id, accept, glossary_dir)

    # --- voice recordings --------------------------------------------------------------

    def approved_recordings(self, lesson_id: str, lang: str) -> list[Recording]:
        """One approved recording per narration sentence, not stale against the sentence's
        approved text, when every sentence has one; else ``[]``."""
        return self.recordings.approved_recordings(lesson_id, lang)
