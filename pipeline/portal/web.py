"""The portal's pages: my lessons, a new lesson, a lesson (checks, runs, deviation report,
previews, review state per language), its status as JSON, its media and clips.

Everything works without JavaScript (reload to see progress); ``portal.js`` adds the
resumable upload and live progress.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response
from jinja2 import ChoiceLoader, FileSystemLoader, PrefixLoader

from pipeline.core.runs import RunInfo
from pipeline.core.text import without_paths
from pipeline.ingest import changed_since_ingest
from pipeline.portal import web_actions, web_draft, web_manage, web_upload
from pipeline.portal.choices import language_choices, profile_label
from pipeline.portal.context import Portal, PortalOptions, editor, editor_lesson, portal_of
from pipeline.portal.drafts import read_draft
from pipeline.portal.lesson_notes import (
    better_aligner,
    no_mt,
    offered,
    preview_rows,
    reviewed_languages,
)
from pipeline.portal.lessons import (
    RECORDING_TYPES,
    bundle_zip,
    check_lesson,
    clip,
    deviations,
    lesson_meta,
    media_file,
    previews,
    users_names,
)
from pipeline.portal.run_messages import message_for, said_to
from pipeline.portal.script_files import SCRIPT_TYPES, script_text
from pipeline.portal.store import PortalStore
from pipeline.portal.strings import PORTAL
from pipeline.render.profiles import PROFILES
from pipeline.review.gate import approval_basis
from pipeline.review.limits_web import CLIP_BUILDS, media_misses
from pipeline.review.web_common import Ctx, PageNotFound, ctx_of, lang_name, render, ui_of

__all__ = ["CACHEABLE", "install", "language_states", "router"]

router = APIRouter()
#: The portal's script may be cached (the pages never are).
CACHEABLE = ("/portal/static/",)
TEMPLATES = Path(__file__).parent / "templates"
#: Runs that make the lesson's videos (their progress is the page's "Run" box).
PRODUCTION = ("produce", "render")


def _team_editor(store: PortalStore, username: str, lesson_id: str) -> bool:
    """Editors of a lesson's team see its videos (the review pages' media route)."""
    row = store.lessons.row(lesson_id)
    return row is not None and store.editors.can_edit_team(username, row.team)


def install(app: FastAPI, review: Ctx, opts: PortalOptions) -> None:
    """Mount the portal beside the review pages ``review`` (same sessions, CSRF, headers
    and page layout): its routes, its templates (as ``portal/<name>``), its link in the
    header and its start page for editors."""
    store = PortalStore.on(review.store)
    app.state.portal = Portal.make(opts, store)
    env = review.templates.env
    assert env.loader is not None  # review's templates
    env.loader = ChoiceLoader([env.loader,
                               PrefixLoader({"portal": FileSystemLoader(TEMPLATES)})])
    review.mounts.nav.append(
        lambda user: [("/portal", "portal.nav")] if store.editors.teams(user) else [])
    review.mounts.start_pages.append(
        lambda user: "/portal" if store.editors.teams(user) else None)
    review.mounts.media_viewers.append(lambda user, lesson_id: _team_editor(store, user,
                                                                           lesson_id))
    for module in (web_upload, web_actions, web_manage, web_draft):
        app.include_router(module.router)
    app.include_router(router)


def _runs(request: Request, lesson_id: str, admin: bool = False) -> list[RunInfo]:
    """The lesson's runs; their messages name files as the editor named them, never the
    server's folders, and tell editors who can fix what (commands only to ``admin``)."""
    runs = ctx_of(request).opts.runs
    found = runs.runs(lesson_id) if runs is not None else []
    ui, folder = ui_of(request), portal_of(request).opts.lessons_dir / lesson_id
    return [replace(r, message=without_paths(users_names(folder, message_for(r, ui, admin))),
                    messages={}) for r in found]


def lesson_files(request: Request, lesson_id: str) -> list[dict[str, Any]]:
    """The lesson's finals and drafts the portal offers (``lesson_notes.offered``)."""
    ctx, out = ctx_of(request), portal_of(request).opts.lesson_out(lesson_id)
    known = ctx.store.lesson(lesson_id) is not None
    return offered(out, previews(out), ctx.registry.source.code,
                   lambda c: approval_basis(ctx.store, lesson_id, c) if known else "")


