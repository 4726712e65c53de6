"""What the portal's routes share: its options, its store, the upload store, who may see a
lesson."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from fastapi import Request

from pipeline.core.ids import LESSON_ID_RE
from pipeline.core.limits import Limits
from pipeline.ingest import IngestOptions
from pipeline.portal.store import PortalStore
from pipeline.portal.tables import PortalLesson
from pipeline.portal.uploads import UploadStore
from pipeline.review.accounts import SignedIn
from pipeline.review.web_common import Forbidden, PageNotFound, signed_in
from pipeline.translate.mt import MTOptions

__all__ = ["Portal", "PortalOptions", "editor", "editor_lesson", "portal_of"]

_LESSON_ID = LESSON_ID_RE


@dataclass(frozen=True)
class PortalOptions:
    """What the portal needs (built from Settings by ``pipeline.steps.web_options``)."""

    # Lessons handed in: LESSONS/<lesson-id>/ (lesson.toml, script.md, recording).
    lessons_dir: Path
    # Output root: a lesson's outputs are OUT/<lesson-id>/, bundles under it.
    out_dir: Path
    # Glossaries and the language registry a handed-in lesson is checked against.
    glossary_dir: Path
    # How a handed-in lesson is read and checked (default profiles, limits), as ``caunoi
    # check`` reads it.
    ingest: IngestOptions
    # ffmpeg to cut deviation clips with ("" = the one on PATH).
    ffmpeg: str = ""
    # Where the translation models are (to say which languages have no draft
    # translation); None = not known, nothing said.
    mt: MTOptions | None = None
    # Largest recording accepted.
    max_recording_bytes: int = 4096 * 1024 * 1024
    # Uploads in progress one user may have at once.
    max_active_uploads: int = 3
    # Bytes the browser sends per request: small enough that a dropped 2G/3G uplink loses
    # little, large enough that a 100 MB recording is a few hundred requests.
    chunk_bytes: int = 512 * 1024
    # Largest single PATCH the server accepts (a client may send bigger chunks than ours).
    max_chunk_bytes: int = 8 << 20

    @property
    def limits(self) -> Limits:
        return self.ingest.limits

    @property
    def default_profiles(self) -> tuple[str, ...]:
        return self.ingest.default_profiles

    def lesson_out(self, lesson_id: str) -> Path:
        return self.out_dir / lesson_id


@dataclass(frozen=True)
class Portal:
    opts: PortalOptions
    store: PortalStore
    uploads: UploadStore

    @classmethod
    def make(cls, opts: PortalOptions, store: PortalStore) -> Portal:
        return cls(opts, store, UploadStore(opts.lessons_dir / ".uploads",
                                            opts.max_recording_bytes,
                                            opts.max_active_uploads, opts.max_chunk_bytes))


def portal_of(request: Request) -> Portal:
    found: Portal = request.app.state.portal
    return found


def editor(request: Request) -> tuple[SignedIn, tuple[str, ...]]:
    """The signed-in editor and their teams; 403 for a user who is not an editor."""
    sess = signed_in(request)
    teams = portal_of(request).store.editors.teams(sess.username)
    if not teams:
        raise Forbidden
    return sess, teams


def editor_lesson(request: Request, lesson_id: str) -> tuple[SignedIn, PortalLesson]:
    """The editor and a portal lesson of one of their teams; 404 for anything else (an
    invalid id, another team's lesson, a lesson not handed in through the portal)."""
    sess, _ = editor(request)
    portal = portal_of(request)
    row = portal.store.lessons.row(lesson_id) if _LESSON_ID.match(lesson_id) else None
    if row is None or not portal.store.editors.can_edit_team(sess.username, row.team):
        raise PageNotFound
    if not (portal.opts.lessons_dir / lesson_id).is_dir():
        raise PageNotFound
    return sess, row
