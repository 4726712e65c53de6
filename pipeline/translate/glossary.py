"""Term lists under ``glossaries/``: ``<lang>.csv`` per language and ``do-not-translate.txt``.

A CSV row is: vi, target, pos, note, status (proposed/approved), source. A target term in a
minority language is only ever taken from a named ``source``: a row with a target and no
source is an error. Only approved rows with a target are enforced by translation.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from pipeline.core.errors import CaunoiError, ConfigError
from pipeline.core.languages import Registry
from pipeline.core.text import nfc

__all__ = [
    "COLUMNS",
    "Glossary",
    "GlossaryProblem",
    "GlossaryRefusedError",
    "Term",
    "add_term",
    "check_glossaries",
    "do_not_translate",
    "load_glossary",
]

COLUMNS = ("vi", "target", "pos", "note", "status", "source")
STATUSES = ("proposed", "approved")
# A spreadsheet runs a cell starting with one of these as a formula: written with a
# leading apostrophe (the spreadsheet convention for "text"), read back without it.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class GlossaryRefusedError(CaunoiError):
    key = "errors.glossary_refused"
    exit_code = 2


def _to_cell(value: str) -> str:
    return f"'{value}" if value.startswith(_FORMULA_START) else value


def _from_cell(value: str) -> str:
    return value[1:] if value.startswith("'") and value[1:2] in _FORMULA_START else value


def _clean_term_text(value: str, path: Path) -> str:
    """NFC, spaces collapsed; control and invisible formatting characters refused."""
    value = " ".join(nfc(value).split())
    if any(unicodedata.category(c) in ("Cc", "Cf") for c in value):
        shown = value.encode("unicode_escape").decode("ascii")[:60]
        raise GlossaryRefusedError(path=str(path),
                                   reason=f"'{shown}' has control or invisible characters")
    return value


@lru_cache(maxsize=8)
def do_not_translate(glossary_dir: Path) -> tuple[str, ...]:
    """Names kept as written in every language, longest first (so "Zalo Pay" wins over "Zalo")."""
    path = glossary_dir / "do-not-translate.txt"
    if not path.is_file():
        return ()
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError as e:
        raise ConfigError(path=str(path), detail=f"not UTF-8 (byte {e.start})") from e
    names = {nfc(line.split("#", 1)[0].strip()) for line in lines}
    return tuple(sorted((n for n in names if n), key=lambda n: (-len(n), n)))


@dataclass(frozen=True)
class Term:
    vi: str
    target: str = ""
    pos: str = ""
    note: str = ""
    status: str = "proposed"
    source: str = ""
    line: int = 0

    @property
    def enforced(self) -> bool:
        return self.status == "approved" and bool(self.target)


@dataclass(frozen=True)
class Glossary:
    lang: str
    terms: tuple[Term, ...]

    def enforced(self) -> dict[str, str]:
        """Approved Vietnamese term -> target term, longest first."""
        pairs = {t.vi: t.target for t in self.terms if t.enforced}
        return dict(sorted(pairs.items(), key=lambda kv: -len(kv[0])))


@dataclass(frozen=True)
class GlossaryProblem:
    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


def _read_rows(path: Path) -> tuple[list[Term], list[GlossaryProblem]]:
    problems: list[GlossaryProblem] = []
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = path.read_bytes()[: e.start].count(b"\n") + 1
        return [], [GlossaryProblem(str(path), line, f"not UTF-8 (byte {e.start}): save as UTF-8")]
    reader = csv.reader(io.StringIO(nfc(text)))
    rows = list(reader)
    if not rows or tuple(c.strip() for c in rows[0]) != COLUMNS:
        return [], [GlossaryProblem(str(path), 1, f"header must be: {','.join(COLUMNS)}")]
    terms = []
    for number, row in enumerate(rows[1:], start=2):
        if not any(c.strip() for c in row):
            continue
        if len(row) != len(COLUMNS):
            problems.append(GlossaryProblem(str(path), number,
                                            f"{len(row)} columns, expected {len(COLUMNS)}"))
            continue
        vi, target, pos, note, status, source = (_from_cell(c.strip()) for c in row)
        terms.append(Term(vi, target, pos, note, status or "proposed", source, number))
    return terms, problems


def load_glossary(glossary_dir: Path, lang: str) -> Glossary:
    """Read ``<lang>.csv`` (an absent file is an empty glossary).

    Raises:
        ConfigError: the file has problems (run ``caunoi glossary check``).
    """
    path = glossary_dir / f"{lang}.csv"
    if not path.is_file():
        return Glossary(lang, ())
    terms, problems = _read_rows(path)
    problems += _term_problems(path, terms)
    if problems:
        raise ConfigError(path=str(path), detail=f"{problems[0]} (caunoi glossary check)")
    return Glossary(lang, tuple(terms))


def _term_problems(path: Path, terms: list[Term]) -> list[GlossaryProblem]:
    problems = []
    seen: dict[str, Term] = {}
    for t in terms:
        p = str(path)
        if not t.vi:
            problems.append(GlossaryProblem(p, t.line, "empty Vietnamese term"))
        if t.status not in STATUSES:
            problems.append(GlossaryProblem(p, t.line, f"status '{t.status}' is not one of "
                                                       f"{', '.join(STATUSES)}"))
        if t.target and not t.source:
            problems.append(GlossaryProblem(
                p, t.line, f"'{t.vi}' has a target term but no source: name where it comes "
                           "from (a dictionary, a reviewer) or leave the target empty"))
        if t.status == "approved" and not t.target:
            problems.append(GlossaryProblem(p, t.line, f"'{t.vi}' is approved with no target"))
        key = t.vi.lower()
        if key in seen:
            first = seen[key]
            if first.target == t.target:
                problems.append(GlossaryProblem(p, t.line, f"duplicate of line {first.line} "
                                                           f"('{t.vi}')"))
            elif first.target and t.target:
                problems.append(GlossaryProblem(
                    p, t.line, f"conflicts with line {first.line}: '{t.vi}' → '{t.target}' "
                               f"vs '{first.target}'"))
        else:
            seen[key] = t
    return problems


def check_glossaries(glossary_dir: Path, registry: Registry) -> list[GlossaryProblem]:
    """Every problem in every term list, with file and line number."""
    problems: list[GlossaryProblem] = []
    for path in sorted(glossary_dir.glob("*.csv")):
        if path.stem not in registry.languages:
            problems.append(GlossaryProblem(
                str(path), 0, f"unknown language '{path.stem}' (not in languages.toml)"))
            continue
        if registry.languages[path.stem].source:
            problems.append(GlossaryProblem(str(path), 0, "the source language has no glossary"))
            continue
        terms, read_problems = _read_rows(path)
        problems += read_problems + _term_problems(path, terms)
    dnt = glossary_dir / "do-not-translate.txt"
    if dnt.is_file():
        try:
            lines = dnt.read_text(encoding="utf-8").splitlines()
        except UnicodeDecodeError as e:
            problems.append(GlossaryProblem(str(dnt), 0, f"not UTF-8 (byte {e.start})"))
            lines = []
        seen: dict[str, int] = {}
        for number, line in enumerate(lines, start=1):
            name = line.split("#", 1)[0].strip()
            if name and name in seen:
                problems.append(GlossaryProblem(str(dnt), number,
                                                f"duplicate of line {seen[name]} ('{name}')"))
            seen.setdefault(name, number)
    return problems


def write_glossary(path: Path, terms: list[Term]) -> None:
    from pipeline.core.storage import atomic_write_text

    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(COLUMNS)
    for t in terms:
        w.writerow([_to_cell(v) for v in (t.vi, t.target, t.pos, t.note, t.status, t.source)])
    atomic_write_text(path, buf.getvalue())


def _write_checked(path: Path, terms: list[Term]) -> None:
    """Write ``terms`` only if the result is a valid glossary.

    Raises:
        GlossaryRefusedError: naming the first problem; the file is unchanged.
    """
    numbered = [Term(t.vi, t.target, t.pos, t.note, t.status, t.source, n)
                for n, t in enumerate(terms, start=2)]
    problems = _term_problems(path, numbered)
    if problems:
        raise GlossaryRefusedError(path=str(path), reason=problems[0].message)
    write_glossary(path, terms)


def add_term(glossary_dir: Path, lang: str, term: Term) -> None:
    """Add or replace (same Vietnamese term) one entry of ``<lang>.csv``, cleaned.

    Raises:
        GlossaryRefusedError: the term is blank or has control characters, or the
            glossary would not be valid afterwards (it is left unchanged).
    """
    path = glossary_dir / f"{lang}.csv"
    vi, target = _clean_term_text(term.vi, path), _clean_term_text(term.target, path)
    if not vi or (term.status == "approved" and not target):
        raise GlossaryRefusedError(path=str(path), reason="empty term")
    try:
        current = list(load_glossary(glossary_dir, lang).terms)
    except ConfigError as e:
        raise GlossaryRefusedError(path=str(path), reason=str(e)) from e
    terms = [t for t in current if t.vi.lower() != vi.lower()]
    terms.append(Term(vi, target, term.pos, _clean_term_text(term.note, path), term.status,
                      term.source))
    _write_checked(path, terms)
