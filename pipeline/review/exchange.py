"""XLIFF 2.0 export and import of a lesson's translations, through the store's rules.

Each unit's id carries the lesson, the cue's stable key and the version it was exported at
(``<lesson>:<cue key>:v<version>``, an ``xs:NMTOKEN``; the older ``<lesson>/<cue key>/v<n>``
is still read); an import whose version is stale is reported as a conflict, never written
over someone's newer text. Segments carry the standard ``state`` as the workflow has it:
``initial`` (no text, or rejected: ``subState="caunoi:rejected"``), ``translated`` (a draft,
machine or human, not yet approved), ``final`` (approved); the timing, origin and QA findings
are the unit's notes. An import is all-or-nothing: one bad unit and nothing is saved (the
refusal is in the audit log); an imported ``final`` is saved as a draft, never as an approval.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from pipeline.core.errors import CaunoiError, LessonConfigError
from pipeline.core.limits import Limits, check_exchange_file
from pipeline.review.checks import clean_text
from pipeline.review.store import MAX_TEXT, CueView, ReviewStore
from pipeline.translate.qa import QAIssue
from pipeline.translate.xliff import (
    XliffUnit,
    parse_unit_id,
    read_xliff,
    unit_id,
    write_xliff,
)

__all__ = ["ImportReport", "export_xliff", "import_xliff", "xliff_state"]


@dataclass
class ImportReport:
    lesson: str = ""
    lang: str = ""
    applied: list[int] = field(default_factory=list)
    unchanged: list[int] = field(default_factory=list)
    # (cue, your text, current text, current version)
    conflicts: list[tuple[int, str, str, int]] = field(default_factory=list)
    # Cues marked final in the file, saved as drafts (an import never approves).
    final_as_draft: list[int] = field(default_factory=list)


def xliff_state(cue: CueView) -> str:
    """The XLIFF 2.0 segment state of a cue: ``final`` once approved, ``initial`` with no
    text or a rejected one, else ``translated`` (a human draft too: nobody reviewed it yet;
    the review store has no state between a draft and an approval)."""
    if cue.state == "approved":
        return "final"
    if not cue.text or cue.state == "rejected":
        return "initial"
    return "translated"


def _sub_state(cue: CueView) -> str:
    return cue.state if cue.state in ("rejected", "needs_review") else ""


def export_xliff(store: ReviewStore, lesson_id: str, lang: str, path: Path) -> int:
    """Write every cue of ``lesson_id`` in ``lang`` with its state, notes and QA findings,
    after the lesson's title and chapter units (or the interface words)."""
    units = []
    for c in store.items(lesson_id, lang):
        where = (f"{c.start_ms / 1000:.2f}–{c.end_ms / 1000:.2f} s, câu {c.sentence + 1}"
                 if c.kind == "cue" else f"unit: {c.kind}")
        notes = [where, f"origin: {c.origin}; state: {c.state}"]
        for check in c.checks:
            issue = QAIssue.from_json(check)
            notes.append(f"QA {issue.severity} {issue.code}: {issue.message()}")
        if c.suggestion:
            notes.append(f"suggestion: {c.suggestion}")
        if c.rejection:
            notes.append(f"rejected: {c.rejection}")
        units.append(XliffUnit(unit_id(lesson_id, c.key, c.version), c.source, c.text,
                               tuple(notes), state=xliff_state(c), sub_state=_sub_state(c)))
    if not units:
        raise LessonConfigError(path=lesson_id, detail=f"no {lang} cues in the review store")
    write_xliff(path, units, "vi", lang, original=lesson_id)
    return len(units)


@dataclass(frozen=True)
class _Edit:
    cue: CueView
    text: str
    version: int
    final: bool


def _plan(store: ReviewStore, path: Path, lang: str,
          units: list[XliffUnit]) -> tuple[str, list[_Edit]]:
    """Check every unit before anything is written.

    Raises:
        LessonConfigError: naming the first bad unit.
    """
    lesson, edits, seen = "", [], set()
    current: dict[str, CueView] = {}
    by_idx: dict[str, CueView] = {}
    for unit in units:
        ref = parse_unit_id(unit.id)
        if ref is None:
            raise LessonConfigError(path=str(path), detail=f"unit id '{unit.id[:80]}' was not "
                                                           "exported by Cầu Nối")
        if lesson and ref.lesson != lesson:
            raise LessonConfigError(path=str(path), detail="units of more than one lesson")
        if not lesson:
            lesson = ref.lesson
            current = {c.key: c for c in store.items(lesson, lang)}
            by_idx = {str(c.idx): c for c in current.values()}
        cue = current.get(ref.key) if ref.key else by_idx.get(ref.idx)
        if cue is None:
            raise LessonConfigError(path=str(path), detail=f"unit '{unit.id}': no such cue "
                                                           "now (the lesson changed)")
        if cue.key in seen:
            raise LessonConfigError(path=str(path), detail=f"unit '{unit.id}' appears more "
                                                           "than once")
        seen.add(cue.key)
        try:
            text = clean_text(unit.target)
        except CaunoiError as e:
            raise LessonConfigError(path=str(path), detail=f"unit '{unit.id}': {e}") from e
        if len(text) > MAX_TEXT:
            raise LessonConfigError(path=str(path), detail=f"unit '{unit.id}': the "
                                    f"translation has {len(text)} characters, more than "
                                    f"{MAX_TEXT}")
        edits.append(_Edit(cue, text, ref.version, unit.final))
    return lesson, edits


def import_xliff(store: ReviewStore, username: str, path: Path,
                 limits: Limits | None = None) -> ImportReport:
    """Apply translated units as new versions (drafts), by the same permission and
    concurrency rules as the web pages, in one transaction. A file over ``limits``'
    ``max_exchange_mb`` is refused before it is parsed; a unit given twice, or a
    translation longer than the web pages accept, refuses the whole file.

    Raises:
        InputLimitError: the file is too big; nothing was read.
        LessonConfigError: the file or one of its units is invalid; nothing was saved.
    """
    check_exchange_file(path, limits or Limits())
    lang, units = read_xliff(path)
    if not lang:
        raise LessonConfigError(path=str(path), detail="no trgLang in the XLIFF file")
    store.require(username, lang, "edit")
    report = ImportReport(lang=lang)
    try:
        report.lesson, edits = _plan(store, path, lang, units)
    except LessonConfigError as e:
        store.audit_event(username, "import_xliff_refused", "", lang,
                          {"file": path.name, "reason": str(e)[:500]})
        raise
    todo = [x for x in edits if x.text != x.cue.text]
    report.unchanged = [x.cue.idx for x in edits if x.text == x.cue.text]
    results = store.save_many(username, report.lesson, lang,
                              [(x.cue.key, x.text, x.version) for x in todo]) if todo else []
    for edit, result in zip(todo, results, strict=True):
        if result.ok:
            report.applied.append(edit.cue.idx)
            if edit.final:
                report.final_as_draft.append(edit.cue.idx)
        else:
            report.conflicts.append((edit.cue.idx, edit.text, result.text, result.version))
    store.audit_event(username, "import_xliff", report.lesson, lang,
                      {"file": path.name, "applied": len(report.applied),
                       "conflicts": len(report.conflicts),
                       "final_as_draft": len(report.final_as_draft)})
    return report
