"""The language registry (``glossaries/languages.toml``)."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field, fields, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

from pipeline.core.errors import ConfigError, UnknownLanguageError

__all__ = ["Language", "ReadingRules", "Registry", "load_registry"]


@dataclass(frozen=True)
class ReadingRules:
    # Lines per cue.
    max_lines: int = 2
    # Grapheme clusters per line.
    max_line_chars: int = 42
    # Reading speed limit, characters per second.
    max_cps: float = 17.0
    # Shortest and longest cue.
    min_cue_ms: int = 1000
    max_cue_ms: int = 7000
    # Gap kept between consecutive cues.
    min_gap_ms: int = 80


@dataclass(frozen=True)
class Language:
    code: str
    name_vi: str
    name_native: str
    name_en: str
    scripts: tuple[str, ...]
    font: str
    fallback_font: str = ""
    source: bool = False
    break_before: tuple[str, ...] = ()
    reading: ReadingRules = field(default_factory=ReadingRules)
    # MT model family ("madlad", "nllb") and the language's tag in it; "" = human only.
    mt: str = ""
    mt_tag: str = ""
    # QA bounds on target/source length.
    min_length_ratio: float = 0.4
    max_length_ratio: float = 2.5
    # Where the language is spoken (a hint shown beside its name), in Vietnamese and English.
    region_vi: str = ""
    region_en: str = ""

    @property
    def has_mt(self) -> bool:
        return bool(self.mt)

    def label(self, ui: str = "vi") -> str:
        """The name people pick a language by: "Tiếng Thái (Thái Đen) (Tai Dam) — Tây Bắc:
        Sơn La, Điện Biên, Lai Châu"; the native name only where the name does not hold it."""
        name = self.name_en if ui == "en" else self.name_vi
        if self.name_native and self.name_native.casefold() not in name.casefold():
            name = f"{name} ({self.name_native})"
        region = self.region_en if ui == "en" else self.region_vi
        return f"{name} — {region}" if region else name


@dataclass(frozen=True)
class Registry:
    path: Path
    languages: dict[str, Language]

    def get(self, code: str, where: str = "command line") -> Language:
        """Look a language up; an unknown code raises an error listing the known ones."""
        try:
            return self.languages[code]
        except KeyError:
            raise UnknownLanguageError(
                code=code, where=where, known=", ".join(sorted(self.languages))
            ) from None

    @property
    def source(self) -> Language:
        return next(lang for lang in self.languages.values() if lang.source)


def _rules(base: ReadingRules, data: dict[str, Any], path: Path) -> ReadingRules:
    known = {f.name for f in fields(ReadingRules)}
    unknown = set(data) - known
    if unknown:
        raise ConfigError(path=str(path), detail=f"unknown reading rule(s) {sorted(unknown)}")
    return replace(base, **data)


@lru_cache(maxsize=8)
def load_registry(glossary_dir: Path) -> Registry:
    """Read ``languages.toml`` from the glossary folder."""
    path = glossary_dir / "languages.toml"
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as e:
        raise ConfigError(path=str(path), detail="file not found") from e
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise ConfigError(path=str(path), detail=str(e)) from e
    base = _rules(ReadingRules(), data.get("reading", {}), path)
    languages: dict[str, Language] = {}
    for code, entry in data.get("languages", {}).items():
        entry = dict(entry)
        rules = _rules(base, entry.pop("reading", {}), path)
        try:
            languages[code] = Language(
                code=code,
                scripts=tuple(entry.pop("scripts", ("Latn",))),
                break_before=tuple(entry.pop("break_before", ())),
                reading=rules,
                **entry,
            )
        except TypeError as e:
            raise ConfigError(path=str(path), detail=f"[languages.{code}]: {e}") from e
    if sum(lang.source for lang in languages.values()) != 1:
        raise ConfigError(path=str(path), detail="exactly one language must have source = true")
    return Registry(path=path, languages=languages)
