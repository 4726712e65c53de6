"""Stage 6: translate the Vietnamese cues into one target language.

Per sentence, in order: translation memory (exact, then fuzzy ≥ 85 %) → glossary terms and
do-not-translate names swapped for placeholders → machine translation → placeholders
restored with the target terms → quality checks. Whole sentences are translated (a cue
fragment is bad MT input) and then re-split into the source cues' times. Languages with no
MT model keep empty cues for human translators.
"""

from __future__ import annotations

import itertools
import logging
import re
from dataclasses import dataclass, field
from typing import Any

import regex

from pipeline.core.errors import ModelMissingError
from pipeline.core.languages import Language
from pipeline.core.text import graphemes
from pipeline.core.types import Cue, ms_to_s, s_to_ms
from pipeline.subtitles.segment import fit_lines
from pipeline.translate.glossary import Glossary
from pipeline.translate.mt import MTEngine
from pipeline.translate.qa import QAIssue, run_checks
from pipeline.translate.tm import TranslationMemory

__all__ = [
    "Protected",
    "TranslateOptions",
    "TranslatedCue",
    "Translation",
    "protect",
    "resplit",
    "restore",
    "translate_cues",
]

log = logging.getLogger("caunoi.translate")

_PLACEHOLDER = regex.compile(r"<\s*[tT]\s*(\d+)\s*>")


@dataclass(frozen=True)
class TranslateOptions:
    # Fuzzy translation-memory matches at or above this score are offered as drafts.
    fuzzy_threshold: float = 85.0


@dataclass(frozen=True)
class TranslatedCue:
    cue: int
    sentence: int
    start_ms: int
    end_ms: int
    source: str
    target: str
    # tm-exact, tm-fuzzy, mt:<model>, human
    origin: str
    state: str = "draft"
    checks: tuple[QAIssue, ...] = ()
    lines: tuple[str, ...] = ()
    # The source cue's stable id (``Cue.id``): what the review store keys on.
    cue_id: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"cue": self.cue, "cue_id": self.cue_id, "sentence": self.sentence,
                "start": ms_to_s(self.start_ms),
                "end": ms_to_s(self.end_ms), "source": self.source, "target": self.target,
                "lines": list(self.lines), "origin": self.origin, "state": self.state,
                "checks": [c.to_json() for c in self.checks]}

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> TranslatedCue:
        return cls(cue=d["cue"], sentence=d["sentence"], start_ms=s_to_ms(d["start"]),
                   end_ms=s_to_ms(d["end"]), source=d["source"], target=d["target"],
                   origin=d["origin"], state=d["state"],
                   checks=tuple(QAIssue.from_json(c) for c in d["checks"]), lines=tuple(d["lines"]),
                   cue_id=d.get("cue_id", ""))

    def as_cue(self) -> Cue:
        return Cue(self.cue, self.sentence, self.start_ms, self.end_ms,
                   self.lines or (self.target,), self.cue_id)


@dataclass(frozen=True)
class Translation:
    lang: str
    cues: tuple[TranslatedCue, ...]
    # Why MT was not used, if it was not ("" when it was, or the language has none).
    note: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"language": self.lang, "note": self.note,
                "cues": [c.to_json() for c in self.cues]}

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Translation:
        return cls(d["language"], tuple(TranslatedCue.from_json(c) for c in d["cues"]),
                   d.get("note", ""))


@dataclass(frozen=True)
class Protected:
    """A sentence with terms swapped for ``<tN>`` placeholders, and what to put back."""

    text: str
    replacements: tuple[str, ...] = field(default_factory=tuple)


def _term_pattern(term: str) -> re.Pattern[str]:
    # Whole syllables only: "QR" must not match inside "QRCode".
    return re.compile(rf"(?<![\w]){re.escape(term)}(?![\w])", re.IGNORECASE)


def protect(text: str, glossary: dict[str, str], dnt: tuple[str, ...]) -> Protected:
    """Replace glossary terms (→ their target) and do-not-translate names (→ themselves) by
    numbered placeholders, longest terms first."""
    todo = sorted([(vi, tgt) for vi, tgt in glossary.items()] + [(n, n) for n in dnt],
                  key=lambda p: -len(p[0]))
    replacements: list[str] = []
    for vi, target in todo:
        pattern = _term_pattern(vi)

        def sub(_m: re.Match[str], target: str = target) -> str:
            replacements.append(target)
            return f"<t{len(replacements)}>"

        text = pattern.sub(sub, text)
    return Protected(text, tuple(replacements))


def restore(mt_output: str, protected: Protected) -> str:
    """Put the target terms back; a placeholder the model invented is dropped."""

    def sub(m: regex.Match[str]) -> str:
        k = int(m.group(1))
        return protected.replacements[k - 1] if 1 <= k <= len(protected.replacements) else ""

    return " ".join(_PLACEHOLDER.sub(sub, mt_output).split())


