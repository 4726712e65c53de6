"""A reviewer's queue: which cues a filter keeps, what comes next, which cues are clean
enough to approve in bulk, and the suggestions shown beside a cue (translation memory,
glossary terms of the source, the machine draft)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from rapidfuzz import fuzz, process

from pipeline.core.errors import ConfigError
from pipeline.review import messages_units as _units  # noqa: F401  (registers "units.*")
from pipeline.review.store import CueView
from pipeline.translate.glossary import Term, load_glossary
from pipeline.translate.qa import QAIssue, blocking
from pipeline.translate.tm import TranslationMemory, normalise

__all__ = ["FILTERS", "Suggestion", "clean", "counts", "glossary_terms", "highlight",
           "keep", "next_cue", "origin_label", "tm_hits"]

#: Queue filters, in the order the page shows them ("" = every cue).
FILTERS = ("", "untranslated", "errors", "warnings", "needs_review", "approved")
#: TM hits shown beside a cue, and the lowest fuzzy score shown.
TM_HITS, TM_FLOOR = 3, 60.0


def _warnings(c: CueView) -> bool:
    return any(QAIssue.from_json(x).severity != "error" for x in c.checks)


def keep(c: CueView, f: str) -> bool:
    """Whether filter ``f`` keeps cue ``c``."""
    if f == "untranslated":
        return not c.text
    if f == "errors":
        return bool(c.text) and bool(blocking(c.checks)) and not c.override
    if f == "warnings":
        return bool(c.text) and _warnings(c)
    if f == "needs_review":
        return bool(c.text) and c.state != "approved"
    if f == "approved":
        return c.state == "approved"
    return True


def counts(cues: Sequence[CueView]) -> dict[str, int]:
    return {f: sum(keep(c, f) for c in cues) for f in FILTERS}


def clean(c: CueView) -> bool:
    """A cue bulk approval may take: translated, not yet decided, no QA finding at all."""
    return bool(c.text) and c.state in ("draft", "needs_review") and not c.checks \
        and not c.suggestion


def next_cue(cues: Sequence[CueView], key: str, f: str) -> CueView | None:
    """The first cue after ``key`` that filter ``f`` keeps (None: none left). A filter on
    work to do (untranslated, errors, ...) wraps round to the cues before ``key`` that
    still need it; "all" and "approved" end at the last cue."""
    pos = next((i for i, c in enumerate(cues) if c.key == key), -1)
    order = list(cues[pos + 1:])
    if f not in ("", "approved"):
        order += list(cues[:max(pos, 0)])
    return next((c for c in order if keep(c, f)), None)


@dataclass(frozen=True)
class Suggestion:
    # "tm", "glossary" or "mt".
    kind: str
    text: str
    # TM: the source sentence it translates; glossary: the Vietnamese term.
    source: str = ""
    score: int = 0
    origin: str = ""


def tm_hits(tm_dir: Path, lang: str, source: str) -> list[Suggestion]:
    """The best translation-memory entries for ``source``, best first."""
    entries = TranslationMemory(tm_dir, lang).entries()
    if not entries:
        return []
    found = process.extract(normalise(source), list(entries), scorer=fuzz.ratio,
                            score_cutoff=TM_FLOOR, limit=TM_HITS)
    return [Suggestion("tm", entries[k].target, entries[k].source, round(score),
                       f"{entries[k].origin} {entries[k].lesson}".strip())
            for k, score, _ in found]


def glossary_terms(glossary_dir: Path, lang: str, source: str) -> list[Term]:
    """The glossary's terms that occur in ``source`` (case-insensitive), longest first."""
    try:
        terms = load_glossary(glossary_dir, lang).terms
    except ConfigError:
        return []
    low = source.casefold()
    found = {t.vi: t for t in terms if t.vi and t.vi.casefold() in low}
    return sorted(found.values(), key=lambda t: -len(t.vi))


def highlight(source: str, terms: Sequence[str]) -> list[tuple[str, bool]]:
    """``source`` cut into (text, is a glossary term) pieces, longest term first."""
    low, marks = source.casefold(), [False] * len(source)
    for term in sorted(terms, key=len, reverse=True):
        t, start = term.casefold(), 0
        while t and (i := low.find(t, start)) >= 0:
            if not any(marks[i:i + len(t)]):
                marks[i:i + len(t)] = [True] * len(t)
            start = i + len(t)
    pieces: list[tuple[str, bool]] = []
    for ch, m in zip(source, marks, strict=True):
        if pieces and pieces[-1][1] == m:
            pieces[-1] = (pieces[-1][0] + ch, m)
        else:
            pieces.append((ch, m))
    return pieces


def origin_label(origin: str, ui: str, text: str = "",
                 earlier: dict[str, str] | None = None) -> str:
    """Who wrote a text, in the UI language: the person who edited it (role-neutral), text
    kept from an earlier version (and by whom, when ``earlier`` -- text -> author -- knows),
    the machine draft, the translation memory or the pipeline."""
    from pipeline.core.i18n import t

    kind, _, who = origin.partition(":")
    if kind == "human":
        if who:
            return t("review.origin_edited_by", ui, who=who)
        return f"{t('origin', ui)}: {t('review.origin_human', ui)}"
    if kind == "team":
        return t("units.origin_team", ui)
    if kind.startswith("tm") or kind == "pipeline":
        author = (earlier or {}).get(text)
        if author:
            return t("review.origin_kept", ui, who=author)
    if kind.startswith("tm"):
        return f"{t('origin', ui)}: {t('review.origin_tm', ui)}"
    if kind == "mt":
        return f"{t('origin', ui)}: {t('review.origin_mt', ui)}"
    return f"{t('origin', ui)}: {t('review.origin_pipeline', ui)}"
