"""Loading a lesson's cues and machine drafts into the review store, by stable cue id.

A cue is found again by its key (``<sentence id>.<part>``), never by its position, so
inserting, removing or skipping a sentence leaves every other translation where it was.
When a cue's source text changed (a new sentence, or a new split of the same sentence) its
translation goes back to ``needs_review`` with the earlier human text kept as a suggestion,
and every approval of the lesson is withdrawn: the language renders as final only after it
is approved again.
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field

from rapidfuzz import fuzz
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from pipeline.core.ids import ReservedLessonError
from pipeline.core.types import Cue, cue_id, sentence_ids
from pipeline.review.approvals import withdraw_lesson
from pipeline.review.audit import Audit
from pipeline.review.db import Database
from pipeline.review.tables import (
    CueRow,
    LessonRow,
    Translation,
    TranslationVersion,
    utcnow,
)
from pipeline.translate.drafts import TranslatedCue

__all__ = ["CueSync", "ReservedLessonError", "SyncReport", "cue_keys", "source_hash"]

#: Fuzzy score (0–100) from which an earlier sentence's text is offered as a suggestion.
SUGGEST_MIN = 60.0


def source_hash(text: str) -> str:
    return hashlib.sha256(" ".join(text.split()).encode("utf-8")).hexdigest()


def cue_keys(cues: Sequence[Cue]) -> list[str]:
    """Each cue's stable id: ``Cue.id``, or (for cues made before ids existed) the id
    computed from its sentence's cues joined, as the segmenter cut them."""
    if all(c.id for c in cues):
        return [c.id for c in cues]
    groups = [list(g) for _, g in itertools.groupby(cues, key=lambda c: c.sentence_index)]
    ids = sentence_ids(" ".join(c.text for c in g) for g in groups)
    return [cue_id(sid, part) for sid, g in zip(ids, groups, strict=True)
            for part, _ in enumerate(g, 1)]


@dataclass
class SyncReport:
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    retired: list[str] = field(default_factory=list)
    # Languages whose approval was withdrawn because the source changed.
    revoked: list[str] = field(default_factory=list)


