"""What editors change: hand in a lesson, replace its script or recording, start a run,
publish or bundle approved languages. Every form carries the session's CSRF token."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile

from pipeline.core.errors import CaunoiError
from pipeline.core.i18n import t
from pipeline.core.limits import find_control_character
from pipeline.portal import intake
from pipeline.portal.choices import language_choices, profile_label
from pipeline.portal.context import editor, editor_lesson, portal_of
from pipeline.portal.lessons import RECORDING_TYPES, new_lesson_id, write_lesson_toml
from pipeline.portal.run_messages import said_to
from pipeline.portal.script_files import SCRIPT_TYPES, ScriptFile, read_script_upload, store_script
from pipeline.portal.store import ALL_TEAMS, check_team
from pipeline.portal.uploads import UploadTooLargeError, human_mb
from pipeline.render.profiles import PROFILES
from pipeline.review.accounts import SignedIn
from pipeline.review.web_common import (
    Forbidden,
    check_csrf,
    ctx_of,
    render,
    ui_of,
)

__all__ = ["BUSY", "MESSAGES", "new_form", "router"]

#: Messages a redirect may name (?msg=...), as i18n keys.
MESSAGES = ("portal.created", "portal.script_saved", "portal.recording_saved",
            "portal.run_started_msg", "portal.publish_started", "portal.bundle_started",
            "portal.lesson_changed", "portal.draft_started", "portal.lesson_deleted")

#: Run states during which the lesson cannot be started again.
BUSY = ("queued", "running")

router = APIRouter()


class FormRefused(Exception):
    """A form that cannot be accepted; ``text`` says why in the UI language."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text


def new_form(request: Request, sess: SignedIn, teams: tuple[str, ...], status: int = 200,
             error: str = "", typed: dict[str, Any] | None = None) -> HTMLResponse:
    ctx, portal, ui = ctx_of(request), portal_of(request), ui_of(request)
    limits = portal.opts.limits
    return render(request, "portal/new.html", status, user=sess.username, csrf=sess.csrf,
                  teams=[x for x in teams if x != ALL_TEAMS], global_editor=ALL_TEAMS in teams,
                  languages=language_choices(ctx.registry, ui),
                  profiles=[(p, profile_label(p, ui)) for p in sorted(PROFILES)],
                  default_profiles=portal.opts.default_profiles, error=error,
                  typed=typed or {}, max_mb=limits.max_recording_mb,
                  max_minutes=round(limits.max_recording_s / 60),
                  max_bytes=portal.opts.max_recording_bytes,
                  chunk=portal.opts.chunk_bytes, script_kb=limits.max_text_file_kb,
                  script_accept=",".join("." + x for x in SCRIPT_TYPES),
                  accept=",".join("." + x for x in RECORDING_TYPES))


async def _form(request: Request, max_bytes: int, admin: bool = False) -> FormData:
    """The posted form, refused before it is read when it is larger than ``max_bytes``."""
    size = request.headers.get("Content-Length", "")
    if size.isdigit() and int(size) > max_bytes + (2 << 20):
        raise FormRefused(said_to(UploadTooLargeError(
            name=t("portal.recording", ui_of(request)), got=human_mb(int(size)),
            limit=human_mb(max_bytes), setting="max_recording_mb"), ui_of(request), admin))
    return await request.form(max_files=4, max_fields=80, max_part_size=2 << 20)


def _kept_upload(request: Request, sess: SignedIn, upload_id: str) -> dict[str, str]:
    """The finished upload a refused form named, so the form reuses it (not sent again);
    nothing when the refusal was about that recording (it was deleted then)."""
    if not upload_id:
        return {}
    try:
        up = portal_of(request).uploads.get(upload_id, sess.username)
    except CaunoiError:
        return {}
    return {"upload_id": up.id, "upload_name": up.filename} if up.complete else {}


def _file(form: FormData, name: str) -> UploadFile | None:
    value = form.get(name)
    return value if isinstance(value, UploadFile) and value.filename else None


def _take_recording(request: Request, sess: SignedIn, form: FormData, folder: Path,
                    refuse: tuple[str, ...]) -> bool:
    """Make the form's recording ``folder``'s once ``caunoi check`` of the lesson with it
    passes (or fails on something not in ``refuse``); False when the form has none."""
    portal, user = portal_of(request), sess.username
    rec = intake.receive(portal, user, form)
    if rec is None:
        return False
    checked = intake.trial(portal, folder, rec)
    # A lesson with no script yet is taken: its script can be drafted from the recording.
    if not checked.ok and checked.fix in refuse and not checked.draftable:
        intake.discard(portal, user, rec, keep_upload=checked.fix != "recording")
        assert checked.error is not None
        raise FormRefused(said_to(checked.error, ui_of(request), sess.admin))
    intake.commit(portal, user, folder, rec)
    return True


