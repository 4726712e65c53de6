"""The offline bundle's interface words in the review workflow (issue 31, item 14): a
built-in review lesson (its id given by the caller; the bundle side names it) holding one
``ui`` unit per word of the bundle page, translated and approved like cues by the
translators and reviewers of each language, and the approved words per language."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from sqlalchemy import select

from pipeline.core.i18n import t
from pipeline.review import messages_units as _messages  # noqa: F401  (registers "units.*")
from pipeline.review.store import ReviewStore
from pipeline.review.sync import SyncReport
from pipeline.review.tables import CueRow, Translation
from pipeline.review.units import Unit, UnitSync

__all__ = ["UI_PREFIX", "approved_interface", "sync_interface"]

#: A unit's key is ``ui.<the bundle's key>``.
UI_PREFIX = "ui."


def sync_interface(store: ReviewStore, texts: Mapping[str, str], languages: Sequence[str],
                   lesson_id: str) -> SyncReport:
    """Keep the interface lesson ``lesson_id`` holding one unit per key of ``texts`` (key
    -> Vietnamese source) with a translation row in each of ``languages`` (languages added
    before stay). Idempotent; a changed source text goes back to review.

    Raises:
        ReservedLessonError: ``lesson_id`` holds a real lesson's narration.
    """
    units = [Unit("ui", UI_PREFIX + key, text) for key, text in texts.items()]
    return UnitSync(store.cue_sync).sync_units(
        lesson_id, units, sorted(set(languages)), ("ui",),
        title=t("units.interface_title", "vi"))


def approved_interface(store: ReviewStore, lang: str,
                       lesson_id: str | None = None) -> dict[str, str]:
    """Key -> approved text in ``lang`` of the interface units (of ``lesson_id``, or of
    the one lesson that holds them): approved, non-empty units only; ``{}`` for a language
    nobody approved."""
    q = (select(CueRow.key, Translation.text)
         .join(Translation, Translation.cue_id == CueRow.id)
         .where(CueRow.kind == "ui", CueRow.active, Translation.lang == lang,
                Translation.state == "approved", Translation.text != ""))
    if lesson_id is not None:
        q = q.where(CueRow.lesson_id == lesson_id)
    with store.db.session() as s:
        return {key.removeprefix(UI_PREFIX): text for key, text in s.execute(q)}
