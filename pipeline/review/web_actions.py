"""Pages that change things: save/approve/reject a cue, approve a language, comment,
propose a term, decide proposals. Each refusal answers with its own message."""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from pipeline.core.i18n import t
from pipeline.review.store import MAX_TEXT, TermRefusedError
from pipeline.review.web_common import (
    Forbidden,
    PageNotFound,
    check_csrf,
    ctx_of,
    cue_ref,
    lesson_lang,
    render,
    signed_in,
    ui_of,
)
from pipeline.review.web_pages import lesson_page

__all__ = ["router"]

log = logging.getLogger("caunoi.review")
router = APIRouter()

Csrf = Annotated[str, Form(max_length=64)]


@router.post("/l/{lesson_id}/{lang}/c/{cue}")
def save(request: Request, lesson_id: str, lang: str, cue: str,
         version: Annotated[int, Form(ge=0, le=10**9)],
         action: Annotated[str, Form(max_length=16)],
         text: Annotated[str, Form(max_length=MAX_TEXT)] = "",
         reason: Annotated[str, Form(max_length=MAX_TEXT)] = "", csrf: Csrf = "",
         page: Annotated[int, Form(ge=1, le=10_000)] = 1) -> Response:
    sess = signed_in(request)
    check_csrf(sess, csrf)
    lesson_lang(request, lesson_id, lang)
    ref = cue_ref(cue)
    if action not in ("save", "approve", "reject"):
        return HTMLResponse("bad action", status_code=400)
    store, ui = ctx_of(request).store, ui_of(request)
    result = store.save(sess.username, lesson_id, lang, ref, text, version, action, reason)
    if result.reason == "conflict":
        view = next((c for c in store.cues(lesson_id, lang) if ref in (c.idx, c.key)), None)
        return render(request, "conflict.html", 409, user=sess.username, csrf=sess.csrf,
                      lesson=lesson_id, lang=lang, idx=view.idx if view else 0,
                      key=view.key if view else cue, source=view.source if view else "",
                      current=result, yours=text)
    if result.reason:
        error = t("review.empty_approve" if result.reason == "empty" else "review.qa_blocked",
                  ui)
        key = ref if isinstance(ref, str) else next(
            (c.key for c in store.cues(lesson_id, lang) if c.idx == ref), "")
        return lesson_page(request, sess, lesson_id, lang, page, status=422, error=error,
                           typed={key: (text, result.checks)})
    idx = ref if isinstance(ref, int) else next(
        (c.idx for c in store.cues(lesson_id, lang) if c.key == ref), 0)
    return RedirectResponse(f"/l/{lesson_id}/{lang}?page={page}&msg=saved#c{idx}",
                            status_code=303)


@router.post("/l/{lesson_id}/{lang}/approve-all")
def approve_all(request: Request, lesson_id: str, lang: str, csrf: Csrf = "") -> Response:
    sess = signed_in(request)
    check_csrf(sess, csrf)
    lesson_lang(request, lesson_id, lang)
    ctx = ctx_of(request)
    if not ctx.store.approve_language(sess.username, lesson_id, lang, ctx.opts.tm_dir):
        return lesson_page(request, sess, lesson_id, lang,
                           message=t("approve_all_wait", ui_of(request)))
    if ctx.opts.on_approved is not None:
        try:
            ctx.opts.on_approved(lesson_id, lang)
        except Exception:  # the approval stands even if the orchestrator is down
            log.exception("resume hook failed")
    return RedirectResponse(f"/l/{lesson_id}/{lang}", status_code=303)


@router.post("/l/{lesson_id}/{lang}/c/{cue}/comment")
def comment(request: Request, lesson_id: str, lang: str, cue: str,
            text: Annotated[str, Form(max_length=MAX_TEXT)], csrf: Csrf = "") -> Response:
    sess = signed_in(request)
    check_csrf(sess, csrf)
    lesson_lang(request, lesson_id, lang)
    ref = cue_ref(cue)
    ctx_of(request).store.comment(sess.username, lesson_id, lang, ref, text)
    return RedirectResponse(f"/l/{lesson_id}/{lang}/c/{cue}/history", status_code=303)


@router.post("/l/{lesson_id}/{lang}/propose")
def propose(request: Request, lesson_id: str, lang: str,
            vi: Annotated[str, Form(max_length=200)],
            target: Annotated[str, Form(max_length=200)],
            note: Annotated[str, Form(max_length=MAX_TEXT)] = "", csrf: Csrf = "") -> Response:
    sess = signed_in(request)
    check_csrf(sess, csrf)
    lesson_lang(request, lesson_id, lang)
    try:
        ctx_of(request).store.propose_term(sess.username, lang, vi, target, note)
    except TermRefusedError as e:
        return lesson_page(request, sess, lesson_id, lang, status=422,
                           error=e.message(ui_of(request)))
    return RedirectResponse(f"/l/{lesson_id}/{lang}?msg=saved", status_code=303)


@router.get("/admin/glossary", response_class=HTMLResponse)
def proposals(request: Request, error: str = "") -> HTMLResponse:
    sess = signed_in(request)
    if not sess.admin:
        raise Forbidden
    return render(request, "proposals.html", user=sess.username, csrf=sess.csrf,
                  proposals=ctx_of(request).store.proposals(), error="")


@router.post("/admin/glossary/{proposal_id}")
def decide(request: Request, proposal_id: str, decision: Annotated[str, Form(max_length=16)],
           csrf: Csrf = "") -> Response:
    sess = signed_in(request)
    check_csrf(sess, csrf)
    if not (proposal_id.isascii() and proposal_id.isdigit() and len(proposal_id) <= 9):
        raise PageNotFound
    ctx = ctx_of(request)
    try:
        ctx.store.decide_proposal(sess.username, int(proposal_id), decision == "accept",
                                  ctx.opts.glossary_dir)
    except TermRefusedError as e:
        return render(request, "proposals.html", 422, user=sess.username, csrf=sess.csrf,
                      proposals=ctx.store.proposals(), error=e.message(ui_of(request)))
    return RedirectResponse("/admin/glossary", status_code=303)
