"""Voice in the viewer's language: the speaker's recording page (one narration sentence at a
time: its approved text, the Vietnamese clip, record or choose a file, play back, record
again, next) and the reviewer's voice page (listen beside the text, approve or reject with a
reason). Without JavaScript the recording form is a plain file upload
(``<input type=file accept=audio/* capture>``); ``static/voice.js`` records with
MediaRecorder (Opus, ~20 kb/s) and sends the take through the same form."""

from __future__ import annotations

import logging
import shutil
import tempfile
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from starlette.datastructures import UploadFile

from pipeline.core.errors import CaunoiError
from pipeline.core.i18n import t
from pipeline.review.accounts import SignedIn
from pipeline.review.limits_web import media_misses
from pipeline.review.recordings import SentenceView, slot_ms
from pipeline.review.web_common import (
    Ctx,
    PageNotFound,
    check_csrf,
    ctx_of,
    lang_name,
    lesson_lang,
    render,
    signed_in,
    ui_of,
)
from pipeline.voice.check import RecordingLimits, check_recording
from pipeline.voice.importer import AUDIO_EXTENSIONS

__all__ = ["MAX_UPLOAD", "router"]

log = logging.getLogger("caunoi.review")
router = APIRouter()
Csrf = Annotated[str, Form(max_length=64)]
#: Largest recording accepted from the page (a minute and a half of a phone's WAV).
MAX_UPLOAD = 16 << 20
_MEDIA_TYPES = {".webm": "audio/webm", ".ogg": "audio/ogg", ".oga": "audio/ogg",
                ".opus": "audio/ogg", ".wav": "audio/wav", ".mp3": "audio/mpeg",
                ".m4a": "audio/mp4", ".mp4": "audio/mp4", ".aac": "audio/aac"}


def _views(request: Request, sess: SignedIn, lesson_id: str, lang: str,
           action: str) -> list[SentenceView]:
    lesson_lang(request, lesson_id, lang)
    store = ctx_of(request).store
    store.require(sess.username, lang, action)
    views = store.recordings.sentences(lesson_id, lang)
    if not views:
        raise PageNotFound
    return views


def _view(views: list[SentenceView], n: int) -> SentenceView:
    if not 1 <= n <= len(views):
        raise PageNotFound
    return views[n - 1]


def record_page(request: Request, sess: SignedIn, lesson_id: str, lang: str, n: int,
                message: str = "", error: str = "", status: int = 200) -> HTMLResponse:
    store = ctx_of(request).store
    views = _views(request, sess, lesson_id, lang, "record")
    view = _view(views, min(max(n, 1), len(views)))
    lesson = store.lesson(lesson_id)
    speaker = store.recordings.speaker(sess.username)
    return render(request, "voice_record.html", status, user=sess.username, csrf=sess.csrf,
                  lesson=lesson_id, lang=lang, lang_name=lang_name(request, lang),
                  title=lesson.title if lesson else lesson_id, v=view, total=len(views),
                  done=sum(v.done for v in views), message=message, error=error,
                  consent=bool(speaker and speaker.consent),
                  clip=f"/l/{lesson_id}/{lang}/c/{view.sentence.first_cue}/clip.opus",
                  mine=view.recording is not None
                  and view.recording.speaker == sess.username)


@router.get("/l/{lesson_id}/{lang}/voice", response_class=HTMLResponse)
def record(request: Request, lesson_id: str, lang: str, n: int = 1,
           msg: str = "") -> HTMLResponse:
    sess = signed_in(request)
    message = t("voice.saved", ui_of(request)) if msg == "saved" else ""
    return record_page(request, sess, lesson_id, lang, min(n, 100_000), message)


@router.post("/l/{lesson_id}/{lang}/voice/consent")
def consent(request: Request, lesson_id: str, lang: str,
            name: Annotated[str, Form(max_length=80)] = "", csrf: Csrf = "",
            n: Annotated[int, Form()] = 1) -> Response:
    sess = signed_in(request)
    check_csrf(sess, csrf)
    _views(request, sess, lesson_id, lang, "record")
    store = ctx_of(request).store
    store.recordings.consent(sess.username, " ".join(name.split()) or sess.username)
    return RedirectResponse(f"/l/{lesson_id}/{lang}/voice?n={n}", status_code=303)


