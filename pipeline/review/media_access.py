"""Who may fetch a lesson's videos: the same people as the pages that link them.

A language's video: its translators and reviewers (admins have every language) and the
editors of the lesson's team. The Vietnamese (source) video: the translators and
reviewers of a language the lesson has, the editors of its team, admins — never any
signed-in user, which would go around the portal's team isolation. Review knows no teams:
the portal adds its editors through ``Mounts.media_viewers``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from pipeline.review.store import ReviewStore

__all__ = ["may_see_video"]

#: (username, lesson id) -> whether a part mounted beside review (the portal: editors of the
#: lesson's team) lets that user see the lesson's videos.
Viewers = Callable[[str, str], bool]


def may_see_video(store: ReviewStore, username: str, lesson_id: str, lang: str,
                  source: str, also: Sequence[Viewers] = ()) -> bool:
    """Whether ``username`` may fetch ``lesson_id``'s video in ``lang`` (``source``: the
    registry's source language; ``also``: the mounted parts' own viewers)."""
    if "*" in store.roles(username):
        return True
    if lang == source:
        if any(store.can(username, x, "view") for x in store.languages_of(lesson_id)):
            return True
    elif store.can(username, lang, "view"):
        return True
    return any(f(username, lesson_id) for f in also)
