"""Pages that change things: save/approve/reject a cue, approve a language, comment,
propose a term, decide proposals. Each refusal answers with its own message."""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from pipeline.core.i18n import t
from pipeline.review import queue
from pipeline.review.store import MAX_TEXT, CueView, SaveResult, TermRefusedError
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
from pipeline.review.web_cue import cue_page, filter_of
from pipeline.review.web_pages import lesson_page
from pipeline.translate.qa import QAIssue

__all__ = ["router"]

log = logging.getLogger("caunoi.review")
router = APIRouter()

Csrf = Annotated[str, Form(max_length=64)]


_DONE_MSG = {"save": "saved_here", "approve": "approved_saved", "reject": "rejected_saved"}
_REFUSED = {"empty": "review.empty_approve", "no_reason": "review.reject_needs_reason"}


def _quick(result: SaveResult, action: str, current: CueView | None, ui: str) -> Response:
    """The outcome for the page's script (saved without reloading): a conflict falls back
    to the plain form, which shows both texts."""
    if result.reason == "conflict" or current is None:
        return JSONResponse({"ok": False, "fallback": True})
    checks = [QAIssue.from_json(c).message(ui) for c in result.checks]
    if result.reason:
        return JSONResponse({"ok": False, "checks": checks, "message": t(
            _REFUSED.get(result.reason, "review.qa_blocked"), ui)}, status_code=422)
    return JSONResponse({"ok": True, "version": current.version, "state": current.state,
                         "message": t(f"review.{_DONE_MSG[action]}", ui), "checks": checks})


@router.post("/l/{lesson_id}/{lang}/c/{cue}")
def save(request: Request, lesson_id: str, lang: str, cue: str,
         version: Annotated[int, Form(ge=0, le=10**9)],
         action: Annotated[str, Form(max_length=16)],
         text: Annotated[str, Form(max_length=MAX_TEXT)] = "",
         reason: Annotated[str, Form(max_length=MAX_TEXT)] = "", csrf: Csrf = "",
         page: Annotated[int, Form(ge=1, le=10_000)] = 1,
         f: Annotated[str, Form(max_length=16)] = "",
         view: Annotated[str, Form(max_length=8)] = "") -> Response:
    """Save/approve/reject one cue (``<action>_next``: then open the next cue of the
    filter). ``view=cue``: sent from the cue's own page, which shows the outcome."""
    sess = signed_in(request)
    check_csrf(sess, csrf)
    lesson_lang(request, lesson_id, lang)
    ref = cue_ref(cue)
    go_next = action.endswith("_next")
    action = action.removesuffix("_next")
    if action not in ("save", "approve", "reject"):
        return HTMLResponse("bad action", status_code=400)
    store, ui, f = ctx_of(request).store, ui_of(request), filter_of(f)
    result = store.save(sess.username, lesson_id, lang, ref, text, version, action, reason)
    current = next((c for c in store.cues(lesson_id, lang) if ref in (c.idx, c.key)), None)
    if "application/json" in request.headers.get("accept", "") and not go_next:
        return _quick(result, action, current, ui)
    if result.reason == "conflict":
        return render(request, "conflict.html", 409, user=sess.username, csrf=sess.csrf,
                      lesson=lesson_id, lang=lang, idx=current.idx if current else 0,
                      key=current.key if current else cue,
                      source=current.source if current else "", current=result, yours=text)
    key, idx = (current.key, current.idx) if current else (str(cue), 0)
    if result.reason:
        error = t(_REFUSED.get(result.reason, "review.qa_blocked"), ui)
        if view == "cue":
            return cue_page(request, sess, lesson_id, lang, key, f, text=text,
                            checks=result.checks, error=error, status=422)
        return lesson_page(request, sess, lesson_id, lang, page, status=422, error=error,
                           typed={key: (text, result.checks)}, at=idx)
    msg = _DONE_MSG[action]
    if go_next:
        nxt = queue.next_cue(store.cues(lesson_id, lang), key, f)
        if nxt is None:
            return RedirectResponse(f"/l/{lesson_id}/{lang}?f={f}&msg=queue_done#queue",
                                    status_code=303)
        return RedirectResponse(f"/l/{lesson_id}/{lang}/c/{nxt.key}?f={f}", status_code=303)
    if view == "cue":
        return RedirectResponse(f"/l/{lesson_id}/{lang}/c/{key}?f={f}&msg={msg}#edit",
                                status_code=303)
    return RedirectResponse(f"/l/{lesson_id}/{lang}?page={page}&f={f}&msg={msg}&at={idx}#c{idx}",
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
    runs = ctx.opts.runs
    if runs is not None and runs.mode == "embedded":
        # Server mode renders through the resumed run; embedded mode starts the render.
        try:
            runs.start("render", lesson_id, language=lang)
        except Exception:  # the approval stands; the page shows the run states
            log.exception("starting the render of %s/%s failed", lesson_id, lang)
    return RedirectResponse(f"/l/{lesson_id}/{lang}#next", status_code=303)


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
