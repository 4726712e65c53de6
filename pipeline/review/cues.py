"""Reading a lesson's cues and their translations: the current text of every cue, its
history and comments, and the rejected cues a translator should look at again."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from pipeline.review.accounts import Accounts
from pipeline.review.db import Database, NotFoundError
from pipeline.review.tables import (
    UNIT_KINDS,
    Comment,
    CueRow,
    LessonRow,
    Translation,
    TranslationVersion,
)

__all__ = ["CueRef", "CueView", "Cues", "Rejection", "find_cue"]

#: A cue is named by its position (int) or its stable key (str).
CueRef = int | str


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
    # "cue" (narration) or a unit: "title", "chapter", "ui" (see ``CueRow.kind``).
    kind: str = "cue"


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
    kind: str = "cue"


def find_cue(s: Session, lesson_id: str, lang: str, cue: CueRef) -> tuple[CueRow, Translation]:
    """The active cue ``cue`` of the lesson and its ``lang`` translation.

    Raises:
        NotFoundError: no such cue or translation.
    """
    where = CueRow.idx == cue if isinstance(cue, int) else CueRow.key == cue
    found = s.execute(select(CueRow, Translation)
                      .join(Translation, Translation.cue_id == CueRow.id)
                      .where(CueRow.lesson_id == lesson_id, where, CueRow.active,
                             Translation.lang == lang)).first()
    if found is None:
        raise NotFoundError(what=f"cue {cue} of {lesson_id} ({lang})")
    return found[0], found[1]


class Cues:
    """Read-only queries over lessons, cues, versions and comments."""

    def __init__(self, db: Database, accounts: Accounts | None = None) -> None:
        self.db = db
        self.accounts = accounts or Accounts(db)

    def lessons(self) -> list[LessonRow]:
        with self.db.session() as s:
            return list(s.scalars(select(LessonRow).order_by(LessonRow.id)))

    def lesson(self, lesson_id: str) -> LessonRow | None:
        with self.db.session() as s:
            return s.get(LessonRow, lesson_id)

    def languages_of(self, lesson_id: str) -> list[str]:
        with self.db.session() as s:
            q = (select(Translation.lang).join(CueRow, CueRow.id == Translation.cue_id)
                 .where(CueRow.lesson_id == lesson_id, CueRow.active).distinct())
            return sorted(s.scalars(q))

    def cues(self, lesson_id: str, lang: str) -> list[CueView]:
        """The lesson's current narration cues in ``lang``, in time order."""
        return self.units(lesson_id, lang, ("cue",))

    def units(self, lesson_id: str, lang: str,
              kinds: Sequence[str] = ("title", "chapter")) -> list[CueView]:
        """The lesson's current units of ``kinds`` in ``lang``: in the order of ``kinds``,
        then by position (the title, the chapters in script order, ...)."""
        with self.db.session() as s:
            q = (select(CueRow, Translation).join(Translation, Translation.cue_id == CueRow.id)
                 .where(CueRow.lesson_id == lesson_id, CueRow.active, Translation.lang == lang,
                        CueRow.kind.in_(list(kinds)))
                 .order_by(CueRow.idx))
            views = [CueView(c.idx, c.sentence, c.start_ms, c.end_ms, c.source, t.text,
                             t.origin, t.state, t.version, list(t.checks or []), t.updated_by,
                             c.key, c.sentence_key, t.suggestion, t.override, t.rejection,
                             c.kind)
                     for c, t in s.execute(q)]
        order = {k: i for i, k in enumerate(kinds)}
        return sorted(views, key=lambda v: order[v.kind])  # stable: positions kept

    def items(self, lesson_id: str, lang: str) -> list[CueView]:
        """Everything a reviewer goes through, in page order: the title, the chapter
        headings (or the interface words), then the narration cues."""
        return self.units(lesson_id, lang, (*UNIT_KINDS, "cue"))

    def progress(self, lesson_id: str, lang: str) -> tuple[int, int]:
        """(approved narration cues, all narration cues)."""
        views = self.cues(lesson_id, lang)
        return sum(v.state == "approved" for v in views), len(views)

    def rejections(self, username: str) -> list[Rejection]:
        """Rejected cues (with their reasons) of the languages ``username`` may edit (a
        language's voices only record)."""
        roles = self.accounts.roles(username)
        with self.db.session() as s:
            q = (select(CueRow, Translation).join(Translation, Translation.cue_id == CueRow.id)
                 .where(CueRow.active, Translation.state == "rejected")
                 .order_by(CueRow.lesson_id, Translation.lang, CueRow.idx))
            return [Rejection(c.lesson_id, t.lang, c.idx, c.key, c.source, t.text,
                              t.rejection, t.updated_by, c.kind)
                    for c, t in s.execute(q)
                    if "*" in roles or roles.get(t.lang, "voice") != "voice"]

    def history(self, lesson_id: str, lang: str, idx: CueRef) -> list[TranslationVersion]:
        with self.db.session() as s:
            _, row = find_cue(s, lesson_id, lang, idx)
            return list(s.scalars(select(TranslationVersion)
                                  .where(TranslationVersion.translation_id == row.id)
                                  .order_by(TranslationVersion.version)))

    def machine_draft(self, lesson_id: str, lang: str, key: str) -> str:
        """The machine (MT/TM) draft the cue started from, "" when it had none."""
        drafts = [v for v in self.history(lesson_id, lang, key)
                  if v.text and not v.origin.startswith("human")]
        return drafts[-1].text if drafts else ""

    def earlier_authors(self, lesson_id: str, lang: str) -> dict[str, str]:
        """Text -> the person who last wrote it in this lesson and language (any cue, retired
        ones too): who a text kept across a script change came from."""
        with self.db.session() as s:
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
        with self.db.session() as s:
            _, row = find_cue(s, lesson_id, lang, idx)
            return list(s.scalars(select(Comment).where(Comment.translation_id == row.id)
                                  .order_by(Comment.id)))