def language_states(request: Request, lesson_id: str, languages: tuple[str, ...],
                    files: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per language (the source first, then the targets): review progress, approval,
    final and draft present, and whether it can be published now."""
    ctx, portal = ctx_of(request), portal_of(request)
    source = ctx.registry.source.code
    known = ctx.store.lesson(lesson_id) is not None
    # The script, lesson.toml or recording changed after the last run: its finals are old.
    stale = changed_since_ingest(portal.opts.lessons_dir / lesson_id,
                                 portal.opts.lesson_out(lesson_id))
    reviewed = reviewed_languages(ctx.store.users())
    missing = set(no_mt(ctx.registry, portal.opts.mt, languages))
    rows = []
    for lang in dict.fromkeys((source, *languages)):
        # What the review pages count: the title, the chapter headings and the cues.
        items = ctx.store.items(lesson_id, lang) if known else []
        done, total = sum(v.state == "approved" for v in items), len(items)
        approved = lang == source or (known and ctx.store.is_approved(lesson_id, lang))
        finals = [f for f in files if f["lang"] == lang and not f["draft"]]
        drafts = [f for f in files if f["lang"] == lang and f["draft"]]
        outdated = stale and (bool(finals) or approved or total > 0)
        state = ("stale" if outdated else "final" if finals and approved
                 else "source" if lang == source
                 else "approved" if approved else "review" if total else "none")
        rows.append({"lang": lang, "name": lang_name(request, lang), "done": done,
                     "total": total, "approved": approved, "finals": len(finals),
                     "drafts": len(drafts), "state": state, "source": lang == source,
                     # Said while translators still have to type; not once it is approved.
                     "no_mt": lang in missing and not approved,
                     "no_reviewer": lang != source and lang not in reviewed,
                     "publishable": approved and bool(finals) and not stale})
    return rows


def states_sig(states: list[dict[str, Any]]) -> str:
    """Changes when a language is approved, reviewed further or gets its final: the open
    page compares it with the one it was rendered with and says so."""
    return ",".join(f"{s['lang']}:{s['state']}:{s['done']}" for s in states)


@router.get("/portal", response_class=HTMLResponse)
def home(request: Request, msg: str = "") -> HTMLResponse:
    sess, teams = editor(request)
    portal = portal_of(request)
    rows = []
    for row in portal.store.lessons.of_teams(teams):
        meta = lesson_meta(portal.opts.lessons_dir / row.id)
        languages = meta.languages if meta else ()
        files = lesson_files(request, row.id)
        runs = _runs(request, row.id, sess.admin)
        rows.append({"id": row.id, "title": row.title, "team": row.team,
                     "run": next((r for r in runs if r.kind in PRODUCTION), None),
                     "pub": next((r for r in runs if r.kind == "publish"), None),
                     "langs": language_states(request, row.id, languages, files)})
    return render(request, "portal/home.html", user=sess.username, csrf=sess.csrf,
                  rows=rows, teams=teams,
                  message=msg if msg in web_actions.MESSAGES else "")


@router.get("/portal/new", response_class=HTMLResponse)
def new_page(request: Request) -> HTMLResponse:
    sess, teams = editor(request)
    return web_actions.new_form(request, sess, teams)


def lesson_view(request: Request, lesson_id: str, status: int = 200, error: str = "",
                message: str = "", script: str | None = None) -> HTMLResponse:
    """The lesson page (also answers a refused script edit, keeping what was typed)."""
    sess, row = editor_lesson(request, lesson_id)
    portal = portal_of(request)
    folder = portal.opts.lessons_dir / lesson_id
    out = portal.opts.lesson_out(lesson_id)
    meta = lesson_meta(folder)
    checked = check_lesson(folder, portal.opts.ingest, portal.opts.glossary_dir)
    runs = _runs(request, lesson_id, sess.admin)
    produce = next((r for r in runs if r.kind in PRODUCTION), None)
    files = lesson_files(request, lesson_id)
    states = language_states(request, lesson_id, meta.languages if meta else (), files)
    # A lesson handed in without a script: its draft (once made) fills the script box.
    draft = read_draft(folder, out) if checked.draftable else None
    if script is None:
        script = draft.text if draft else script_text(folder)
    ui = ui_of(request)
    bundle = bundle_zip(portal.opts.out_dir, lesson_id)
    return render(
        request, "portal/lesson.html", status, user=sess.username, csrf=sess.csrf,
        row=row, meta=meta, checked=checked,
        check_error=said_to(checked.error, ui, sess.admin) if checked.error else "",
        runs=runs[:6], produce=produce, active=any(not r.finished for r in runs),
        step_names=PORTAL,
        busy=any(r.kind != "publish" and r.state in web_actions.BUSY for r in runs),
        launcher=ctx_of(request).opts.runs is not None,
        files=preview_rows(files, ui, lambda c: lang_name(request, c)), states=states,
        no_mt=[s["name"] for s in states if s["no_mt"]], sig=states_sig(states),
        profile_choices=[(p, profile_label(p, ui)) for p in sorted(PROFILES)],
        language_choices=language_choices(ctx_of(request).registry, ui),
        script_accept=",".join("." + x for x in SCRIPT_TYPES),
        deviations=deviations(out), script=script, error=error, message=message,
        admin=sess.admin, realign=better_aligner(out), folder=folder,
        draft=draft, draft_run=next((r for r in runs if r.kind == "draft"), None),
        publishable=[s for s in states if s["publishable"]],
        bundle_mb=f"{bundle.stat().st_size / 1048576:.1f}" if bundle else "",
        accept=",".join("." + x for x in RECORDING_TYPES))


@router.get("/portal/l/{lesson_id}", response_class=HTMLResponse)
def lesson(request: Request, lesson_id: str, msg: str = "") -> HTMLResponse:
    message = msg if msg in web_actions.MESSAGES else ""
    return lesson_view(request, lesson_id, message=message)


@router.get("/portal/l/{lesson_id}/status.json")
def status(request: Request, lesson_id: str) -> JSONResponse:
    """The lesson's runs (newest first) for the page's progress poll: a few hundred bytes."""
    sess, _ = editor_lesson(request, lesson_id)
    runs = _runs(request, lesson_id, sess.admin)[:3]
    portal = portal_of(request)
    meta = lesson_meta(portal.opts.lessons_dir / lesson_id)
    states = language_states(request, lesson_id, meta.languages if meta else (),
                             lesson_files(request, lesson_id))
    return JSONResponse({"lesson": lesson_id, "active": any(not r.finished for r in runs),
                         "sig": states_sig(states), "runs": [r.to_json() for r in runs]})


@router.get("/portal/l/{lesson_id}/media/{name}")
def media(request: Request, lesson_id: str, name: str) -> Response:
    """A final or draft of the lesson the page offers (never a stale final), to editors
    of its team."""
    with media_misses(request):
        editor_lesson(request, lesson_id)
        path = media_file(portal_of(request).opts.lesson_out(lesson_id), name)
        if path is None or name not in {f["name"] for f in lesson_files(request, lesson_id)}:
            raise PageNotFound
    kind = {".mp4": "video/mp4", ".opus": "audio/ogg", ".mp3": "audio/mpeg"}[path.suffix]
    return FileResponse(path, media_type=kind)


@router.get("/portal/l/{lesson_id}/bundle.zip")
def bundle_download(request: Request, lesson_id: str) -> Response:
    """The lesson's offline bundle, to editors of its team."""
    with media_misses(request):
        editor_lesson(request, lesson_id)
        path = bundle_zip(portal_of(request).opts.out_dir, lesson_id)
        if path is None:
            raise PageNotFound
    return FileResponse(path, media_type="application/zip", filename=f"{lesson_id}.zip")


@router.get("/portal/l/{lesson_id}/clip/{n}.ogg")
async def deviation_clip(request: Request, lesson_id: str, n: str) -> Response:
    """A few seconds of the recording around deviation ``n`` (Opus, a few KB); a few
    builds at once (503 with a Retry-After when every slot is taken)."""
    with media_misses(request):
        editor_lesson(request, lesson_id)
        opts = portal_of(request).opts
        out = opts.lesson_out(lesson_id)
        found = deviations(out) or []
        if not (n.isascii() and n.isdigit() and int(n) < len(found)):
            raise PageNotFound
    path = await CLIP_BUILDS.run(clip, out, found[int(n)], opts.ffmpeg)
    if path is None:
        raise PageNotFound
    return FileResponse(path, media_type="audio/ogg")
