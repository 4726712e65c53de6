"""What editors change about a lesson after handing it in: its languages and profiles, and
deleting it (confirmed, audited, its outputs removed)."""

from __future__ import annotations

import shutil

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from pipeline.core.i18n import t
from pipeline.portal.context import editor_lesson, portal_of
from pipeline.portal.lessons import bundle_zip, lesson_meta, write_lesson_toml
from pipeline.render.profiles import PROFILES
from pipeline.review.web_common import check_csrf, ctx_of, ui_of

__all__ = ["router"]

router = APIRouter()


async def _posted(request: Request, lesson_id: str) -> tuple[str, list[str], list[str], str]:
    """The editor, the ticked languages and profiles, and the confirmation box."""
    sess, _ = editor_lesson(request, lesson_id)
    form = await request.form(max_files=0, max_fields=80, max_part_size=64 << 10)
    check_csrf(sess, str(form.get("csrf") or ""))
    return (sess.username, [str(x) for x in form.getlist("languages")],
            [str(x) for x in form.getlist("profiles")], str(form.get("confirm") or ""))


def _busy(request: Request, lesson_id: str) -> bool:
    from pipeline.portal.web_actions import BUSY

    runs = ctx_of(request).opts.runs
    return runs is not None and any(r.state in BUSY for r in runs.runs(lesson_id))


@router.post("/portal/l/{lesson_id}/settings")
async def save_settings(request: Request, lesson_id: str) -> Response:
    """New target languages and profiles (the next run makes what they need)."""
    from pipeline.portal.web import lesson_view

    user, languages, profiles, _ = await _posted(request, lesson_id)
    portal, ctx, ui = portal_of(request), ctx_of(request), ui_of(request)
    limits, source = portal.opts.limits, ctx.registry.source.code
    if not languages or len(languages) > limits.max_languages or any(
            x not in ctx.registry.languages or x == source for x in languages):
        return lesson_view(request, lesson_id, 422, t("portal.bad_languages", ui))
    if any(p not in PROFILES for p in profiles) or len(profiles) > limits.max_profiles:
        return lesson_view(request, lesson_id, 422, t("portal.bad_profiles", ui))
    folder = portal.opts.lessons_dir / lesson_id
    meta = lesson_meta(folder)
    title = meta.title if meta else portal.store.lessons.row(lesson_id).title  # type: ignore[union-attr]
    write_lesson_toml(folder, lesson_id, title, list(dict.fromkeys(languages)),
                      list(dict.fromkeys(profiles)))
    portal.store.lessons.touch(lesson_id, user, "portal_settings")
    return RedirectResponse(f"/portal/l/{lesson_id}?msg=portal.lesson_changed",
                            status_code=303)


@router.post("/portal/l/{lesson_id}/delete")
async def delete_lesson(request: Request, lesson_id: str) -> Response:
    """Delete the lesson, its outputs, its bundle and its cues in the review store (the box
    ticked; not while running)."""
    from pipeline.portal.web import lesson_view

    user, _, _, confirm = await _posted(request, lesson_id)
    ui = ui_of(request)
    if confirm != "yes":
        return lesson_view(request, lesson_id, 422, t("portal.delete_unconfirmed", ui))
    if await run_in_threadpool(_busy, request, lesson_id):
        return lesson_view(request, lesson_id, 409, t("portal.run_busy", ui))
    opts = portal_of(request).opts
    bundle = bundle_zip(opts.out_dir, lesson_id)
    portal_of(request).store.lessons.remove(lesson_id, user)
    # Its cues leave the review pages too (the audit log keeps who removed it).
    await run_in_threadpool(ctx_of(request).store.remove_lesson, lesson_id, user)
    await run_in_threadpool(_remove_files, opts.lessons_dir / lesson_id,
                            opts.lesson_out(lesson_id))
    if bundle is not None:
        bundle.unlink(missing_ok=True)
    return RedirectResponse("/portal?msg=portal.lesson_deleted", status_code=303)


def _remove_files(*folders: object) -> None:
    for folder in folders:
        shutil.rmtree(str(folder), ignore_errors=True)
