"""One lesson-id rule (pipeline.core.ids), used by ingest, publish, review and the portal."""

from __future__ import annotations

import json

import pytest

from pipeline.core.config import PROJECT_ROOT
from pipeline.core.ids import LESSON_ID_PATTERN, LESSON_ID_RE, is_lesson_id
from pipeline.publish.manifest import SCHEMA_PATH


@pytest.mark.parametrize("value", ["short-qr", "bai_1", "0", "a" * 64])
def test_lesson_ids(value: str) -> None:
    assert is_lesson_id(value)


@pytest.mark.parametrize("value", ["", "-x", "_x", "Bai", "bài", "a.b", "a/b", "../a", "a b",
                                   "a" * 65, None, 7])
def test_not_lesson_ids(value: object) -> None:
    assert not is_lesson_id(value)


def test_manifest_schema_has_the_same_rule() -> None:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    assert schema["properties"]["lesson_id"]["pattern"] == LESSON_ID_RE.pattern


def test_the_pattern_is_written_once() -> None:
    copies = [str(p.relative_to(PROJECT_ROOT))
              for package in ("pipeline", "flows", "scripts")
              for p in sorted((PROJECT_ROOT / package).rglob("*.py"))
              if LESSON_ID_PATTERN in p.read_text(encoding="utf-8")]
    assert copies == ["pipeline/core/ids.py"]
