"""Approving a whole language of a lesson: the rule that says when it may be approved, the
approval itself (one locked transaction), and its withdrawal when a cue or the lesson's
source changes again.

A language is approved once every current cue is approved, not empty, and free of QA
errors (or overridden with a reason); its approved sentences then go to the translation
memory. A new rule for approval (say, two reviewers) is a change to this module.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from pipeline.review.accounts import Accounts
from pipeline.review.audit import Audit
from pipeline.review.db import Database
from pipeline.review.tables import Approval, CueRow, Translation
from pipeline.translate.qa import blocking

__all__ = ["Approvals", "language_blockers", "withdraw", "withdraw_lesson"]


def language_blockers(s: Session, lesson_id: str, lang: str) -> list[int]:
    """Positions of the cues and units (title, chapter headings) that keep ``lang`` from
    approval: not approved, empty, or with check errors and no override. A language with
    units but no narration drafts while the lesson has narration is not approvable."""
    rows = s.execute(select(CueRow.idx, CueRow.kind, Translation)
                     .join(Translation, Translation.cue_id == CueRow.id)
                     .where(CueRow.lesson_id == lesson_id, CueRow.active,
                            Translation.lang == lang)).all()
    if not rows:
        return [-1]
    if all(kind != "cue" for _, kind, _ in rows) and s.scalar(
            select(CueRow.id).where(CueRow.lesson_id == lesson_id, CueRow.active,
                                    CueRow.kind == "cue").limit(1)) is not None:
        return [-1]
    return sorted(idx for idx, _, t in rows
                  if t.state != "approved" or not t.text
                  or (blocking(list(t.checks or [])) and not t.override))


def withdraw(s: Session, lesson_id: str, lang: str) -> None:
    """Re-open ``lang`` for review (any change to one of its cues does)."""
    approval = s.scalar(select(Approval).where(Approval.lesson_id == lesson_id,
                                               Approval.lang == lang))
    if approval is not None:
        s.delete(approval)


def withdraw_lesson(s: Session, lesson_id: str) -> list[str]:
    """Withdraw every approval of the lesson (its source changed); returns the languages
    that were approved."""
    approvals = list(s.scalars(select(Approval).where(Approval.lesson_id == lesson_id)))
    if approvals:
        s.execute(delete(Approval).where(Approval.lesson_id == lesson_id))
    return sorted(a.lang for a in approvals)


def _approved_sentences(s: Session, lesson_id: str, lang: str) -> list[tuple[str, str]]:
    rows = s.execute(select(CueRow, Translation)
                     .join(Translation, Translation.cue_id == CueRow.id)
                     .where(CueRow.lesson_id == lesson_id, CueRow.active,
                            Translation.lang == lang).order_by(CueRow.idx)).all()
    groups: dict[str, list[tuple[CueRow, Translation]]] = {}
    for c, t in rows:
        groups.setdefault(c.sentence_key, []).append((c, t))
    # A sentence approved despite check errors (an override) is not a model for others:
    # it never reaches the memory, where it would come back as a 100 % suggestion.
    return [(" ".join(c.source for c, _ in g), " ".join(t.text for _, t in g))
            for g in groups.values() if not any(t.override for _, t in g)]


Blockers = Callable[[Session, str, str], list[int]]


class Approvals:
    """``blockers`` is the rule (default :func:`language_blockers`): the positions of the
    cues that keep a language from approval, read inside the approval's transaction."""

    def __init__(self, db: Database, accounts: Accounts | None = None,
                 audit: Audit | None = None, blockers: Blockers = language_blockers) -> None:
        self.db = db
        self.audit = audit or Audit(db)
        self.accounts = accounts or Accounts(db, self.audit)
        self.blockers = blockers

    def approval(self, lesson_id: str, lang: str) -> Approval | None:
        """The language's approval, if it stands: approved and every current cue still
        approved (a belt to the braces of withdrawing approvals on every change)."""
        with self.db.session() as s:
            approval = s.scalar(select(Approval).where(Approval.lesson_id == lesson_id,
                                                       Approval.lang == lang))
            if approval is None or self.blockers(s, lesson_id, lang):
                return None
            return approval

    def is_approved(self, lesson_id: str, lang: str) -> bool:
        return self.approval(lesson_id, lang) is not None

    def approve_language(self, username: str, lesson_id: str, lang: str,
                         tm_dir: Path | None = None) -> bool:
        """Approve the whole language once every cue is approved, in one transaction that
        re-checks under the lesson's lock; approved sentences go to the translation memory.
        Returns False while some cue is not approved (nothing is written then)."""
        self.accounts.require(username, lang, "approve")
        with self.db.session() as s:
            self.db.lock_lesson(s, lesson_id)
            blockers = self.blockers(s, lesson_id, lang)
            if blockers:
                self.audit.write(s, username, "approve_language_refused", lesson_id, lang,
                                 detail={"blocking": blockers[:50]})
                return False
            if s.scalar(select(Approval).where(Approval.lesson_id == lesson_id,
                                               Approval.lang == lang)) is None:
                s.add(Approval(lesson_id=lesson_id, lang=lang, approved_by=username))
            self.audit.write(s, username, "approve_language", lesson_id, lang)
            sentences = _approved_sentences(s, lesson_id, lang)
        if tm_dir is not None:
            from pipeline.translate.tm import TranslationMemory

            tm = TranslationMemory(tm_dir, lang)
            for source, target in sentences:
                tm.add(source, target, origin="human", lesson=lesson_id)
        return True
