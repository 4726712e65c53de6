"""XLIFF 2.0 export and import of a lesson's translations, through the store's rules.

Each unit's id carries the lesson, the cue and the version it was exported at
(``<lesson>/c<cue>/v<version>``); an import whose version is stale is reported as a
conflict, never written over someone's newer text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.core.errors import LessonConfigError
from pipeline.review.store import ReviewStore
from pipeline.translate.xliff import XliffUnit, read_xliff, write_xliff

__all__ = ["ImportReport", "export_xliff", "import_xliff"]

_ID = re.compile(r"^(?P<lesson>[a-z0-9][a-z0-9_-]*)/c(?P<cue>\d+)/v(?P<version>\d+)$")


@dataclass
class ImportReport:
    lesson: str = ""
    lang: str = ""
    applied: list[int] = field(default_factory=list)
    unchanged: list[int] = field(default_factory=list)
    # (cue, your text, current text, current version)
    conflicts: list[tuple[int, str, str, int]] = field(default_factory=list)


def export_xliff(store: ReviewStore, lesson_id: str, lang: str, path: Path) -> int:
    """Write every cue of ``lesson_id`` in ``lang`` with notes and QA warnings."""
    units = []
    for c in store.cues(lesson_id, lang):
        notes = [f"{c.start_ms / 1000:.2f}–{c.end_ms / 1000:.2f} s, câu {c.sentence + 1}",
                 f"origin: {c.origin}; state: {c.state}"]
        notes += [f"QA {w['code']}: {w['message']}" for w in c.checks]
        units.append(XliffUnit(f"{lesson_id}/c{c.idx}/v{c.version}", c.source, c.text,
                               tuple(notes)))
    if not units:
        raise LessonConfigError(path=lesson_id, detail=f"no {lang} cues in the review store")
    write_xliff(path, units, "vi", lang)
    return len(units)


def import_xliff(store: ReviewStore, username: str, path: Path) -> ImportReport:
    """Apply translated units as new versions, by the same permission and concurrency rules
    as the web pages. Returns what was applied and what conflicted."""
    lang, units = read_xliff(path)
    report = ImportReport(lang=lang)
    if not lang:
        raise LessonConfigError(path=str(path), detail="no trgLang in the XLIFF file")
    store.require(username, lang, "edit")
    current = {}
    for unit in units:
        m = _ID.match(unit.id)
        if m is None:
            raise LessonConfigError(path=str(path), detail=f"unit id '{unit.id}' was not "
                                                           "exported by Cầu Nối")
        lesson, idx, version = m["lesson"], int(m["cue"]), int(m["version"])
        report.lesson = lesson
        if lesson not in current:
            current[lesson] = {c.idx: c for c in store.cues(lesson, lang)}
        now = current[lesson].get(idx)
        if now is None:
            raise LessonConfigError(path=str(path), detail=f"cue {idx} of {lesson} not found")
        target = " ".join(unit.target.split())
        if target == now.text:
            report.unchanged.append(idx)
            continue
        result = store.save(username, lesson, lang, idx, target, version)
        if result.ok:
            report.applied.append(idx)
        else:
            report.conflicts.append((idx, target, result.text, result.version))
    store.audit_event(username, "import_xliff", report.lesson, lang,
                      {"file": path.name, "applied": len(report.applied),
                       "conflicts": len(report.conflicts)})
    return report
