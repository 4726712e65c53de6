"""The keys lesson.toml may hold: a key nobody reads is a typo to say, not to ignore.

``profile = ["tiny"]`` (for ``profiles``) or ``langauges = [...]`` would otherwise leave the
lesson with its defaults and nobody the wiser; ingest refuses it naming the key, the file,
its line and the nearest known key.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from pathlib import Path

from pipeline.core.errors import CaunoiError

__all__ = ["LESSON_KEYS", "UnknownLessonKeyError", "check_lesson_keys", "line_of"]

#: Every top-level key ingest reads (``[titles]`` maps language codes, checked by the registry).
LESSON_KEYS = ("id", "title", "titles", "languages", "profiles", "authors")


class UnknownLessonKeyError(CaunoiError):
    key = "errors.unknown_lesson_key"
    exit_code = 2


def line_of(text: str, key: str) -> int | str:
    """The line where ``key`` (its last dotted part) is set in a TOML text, or "?"."""
    name = key.rsplit(".", 1)[-1]
    for number, line in enumerate(text.split("\n"), 1):
        # key = ..., key.sub = ..., [key], [[key]]
        if re.match(rf"\s*\[*\s*[\"']?{re.escape(name)}[\"']?\s*[=.\]]", line):
            return number
    return "?"


def check_lesson_keys(path: Path, text: str, meta: Mapping[str, object]) -> None:
    """Refuse the first top-level key of lesson.toml that ingest does not read.

    Raises:
        UnknownLessonKeyError: names the key, the file, its line and the nearest known key.
    """
    for key in meta:
        if key not in LESSON_KEYS:
            near = difflib.get_close_matches(key.casefold(), LESSON_KEYS, n=1, cutoff=0.0)
            raise UnknownLessonKeyError(path=str(path), key=key[:60], line=line_of(text, key),
                                        near=near[0] if near else LESSON_KEYS[0])
