"""A lesson and its language: the reviewer's lessons, a lesson's cues (paged, filtered),
its videos, and approving the whole language (then the render or the waiting run goes on)."""

from __future__ import annotations

import contextlib
import json
import logging
import math
import re
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response

from pipeline.core.errors import ConfigError
from pipeline.core.i18n import t
from pipeline.publish.finals import standing_finals
from pipeline.review import queue
from pipeline.review.accounts import SignedIn
from pipeline.review.gate import approval_basis
from pipeline.review.limits_web import media_misses
from pipeline.review.media_access import may_see_video
from pipeline.review.store import CueView, ReviewStore
from pipeline.review.tables import UNIT_BASE, LessonRow
from pipeline.review.web_common import (
    PageNotFound,
    check_csrf,
    ctx_of,
    lang_name,
    lesson_lang,
    render,
    signed_in,
    ui_of,
)
from pipeline.translate.glossary import load_glossary
from pipeline.translate.qa import QAIssue

__all__ = ["PAGE_SIZE", "lesson_page", "lesson_video", "missing_terms", "no_reviewer", "router",
           "waiting_for"]

PAGE_SIZE = 40
# <lang>-<profile>[-draft].mp4, as the render step names finals and previews.
_MEDIA = re.compile(r"^(?P<lang>[a-z]{2,3})-[a-z0-9]{2,16}(?:-draft)?\.mp4$")

router = APIRouter()
log = logging.getLogger("caunoi.review")

Csrf = Annotated[str, Form(max_length=64)]


@router.get("/", response_class=HTMLResponse)
def home(request: Request) -> HTMLResponse:
    sess = signed_in(request)
    store = ctx_of(request).store
    roles = store.roles(sess.username)
    rows = []
    for lesson in store.lessons():
        for lang in store.languages_of(lesson.id):
            if "*" in roles or lang in roles:
                # The title and chapter units (and the interface words) count like cues.
                items = store.items(lesson.id, lang)
                if roles.get(lang) == "voice" and all(v.kind != "cue" for v in items):
                    continue  # nothing to record (the interface words)
                n = queue.counts(items)
                approved = store.is_approved(lesson.id, lang)
                rows.append({"lesson": lesson.id, "title": lesson_title(lesson, items,
                                                                        ui_of(request)),
                             "lang": lang,
                             "lang_name": lang_name(request, lang), "done": n["approved"],
                             "total": n[""],
                             "pct": round(100 * n["approved"] / max(1, n[""])),
                             "approved": approved,
                             "status": waiting_for(n, approved, ui_of(request)),
                             "href": f"/l/{lesson.id}/{lang}"
                             + ("/voice" if roles.get(lang) == "voice" else "")})
    rows.sort(key=lambda r: (bool(r["approved"]), str(r["lesson"]), str(r["lang"])))
    # Translators are not asked to review: a neutral heading for them.
    reviews = any(role != "translator" for role in roles.values())
    return render(request, "home.html", user=sess.username, csrf=sess.csrf, rows=rows,
                  heading="my_work" if reviews else "my_lessons",
                  admin=sess.admin, rejected=store.rejections(sess.username)[:50])


def lesson_title(lesson: LessonRow | None, items: list[CueView], ui: str) -> str:
    """The lesson's name in lists: its title, or the plain name of the interface words."""
    if items and all(v.kind == "ui" for v in items):
        return t("units.interface_title", ui)
    return lesson.title if lesson is not None else ""


def waiting_for(n: dict[str, int], approved: bool, ui: str) -> str:
    """What a lesson's language waits for, said as it is: cues for a translator, cues for
    a reviewer, or the approval of the whole language (``n``: :func:`queue.counts`)."""
    if approved:
        return t("lang_approved", ui)
    parts = [t("cue.wait_translation", ui, n=n["untranslated"])] if n["untranslated"] else []
    if n["needs_review"]:
        parts.append(t("cue.wait_review", ui, n=n["needs_review"]))
    return " · ".join(parts) or t("cue.wait_language", ui)


def no_reviewer(store: ReviewStore, lang: str) -> str:
    """The command that gives ``lang`` a reviewer when no active account reviews it (the
    language's cues would wait for ever), else "" (the page shows it to administrators
    only: the others read who to ask)."""
    if any(not u.disabled and u.roles.get(lang) in ("reviewer", "admin")
           for u in store.users()):
        return ""
    return f"caunoi users grant USER --lang {lang}:reviewer"


def missing_terms(glossary_dir: Path, lang: str, sources: list[str]) -> list[str]:
    """The glossary terms met in ``sources`` that have no translation yet (said once on
    the lesson page, not beside every cue)."""
    try:
        terms = [x.vi for x in load_glossary(glossary_dir, lang).terms if x.vi and not x.target]
    except ConfigError:
        return []
    low = " ".join(sources).casefold()
    return sorted({v for v in terms if v.casefold() in low}, key=str.casefold)


def lesson_video(request: Request, lesson_id: str, lang: str) -> str:
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