async def _script_text(request: Request, form: FormData,
                       admin: bool) -> tuple[str, ScriptFile | None]:
    """The typed script, or the uploaded script file (read as ``caunoi`` reads it)."""
    kb = portal_of(request).opts.limits.max_text_file_kb
    upload = _file(form, "script_file")
    if upload is not None:
        raw = await upload.read(kb * 1024 * 8 + 1)  # a .docx is bigger than its text
        if len(raw) > kb * 1024 * 8:
            raise FormRefused(t("portal.script_too_big", ui_of(request), kb=kb))
        try:
            return "", await run_in_threadpool(read_script_upload, upload.filename or "", raw)
        except CaunoiError as e:
            raise FormRefused(said_to(e, ui_of(request), admin)) from e
    text = str(form.get("script_text") or "")
    if len(text.encode("utf-8")) > kb * 1024:
        raise FormRefused(t("portal.script_too_big", ui_of(request), kb=kb))
    return text.replace("\r\n", "\n").replace("\r", "\n"), None


def _choices(request: Request, form: FormData) -> tuple[str, str, list[str], list[str]]:
    ui, ctx, sess_teams = ui_of(request), ctx_of(request), editor(request)[1]
    title = " ".join(str(form.get("title") or "").split())
    limits = portal_of(request).opts.limits
    if not title or len(title) > limits.max_title_chars or find_control_character(title):
        raise FormRefused(t("portal.bad_title", ui, n=limits.max_title_chars))
    team = str(form.get("team") or "").strip()
    try:
        check_team(team)
    except CaunoiError as e:
        raise FormRefused(e.message(ui)) from e
    if team == ALL_TEAMS or (ALL_TEAMS not in sess_teams and team not in sess_teams):
        raise FormRefused(t("portal.bad_team", ui))
    source = ctx.registry.source.code
    languages = [str(x) for x in form.getlist("languages")]
    if not languages or any(x not in ctx.registry.languages or x == source
                            for x in languages) or len(languages) > limits.max_languages:
        raise FormRefused(t("portal.bad_languages", ui))
    profiles = [str(x) for x in form.getlist("profiles")]
    if any(p not in PROFILES for p in profiles) or len(profiles) > limits.max_profiles:
        raise FormRefused(t("portal.bad_profiles", ui))
    return title, team, languages, profiles


@router.post("/portal/new")
async def create(request: Request) -> Response:
    sess, teams = editor(request)
    portal = portal_of(request)
    typed: dict[str, Any] = {}
    upload_id = ""
    try:
        form = await _form(request, portal.opts.max_recording_bytes, sess.admin)
        typed = {"title": form.get("title"), "script_text": form.get("script_text"),
                 "languages": form.getlist("languages"), "profiles": form.getlist("profiles"),
                 "team": form.get("team")}
        upload_id = str(form.get("upload_id") or "")
        check_csrf(sess, str(form.get("csrf") or ""))
        title, team, languages, profiles = _choices(request, form)
        script = await _script_text(request, form, sess.admin)  # (text, file)
        lesson_id = new_lesson_id(title, portal.opts.lessons_dir)
        await run_in_threadpool(_make_lesson, request, sess, form, lesson_id,
                                (title, team, languages, profiles, script))
    except (FormRefused, CaunoiError) as e:
        text = e.text if isinstance(e, FormRefused) else said_to(e, ui_of(request), sess.admin)
        typed |= _kept_upload(request, sess, upload_id)
        return new_form(request, sess, teams, 422, text, typed)
    return RedirectResponse(f"/portal/l/{lesson_id}?msg=portal.created", status_code=303)


def _make_lesson(request: Request, sess: SignedIn, form: FormData, lesson_id: str,
                 values: tuple[str, str, list[str], list[str], tuple[str, ScriptFile | None]],
                 ) -> None:
    """Build the lesson folder beside its final place, then rename it into place: only a
    lesson that passes ``caunoi check`` is made."""
    title, team, languages, profiles, script = values
    root = portal_of(request).opts.lessons_dir
    tmp = root / f".new-{lesson_id}"
    tmp.mkdir(parents=True)
    try:
        write_lesson_toml(tmp, lesson_id, title, languages, profiles)
        if script[1] is not None or script[0].strip():  # else: handed in without a script
            store_script(tmp, script[1], script[0])
        if not _take_recording(request, sess, form, tmp,
                               ("recording", "script", "settings")):
            raise FormRefused(t("portal.no_recording", ui_of(request)))
        os.replace(tmp, root / lesson_id)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    portal_of(request).store.lessons.add(lesson_id, team, title, sess.username)


