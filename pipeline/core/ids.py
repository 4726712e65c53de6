"""The lesson id rule, in one place: lowercase letters, digits, ``-`` and ``_``, starting with
a letter or digit, at most 64 characters. A lesson id names a folder under the output root,
a target folder and URLs, so nothing else may pass (no dot, slash or capital).

``publish/manifest.schema.json`` carries the same pattern (a test keeps them equal).
"""

from __future__ import annotations

import re

from pipeline.core.errors import CaunoiError

__all__ = ["INTERFACE_LESSON_ID", "LESSON_ID_PATTERN", "LESSON_ID_RE", "ReservedLessonError",
           "is_lesson_id"]

#: The pattern without anchors, for building larger patterns (e.g. XLIFF unit ids).
LESSON_ID_PATTERN = r"[a-z0-9][a-z0-9_-]{0,63}"

#: A whole lesson id.
LESSON_ID_RE = re.compile(rf"^{LESSON_ID_PATTERN}$")


def is_lesson_id(value: object) -> bool:
    """True when ``value`` is a string that is a lesson id."""
    return isinstance(value, str) and LESSON_ID_RE.match(value) is not None


#: The review lesson that holds the offline bundle's interface words
#: (``pipeline.publish.interface``): no real lesson may use this id (ingest refuses it, so
#: ``caunoi check``/``run`` stop before any work, and the review store refuses it too).
INTERFACE_LESSON_ID = "giao-dien-goi-bai"


class ReservedLessonError(CaunoiError):
    """A lesson's narration and the offline bundle's interface words would share one review
    lesson: a real lesson uses the id reserved for the interface words."""

    key = "errors.reserved_lesson_id"
    exit_code = 2