def resplit(target: str, weights: list[int]) -> list[str]:
    """Cut a translated sentence into ``len(weights)`` parts in proportion to the source cues'
    lengths, at spaces when the script has them, else between grapheme clusters."""
    if len(weights) == 1 or not target:
        return [target] + [""] * (len(weights) - 1)
    total = sum(weights)
    fractions = [w / total for w in itertools.accumulate(weights)][:-1]
    tokens = target.split(" ")
    if len(tokens) >= len(weights):
        sizes = list(itertools.accumulate(graphemes(t) + 1 for t in tokens))
        cuts, last = [], 0
        for k, f in enumerate(fractions):
            want = f * sizes[-1]
            lo, hi = last + 1, len(tokens) - (len(weights) - 1 - k)
            best = min(range(lo, hi + 1), key=lambda i: abs(sizes[i - 1] - want))
            cuts.append(best)
            last = best
        edges = [0, *cuts, len(tokens)]
        return [" ".join(tokens[a:b]) for a, b in itertools.pairwise(edges)]
    clusters = regex.findall(r"\X", target)
    edges = [0, *[round(f * len(clusters)) for f in fractions], len(clusters)]
    return ["".join(clusters[a:b]).strip() for a, b in itertools.pairwise(edges)]


def _sentences(cues: list[Cue]) -> list[list[Cue]]:
    return [list(group) for _, group in itertools.groupby(cues, key=lambda c: c.sentence_index)]


def _split_back(group: list[Cue], target: str, origin: str, checks: tuple[QAIssue, ...],
                lang: Language, protected_names: tuple[str, ...]) -> list[TranslatedCue]:
    """A translated sentence cut back into its source cues' times (and ids)."""
    parts = resplit(target, [max(1, graphemes(c.text)) for c in group])
    return [TranslatedCue(cue.index, cue.sentence_index, cue.start_ms, cue.end_ms, cue.text,
                          part, origin, "draft", checks,
                          fit_lines(part, lang, protected_names) if part else (), cue.id)
            for cue, part in zip(group, parts, strict=True)]


def translate_cues(cues: list[Cue], lang: Language, glossary: Glossary, dnt: tuple[str, ...],
                   tm: TranslationMemory, engine: MTEngine | None,
                   opts: TranslateOptions | None = None) -> Translation:
    """Translate Vietnamese cues into ``lang``.

    Args:
        cues: the Vietnamese cues (with sentence indices), in time order.
        lang: target language.
        glossary: the language's term list (approved entries are enforced).
        dnt: do-not-translate names.
        tm: the language's translation memory.
        engine: MT engine, or None for human translation only.

    Returns:
        One translated cue per source cue, each with origin, state "draft" and QA checks.
    """
    opts = opts or TranslateOptions()
    terms = glossary.enforced()
    groups = _sentences(cues)
    sources = [" ".join(c.text for c in g) for g in groups]
    targets: list[str] = [""] * len(groups)
    origins: list[str] = ["human"] * len(groups)
    raws: list[str | None] = [None] * len(groups)
    protected: list[Protected] = [Protected("")] * len(groups)
    to_mt: list[int] = []
    for k, src in enumerate(sources):
        match = tm.lookup(src, opts.fuzzy_threshold)
        if match is not None:
            targets[k] = match.entry.target
            origins[k] = "tm-exact" if match.exact else f"tm-fuzzy:{match.score:.0f}"
        elif engine is not None and lang.has_mt:
            to_mt.append(k)
    note = ""
    if to_mt and engine is not None:
        protected_batch = [protect(sources[k], terms, dnt) for k in to_mt]
        try:
            outputs = engine.translate([p.text for p in protected_batch], lang.mt, lang.mt_tag)
        except ModelMissingError as e:
            note = str(e)
            log.warning("%s: %s", lang.code, note)
            outputs = []
        for k, p, out in zip(to_mt, protected_batch, outputs, strict=False):
            targets[k] = restore(out, p)
            raws[k] = out
            protected[k] = p
            origins[k] = engine.model_label(lang.mt)
    result: list[TranslatedCue] = []
    protected_names = tuple(terms.values()) + dnt
    for k, group in enumerate(groups):
        checks: tuple[QAIssue, ...] = ()
        if targets[k] or origins[k] != "human":
            checks = tuple(run_checks(sources[k], targets[k], lang, glossary=terms, dnt=dnt,
                                      raw_mt=raws[k],
                                      placeholders=len(protected[k].replacements)))
        result += _split_back(group, targets[k], origins[k], checks, lang, protected_names)
    return Translation(lang.code, tuple(result), note)
