"""A draft script from the recording (issue 29), offered for a lesson handed in without a
script: the drafting runs in the background as a ``draft`` run of the run launcher (as
production does: no request waits for Whisper), and the lesson page then shows the draft
in the script box, marked as a machine draft, for the team to correct and save."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from pipeline.core.i18n import t
from pipeline.portal.context import portal_of
from pipeline.portal.drafts import has_script, recording_stamp
from pipeline.portal.web_actions import _done, _editor_form
from pipeline.review.web_common import ctx_of, ui_of

__all__ = ["router"]

router = APIRouter()


@router.post("/portal/l/{lesson_id}/draft")
async def start_draft(request: Request, lesson_id: str) -> Response:
    """Start drafting the script (or keep the draft run already going); only for a lesson
    with a recording and no script."""
    from pipeline.portal.web import lesson_view

    sess, _ = await _editor_form(request, lesson_id)
    runs, ui = ctx_of(request).opts.runs, ui_of(request)
    if runs is None:
        return lesson_view(request, lesson_id, 409, t("portal.no_launcher", ui))
    folder = portal_of(request).opts.lessons_dir / lesson_id
    if has_script(folder) or not recording_stamp(folder):
        return lesson_view(request, lesson_id, 409, t("portal.draft_not_needed", ui))
    await run_in_threadpool(runs.start, "draft", lesson_id)
    portal_of(request).store.lessons.touch(lesson_id, sess.username, "portal_draft")
    return _done(lesson_id, "portal.draft_started")
