"""Glossary proposals: a reviewer proposes a term, an admin accepts it into the glossary
(credited to the reviewer) or rejects it."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy import select

from pipeline.core.errors import CaunoiError
from pipeline.review.accounts import Accounts
from pipeline.review.audit import Audit
from pipeline.review.checks import clean_line
from pipeline.review.db import MAX_TEXT, Database, NotAllowedError
from pipeline.review.tables import GlossaryProposal

__all__ = ["EmptyTermError", "Proposals", "TermRefusedError"]


class TermRefusedError(CaunoiError):
    key = "errors.term_refused"
    exit_code = 2


class EmptyTermError(TermRefusedError):
    key = "errors.empty_term"


class Proposals:
    def __init__(self, db: Database, accounts: Accounts | None = None,
                 audit: Audit | None = None) -> None:
        self.db = db
        self.audit = audit or Audit(db)
        self.accounts = accounts or Accounts(db, self.audit)

    def propose_term(self, username: str, lang: str, vi: str, target: str, note: str) -> None:
        """A reviewer's term proposal, cleaned (NFC, no control characters, trimmed).

        Raises:
            TermRefusedError: the Vietnamese term or its translation is empty.
        """
        self.accounts.require(username, lang, "edit")
        vi, target, note = clean_line(vi, 200), clean_line(target, 200), clean_line(
            note, MAX_TEXT)
        if not vi or not target:
            raise EmptyTermError()
        with self.db.session() as s:
            s.add(GlossaryProposal(lang=lang, vi=vi, target=target, note=note,
                                   proposed_by=username))
            self.audit.write(s, username, "propose_term", lang=lang, detail={"vi": vi})

    def proposals(self, status: str = "open") -> list[GlossaryProposal]:
        with self.db.session() as s:
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
        if "*" not in self.accounts.roles(username):
            raise NotAllowedError(user=username, action="decide glossary proposals", lang="*")
        from pipeline.translate.glossary import GlossaryRefusedError, Term, add_term

        with self.db.session() as s:
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
            self.audit.write(s, username, "decide_term", lang=p.lang,
                             detail={"id": proposal_id, "accepted": accept})