def _next_steps(request: Request, lesson_id: str, lang: str) -> dict[str, object]:
    """What happens after approval: the runs (server/embedded launcher) and the final video,
    or the command that makes it."""
    opts = ctx_of(request).opts
    if opts.runs is None:
        media = opts.out_dir / lesson_id / "ingest.json"
        folder = f"lessons/{lesson_id}"
        with contextlib.suppress(OSError, ValueError, KeyError, TypeError):
            folder = str(json.loads(media.read_text(encoding="utf-8"))["lesson"]["dir"])
        return {"cmd": f"caunoi produce {folder}", "runs": [], "final": ""}
    try:
        # Only what matters to the reviewer: the newest render of their language (its state
        # in the UI language; never a run's free-text message, which may carry server paths
        # or another language's words, and no whole-lesson or publish runs).
        known = opts.runs.runs(lesson_id)
        runs = [r for r in known if r.kind == "render" and r.language == lang][:1]
        if not runs and opts.runs.mode == "server":
            # Server mode renders in the lesson's run, resumed by the approval.
            runs = [r for r in known if r.kind == "produce"][:1]
    except Exception:  # the orchestrator may be down: the page still shows
        log.exception("reading the runs of %s", lesson_id)
        runs = []
    final = ""
    if any(r.state == "done" for r in runs):
        # Only a final the manifest would list now: made under the approval that stands.
        out = opts.out_dir / lesson_id
        basis = approval_basis(ctx_of(request).store, lesson_id, lang)
        found = sorted(e.path for e in standing_finals(out, {lang: basis}).entries
                       if e.kind == "video")
        final = next((f"/media/{lesson_id}/{p.name}" for p in found), "")
    return {"cmd": "", "runs": runs, "final": final, "mode": opts.runs.mode}


def lesson_page(request: Request, sess: SignedIn, lesson_id: str, lang: str, page: int = 1,
                message: str = "", status: int = 200, error: str = "",
                typed: dict[str, tuple[str, list[dict[str, str]]]] | None = None,
                f: str = "", at: int = -1) -> HTMLResponse:
    """The cues of one lesson in one language, kept by the queue filter ``f``. ``typed``
    keeps a refused submission's text and findings in its cue's box (cue key -> (text,
    checks)), so nothing typed is lost; ``message``/``error`` show next to cue ``at``
    (at the top when -1)."""
    store, typed = ctx_of(request).store, typed or {}
    store.require(sess.username, lang, "view")
    cues = store.items(lesson_id, lang)  # the title and chapter units first, then cues
    if not cues:
        raise PageNotFound
    kept = [c for c in cues if queue.keep(c, f)]
    pages = max(1, math.ceil(len(kept) / PAGE_SIZE))
    page = min(max(1, page), pages)
    shown, earlier = [], store.earlier_authors(lesson_id, lang)
    for c in kept[(page - 1) * PAGE_SIZE: page * PAGE_SIZE]:
        text, checks = typed.get(c.key, (c.text, c.checks))
        shown.append({"c": c, "text": text, "checks": _with_messages(request, checks),
                      "origin": queue.origin_label(c.origin, ui_of(request), c.text, earlier),
                      "errors": any(x.get("severity", "error") == "error" for x in checks)})
    lesson = store.lesson(lesson_id)
    approved = store.is_approved(lesson_id, lang)
    voiced, sentences = store.recordings.progress(lesson_id, lang)
    return render(request, "lesson.html", status, user=sess.username, csrf=sess.csrf,
                  voice_left=sentences - voiced,
                  narration=any(c.kind == "cue" for c in cues),
                  lesson=lesson_id, lang=lang, lang_name=lang_name(request, lang),
                  title=lesson_title(lesson, cues, ui_of(request)) or lesson_id,
                  cues=shown, page=page,
                  pages=pages, done=sum(c.state == "approved" for c in cues),
                  total=len(cues), message=message, error=error, at=at, f=f,
                  counts=queue.counts(cues), clean=sum(queue.clean(c) for c in cues),
                  first=kept[0] if kept else None, approved=approved,
                  can_approve=store.can(sess.username, lang, "approve"),
                  can_edit=store.can(sess.username, lang, "edit"),
                  no_reviewer=no_reviewer(store, lang), admin=sess.admin,
                  missing_terms=missing_terms(ctx_of(request).opts.glossary_dir, lang,
                                              [c.source for c in cues]),
                  video=lesson_video(request, lesson_id, lang),
                  after=_next_steps(request, lesson_id, lang) if approved else {})


_LIST_MSGS = ("saved", "saved_here", "approved_saved", "rejected_saved", "queue_done",
              "bulk_done")


@router.get("/l/{lesson_id}/{lang}", response_class=HTMLResponse)
def lesson(request: Request, lesson_id: str, lang: str, page: int = 1, msg: str = "",
           f: str = "", at: int = -1, n: int = 0) -> HTMLResponse:
    sess = signed_in(request)
    lesson_lang(request, lesson_id, lang)
    ui = ui_of(request)
    message = ""
    if msg == "saved":
        message = t("saved", ui)
    elif msg in _LIST_MSGS:
        message = t(f"review.{msg}", ui, n=min(max(n, 0), 100_000))
    f = f if f in queue.FILTERS else ""
    return lesson_page(request, sess, lesson_id, lang, min(max(page, 1), 10_000), message,
                       f=f, at=min(max(at, -1), UNIT_BASE + 100_000))


@router.get("/media/{lesson_id}/{name}")
def media(request: Request, lesson_id: str, name: str) -> Response:
    """A video of the lesson's own output folder, to those who may see the pages that link
    it (:mod:`pipeline.review.media_access`); unknown and forbidden are the same 404, and
    too many of them in a row are 429."""
    sess = signed_in(request)
    ctx = ctx_of(request)
    with media_misses(request, sess.username):
        m = _MEDIA.match(name)
        if m is None:
            raise PageNotFound
        lesson_lang(request, lesson_id, m["lang"])
        if not may_see_video(ctx.store, sess.username, lesson_id, m["lang"],
                             ctx.registry.source.code, ctx.mounts.media_viewers):
            raise PageNotFound
        root = ctx.opts.out_dir.resolve()
        folder = (root / lesson_id / "video").resolve()
        path = (folder / name).resolve()
        if not folder.is_relative_to(root) or path.parent != folder or not path.is_file():
            raise PageNotFound
    return FileResponse(path, media_type="video/mp4")


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
