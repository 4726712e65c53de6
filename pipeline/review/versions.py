"""Saving and deciding on translations, one cue at a time: optimistic concurrency, QA on
every save, a new version for every change.

A save names the version it edited; a stale save is refused with the current text instead
of overwriting it. Every save re-runs the QA checks on the cue's whole sentence and keeps
the findings with the new version; errors block approval unless the approver writes a
reason (kept in the audit log). Any change to a cue re-opens its language for review.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from pipeline.review.accounts import Accounts
from pipeline.review.approvals import withdraw
from pipeline.review.audit import Audit
from pipeline.review.checks import Checker, clean_text
from pipeline.review.cues import CueRef, find_cue
from pipeline.review.db import MAX_TEXT, Database
from pipeline.review.tables import Comment, CueRow, Translation, TranslationVersion
from pipeline.review.tables import utcnow as _now
from pipeline.translate.qa import blocking

__all__ = ["ACTIONS", "SaveResult", "Versions"]

#: action -> the state it leaves the cue in.
ACTIONS = {"save": "draft", "approve": "approved", "reject": "rejected"}


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


class Versions:
    """Writes new versions of translations (saves, cue decisions, comments)."""

    def __init__(self, db: Database, accounts: Accounts | None = None,
                 audit: Audit | None = None, checker: Checker | None = None) -> None:
        self.db = db
        self.audit = audit or Audit(db)
        self.accounts = accounts or Accounts(db, self.audit)
        self._checker = checker

    @property
    def checker(self) -> Checker:
        """The QA checks run on every save (default: the project's registry/glossaries)."""
        if self._checker is None:
            self._checker = Checker()
        return self._checker

    @checker.setter
    def checker(self, value: Checker) -> None:
        self._checker = value

    def _sentence_checks(self, s: Session, cue: CueRow, lang: str,
                         text: str) -> list[dict[str, str]]:
        """QA of the cue's whole sentence with ``text`` in place of the cue's translation;
        the findings are set on every cue of the sentence."""
        rows = list(s.execute(select(CueRow, Translation)
                              .join(Translation, Translation.cue_id == CueRow.id)
                              .where(CueRow.lesson_id == cue.lesson_id, CueRow.active,
                                     CueRow.sentence_key == cue.sentence_key,
                                     Translation.lang == lang).order_by(CueRow.part)))
        source = " ".join(c.source for c, _ in rows)
        target = " ".join(text if c.id == cue.id else t.text for c, t in rows)
        checks = [i.to_json() for i in self.checker.check(lang, source, target.strip())]
        for c, t in rows:
            if c.id != cue.id:
                t.checks = checks
        return checks

    def save(self, username: str, lesson_id: str, lang: str, idx: CueRef, text: str,
             expected_version: int, action: str = "save", reason: str = "") -> SaveResult:
        """Save a new text (``action`` save) or a decision (approve/reject) on one cue.

        Returns ``ok=False`` with a ``reason``: ``conflict`` when someone else saved first
        (nothing is overwritten), ``empty`` when approving an empty cue, ``qa`` when the
        checks found errors and no override ``reason`` was written.

        Raises:
            NotAllowedError, NotFoundError, InputRefusedError.
        """
        self.accounts.require(username, lang,
                              "approve" if action in ("approve", "reject") else "edit")
        text, reason = clean_text(text)[:MAX_TEXT], clean_text(reason)[:MAX_TEXT]
        with self.db.session() as s:
            self.db.lock_lesson(s, lesson_id)
            return self._save_in(s, username, lesson_id, lang, idx, text, expected_version,
                                 action, reason)

    def save_many(self, username: str, lesson_id: str, lang: str,
                  edits: list[tuple[CueRef, str, int]]) -> list[SaveResult]:
        """Save several (cue, text, version) edits in one transaction: all are written or,
        if anything raises, none. A stale version is a ``conflict`` result, not an error."""
        self.accounts.require(username, lang, "edit")
        with self.db.session() as s:
            self.db.lock_lesson(s, lesson_id)
            return [self._save_in(s, username, lesson_id, lang, cue, text, version, "save", "")
                    for cue, text, version in edits]

    def approve_clean(self, username: str, lesson_id: str, lang: str) -> list[int]:
        """Approve, in one transaction, every cue that is translated, undecided and has no
        QA finding (the checks re-run now); returns their positions."""
        self.accounts.require(username, lang, "approve")
        with self.db.session() as s:
            self.db.lock_lesson(s, lesson_id)
            rows = s.execute(select(CueRow, Translation)
                             .join(Translation, Translation.cue_id == CueRow.id)
                             .where(CueRow.lesson_id == lesson_id, CueRow.active,
                                    Translation.lang == lang,
                                    Translation.state.in_(("draft", "needs_review")))
                             .order_by(CueRow.idx)).all()
            done = []
            for cue, row in rows:
                if not row.text or row.checks or row.suggestion:
                    continue
                checks = self._sentence_checks(s, cue, lang, row.text)
                if checks:  # the checks found something since they last ran: keep it
                    row.checks = checks
                    continue
                result = self._save_in(s, username, lesson_id, lang, cue.key, row.text,
                                       row.version, "approve", "")
                if result.ok:
                    done.append(cue.idx)
            return done

    def _save_in(self, s: Session, username: str, lesson_id: str, lang: str, idx: CueRef,
                 text: str, expected_version: int, action: str, reason: str) -> SaveResult:
        state = ACTIONS[action]
        cue, row = find_cue(s, lesson_id, lang, idx)
        if row.version != expected_version:
            self.audit.write(s, username, "conflict", lesson_id, lang, cue.idx,
                             {"expected": expected_version, "current": row.version,
                              "cue": cue.key})
            return SaveResult(False, row.version, row.text, row.state, row.updated_by,
                              "conflict", list(row.checks or []))
        checks = self._sentence_checks(s, cue, lang, text)
        refusal = self._refusal(action, text, checks, reason)
        rejection = reason if action == "reject" else ""
        if refusal:
            return SaveResult(False, row.version, row.text, row.state, row.updated_by,
                              refusal, checks)
        self._apply(s, username, cue, row, text, state, checks,
                    reason if action == "approve" and blocking(checks) else "", rejection)
        return SaveResult(True, expected_version + 1, text, state, username, "", checks)

    @staticmethod
    def _refusal(action: str, text: str, checks: list[dict[str, str]], reason: str) -> str:
        if action == "reject":
            return "" if reason else "no_reason"
        if action != "approve":
            return ""
        if not text:
            return "empty"
        return "qa" if blocking(checks) and not reason else ""

    def _apply(self, s: Session, username: str, cue: CueRow, row: Translation, text: str,
               state: str, checks: list[dict[str, str]], override: str,
               rejection: str = "") -> None:
        lesson_id, lang = cue.lesson_id, row.lang
        version = row.version + 1
        origin = f"human:{username}" if text != row.text else row.origin
        s.execute(update(Translation).where(Translation.id == row.id).values(
            text=text, state=state, origin=origin, version=version, updated_by=username,
            updated_at=_now(), checks=checks, override=override, rejection=rejection,
            suggestion=row.suggestion if state != "approved" else "")
            .execution_options(synchronize_session=False))
        s.add(TranslationVersion(translation_id=row.id, version=version, text=text,
                                 state=state, origin=origin, author=username,
                                 source_hash=cue.source_hash, checks=checks))
        if state != "approved":  # any change to a cue re-opens the language for review
            withdraw(s, lesson_id, lang)
        action = {"draft": "save", "approved": "approve", "rejected": "reject"}[state]
        self.audit.write(s, username, action, lesson_id, lang, cue.idx,
                         {"version": version, "text": text, "cue": cue.key,
                          **({"reason": rejection} if rejection else {})})
        if rejection:
            s.add(Comment(translation_id=row.id, author=username, text=rejection))
        if override:
            self.audit.write(s, username, "qa_override", lesson_id, lang, cue.idx,
                             {"cue": cue.key, "reason": override,
                              "errors": [c.code for c in blocking(checks)]})
        s.expire(row)

    def comment(self, username: str, lesson_id: str, lang: str, idx: CueRef,
                text: str) -> None:
        self.accounts.require(username, lang, "edit")
        text = clean_text(text, multiline=True)[:MAX_TEXT]
        with self.db.session() as s:
            cue, row = find_cue(s, lesson_id, lang, idx)
            s.add(Comment(translation_id=row.id, author=username, text=text))
            self.audit.write(s, username, "comment", lesson_id, lang, cue.idx, {"text": text[:200]})
