"""Units that are not narration, translated and approved like cues (issue 31, items 9 and
14): a lesson's title (key ``title``), its chapter headings (``chapter.<sha256[:16]>`` of
the heading's text) and the offline bundle's interface words (``ui.<key>``, in a built-in
review lesson, see :mod:`pipeline.review.interface`).

A unit is a ``CueRow`` of its own ``kind`` at a position from ``UNIT_BASE`` on: saves,
decisions, QA checks, history, comments and the approval of a language treat it as a cue.
Syncing keeps human work like the cue sync does: an unchanged source keeps every text; a
changed source sends the unit back to review (the earlier text offered as a suggestion)
and withdraws the lesson's approvals; a unit that left the lesson is retired with its
history.
"""

from __future__ import annotations

import hashlib
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from pipeline.review.sync import CueSync, ReservedLessonError, SyncReport, source_hash
from pipeline.review.tables import UNIT_BASE, CueRow
from pipeline.translate.drafts import TranslatedCue

__all__ = ["ORIGIN_TEAM", "TITLE_KEY", "Unit", "UnitSync", "chapter_key",
           "lesson_units"]

TITLE_KEY = "title"
#: The origin of a draft the content team wrote (``titles:`` in the lesson file).
ORIGIN_TEAM = "team"


@dataclass(frozen=True)
class Unit:
    kind: str
    key: str
    source: str


def _norm(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).split())


def chapter_key(heading: str) -> str:
    """A chapter heading's stable key: editing another heading never changes it."""
    return "chapter." + hashlib.sha256(_norm(heading).encode("utf-8")).hexdigest()[:16]


def lesson_units(title: str, chapters: Sequence[str]) -> list[Unit]:
    """The title unit and one unit per distinct, non-empty chapter heading, in order."""
    units = [Unit("title", TITLE_KEY, _norm(title))]
    seen: set[str] = set()
    for heading in map(_norm, chapters):
        if heading and heading not in seen:
            seen.add(heading)
            units.append(Unit("chapter", chapter_key(heading), heading))
    return units


class UnitSync:
    """Loads units into the review store (through the cue sync's translation rules)."""

    def __init__(self, cue_sync: CueSync) -> None:
        self.cue_sync = cue_sync
        self.db = cue_sync.db

    def sync_units(self, lesson_id: str, units: Sequence[Unit], languages: Sequence[str],
                   kinds: Sequence[str], seeds: Mapping[str, Mapping[str, str]] | None = None,
                   title: str | None = None) -> SyncReport:
        """Make the lesson's units of ``kinds`` exactly ``units``, each with a translation
        row in every one of ``languages`` (drafts from ``seeds``: lang -> key -> text,
        origin "team"; else empty). ``title``: create the lesson when missing.

        Raises:
            ReservedLessonError: interface words and narration would share the lesson.
            NotFoundError: no such lesson and no ``title`` to create it.
        """
        report = SyncReport()
        with self.db.session() as s:
            if title is not None:
                self.db.add_lesson(s, lesson_id, title)
            self.db.lock_lesson(s, lesson_id)
            _refuse_clash(s, lesson_id, kinds)
            rows = self._sync_rows(s, lesson_id, units, kinds, report)
            for lang in languages:
                for unit in units:
                    text = (seeds or {}).get(lang, {}).get(unit.key, "")
                    draft = TranslatedCue(-1, -1, 0, 0, unit.source, _norm(text),
                                          ORIGIN_TEAM if text else "pipeline", cue_id=unit.key)
                    self.cue_sync._sync_translation(s, lesson_id, rows[unit.key], lang, draft,
                                                    unit.key in report.changed)
            if report.added or report.changed or report.retired:
                self.cue_sync._revoke_approvals(s, lesson_id, report)
        return report

    def _sync_rows(self, s: Session, lesson_id: str, units: Sequence[Unit],
                   kinds: Sequence[str], report: SyncReport) -> dict[str, CueRow]:
        mine = (CueRow.lesson_id == lesson_id) & CueRow.kind.in_(list(kinds))
        existing = {r.key: r for r in s.scalars(select(CueRow).where(mine))}
        was_active = {k for k, r in existing.items() if r.active}
        s.execute(update(CueRow).where(mine).values(idx=-CueRow.id, active=False)
                  .execution_options(synchronize_session=False))
        s.expire_all()
        start = UNIT_BASE + 1000 * _kind_block(kinds)
        rows: dict[str, CueRow] = {}
        for pos, unit in enumerate(units):
            digest = source_hash(unit.source)
            row = existing.get(unit.key)
            if row is None:
                row = CueRow(lesson_id=lesson_id, key=unit.key, sentence_key=unit.key,
                             part=1, kind=unit.kind, sentence=-1, start_ms=0, end_ms=0,
                             source_hash=digest)
                s.add(row)
                report.added.append(unit.key)
            elif row.source_hash != digest:
                report.changed.append(unit.key)
            row.idx, row.source, row.source_hash, row.active = (start + pos, unit.source,
                                                                digest, True)
            rows[unit.key] = row
        s.flush()
        report.retired = sorted(was_active - set(rows))
        return rows


def _kind_block(kinds: Sequence[str]) -> int:
    """Interface words sit apart from title and chapters (never in one lesson anyway)."""
    return 100 if "ui" in kinds else 0


def _refuse_clash(s: Session, lesson_id: str, kinds: Sequence[str]) -> None:
    other = ("cue",) if "ui" in kinds else ("ui",)
    if s.scalar(select(CueRow.id).where(CueRow.lesson_id == lesson_id,
                                        CueRow.kind.in_(other)).limit(1)) is not None:
        raise ReservedLessonError(lesson=lesson_id)
