"""Translation memory: approved (source, target) pairs per language, exact and fuzzy lookup.

Stored as ``<tm_dir>/<lang>.jsonl`` (one JSON object per line, append-only, so a killed
process can at worst lose the line it was writing); the review workflow adds approved text.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
from dataclasses import asdict, dataclass
from pathlib import Path

from rapidfuzz import fuzz, process

from pipeline.core.storage import sha256_file
from pipeline.core.text import nfc

__all__ = ["TMEntry", "TMMatch", "TranslationMemory", "normalise"]


def normalise(text: str) -> str:
    return " ".join(nfc(text).split())


@dataclass(frozen=True)
class TMEntry:
    source: str
    target: str
    origin: str = "human"
    lesson: str = ""
    created: str = ""


@dataclass(frozen=True)
class TMMatch:
    entry: TMEntry
    # 100 for an exact match, else the rapidfuzz ratio.
    score: float

    @property
    def exact(self) -> bool:
        return self.score >= 100.0


class TranslationMemory:
    def __init__(self, root: Path, lang: str) -> None:
        self.path = root / f"{lang}.jsonl"
        self.lang = lang
        self._entries: dict[str, TMEntry] | None = None

    def fingerprint(self) -> str:
        """sha256 of the memory file ("" when empty): part of a translate step's cache key."""
        return sha256_file(self.path) if self.path.is_file() else ""

    def entries(self) -> dict[str, TMEntry]:
        """Normalised source -> latest entry."""
        if self._entries is None:
            self._entries = {}
            if self.path.is_file():
                for line in self.path.read_text(encoding="utf-8").splitlines():
                    try:
                        e = TMEntry(**json.loads(line))
                    except (ValueError, TypeError):
                        continue  # a torn last line from a killed writer
                    self._entries[normalise(e.source)] = e
        return self._entries

    def lookup(self, source: str, threshold: float = 85.0) -> TMMatch | None:
        """Exact match first, else the best fuzzy match at or above ``threshold``."""
        entries = self.entries()
        key = normalise(source)
        if key in entries:
            return TMMatch(entries[key], 100.0)
        if not entries:
            return None
        best = process.extractOne(key, list(entries), scorer=fuzz.ratio, score_cutoff=threshold)
        if best is None:
            return None
        return TMMatch(entries[best[0]], float(best[1]))

    def add(self, source: str, target: str, origin: str = "human", lesson: str = "") -> None:
        entry = TMEntry(normalise(source), normalise(target), origin, lesson,
                        dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat())
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path, "a", encoding="utf-8") as f:
            fcntl.flock(f, fcntl.LOCK_EX)
            f.write(json.dumps(asdict(entry), ensure_ascii=False) + "\n")
            f.flush()
        self.entries()[normalise(source)] = entry
