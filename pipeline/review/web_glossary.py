"""The glossary from the review pages: a reviewer proposes a term, an admin accepts it into
the glossary or rejects it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from pipeline.review.store import MAX_TEXT, TermRefusedError
from pipeline.review.web_common import (
    Forbidden,
    PageNotFound,
    check_csrf,
    ctx_of,
    lesson_lang,
    render,
    signed_in,
    ui_of,
)
from pipeline.review.web_lesson import lesson_page

__all__ = ["router"]

router = APIRouter()

Csrf = Annotated[str, Form(max_length=64)]


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
