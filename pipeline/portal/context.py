"""What the portal's routes share: its options, the upload store, who may see a lesson."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from fastapi import Request

from pipeline.core.config import Settings
from pipeline.core.ids import LESSON_ID_RE
from pipeline.core.limits import Limits
from pipeline.portal.registry import lesson_row
from pipeline.portal.uploads import UploadStore
from pipeline.review.accounts import SignedIn
from pipeline.review.tables import PortalLesson
from pipeline.review.web_common import Forbidden, PageNotFound, ctx_of, signed_in

__all__ = ["Portal", "PortalOptions", "editor", "editor_lesson", "portal_of"]

_LESSON_ID = LESSON_ID_RE


@dataclass(frozen=True)
class PortalOptions:
    # The settings of the web app (lessons_dir, out_dir, limits, glossaries, profiles).
    settings: Settings
    # Uploads in progress one user may have at once.
    max_active_uploads: int = 3
    # Bytes the browser sends per request: small enough that a dropped 2G/3G uplink loses
    # little, large enough that a 100 MB recording is a few hundred requests.
    chunk_bytes: int = 512 * 1024
    # Largest single PATCH the server accepts (a client may send bigger chunks than ours).
    max_chunk_bytes: int = 8 << 20

    @property
    def limits(self) -> Limits:
        return Limits.from_settings(self.settings)

    @property
    def lessons_dir(self) -> Path:
        return Path(self.settings.lessons_dir)

    @property
    def max_recording_bytes(self) -> int:
        return self.settings.max_recording_mb * 1024 * 1024


@dataclass(frozen=True)
class Portal:
    opts: PortalOptions
    uploads: UploadStore

    @classmethod
    def make(cls, opts: PortalOptions) -> Portal:
        return cls(opts, UploadStore(opts.lessons_dir / ".uploads", opts.max_recording_bytes,
                                     opts.max_active_uploads, opts.max_chunk_bytes))


def portal_of(request: Request) -> Portal:
    found: Portal = request.app.state.portal
    return found


def editor(request: Request) -> tuple[SignedIn, tuple[str, ...]]:
    """The signed-in editor and their teams; 403 for a user who is not an editor."""
    sess = signed_in(request)
    teams = ctx_of(request).store.editor_teams(sess.username)
    if not teams:
        raise Forbidden
    return sess, teams


def editor_lesson(request: Request, lesson_id: str) -> tuple[SignedIn, PortalLesson]:
    """The editor and a portal lesson of one of their teams; 404 for anything else (an
    invalid id, another team's lesson, a lesson not handed in through the portal)."""
    sess, _ = editor(request)
    store = ctx_of(request).store
    row = lesson_row(store, lesson_id) if _LESSON_ID.match(lesson_id) else None
    if row is None or not store.can_edit_team(sess.username, row.team):
        raise PageNotFound
    if not (portal_of(request).opts.lessons_dir / lesson_id).is_dir():
        raise PageNotFound
    return sess, row
