"""Before the command line publishes or bundles a lesson: every approved final its last
manifest lists was made under the approval that stands now (the portal's own check,
``pipeline.publish.finals.standing_finals``)."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from pathlib import Path

from pipeline.core.errors import FinalOutdatedError
from pipeline.publish.finals import LEDGER, standing_finals
from pipeline.publish.manifest import load_manifest
from pipeline.review.gate import approval_basis
from pipeline.review.store import ReviewStore

__all__ = ["check_finals_stand"]

log = logging.getLogger("caunoi.publish")


def check_finals_stand(out: Path, store: ReviewStore, languages: Iterable[str] = ()) -> None:
    """Raise :class:`FinalOutdatedError` naming the target languages (of ``languages``;
    empty: all) whose listed final a reviewer has approved again, or withdrawn, since the
    run that made it. A lesson made before the finals ledger existed, or that this review
    store does not know, is not checked."""
    m = load_manifest(out)
    wanted = set(languages)
    listed = {f.language for f in m.files
              if f.kind in ("video", "audio") and f.review_state == "approved"
              and f.language and f.language != m.source_language
              and (not wanted or f.language in wanted)}
    if not listed:
        return
    if not (out / LEDGER).is_file() or store.lesson(m.lesson_id) is None:
        log.warning("%s: no finals ledger (made by an older version) or a review store that "
                    "does not know the lesson: approvals not checked", out.name)
        return
    approvals = {c: approval_basis(store, m.lesson_id, c) for c in sorted(listed)}
    stale = sorted(listed - set(standing_finals(out, approvals).languages))
    if stale:
        raise FinalOutdatedError(lesson=m.lesson_id, languages=",".join(stale))
