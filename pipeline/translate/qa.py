"""Quality checks on a translated sentence.

Every check lives in :data:`CHECKS` (code -> severity and function): adding a check is one
function and one line there, plus its message ``qa.<code>`` in ``pipeline.core.i18n.QA``.
An *error* blocks approval unless an approver overrides it with a written reason; a
*warning* is shown and does not block.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import regex

from pipeline.core.i18n import t
from pipeline.core.languages import Language
from pipeline.core.text import nfc

__all__ = ["CHECKS", "ERROR", "WARNING", "Check", "QAInput", "QAIssue", "blocking",
           "number_values", "run_checks"]

ERROR: Literal["error"] = "error"
WARNING: Literal["warning"] = "warning"

# A number: digits grouped by spaces in threes (45 000), or digits with . or , inside.
_NUMBER = regex.compile(r"(?<![\d.,])\d{1,3}(?:[ \u00a0\u202f]\d{3})+(?![\d])|\d+(?:[.,]\d+)*")
_URL = regex.compile(r"(?:https?://|www\.)[^\s]+", regex.IGNORECASE)
_PHONE = regex.compile(r"(?:\+84|0)\d(?:[\s.]?\d){8,9}")
_PLACEHOLDER = regex.compile(r"<\s*[tT]\s*(\d+)\s*>")
#: A field a program fills in: ``{mb}``, ``{language}``.
_FIELD = regex.compile(r"\{[A-Za-z_][A-Za-z0-9_]*\}")
_SCRIPT_NAMES = {"Latn": "Latin", "Tavt": "Tai_Viet", "Khmr": "Khmer", "Thai": "Thai"}


@dataclass(frozen=True)
class QAIssue:
    code: str
    # What exactly was found (numbers, the URL, the name); shown after the message.
    detail: str = ""
    severity: str = ERROR

    def message(self, lang: str | None = None) -> str:
        """The plain-language message in the UI language: what is wrong, what to fix, and
        the finding in words (never a raw ratio or code)."""
        return " ".join(x for x in (t(f"qa.{self.code}", lang), self._detail(lang)) if x)

    def _detail(self, lang: str | None) -> str:
        d = self.detail.strip()
        if not d or self.code in ("placeholder", "script", "empty", "untranslated"):
            return ""
        if self.code == "length":
            try:
                longer = float(d) > 1
            except ValueError:
                return ""
            return t("qa.length_long" if longer else "qa.length_short", lang)
        if self.code == "numbers" and "→" in d:
            want, _, got = (x.strip() for x in d.partition("→"))
            none = t("qa.no_number", lang)
            return t("qa.numbers_detail", lang, want=want.replace("∅", none),
                     got=got.replace("∅", none))
        if self.code == "glossary" and "→" in d:
            vi, _, term = (x.strip() for x in d.partition("→"))
            return t("qa.glossary_detail", lang, vi=vi, term=term)
        return t("qa.detail", lang, detail=d)

    def to_json(self) -> dict[str, str]:
        return {"code": self.code, "severity": self.severity, "detail": self.detail}

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> QAIssue:
        code = str(d["code"])
        severity = d.get("severity") or (CHECKS[code].severity if code in CHECKS else ERROR)
        return cls(code, str(d.get("detail", "")), str(severity))


@dataclass(frozen=True)
class QAInput:
    source: str
    target: str
    lang: Language
    glossary: dict[str, str]
    dnt: tuple[str, ...]
    raw_mt: str | None
    placeholders: int

    @property
    def kept_names(self) -> list[str]:
        return [n for n in self.dnt if n in self.source]


@dataclass(frozen=True)
class Check:
    severity: str
    # Returns one detail string per finding (empty list: the check passed).
    run: Callable[[QAInput], list[str]]


def number_values(text: str) -> Counter[str]:
    """Every number of ``text`` as a canonical value: 45.000, 45,000 and 45 000 are all
    ``45000``; 3,5 and 3.5 are ``3.5``; 1.234,5 is ``1234.5``; a date counts as its parts
    (12/05/2024 and 12.05.2024 → 12, 5, 2024)."""
    values: Counter[str] = Counter()
    for m in _NUMBER.findall(text):
        values.update(_canonical(m))
    return values


def _canonical(token: str) -> list[str]:
    token = regex.sub(r"[ \u00a0\u202f]", "", token)
    parts = regex.split(r"[.,]", token)
    seps = regex.findall(r"[.,]", token)
    if len(parts) == 1:
        return [str(int(token))]
    grouped = all(len(p) == 3 for p in parts[1:]) and len(parts[0]) <= 3
    if len(set(seps)) == 1 and grouped:
        return [str(int("".join(parts)))]  # thousands grouping
    if len(seps) == 1 or (len(set(seps)) == 2 and seps[-1] not in seps[:-1]
                          and all(len(p) == 3 for p in parts[1:-1])):
        whole, frac = "".join(parts[:-1]), parts[-1]
        return [f"{int(whole)}.{frac.rstrip('0') or '0'}"]
    return [str(int(p)) for p in parts]  # a date or a version: each part
def _norm(text: str) -> str:
    return " ".join(nfc(text).lower().split())


def _untranslated(q: QAInput) -> list[str]:
    same = _norm(q.source) == _norm(q.target)
    return [""] if same and len(q.source.split()) > len(q.kept_names) + 1 else []


def _numbers(q: QAInput) -> list[str]:
    src, tgt = number_values(q.source), number_values(q.target)
    if src == tgt:
        return []
    return [f"{' '.join(sorted(src.elements())) or '∅'} → "
            f"{' '.join(sorted(tgt.elements())) or '∅'}"]


def _urls(q: QAInput) -> list[str]:
    return [url for url in _URL.findall(q.source) if url.rstrip(".,") not in q.target]


def _phones(q: QAInput) -> list[str]:
    target = regex.sub(r"\D", "", q.target)
    return [p for p in _PHONE.findall(q.source) if regex.sub(r"\D", "", p) not in target]


def _placeholders(q: QAInput) -> list[str]:
    found: list[str] = []
    if q.raw_mt is not None and q.placeholders:
        seen = Counter(int(n) for n in _PLACEHOLDER.findall(q.raw_mt))
        lost = [n for n in range(1, q.placeholders + 1) if seen[n] == 0]
        dup = [n for n, c in seen.items() if c > 1]
        if lost or dup:
            found.append(f"-{lost or ''} +{dup or ''}")
    left = _PLACEHOLDER.findall(q.target)
    if left:
        found.append(" ".join(f"<t{n}>" for n in left))
    return found


def _fields(q: QAInput) -> list[str]:
    """Fields such as ``{mb}`` that a program fills in (the bundle page's words): each one
    of the source, as often, in the target."""
    want, got = Counter(_FIELD.findall(q.source)), Counter(_FIELD.findall(q.target))
    return [" ".join(sorted(want - got))] if want - got else []


def _glossary(q: QAInput) -> list[str]:
    low_src, low_tgt = q.source.lower(), q.target.lower()
    return [f"{vi} → {term}" for vi, term in q.glossary.items()
            if vi.lower() in low_src and term.lower() not in low_tgt]


def _dnt(q: QAInput) -> list[str]:
    return [name for name in q.kept_names if name not in q.target]


def _length(q: QAInput) -> list[str]:
    ratio = len(q.target) / max(1, len(q.source))
    ok = q.lang.min_length_ratio <= ratio <= q.lang.max_length_ratio
    return [] if ok else [f"{ratio:.2f}"]


def _script(q: QAInput) -> list[str]:
    letters = regex.findall(r"\p{L}", _strip_names(q.target, q.kept_names))
    if not letters:
        return []
    allowed = [_SCRIPT_NAMES.get(s, s) for s in q.lang.scripts]
    ok = sum(any(regex.match(rf"\p{{Script={s}}}", c) for s in allowed) for c in letters)
    return [] if ok / len(letters) >= 0.6 else ["/".join(q.lang.scripts)]


def _empty(q: QAInput) -> list[str]:
    return [] if q.target.strip() else [""]


#: code -> severity and check: the one place a new check is added.
CHECKS: dict[str, Check] = {
    "empty": Check(ERROR, _empty),
    "numbers": Check(ERROR, _numbers),
    "url": Check(ERROR, _urls),
    "phone": Check(ERROR, _phones),
    "placeholder": Check(ERROR, _placeholders),
    "fields": Check(ERROR, _fields),
    "dnt": Check(ERROR, _dnt),
    "script": Check(ERROR, _script),
    "untranslated": Check(WARNING, _untranslated),
    "glossary": Check(WARNING, _glossary),
    "length": Check(WARNING, _length),
}


def run_checks(source: str, target: str, lang: Language, *, glossary: dict[str, str],
               dnt: tuple[str, ...], raw_mt: str | None = None,
               placeholders: int = 0) -> list[QAIssue]:
    """Check one translated sentence.

    Args:
        source: the Vietnamese sentence.
        target: the translation (placeholders restored).
        lang: the target language (scripts, length bounds).
        glossary: enforced Vietnamese term -> target term.
        dnt: do-not-translate names.
        raw_mt: the MT output before placeholders were restored (None if not MT).
        placeholders: how many placeholders were sent to MT.

    Returns:
        The findings; an empty translation gets only ``empty``.
    """
    q = QAInput(source, target, lang, glossary, dnt, raw_mt, placeholders)
    if _empty(q):
        return [QAIssue("empty", "", ERROR)]
    return [QAIssue(code, detail, check.severity)
            for code, check in CHECKS.items() for detail in check.run(q)]


def blocking(issues: list[QAIssue] | list[dict[str, Any]]) -> list[QAIssue]:
    """The errors among ``issues`` (objects or their JSON form)."""
    found = [i if isinstance(i, QAIssue) else QAIssue.from_json(i) for i in issues]
    return [i for i in found if i.severity == ERROR]


def _strip_names(text: str, names: list[str]) -> str:
    for n in names:
        text = text.replace(n, " ")
    return str(_PLACEHOLDER.sub(" ", text))
