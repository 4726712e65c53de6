"""The review store: lessons, cues, every version of every translation, approvals, audit.

One class, :class:`ReviewStore`, assembled from its parts: ``base`` (engine, lock, audit),
``accounts`` (users, roles, sessions), ``sync`` (cues and drafts by stable id), ``editing``
(saves, decisions, language approval) and the read-only queries and glossary proposals here.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from pipeline.core.errors import CaunoiError
from pipeline.review.base import MAX_TEXT, ROLES, NotAllowedError, NotFoundError, SaveResult
from pipeline.review.checks import clean_line
from pipeline.review.editing import EditMixin
from pipeline.review.sync import SyncMixin
from pipeline.review.tables import (
    Approval,
    CueRow,
    GlossaryProposal,
    LessonRow,
    Translation,
)

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

log = logging.getLogger("caunoi.review")


class TermRefusedError(CaunoiError):
    key = "errors.term_refused"
    exit_code = 2


class EmptyTermError(TermRefusedError):
    key = "errors.empty_term"


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
    # Stable id ``<sentence id>.<part>``.
    key: str = ""
    sentence_key: str = ""
    # An earlier approved text offered after the source changed.
    suggestion: str = ""
    override: str = ""
    # Why the reviewer rejected the current text.
    rejection: str = ""


@dataclass(frozen=True)
class Rejection:
    """A rejected cue as its translator's home page lists it."""

    lesson_id: str
    lang: str
    idx: int
    key: str
    source: str
    text: str
    reason: str
    by: str


class ReviewStore(SyncMixin, EditMixin):
    """SQLite in WAL mode by default, PostgreSQL by URL (see ``base.StoreBase``)."""

    # --- lessons -----------------------------------------------------------------------

    def lessons(self) -> list[LessonRow]:
        with self.session() as s:
            return list(s.scalars(select(LessonRow).order_by(LessonRow.id)))

    def lesson(self, lesson_id: str) -> LessonRow | None:
        with self.session() as s:
            return s.get(LessonRow, lesson_id)

    def languages_of(self, lesson_id: str) -> list[str]:
        with self.session() as s:
            q = (select(Translation.lang).join(CueRow, CueRow.id == Translation.cue_id)
                 .where(CueRow.lesson_id == lesson_id, CueRow.active).distinct())
            return sorted(s.scalars(q))

    def cues(self, lesson_id: str, lang: str) -> list[CueView]:
        """The lesson's current cues in ``lang``, in time order."""
        with self.session() as s:
            q = (select(CueRow, Translation).join(Translation, Translation.cue_id == CueRow.id)
                 .where(CueRow.lesson_id == lesson_id, CueRow.active, Translation.lang == lang)
                 .order_by(CueRow.idx))
            return [CueView(c.idx, c.sentence, c.start_ms, c.end_ms, c.source, t.text,
                            t.origin, t.state, t.version, list(t.checks or []), t.updated_by,
                            c.key, c.sentence_key, t.suggestion, t.override, t.rejection)
                    for c, t in s.execute(q)]

    def rejections(self, username: str) -> list[Rejection]:
        """Rejected cues (with their reasons) of the languages ``username`` may edit."""
        roles = self.roles(username)
        with self.session() as s:
            q = (select(CueRow, Translation).join(Translation, Translation.cue_id == CueRow.id)
                 .where(CueRow.active, Translation.state == "rejected")
                 .order_by(CueRow.lesson_id, Translation.lang, CueRow.idx))
            return [Rejection(c.lesson_id, t.lang, c.idx, c.key, c.source, t.text,
                              t.rejection, t.updated_by)
                    for c, t in s.execute(q) if "*" in roles or t.lang in roles]

    def machine_draft(self, lesson_id: str, lang: str, key: str) -> str:
        """The machine (MT/TM) draft the cue started from, "" when it had none."""
        drafts = [v for v in self.history(lesson_id, lang, key)
                  if v.text and not v.origin.startswith("human")]
        return drafts[-1].text if drafts else ""

    def progress(self, lesson_id: str, lang: str) -> tuple[int, int]:
        """(approved cues, all cues)."""
        views = self.cues(lesson_id, lang)
        return sum(v.state == "approved" for v in views), len(views)

    def is_approved(self, lesson_id: str, lang: str) -> bool:
        return self.approval(lesson_id, lang) is not None

    def approval(self, lesson_id: str, lang: str) -> Approval | None:
        """The language's approval, if it stands: approved and every current cue still
        approved (a belt to the braces of withdrawing approvals on every change)."""
        with self.session() as s:
            approval = s.scalar(select(Approval).where(Approval.lesson_id == lesson_id,
                                                       Approval.lang == lang))
            if approval is None or self.language_blockers(s, lesson_id, lang):
                return None
            return approval

    # --- glossary proposals ------------------------------------------------------------

    def propose_term(self, username: str, lang: str, vi: str, target: str, note: str) -> None:
        """A reviewer's term proposal, cleaned (NFC, no control characters, trimmed).

        Raises:
            TermRefusedError: the Vietnamese term or its translation is empty.
        """
        self.require(username, lang, "edit")
        vi, target, note = clean_line(vi, 200), clean_line(target, 200), clean_line(
            note, MAX_TEXT)
        if not vi or not target:
            raise EmptyTermError()
        with self.session() as s:
            s.add(GlossaryProposal(lang=lang, vi=vi, target=target, note=note,
                                   proposed_by=username))
            self._audit(s, username, "propose_term", lang=lang, detail={"vi": vi})

    def proposals(self, status: str = "open") -> list[GlossaryProposal]:
        with self.session() as s:
            return list(s.scalars(select(GlossaryProposal)
                                  .where(GlossaryProposal.status == status)
                                  .order_by(GlossaryProposal.id)))

    def decide_proposal(self, username: str, proposal_id: int, accept: bool,
                        glossary_dir: Path) -> None:
        """An admin accepts (into ``<lang>.csv``, credited to the reviewer) or rejects.

        Raises:
            TermRefusedError: accepting would leave the glossary invalid (it is unchanged
                and the proposal stays open).
        """
        if "*" not in self.roles(username):
            raise NotAllowedError(user=username, action="decide glossary proposals", lang="*")
        from pipeline.translate.glossary import GlossaryRefusedError, Term, add_term

        with self.session() as s:
            p = s.get(GlossaryProposal, proposal_id)
            if p is None or p.status != "open":
                return
            if accept:
                term = Term(p.vi, p.target, "", p.note, "approved",
                            f"reviewer {p.proposed_by}, {dt.date.today().isoformat()}")
                try:
                    add_term(glossary_dir, p.lang, term)
                except GlossaryRefusedError as e:
                    raise TermRefusedError(reason=e.context["reason"]) from e
            p.status = "accepted" if accept else "rejected"
            self._audit(s, username, "decide_term", lang=p.lang,
                        detail={"id": proposal_id, "accepted": accept})