async def _editor_form(request: Request, lesson_id: str) -> tuple[SignedIn, FormData]:
    """The editor of the lesson and their posted form (no files), its CSRF token checked."""
    sess, _ = editor_lesson(request, lesson_id)
    form = await _form(request, 0)
    check_csrf(sess, str(form.get("csrf") or ""))
    return sess, form


def _done(lesson_id: str, msg: str) -> RedirectResponse:
    return RedirectResponse(f"/portal/l/{lesson_id}?msg={msg}", status_code=303)


@router.post("/portal/l/{lesson_id}/script")
async def save_script(request: Request, lesson_id: str) -> Response:
    from pipeline.portal.web import lesson_view

    sess, form = await _editor_form(request, lesson_id)
    try:
        text, upload = await _script_text(request, form, sess.admin)
    except FormRefused as e:
        return lesson_view(request, lesson_id, 422, e.text, script=str(form.get("script_text")))
    folder = portal_of(request).opts.lessons_dir / lesson_id
    store_script(folder, upload, text)
    portal_of(request).store.lessons.touch(lesson_id, sess.username, "portal_script")
    return _done(lesson_id, "portal.script_saved")


@router.post("/portal/l/{lesson_id}/recording")
async def replace_recording(request: Request, lesson_id: str) -> Response:
    from pipeline.portal.web import lesson_view

    sess, _ = editor_lesson(request, lesson_id)
    try:
        form = await _form(request, portal_of(request).opts.max_recording_bytes, sess.admin)
        check_csrf(sess, str(form.get("csrf") or ""))
        folder = portal_of(request).opts.lessons_dir / lesson_id
        if not await run_in_threadpool(_take_recording, request, sess, form, folder,
                                       ("recording",)):
            raise FormRefused(t("portal.no_recording", ui_of(request)))
    except FormRefused as e:
        return lesson_view(request, lesson_id, 422, e.text)
    except CaunoiError as e:
        return lesson_view(request, lesson_id, 422, said_to(e, ui_of(request), sess.admin))
    portal_of(request).store.lessons.touch(lesson_id, sess.username, "portal_recording")
    return _done(lesson_id, "portal.recording_saved")


@router.post("/portal/l/{lesson_id}/run")
async def start_run(request: Request, lesson_id: str) -> Response:
    from pipeline.portal.web import lesson_view

    sess, _ = await _editor_form(request, lesson_id)
    runs = ctx_of(request).opts.runs
    if runs is None:
        return lesson_view(request, lesson_id, 409, t("portal.no_launcher", ui_of(request)))
    current = await run_in_threadpool(runs.runs, lesson_id)
    if any(r.kind != "publish" and r.state in BUSY for r in current):
        return lesson_view(request, lesson_id, 409, t("portal.run_busy", ui_of(request)))
    await run_in_threadpool(runs.start, "produce", lesson_id)
    portal_of(request).store.lessons.touch(lesson_id, sess.username, "portal_run")
    return _done(lesson_id, "portal.run_started_msg")


@router.post("/portal/l/{lesson_id}/publish")
async def publish(request: Request, lesson_id: str) -> Response:
    """Publish (or bundle) the chosen languages; only approved languages with finals."""
    from pipeline.portal.lessons import lesson_meta
    from pipeline.portal.web import language_states, lesson_files, lesson_view

    sess, form = await _editor_form(request, lesson_id)
    portal, runs = portal_of(request), ctx_of(request).opts.runs
    meta = lesson_meta(portal.opts.lessons_dir / lesson_id)
    files = lesson_files(request, lesson_id)
    states = language_states(request, lesson_id, meta.languages if meta else (), files)
    ready = {s["lang"] for s in states if s["publishable"]}
    chosen = [str(x) for x in form.getlist("languages")]
    if not chosen or not set(chosen) <= ready:
        return lesson_view(request, lesson_id, 422, t("portal.bad_publish", ui_of(request)))
    if runs is None:
        return lesson_view(request, lesson_id, 409, t("portal.no_launcher", ui_of(request)))
    action = str(form.get("action") or "publish")
    if action not in ("publish", "bundle"):
        raise Forbidden
    # A bundle plays one video profile: the first one every chosen language has a final in.
    profile = next((f["profile"] for f in files if f["kind"] == "video" and not f["draft"]
                    and all(any(g["lang"] == c and g["profile"] == f["profile"]
                                and not g["draft"] for g in files) for c in chosen)),
                   "compat")
    await run_in_threadpool(lambda: runs.start("publish", lesson_id, params={
        "languages": chosen, "bundle": action == "bundle", "profile": profile}))
    portal_of(request).store.lessons.touch(lesson_id, sess.username, f"portal_{action}")
    return _done(lesson_id, "portal.bundle_started" if action == "bundle"
                 else "portal.publish_started")
