"""The lesson id rule, in one place: lowercase letters, digits, ``-`` and ``_``, starting with
a letter or digit, at most 64 characters. A lesson id names a folder under the output root,
a target folder and URLs, so nothing else may pass (no dot, slash or capital).

``publish/manifest.schema.json`` carries the same pattern (a test keeps them equal).
"""

from __future__ import annotations

import re

__all__ = ["LESSON_ID_PATTERN", "LESSON_ID_RE", "is_lesson_id"]

#: The pattern without anchors, for building larger patterns (e.g. XLIFF unit ids).
LESSON_ID_PATTERN = r"[a-z0-9][a-z0-9_-]{0,63}"

#: A whole lesson id.
LESSON_ID_RE = re.compile(rf"^{LESSON_ID_PATTERN}$")


def is_lesson_id(value: object) -> bool:
    """True when ``value`` is a string that is a lesson id."""
    return isinstance(value, str) and LESSON_ID_RE.match(value) is not None