@router.post("/l/{lesson_id}/{lang}/voice/{n}")
async def upload(request: Request, lesson_id: str, lang: str, n: int) -> Response:
    """One take of sentence ``n`` (the form's file), checked, then kept as the speaker's."""
    sess = signed_in(request)
    form = await request.form(max_files=1, max_fields=4)
    check_csrf(sess, str(form.get("csrf") or ""))
    views = _views(request, sess, lesson_id, lang, "record")
    view, ui = _view(views, n), ui_of(request)
    audio = form.get("audio")
    if not isinstance(audio, UploadFile) or not audio.filename:
        return record_page(request, sess, lesson_id, lang, n, error=t("voice.file_hint", ui),
                           status=422)
    ext = Path(audio.filename).suffix.lower()
    ext = ext if ext in AUDIO_EXTENSIONS else ".audio"
    with tempfile.TemporaryDirectory(prefix="caunoi-voice-") as tmp:
        src = Path(tmp) / f"take{ext}"
        with open(src, "wb") as out:
            audio.file.seek(0)
            shutil.copyfileobj(audio.file, out, 1 << 20)
            too_big = out.tell() > MAX_UPLOAD
        if too_big:
            return record_page(request, sess, lesson_id, lang, n, status=413,
                               error=t("voice.too_big", ui, mb=MAX_UPLOAD >> 20))
        try:
            info = check_recording(src, RecordingLimits(slot_ms=slot_ms(views, n)))
            if ext == ".audio":  # decodable, but named by no known type: keep it as Ogg
                src = src.rename(src.with_suffix(".ogg"))
            ctx_of(request).store.recordings.store(sess.username, lesson_id, lang,
                                                   view.sentence.key, src, info,
                                                   ctx_of(request).opts.out_dir)
        except CaunoiError as e:
            if "path" in e.context:  # the speaker's own file name, never the server's path
                e.context["path"] = Path(audio.filename).name[:80]
            return record_page(request, sess, lesson_id, lang, n, error=e.message(ui),
                               status=422)
    return RedirectResponse(f"/l/{lesson_id}/{lang}/voice?n={n}&msg=saved", status_code=303)


@router.get("/l/{lesson_id}/{lang}/voice/{n}/audio")
def audio(request: Request, lesson_id: str, lang: str, n: int) -> Response:
    """A sentence's recording, to its speaker and the language's reviewers (404 else)."""
    sess = signed_in(request)
    store = ctx_of(request).store
    with media_misses(request, sess.username):
        views = _views(request, sess, lesson_id, lang, "record")
        rec = _view(views, n).recording
        if rec is None or (rec.speaker != sess.username
                           and not store.can(sess.username, lang, "approve")):
            raise PageNotFound
        path = Path(rec.file)
        if not path.is_file():
            raise PageNotFound
    return FileResponse(path, media_type=_MEDIA_TYPES.get(path.suffix, "audio/ogg"),
                        headers={"Cache-Control": "private, no-store"})


@router.get("/l/{lesson_id}/{lang}/voices", response_class=HTMLResponse)
def review(request: Request, lesson_id: str, lang: str, msg: str = "") -> HTMLResponse:
    sess = signed_in(request)
    views = _views(request, sess, lesson_id, lang, "approve")
    lesson = ctx_of(request).store.lesson(lesson_id)
    return render(request, "voice_review.html", user=sess.username, csrf=sess.csrf,
                  lesson=lesson_id, lang=lang, lang_name=lang_name(request, lang),
                  title=lesson.title if lesson else lesson_id, views=views,
                  done=sum(v.done for v in views), total=len(views),
                  message=t("voice.saved", ui_of(request)) if msg == "saved" else "")


@router.post("/l/{lesson_id}/{lang}/voices/{n}")
def decide(request: Request, lesson_id: str, lang: str, n: int,
           action: Annotated[str, Form(max_length=16)],
           reason: Annotated[str, Form(max_length=1000)] = "", csrf: Csrf = "") -> Response:
    sess = signed_in(request)
    check_csrf(sess, csrf)
    views = _views(request, sess, lesson_id, lang, "approve")
    view = _view(views, n)
    if action not in ("approve", "reject"):
        raise PageNotFound
    ctx = ctx_of(request)
    ctx.store.recordings.decide(sess.username, lesson_id, lang, view.sentence.key,
                                action == "approve", " ".join(reason.split()))
    if action == "approve":
        _render_when_complete(ctx, lesson_id, lang)
    return RedirectResponse(f"/l/{lesson_id}/{lang}/voices?msg=saved#s{n}", status_code=303)


def _render_when_complete(ctx: Ctx, lesson_id: str, lang: str) -> None:
    """The approval that completes an approved language's voices starts its render (the
    dub step runs in it): embedded and server mode alike, through the run launcher."""
    runs = ctx.opts.runs
    if runs is None or not ctx.store.is_approved(lesson_id, lang):
        return
    if not ctx.store.approved_recordings(lesson_id, lang):
        return
    try:
        runs.start("render", lesson_id, language=lang)
    except Exception:  # the approval stands; the page shows the run states
        log.exception("starting the dubbed render of %s/%s failed", lesson_id, lang)


SCRIPT = Path(__file__).parent / "static" / "voice.js"


@router.get("/static/voice.js")
def script() -> Response:
    return FileResponse(SCRIPT, media_type="text/javascript",
                        headers={"Cache-Control": "public, max-age=604800"})
