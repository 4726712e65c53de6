"""Content-hash stage records: a stage whose inputs did not change is skipped on re-run.

Each finished stage writes ``OUT/<lesson-id>/.state/<stage>.json`` with the key it was run
with (a hash of everything it read) and the sha256 of every file it wrote. A stage is fresh
when the key matches and every output is still there, unchanged.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from pipeline.core.storage import atomic_write_json, sha256_file, sha256_text

__all__ = ["StageCache", "make_key"]

log = logging.getLogger("caunoi.cache")

#: Bumped when a stage's output format changes, invalidating every record.
CACHE_VERSION = "1"


def make_key(stage: str, **parts: Any) -> str:
    """A stable hash of a stage name and its inputs (JSON-serialisable values)."""
    blob = json.dumps({"v": CACHE_VERSION, "stage": stage, **parts}, sort_keys=True,
                      ensure_ascii=False, default=str)
    return sha256_text(blob)


class StageCache:
    """Stage records of one lesson's output folder."""

    def __init__(self, lesson_out: Path) -> None:
        self.root = lesson_out
        self.state_dir = lesson_out / ".state"

    def _record(self, stage: str) -> Path:
        return self.state_dir / f"{stage}.json"

    def is_fresh(self, stage: str, key: str) -> bool:
        try:
            rec = json.loads(self._record(stage).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return False
        if rec.get("key") != key:
            return False
        for rel, digest in rec.get("outputs", {}).items():
            path = self.root / rel
            if not path.is_file() or sha256_file(path) != digest:
                log.info("%s: output %s changed or missing, re-running", stage, rel)
                return False
        return True

    def record(self, stage: str, key: str, outputs: list[Path]) -> None:
        """Mark a stage finished; call only after all its outputs are in place."""
        files = {str(p.relative_to(self.root)): sha256_file(p) for p in outputs}
        atomic_write_json(self._record(stage), {"stage": stage, "key": key, "outputs": files})
