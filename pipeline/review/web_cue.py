"""One cue at a time: its page (source with glossary terms marked, audio clip, still with
the current text burned in, suggestions, the edit form with "save and next"), saving or
deciding on it (each refusal answers with its own message), its history and comments, its
clip and still (built once, cached on disk and in the phone), copying a suggestion into the
box, and bulk approval of the clean cues."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import (
    FileResponse,
    HTMLResponse,
    JSONResponse,
    RedirectResponse,
    Response,
)

from pipeline.core.errors import CaunoiError
from pipeline.core.i18n import t
from pipeline.review import cue_media, limits_web, queue
from pipeline.review import messages_cue as _messages  # noqa: F401  (registers "cue.*")
from pipeline.review.accounts import SignedIn
from pipeline.review.checks import clean_text
from pipeline.review.store import MAX_TEXT, CueView, SaveResult
from pipeline.review.web_common import (
    PageNotFound,
    check_csrf,
    ctx_of,
    cue_ref,
    lang_name,
    lesson_lang,
    render,
    signed_in,
    ui_of,
)
from pipeline.review.web_lesson import lesson_page, lesson_video
from pipeline.translate.glossary import do_not_translate
from pipeline.translate.qa import QAIssue

__all__ = ["cue_page", "filter_of", "router", "video_time"]

log = logging.getLogger("caunoi.review")
router = APIRouter()
#: Clips and stills are named by what they show: the phone may keep them for a year.
LONG_CACHE = "private, max-age=31536000, immutable"

Csrf = Annotated[str, Form(max_length=64)]


def filter_of(f: str) -> str:
    return f if f in queue.FILTERS else ""


def _find(request: Request, sess: SignedIn, lesson_id: str, lang: str,
          cue: str, action: str = "view") -> tuple[list[CueView], CueView]:
    lesson_lang(request, lesson_id, lang)
    ref = cue_ref(cue)
    store = ctx_of(request).store
    store.require(sess.username, lang, action)
    cues = store.items(lesson_id, lang)  # the title and chapter units, then the cues
    view = next((c for c in cues if ref in (c.idx, c.key)), None)
    if view is None:
        raise PageNotFound
    return cues, view


def video_time(request: Request, lesson_id: str, start_ms: int) -> float:
    """A cue's start on a rendered video's timeline (after the title card)."""
    opts = ctx_of(request).opts
    media = cue_media.lesson_media(opts.out_dir, lesson_id)
    return start_ms / 1000 + cue_media.video_offset_s(media, opts.title_card_s)


def _suggestions(request: Request, lesson_id: str, lang: str,
                 view: CueView) -> list[queue.Suggestion]:
    opts = ctx_of(request).opts
    out = queue.tm_hits(opts.tm_dir, lang, view.source)
    draft = ctx_of(request).store.machine_draft(lesson_id, lang, view.key)
    if draft:
        out.append(queue.Suggestion("mt", draft))
    if view.suggestion:
        out.append(queue.Suggestion("earlier", view.suggestion))
    unique: dict[str, queue.Suggestion] = {}
    for s in out:
        unique.setdefault(s.text, s)
    return list(unique.values())


def cue_page(request: Request, sess: SignedIn, lesson_id: str, lang: str, cue: str, f: str,
             *, text: str | None = None, checks: list[dict[str, str]] | None = None,
             message: str = "", error: str = "", status: int = 200) -> HTMLResponse:
    """The page of one cue; ``text``/``checks`` keep what was typed (not saved)."""
    cues, view = _find(request, sess, lesson_id, lang, cue)
    ctx, ui = ctx_of(request), ui_of(request)
    terms = queue.glossary_terms(ctx.opts.glossary_dir, lang, view.source)
    shown = view.text if text is None else text
    media = cue_media.lesson_media(ctx.opts.out_dir, lesson_id)

    # A unit (title, chapter, interface word) has no sound or picture of its own.
    video = lesson_video(request, lesson_id, lang) if view.kind == "cue" else ""
    media = media if view.kind == "cue" else None
    nxt = queue.next_cue(cues, view.key, f)
    still = preview = ""
    if media is not None and media.recording.is_file():
        base = f"/l/{lesson_id}/{lang}/c/{view.key}/still.webp"
        still = f"{base}?v={view.version}"
        if text is not None and text != view.text:
            from urllib.parse import quote

            still = f"{base}?text={quote(text[:300])}"
        # The script previews what is typed through the same route (rate-limited there).
        preview = base if ctx.store.can(sess.username, lang, "edit") else ""
    return render(
        request, "cue.html", status, user=sess.username, csrf=sess.csrf, lesson=lesson_id,
        lang=lang, lang_name=lang_name(request, lang), c=view, text=shown, f=f,
        n=cues.index(view) + 1, total=len(cues), next_key=nxt.key if nxt else "",
        source=queue.highlight(view.source, [x.vi for x in terms]), terms=terms,
        suggestions=_suggestions(request, lesson_id, lang, view),
        checks=[{"severity": i.severity, "message": i.message(ui)}
                for i in map(QAIssue.from_json, view.checks if checks is None else checks)],
        errors=any(x.get("severity", "error") == "error"
                   for x in (view.checks if checks is None else checks)),
        clip=f"/l/{lesson_id}/{lang}/c/{view.key}/clip.opus" if media else "",
        still=still, preview=preview,
        video=f"{video}#t={video_time(request, lesson_id, view.start_ms):.2f}" if video else "",
        message=message, error=error, fields="{" in view.source,
        can_approve=ctx.store.can(sess.username, lang, "approve"))


@router.get("/l/{lesson_id}/{lang}/c/{cue}", response_class=HTMLResponse)
def cue_get(request: Request, lesson_id: str, lang: str, cue: str, f: str = "",
            msg: str = "") -> HTMLResponse:
    sess = signed_in(request)
    known = ("saved_here", "approved_saved", "rejected_saved")
    message = t(f"review.{msg}", ui_of(request)) if msg in known else ""
    return cue_page(request, sess, lesson_id, lang, cue, filter_of(f), message=message)


@router.post("/l/{lesson_id}/{lang}/c/{cue}/use", response_class=HTMLResponse)
def use(request: Request, lesson_id: str, lang: str, cue: str,
        text: Annotated[str, Form(max_length=MAX_TEXT)], csrf: Csrf = "",
        f: Annotated[str, Form(max_length=16)] = "") -> HTMLResponse:
    """A suggestion copied into the edit box (nothing saved yet)."""
    sess = signed_in(request)
    check_csrf(sess, csrf)
    return cue_page(request, sess, lesson_id, lang, cue, filter_of(f),
                    text=clean_text(text)[:MAX_TEXT],
                    message=t("review.suggestion_copied", ui_of(request)))


def _media_file(request: Request, lesson_id: str, lang: str, cue: str,
                text: str | None = None,
                action: str = "view") -> tuple[CueView, cue_media.LessonMedia]:
    """The cue and its lesson's media, for those who may see the cue's page (and edit its
    text, for a preview of ``text``; the clip also for the language's voices: ``action``
    "record"); unknown and forbidden are the same 404."""
    sess = signed_in(request)
    with limits_web.media_misses(request, sess.username):
        _, view = _find(request, sess, lesson_id, lang, cue, action)
        media = cue_media.lesson_media(ctx_of(request).opts.out_dir, lesson_id)
        if media is None or view.kind != "cue":  # units have no clip or still
            raise PageNotFound
        if text is not None:  # a preview of typed text: only for those who may edit it
            ctx_of(request).store.require(sess.username, lang, "edit")
    if text is not None:
        limits_web.count_preview(request, sess.username)
    return view, media


@router.get("/l/{lesson_id}/{lang}/c/{cue}/clip.opus")
async def clip(request: Request, lesson_id: str, lang: str, cue: str) -> Response:
    """The cue's narration ± 0.3 s (Opus in Ogg), Range requests answered 206."""
    view, media = await limits_web.CHECKS.run(_media_file, request, lesson_id, lang, cue,
                                              None, "record")
    try:
        path = await limits_web.BUILDS.run(cue_media.build_clip, media, view.key,
                                           view.start_ms, view.end_ms)
    except limits_web.BuildsBusyError:
        raise  # 503 with a Retry-After
    except CaunoiError:
        log.exception("clip of %s %s", lesson_id, view.key)
        raise PageNotFound from None
    return FileResponse(path, media_type="audio/ogg", headers={"Cache-Control": LONG_CACHE})


