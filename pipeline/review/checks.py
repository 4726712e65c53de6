"""What the review store checks on every save: clean input, valid usernames, QA findings.

Text a person types is normalised to NFC; control characters and the invisible
direction-override characters (which would reach SRT/VTT/ASS files and can make a line
read differently from what it shows) are refused with a message, never silently kept.
"""

from __future__ import annotations

import unicodedata
from pathlib import Path

import regex

from pipeline.core.config import PROJECT_ROOT
from pipeline.core.errors import CaunoiError, ConfigError
from pipeline.core.languages import Registry, load_registry
from pipeline.core.usernames import canonical
from pipeline.translate.glossary import do_not_translate, load_glossary
from pipeline.translate.qa import QAIssue, run_checks

__all__ = ["BadUsernameError", "Checker", "InputRefusedError", "clean_line", "clean_text",
           "normalise_username"]

# Explicit embeddings, overrides and isolates (LRE…RLO, LRI…PDI).
_BIDI = set(range(0x202A, 0x202F)) | set(range(0x2066, 0x206A))
_USERNAME = regex.compile(r"^[\p{L}\p{N}][\p{L}\p{M}\p{N}._-]{1,63}$")


class InputRefusedError(CaunoiError):
    key = "errors.input_refused"
    exit_code = 2


class BadUsernameError(CaunoiError):
    key = "errors.bad_username"
    exit_code = 2


def clean_text(text: str, *, multiline: bool = False) -> str:
    """NFC, whitespace collapsed (newlines kept when ``multiline``).

    Raises:
        InputRefusedError: the text holds control or bidi-override characters.
    """
    text = unicodedata.normalize("NFC", text)
    bad = sorted({f"U+{ord(c):04X}" for c in text
                  if (unicodedata.category(c) == "Cc" and c not in "\t\n\r")
                  or ord(c) in _BIDI})
    if bad:
        raise InputRefusedError(chars=", ".join(bad))
    if multiline:
        return "\n".join(" ".join(line.split()) for line in text.splitlines()).strip()
    return " ".join(text.split())


def clean_line(text: str, limit: int) -> str:
    """One line of text (a term, a note), cleaned and cut to ``limit`` characters."""
    return clean_text(text)[:limit]


def normalise_username(name: str) -> str:
    """NFKC, case-folded, then checked: letters, digits, '.', '_', '-' only (no markup,
    no zero-width or look-alike formatting characters).

    Raises:
        BadUsernameError: the name is empty or has other characters.
    """
    folded = canonical(name)
    if not _USERNAME.match(folded):
        raise BadUsernameError(name=name.encode("unicode_escape").decode("ascii")[:80])
    return folded


class Checker:
    """Runs the QA checks of ``pipeline.translate.qa`` for the review store, with the
    language registry and the current glossaries (re-read when a file changes)."""

    def __init__(self, registry: Registry | None = None,
                 glossary_dir: Path | None = None) -> None:
        self.glossary_dir = glossary_dir or PROJECT_ROOT / "glossaries"
        self.registry = registry or load_registry(self.glossary_dir)
        self._terms: dict[str, tuple[float, dict[str, str]]] = {}

    def _glossary(self, lang: str) -> dict[str, str]:
        path = self.glossary_dir / f"{lang}.csv"
        stamp = path.stat().st_mtime if path.is_file() else 0.0
        cached = self._terms.get(lang)
        if cached is None or cached[0] != stamp:
            try:
                terms = load_glossary(self.glossary_dir, lang).enforced()
            except ConfigError:
                terms = {}  # a broken glossary is reported by `caunoi glossary check`
            cached = self._terms[lang] = (stamp, terms)
        return cached[1]

    def check(self, lang: str, source: str, target: str) -> list[QAIssue]:
        """The QA findings of ``target`` as a translation of ``source`` into ``lang``."""
        language = self.registry.languages.get(lang)
        if language is None:
            return [] if target.strip() else [QAIssue("empty")]
        return run_checks(source, target, language, glossary=self._glossary(lang),
                          dnt=do_not_translate(self.glossary_dir))
