"""Pages that show: the reviewer's lessons, a lesson's cues, a cue's history, its video."""

from __future__ import annotations

import math
import re

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, Response

from pipeline.core.i18n import t
from pipeline.review.accounts import SignedIn
from pipeline.review.web_common import (
    PageNotFound,
    ctx_of,
    cue_ref,
    lang_name,
    lesson_lang,
    render,
    signed_in,
    ui_of,
)
from pipeline.translate.qa import QAIssue

__all__ = ["PAGE_SIZE", "lesson_page", "router"]

PAGE_SIZE = 40
# <lang>-<profile>[-draft].mp4, as the render step names finals and previews.
_MEDIA = re.compile(r"^(?P<lang>[a-z]{2,3})-[a-z0-9]{2,16}(?:-draft)?\.mp4$")

router = APIRouter()


@router.get("/", response_class=HTMLResponse)
def home(request: Request) -> HTMLResponse:
    sess = signed_in(request)
    store = ctx_of(request).store
    roles = store.roles(sess.username)
    rows = []
    for lesson in store.lessons():
        for lang in store.languages_of(lesson.id):
            if "*" in roles or lang in roles:
                done, total = store.progress(lesson.id, lang)
                rows.append({"lesson": lesson.id, "title": lesson.title, "lang": lang,
                             "lang_name": lang_name(request, lang), "done": done,
                             "total": total, "approved": store.is_approved(lesson.id, lang)})
    rows.sort(key=lambda r: (r["approved"], r["lesson"], r["lang"]))
    return render(request, "home.html", user=sess.username, csrf=sess.csrf, rows=rows,
                  admin=sess.admin)


def _lesson_video(request: Request, lesson_id: str, lang: str) -> str:
    folder = ctx_of(request).opts.out_dir / lesson_id / "video"
    for name in (f"{lang}-compat.mp4", f"{lang}-compat-draft.mp4", "vi-compat.mp4"):
        if (folder / name).is_file():
            return f"/media/{lesson_id}/{name}"
    return ""


def _with_messages(request: Request, checks: list[dict[str, str]]) -> list[dict[str, str]]:
    ui = ui_of(request)
    out = []
    for c in checks:
        issue = QAIssue.from_json(c)
        out.append({"severity": issue.severity, "message": issue.message(ui)})
    return out


def lesson_page(request: Request, sess: SignedIn, lesson_id: str, lang: str, page: int = 1,
                message: str = "", status: int = 200, error: str = "",
                typed: dict[str, tuple[str, list[dict[str, str]]]] | None = None
                ) -> HTMLResponse:
    """The cues of one lesson in one language. ``typed`` keeps a refused submission's
    text and findings in its cue's box (cue key -> (text, checks)), so nothing typed is
    lost."""
    store, typed = ctx_of(request).store, typed or {}
    store.require(sess.username, lang, "view")
    cues = store.cues(lesson_id, lang)
    if not cues:
        raise PageNotFound
    pages = max(1, math.ceil(len(cues) / PAGE_SIZE))
    page = min(max(1, page), pages)
    shown = []
    for c in cues[(page - 1) * PAGE_SIZE: page * PAGE_SIZE]:
        text, checks = typed.get(c.key, (c.text, c.checks))
        shown.append({"c": c, "text": text, "checks": _with_messages(request, checks),
                      "errors": any(x.get("severity", "error") == "error" for x in checks)})
    lesson = store.lesson(lesson_id)
    return render(request, "lesson.html", status, user=sess.username, csrf=sess.csrf,
                  lesson=lesson_id, lang=lang, lang_name=lang_name(request, lang),
                  title=lesson.title if lesson else lesson_id, cues=shown, page=page,
                  pages=pages, done=sum(c.state == "approved" for c in cues),
                  total=len(cues), message=message, error=error,
                  approved=store.is_approved(lesson_id, lang),
                  can_approve=store.can(sess.username, lang, "approve"),
                  video=_lesson_video(request, lesson_id, lang))


@router.get("/l/{lesson_id}/{lang}", response_class=HTMLResponse)
def lesson(request: Request, lesson_id: str, lang: str, page: int = 1,
           msg: str = "") -> HTMLResponse:
    sess = signed_in(request)
    lesson_lang(request, lesson_id, lang)
    message = t(msg, ui_of(request)) if msg in ("saved",) else ""
    return lesson_page(request, sess, lesson_id, lang, min(max(page, 1), 10_000), message)


@router.get("/l/{lesson_id}/{lang}/c/{cue}/history", response_class=HTMLResponse)
def history(request: Request, lesson_id: str, lang: str, cue: str) -> HTMLResponse:
    sess = signed_in(request)
    lesson_lang(request, lesson_id, lang)
    ref = cue_ref(cue)
    store = ctx_of(request).store
    store.require(sess.username, lang, "view")
    view = next((c for c in store.cues(lesson_id, lang) if ref in (c.idx, c.key)), None)
    if view is None:
        raise PageNotFound
    return render(request, "history.html", user=sess.username, csrf=sess.csrf,
                  lesson=lesson_id, lang=lang, idx=view.idx, key=view.key, source=view.source,
                  versions=store.history(lesson_id, lang, view.key),
                  comments=store.comments(lesson_id, lang, view.key))


@router.get("/media/{lesson_id}/{name}")
def media(request: Request, lesson_id: str, name: str) -> Response:
    """A video of the lesson's own output folder, to users with a role for its language
    (the Vietnamese source to everyone signed in)."""
    sess = signed_in(request)
    ctx = ctx_of(request)
    m = _MEDIA.match(name)
    if m is None:
        raise PageNotFound
    lesson_lang(request, lesson_id, m["lang"])
    source = ctx.registry.source.code
    if m["lang"] != source and not ctx.store.can(sess.username, m["lang"], "view"):
        raise PageNotFound
    root = ctx.opts.out_dir.resolve()
    folder = (root / lesson_id / "video").resolve()
    path = (folder / name).resolve()
    if not folder.is_relative_to(root) or path.parent != folder or not path.is_file():
        raise PageNotFound
    return FileResponse(path, media_type="video/mp4")