class CueSync:
    """Loads the pipeline's cues and drafts into ``db`` (the one writer of cue rows)."""

    def __init__(self, db: Database, audit: Audit | None = None) -> None:
        self.db = db
        self.audit = audit or Audit(db)

    def sync_lesson(self, lesson_id: str, title: str, cues: list[Cue],
                    translations: dict[str, list[TranslatedCue]],
                    video: str = "") -> SyncReport:
        """Load a lesson's cues and machine drafts. Human work is never overwritten: a
        translation a person has saved keeps its text while its source is unchanged."""
        report = SyncReport()
        keys = cue_keys(cues)
        with self.db.session() as s:
            self._upsert_lesson(s, lesson_id, title, video)
            self.db.lock_lesson(s, lesson_id)  # saves of this lesson wait until the sync is done
            if s.scalar(select(CueRow.id).where(CueRow.lesson_id == lesson_id,
                                                CueRow.kind == "ui").limit(1)) is not None:
                raise ReservedLessonError(lesson=lesson_id)
            rows = self._sync_cues(s, lesson_id, cues, keys, report)
            by_index = dict(zip((c.index for c in cues), keys, strict=True))
            for lang, items in translations.items():
                for t in items:
                    row = rows[t.cue_id or by_index[t.cue]]
                    self._sync_translation(s, lesson_id, row, lang, t,
                                           row.key in report.changed)
            if report.added or report.changed or report.retired:
                self._revoke_approvals(s, lesson_id, report)
        return report

    def remove_lesson(self, lesson_id: str, by: str) -> int:
        """Delete the lesson with its cues, translations, versions, comments, approvals and
        voice recordings (the database cascades); the audit log keeps its entries and one
        saying who removed it. Returns the number of cues removed (0: no such lesson)."""
        with self.db.session() as s:
            cues = s.scalar(select(func.count()).select_from(CueRow).where(
                CueRow.lesson_id == lesson_id)) or 0
            if s.execute(delete(LessonRow).where(LessonRow.id == lesson_id)).rowcount:  # type: ignore[attr-defined]
                self.audit.write(s, by, "lesson_removed", lesson_id, detail={"cues": cues})
            return int(cues)

    def _upsert_lesson(self, s: Session, lesson_id: str, title: str, video: str) -> None:
        self.db.add_lesson(s, lesson_id, title, video)
        s.execute(update(LessonRow).where(LessonRow.id == lesson_id)
                  .values(title=title, video=video, updated_at=utcnow())
                  .execution_options(synchronize_session=False))

    def _sync_cues(self, s: Session, lesson_id: str, cues: list[Cue], keys: list[str],
                   report: SyncReport) -> dict[str, CueRow]:
        existing = {r.key: r for r in s.scalars(select(CueRow).where(
            CueRow.lesson_id == lesson_id, CueRow.kind == "cue"))}
        was_active = {k for k, r in existing.items() if r.active}
        # Free every position first: a cue's position may be another's old one.
        s.execute(update(CueRow).where(CueRow.lesson_id == lesson_id, CueRow.kind == "cue")
                  .values(idx=-CueRow.id, active=False)
                  .execution_options(synchronize_session=False))
        s.expire_all()
        rows: dict[str, CueRow] = {}
        for c, key in zip(cues, keys, strict=True):
            digest = source_hash(c.text)
            row = existing.get(key)
            if row is None:
                row = CueRow(lesson_id=lesson_id, key=key, sentence_key=key.rsplit(".", 1)[0],
                             part=c.part or int(key.rsplit(".", 1)[1]), source_hash=digest)
                s.add(row)
                report.added.append(key)
            elif row.source_hash != digest:
                report.changed.append(key)
            row.idx, row.sentence, row.start_ms, row.end_ms = (c.index, c.sentence_index,
                                                               c.start_ms, c.end_ms)
            row.source, row.source_hash, row.active = c.text, digest, True
            rows[key] = row
        s.flush()
        report.retired = sorted(was_active - set(rows))
        return rows

    def _sync_translation(self, s: Session, lesson_id: str, cue: CueRow, lang: str,
                          t: TranslatedCue, changed: bool) -> None:
        row = s.scalar(select(Translation).where(Translation.cue_id == cue.id,
                                                 Translation.lang == lang))
        checks = [c.to_json() for c in t.checks]
        if row is None:
            suggestion = self._suggestion(s, lesson_id, cue, lang)
            state = "needs_review" if suggestion else "draft"
            row = Translation(cue_id=cue.id, lang=lang, text=t.target, origin=t.origin,
                              state=state, checks=checks, version=1, updated_by="pipeline",
                              source_hash=cue.source_hash, suggestion=suggestion)
            s.add(row)
            s.flush()
            self._version(s, row, "pipeline", checks)
            return
        touched = s.scalar(select(func.count()).select_from(TranslationVersion).where(
            TranslationVersion.translation_id == row.id,
            TranslationVersion.author != "pipeline"))
        if row.source_hash == cue.source_hash and not changed:
            if touched or row.text == t.target:
                return  # same source: human work and unchanged drafts stay
            row.text, row.origin, row.checks = t.target, t.origin, checks
        else:  # the source changed: back to review, the earlier text as a suggestion
            if touched and row.text:
                row.suggestion = row.text
            row.text, row.origin, row.checks = t.target, t.origin, checks
            row.state = "needs_review" if touched else "draft"
            row.source_hash, row.override = cue.source_hash, ""
        row.version += 1
        row.updated_by, row.updated_at = "pipeline", utcnow()
        self._version(s, row, "pipeline", checks)

    def _version(self, s: Session, row: Translation, author: str,
                 checks: list[dict[str, str]]) -> None:
        s.add(TranslationVersion(translation_id=row.id, version=row.version, text=row.text,
                                 state=row.state, origin=row.origin, author=author,
                                 source_hash=row.source_hash, checks=checks))

    def _suggestion(self, s: Session, lesson_id: str, cue: CueRow, lang: str) -> str:
        """The human text of the retired cue whose source is closest to ``cue``'s."""
        q = (select(CueRow.source, Translation.text)
             .join(Translation, Translation.cue_id == CueRow.id)
             .where(CueRow.lesson_id == lesson_id, CueRow.active.is_(False),
                    CueRow.kind == cue.kind, Translation.lang == lang, Translation.text != "",
                    Translation.updated_by != "pipeline"))
        best, best_score = "", SUGGEST_MIN
        for source, text in s.execute(q):
            score = fuzz.ratio(source, cue.source)
            if score >= best_score:
                best, best_score = text, score
        return best

    def _revoke_approvals(self, s: Session, lesson_id: str, report: SyncReport) -> None:
        report.revoked = withdraw_lesson(s, lesson_id)
        if report.revoked:
            self.audit.write(s, "pipeline", "approval_withdrawn", lesson_id, ",".join(
                report.revoked), detail={"reason": "source changed", "added": report.added,
                                         "changed": report.changed,
                                         "retired": report.retired})
