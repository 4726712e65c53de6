"""Quality checks on a translated sentence: each finding has a code and a plain message."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import regex

from pipeline.core.languages import Language
from pipeline.core.text import nfc

__all__ = ["CHECKS", "QAIssue", "run_checks"]

#: code -> what it catches (the list the closing note and the review page show).
CHECKS: dict[str, str] = {
    "empty": "bản dịch trống / empty translation",
    "untranslated": "bản dịch giống hệt câu gốc / identical to the Vietnamese",
    "numbers": "số, ngày, số tiền bị đổi / numbers, dates or amounts changed",
    "url": "địa chỉ web bị đổi / URL altered",
    "phone": "số điện thoại bị đổi / phone number altered",
    "placeholder": "mất hoặc lặp thuật ngữ giữ chỗ / placeholder lost or duplicated",
    "glossary": "thiếu thuật ngữ trong bảng thuật ngữ / glossary term missing",
    "dnt": "tên riêng bị dịch / do-not-translate name translated",
    "length": "độ dài bất thường / length ratio out of range",
    "script": "sai chữ viết cho ngôn ngữ này / wrong script for the language",
}

_NUMBER = regex.compile(r"\d+(?:[.,]\d+)*")
_URL = regex.compile(r"(?:https?://|www\.)[^\s]+", regex.IGNORECASE)
_PHONE = regex.compile(r"(?:\+84|0)\d(?:[\s.]?\d){8,9}")
_PLACEHOLDER = regex.compile(r"<\s*[tT]\s*(\d+)\s*>")
_SCRIPT_NAMES = {"Latn": "Latin", "Tavt": "Tai_Viet", "Khmr": "Khmer", "Thai": "Thai"}


@dataclass(frozen=True)
class QAIssue:
    code: str
    message: str

    def to_json(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message}


def _digits(text: str) -> Counter[str]:
    return Counter(regex.sub(r"[.,]", "", m) for m in _NUMBER.findall(text))


def _norm(text: str) -> str:
    return " ".join(nfc(text).lower().split())


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
    """
    issues: list[QAIssue] = []
    if not target.strip():
        return [QAIssue("empty", CHECKS["empty"])]
    kept_names = [n for n in dnt if n in source]
    if _norm(source) == _norm(target) and len(source.split()) > len(kept_names) + 1:
        issues.append(QAIssue("untranslated", CHECKS["untranslated"]))
    if _digits(source) != _digits(target):
        issues.append(QAIssue("numbers", f"{CHECKS['numbers']}: "
                                         f"{' '.join(sorted(_digits(source)))} → "
                                         f"{' '.join(sorted(_digits(target))) or '∅'}"))
    for url in _URL.findall(source):
        if url.rstrip(".,") not in target:
            issues.append(QAIssue("url", f"{CHECKS['url']}: {url}"))
    for phone in _PHONE.findall(source):
        digits = regex.sub(r"\D", "", phone)
        if digits not in regex.sub(r"\D", "", target):
            issues.append(QAIssue("phone", f"{CHECKS['phone']}: {phone}"))
    if raw_mt is not None and placeholders:
        found = Counter(int(n) for n in _PLACEHOLDER.findall(raw_mt))
        lost = [n for n in range(1, placeholders + 1) if found[n] == 0]
        dup = [n for n, c in found.items() if c > 1]
        if lost or dup:
            issues.append(QAIssue("placeholder", f"{CHECKS['placeholder']}: lost {lost or '-'}, "
                                                 f"duplicated {dup or '-'}"))
    low_src, low_tgt = source.lower(), target.lower()
    for vi, term in glossary.items():
        if vi.lower() in low_src and term.lower() not in low_tgt:
            issues.append(QAIssue("glossary", f"{CHECKS['glossary']}: {vi} → {term}"))
    for name in kept_names:
        if name not in target:
            issues.append(QAIssue("dnt", f"{CHECKS['dnt']}: {name}"))
    ratio = len(target) / max(1, len(source))
    if not lang.min_length_ratio <= ratio <= lang.max_length_ratio:
        issues.append(QAIssue("length", f"{CHECKS['length']}: {ratio:.2f}"))
    letters = regex.findall(r"\p{L}", _strip_names(target, kept_names))
    if letters:
        allowed = [_SCRIPT_NAMES.get(s, s) for s in lang.scripts]
        ok = sum(any(regex.match(rf"\p{{Script={s}}}", c) for s in allowed) for c in letters)
        if ok / len(letters) < 0.6:
            issues.append(QAIssue("script", f"{CHECKS['script']}: {'/'.join(lang.scripts)}"))
    return issues


def _strip_names(text: str, names: list[str]) -> str:
    for n in names:
        text = text.replace(n, " ")
    return str(_PLACEHOLDER.sub(" ", text))