@router.get("/l/{lesson_id}/{lang}/c/{cue}/still.webp")
async def still(request: Request, lesson_id: str, lang: str, cue: str, v: int = 0,
                text: str | None = None) -> Response:
    """The cue's frame with its current text (or ``text``, a preview) burned in; the
    checks and the drawing run off the event loop, the drawing bounded (limits_web)."""
    view, media = await limits_web.CHECKS.run(_media_file, request, lesson_id, lang, cue,
                                              text)
    ctx = ctx_of(request)
    language = ctx.registry.languages[lang]
    shown = view.text if text is None else clean_text(text)[:300]
    try:
        path = await limits_web.BUILDS.run(cue_media.build_still, media, language, view.key,
                                           (view.start_ms + view.end_ms) // 2, shown,
                                           do_not_translate(ctx.opts.glossary_dir))
    except limits_web.BuildsBusyError:
        raise  # 503 with a Retry-After
    except CaunoiError:
        log.exception("still of %s %s", lesson_id, view.key)
        raise PageNotFound from None
    return FileResponse(path, media_type="image/webp", headers={"Cache-Control": LONG_CACHE})


SCRIPT = Path(__file__).parent / "static" / "review.js"


@router.get("/static/review.js")
def script() -> Response:
    """The optional script (saves without reloading); its URL carries a version."""
    return FileResponse(SCRIPT, media_type="text/javascript",
                        headers={"Cache-Control": "public, max-age=604800"})


