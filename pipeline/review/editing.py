"""Saving and deciding on translations: optimistic concurrency, QA on every save, approval
of a whole language in one locked transaction.

A save names the version it edited; a stale save is refused with the current text instead
of overwriting it. Every save re-runs the QA checks on the cue's whole sentence and keeps
the findings with the new version; errors block approval unless the approver writes a
reason (kept in the audit log).
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from pipeline.review.accounts import AccountsMixin
from pipeline.review.base import MAX_TEXT, NotFoundError, SaveResult
from pipeline.review.checks import clean_text
from pipeline.review.tables import Approval, Comment, CueRow, Translation, TranslationVersion
from pipeline.review.tables import utcnow as _now
from pipeline.translate.qa import blocking

__all__ = ["ACTIONS", "CueRef", "EditMixin"]

#: action -> the state it leaves the cue in.
ACTIONS = {"save": "draft", "approve": "approved", "reject": "rejected"}
#: A cue is named by its position (int) or its stable key (str).
CueRef = int | str


class EditMixin(AccountsMixin):
    def _row(self, s: Session, lesson_id: str, lang: str,
             cue: CueRef) -> tuple[CueRow, Translation]:
        where = CueRow.idx == cue if isinstance(cue, int) else CueRow.key == cue
        found = s.execute(select(CueRow, Translation)
                          .join(Translation, Translation.cue_id == CueRow.id)
                          .where(CueRow.lesson_id == lesson_id, where, CueRow.active,
                                 Translation.lang == lang)).first()
        if found is None:
            raise NotFoundError(what=f"cue {cue} of {lesson_id} ({lang})")
        return found[0], found[1]

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
        self.require(username, lang, "approve" if action in ("approve", "reject") else "edit")
        text, reason = clean_text(text)[:MAX_TEXT], clean_text(reason)[:MAX_TEXT]
        with self.session() as s:
            self.lock_lesson(s, lesson_id)
            return self._save_in(s, username, lesson_id, lang, idx, text, expected_version,
                                 action, reason)

    def save_many(self, username: str, lesson_id: str, lang: str,
                  edits: list[tuple[CueRef, str, int]]) -> list[SaveResult]:
        """Save several (cue, text, version) edits in one transaction: all are written or,
        if anything raises, none. A stale version is a ``conflict`` result, not an error."""
        self.require(username, lang, "edit")
        with self.session() as s:
            self.lock_lesson(s, lesson_id)
            return [self._save_in(s, username, lesson_id, lang, cue, text, version, "save", "")
                    for cue, text, version in edits]

    def approve_clean(self, username: str, lesson_id: str, lang: str) -> list[int]:
        """Approve, in one transaction, every cue that is translated, undecided and has no
        QA finding (the checks re-run now); returns their positions."""
        self.require(username, lang, "approve")
        with self.session() as s:
            self.lock_lesson(s, lesson_id)
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
        cue, row = self._row(s, lesson_id, lang, idx)
        if row.version != expected_version:
            self._audit(s, username, "conflict", lesson_id, lang, cue.idx,
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
            approval = s.scalar(select(Approval).where(Approval.lesson_id == lesson_id,
                                                       Approval.lang == lang))
            if approval is not None:
                s.delete(approval)
        action = {"draft": "save", "approved": "approve", "rejected": "reject"}[state]
        self._audit(s, username, action, lesson_id, lang, cue.idx,
                    {"version": version, "text": text, "cue": cue.key,
                     **({"reason": rejection} if rejection else {})})
        if rejection:
            s.add(Comment(translation_id=row.id, author=username, text=rejection))
        if override:
            self._audit(s, username, "qa_override", lesson_id, lang, cue.idx,
                        {"cue": cue.key, "reason": override,
                         "errors": [c.code for c in blocking(checks)]})
        s.expire(row)

    def language_blockers(self, s: Session, lesson_id: str, lang: str) -> list[int]:
        """Positions of the cues that keep ``lang`` from approval: not approved, empty, or
        with check errors and no override."""
        rows = s.execute(select(CueRow.idx, Translation)
                         .join(Translation, Translation.cue_id == CueRow.id)
                         .where(CueRow.lesson_id == lesson_id, CueRow.active,
                                Translation.lang == lang)).all()
        if not rows:
            return [-1]
        return sorted(idx for idx, t in rows
                      if t.state != "approved" or not t.text
                      or (blocking(list(t.checks or [])) and not t.override))

    def approve_language(self, username: str, lesson_id: str, lang: str,
                         tm_dir: Path | None = None) -> bool:
        """Approve the whole language once every cue is approved, in one transaction that
        re-checks under the lesson's lock; approved sentences go to the translation memory.
        Returns False while some cue is not approved (nothing is written then)."""
        self.require(username, lang, "approve")
        with self.session() as s:
            self.lock_lesson(s, lesson_id)
            blockers = self.language_blockers(s, lesson_id, lang)
            if blockers:
                self._audit(s, username, "approve_language_refused", lesson_id, lang,
                            detail={"blocking": blockers[:50]})
                return False
            if s.scalar(select(Approval).where(Approval.lesson_id == lesson_id,
                                               Approval.lang == lang)) is None:
                s.add(Approval(lesson_id=lesson_id, lang=lang, approved_by=username))
            self._audit(s, username, "approve_language", lesson_id, lang)
            sentences = self._approved_sentences(s, lesson_id, lang)
        if tm_dir is not None:
            from pipeline.translate.tm import TranslationMemory

            tm = TranslationMemory(tm_dir, lang)
            for source, target in sentences:
                tm.add(source, target, origin="human", lesson=lesson_id)
        return True

    def _approved_sentences(self, s: Session, lesson_id: str,
                            lang: str) -> list[tuple[str, str]]:
        rows = s.execute(select(CueRow, Translation)
                         .join(Translation, Translation.cue_id == CueRow.id)
                         .where(CueRow.lesson_id == lesson_id, CueRow.active,
                                Translation.lang == lang).order_by(CueRow.idx)).all()
        groups: dict[str, list[tuple[CueRow, Translation]]] = {}
        for c, t in rows:
            groups.setdefault(c.sentence_key, []).append((c, t))
        return [(" ".join(c.source for c, _ in g), " ".join(t.text for _, t in g))
                for g in groups.values()]

    def comment(self, username: str, lesson_id: str, lang: str, idx: CueRef,
                text: str) -> None:
        self.require(username, lang, "edit")
        text = clean_text(text, multiline=True)[:MAX_TEXT]
        with self.session() as s:
            cue, row = self._row(s, lesson_id, lang, idx)
            s.add(Comment(translation_id=row.id, author=username, text=text))
            self._audit(s, username, "comment", lesson_id, lang, cue.idx, {"text": text[:200]})

    def history(self, lesson_id: str, lang: str, idx: CueRef) -> list[TranslationVersion]:
        with self.session() as s:
            _, row = self._row(s, lesson_id, lang, idx)
            return list(s.scalars(select(TranslationVersion)
                                  .where(TranslationVersion.translation_id == row.id)
                                  .order_by(TranslationVersion.version)))

    def earlier_authors(self, lesson_id: str, lang: str) -> dict[str, str]:
        """Text -> the person who last wrote it in this lesson and language (any cue, retired
        ones too): who a text kept across a script change came from."""
        with self.session() as s:
            rows = s.execute(select(TranslationVersion.text, TranslationVersion.author)
                             .join(Translation,
                                   Translation.id == TranslationVersion.translation_id)
                             .join(CueRow, CueRow.id == Translation.cue_id)
                             .where(CueRow.lesson_id == lesson_id, Translation.lang == lang,
                                    TranslationVersion.author != "pipeline",
                                    TranslationVersion.text != "")
                             .order_by(TranslationVersion.id))
            return {text: author for text, author in rows}

    def comments(self, lesson_id: str, lang: str, idx: CueRef) -> list[Comment]:
        with self.session() as s:
            _, row = self._row(s, lesson_id, lang, idx)
            return list(s.scalars(select(Comment).where(Comment.translation_id == row.id)
                                  .order_by(Comment.id)))
