"""Who may fetch a lesson's videos: the same people as the pages that link them.

A language's video: its translators and reviewers (admins have every language) and the
editors of the lesson's team. The Vietnamese (source) video: the translators and
reviewers of a language the lesson has, the editors of its team, admins — never any
signed-in user, which would go around the portal's team isolation.
"""

from __future__ import annotations

from pipeline.review.store import ReviewStore
from pipeline.review.tables import PortalLesson

__all__ = ["may_see_video"]


def _team_editor(store: ReviewStore, username: str, lesson_id: str) -> bool:
    with store.session() as s:
        row = s.get(PortalLesson, lesson_id)
        team = row.team if row is not None else None
    return team is not None and store.can_edit_team(username, team)


def may_see_video(store: ReviewStore, username: str, lesson_id: str, lang: str,
                  source: str) -> bool:
    """Whether ``username`` may fetch ``lesson_id``'s video in ``lang`` (``source``: the
    registry's source language)."""
    if "*" in store.roles(username):
        return True
    if lang == source:
        if any(store.can(username, x, "view") for x in store.languages_of(lesson_id)):
            return True
    elif store.can(username, lang, "view"):
        return True
    return _team_editor(store, username, lesson_id)