@router.post("/l/{lesson_id}/{lang}/bulk-approve")
def bulk_approve(request: Request, lesson_id: str, lang: str, csrf: Csrf = "",
                 f: Annotated[str, Form(max_length=16)] = "") -> Response:
    sess = signed_in(request)
    check_csrf(sess, csrf)
    lesson_lang(request, lesson_id, lang)
    done = ctx_of(request).store.approve_clean(sess.username, lesson_id, lang)
    return RedirectResponse(f"/l/{lesson_id}/{lang}?f={filter_of(f)}&msg=bulk_done&n={len(done)}"
                            "#queue", status_code=303)


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
    current = next((c for c in store.items(lesson_id, lang) if ref in (c.idx, c.key)), None)
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
        nxt = queue.next_cue(store.items(lesson_id, lang), key, f)
        if nxt is None:
            return RedirectResponse(f"/l/{lesson_id}/{lang}?f={f}&msg=queue_done#queue",
                                    status_code=303)
        return RedirectResponse(f"/l/{lesson_id}/{lang}/c/{nxt.key}?f={f}", status_code=303)
    if view == "cue":
        return RedirectResponse(f"/l/{lesson_id}/{lang}/c/{key}?f={f}&msg={msg}#c{idx}",
                                status_code=303)
    return RedirectResponse(f"/l/{lesson_id}/{lang}?page={page}&f={f}&msg={msg}&at={idx}#c{idx}",
                            status_code=303)


@router.post("/l/{lesson_id}/{lang}/c/{cue}/comment")
def comment(request: Request, lesson_id: str, lang: str, cue: str,
            text: Annotated[str, Form(max_length=MAX_TEXT)], csrf: Csrf = "") -> Response:
    sess = signed_in(request)
    check_csrf(sess, csrf)
    lesson_lang(request, lesson_id, lang)
    ref = cue_ref(cue)
    ctx_of(request).store.comment(sess.username, lesson_id, lang, ref, text)
    return RedirectResponse(f"/l/{lesson_id}/{lang}/c/{cue}/history", status_code=303)


@router.get("/l/{lesson_id}/{lang}/c/{cue}/history", response_class=HTMLResponse)
def history(request: Request, lesson_id: str, lang: str, cue: str) -> HTMLResponse:
    sess = signed_in(request)
    lesson_lang(request, lesson_id, lang)
    ref = cue_ref(cue)
    store = ctx_of(request).store
    store.require(sess.username, lang, "view")
    view = next((c for c in store.items(lesson_id, lang) if ref in (c.idx, c.key)), None)
    if view is None:
        raise PageNotFound
    earlier = store.earlier_authors(lesson_id, lang)
    return render(request, "history.html", user=sess.username, csrf=sess.csrf,
                  lesson=lesson_id, lang=lang, idx=view.idx, key=view.key, source=view.source,
                  kind=view.kind,
                  versions=store.history(lesson_id, lang, view.key),
                  label=lambda o, text="": queue.origin_label(o, ui_of(request), text,
                                                              earlier),
                  comments=store.comments(lesson_id, lang, view.key))
