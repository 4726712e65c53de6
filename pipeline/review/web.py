"""The reviewers' web app: FastAPI, server-rendered pages, no JavaScript needed.

Mobile-first and light (pages well under 100 KB without video) for cheap Android phones on
2G/3G. Security: argon2 passwords, signed HttpOnly SameSite cookies, a CSRF token on every
form, per-language roles, rate-limited sign-in, length-limited and escaped input.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from fastapi import FastAPI, Form, Request
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from pipeline.core.i18n import t
from pipeline.core.languages import Registry
from pipeline.review.security import RateLimiter, SessionCodec, new_token, tokens_equal
from pipeline.review.store import MAX_TEXT, NotAllowedError, ReviewStore

__all__ = ["WebOptions", "create_app"]

SESSION_COOKIE = "caunoi_session"
LOGIN_CSRF_COOKIE = "caunoi_login_csrf"
UI_COOKIE = "caunoi_ui"
PAGE_SIZE = 40


@dataclass(frozen=True)
class WebOptions:
    # Output root: lesson videos are served from OUT/<lesson>/video/.
    out_dir: Path
    # Signing key for session cookies.
    secret: str
    # Glossary folder (accepted term proposals are written there).
    glossary_dir: Path
    # Translation memory folder (approved text goes there).
    tm_dir: Path
    # Send cookies only over HTTPS (set behind a TLS proxy).
    secure_cookies: bool = False
    # Called with (lesson, language) when a language is approved (server mode resumes the
    # suspended flow run there).
    on_approved: Callable[[str, str], None] | None = None


class Forbidden(Exception):
    pass


class NotSignedIn(Exception):
    pass


def create_app(store: ReviewStore, registry: Registry, opts: WebOptions) -> FastAPI:
    app = FastAPI(title="Cầu Nối review", docs_url=None, redoc_url=None, openapi_url=None)
    # Pages are text: compressed they cost a fraction on 2G.
    app.add_middleware(GZipMiddleware, minimum_size=500)
    templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
    codec = SessionCodec(opts.secret)
    limiter = RateLimiter()

    def ui_of(request: Request) -> str:
        ui = request.query_params.get("ui") or request.cookies.get(UI_COOKIE) or "vi"
        return "en" if ui == "en" else "vi"

    def session(request: Request) -> dict[str, Any]:
        data = codec.load(request.cookies.get(SESSION_COOKIE))
        if not data or "uid" not in data:
            raise NotSignedIn
        user = store.user(int(str(data["uid"])))
        if user is None:
            raise NotSignedIn
        return {"user": user.username, "csrf": str(data["csrf"]), "admin": user.is_admin}

    def check_csrf(sess: dict[str, Any], token: str | None) -> None:
        if not tokens_equal(sess["csrf"], token):
            raise Forbidden

    def render(request: Request, name: str, status: int = 200, **ctx: Any) -> HTMLResponse:
        ui = ui_of(request)
        ctx.setdefault("user", None)
        resp = templates.TemplateResponse(request, name, {"ui": ui, "t": lambda k: t(k, ui),
                                                          **ctx}, status_code=status)
        if request.query_params.get("ui") in ("vi", "en"):
            resp.set_cookie(UI_COOKIE, ui, max_age=365 * 86400, samesite="lax", httponly=True)
        return resp

    def lang_name(code: str, ui: str) -> str:
        lang = registry.languages.get(code)
        if lang is None:
            return code
        return f"{lang.name_en if ui == 'en' else lang.name_vi} ({lang.name_native})"

    @app.exception_handler(NotSignedIn)
    async def _to_login(request: Request, _exc: NotSignedIn) -> Response:
        return RedirectResponse("/login", status_code=303)

    @app.exception_handler(Forbidden)
    async def _forbidden(request: Request, _exc: Forbidden) -> Response:
        return HTMLResponse(f"<p>{t('forbidden', ui_of(request))}</p>", status_code=403)

    @app.exception_handler(NotAllowedError)
    async def _not_allowed(request: Request, _exc: NotAllowedError) -> Response:
        return HTMLResponse(f"<p>{t('forbidden', ui_of(request))}</p>", status_code=403)

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/login", response_class=HTMLResponse)
    def login_page(request: Request) -> HTMLResponse:
        token = new_token()
        resp = render(request, "login.html", login_csrf=token)
        resp.set_cookie(LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict",
                        secure=opts.secure_cookies, max_age=3600)
        return resp

    @app.post("/login")
    def login(request: Request, username: Annotated[str, Form(max_length=64)],
              password: Annotated[str, Form(max_length=256)],
              csrf: Annotated[str, Form(max_length=64)] = "") -> Response:
        if not tokens_equal(request.cookies.get(LOGIN_CSRF_COOKIE), csrf):
            raise Forbidden
        key = f"{request.client.host if request.client else '?'}:{username.lower()}"
        ui = ui_of(request)
        if limiter.blocked(key):
            return render(request, "login.html", 429, login_csrf=csrf, error=t("too_many", ui))
        user = store.authenticate(username, password)
        if user is None:
            limiter.fail(key)
            return render(request, "login.html", 401, login_csrf=csrf, error=t("bad_login", ui))
        limiter.reset(key)
        resp = RedirectResponse("/", status_code=303)
        resp.set_cookie(SESSION_COOKIE, codec.dump({"uid": user.id, "csrf": new_token()}),
                        httponly=True, samesite="lax", secure=opts.secure_cookies,
                        max_age=codec.max_age)
        resp.delete_cookie(LOGIN_CSRF_COOKIE)
        return resp

    @app.post("/logout")
    def logout(request: Request, csrf: Annotated[str, Form(max_length=64)] = "") -> Response:
        sess = session(request)
        check_csrf(sess, csrf)
        resp = RedirectResponse("/login", status_code=303)
        resp.delete_cookie(SESSION_COOKIE)
        return resp

    @app.get("/", response_class=HTMLResponse)
    def home(request: Request) -> HTMLResponse:
        sess = session(request)
        roles = store.roles(sess["user"])
        ui = ui_of(request)
        rows = []
        for lesson in store.lessons():
            for lang in store.languages_of(lesson.id):
                if "*" in roles or lang in roles:
                    done, total = store.progress(lesson.id, lang)
                    rows.append({"lesson": lesson.id, "title": lesson.title, "lang": lang,
                                 "lang_name": lang_name(lang, ui), "done": done,
                                 "total": total, "approved": store.is_approved(lesson.id,
                                                                               lang)})
        rows.sort(key=lambda r: (r["approved"], r["lesson"], r["lang"]))
        return render(request, "home.html", user=sess["user"], csrf=sess["csrf"], rows=rows,
                      admin=sess["admin"])

    def lesson_video(lesson_id: str, lang: str) -> str:
        folder = opts.out_dir / lesson_id / "video"
        for name in (f"{lang}-compat.mp4", f"{lang}-compat-draft.mp4", "vi-compat.mp4"):
            if (folder / name).is_file():
                return f"/media/{lesson_id}/{name}"
        return ""

    def lesson_page(request: Request, sess: dict[str, Any], lesson_id: str, lang: str,
                    page: int = 1, message: str = "") -> HTMLResponse:
        store.require(sess["user"], lang, "view")
        cues = store.cues(lesson_id, lang)
        if not cues:
            return HTMLResponse("not found", status_code=404)
        pages = max(1, math.ceil(len(cues) / PAGE_SIZE))
        page = min(max(1, page), pages)
        done = sum(c.state == "approved" for c in cues)
        title = next((x.title for x in store.lessons() if x.id == lesson_id), lesson_id)
        return render(request, "lesson.html", user=sess["user"], csrf=sess["csrf"],
                      lesson=lesson_id, lang=lang, lang_name=lang_name(lang, ui_of(request)),
                      title=title, cues=cues[(page - 1) * PAGE_SIZE: page * PAGE_SIZE],
                      page=page, pages=pages, done=done, total=len(cues), message=message,
                      approved=store.is_approved(lesson_id, lang),
                      can_approve=store.can(sess["user"], lang, "approve"),
                      video=lesson_video(lesson_id, lang))

    @app.get("/l/{lesson_id}/{lang}", response_class=HTMLResponse)
    def lesson(request: Request, lesson_id: str, lang: str, page: int = 1,
               msg: str = "") -> HTMLResponse:
        sess = session(request)
        message = t(msg, ui_of(request)) if msg in ("saved",) else ""
        return lesson_page(request, sess, lesson_id, lang, page, message)

    @app.post("/l/{lesson_id}/{lang}/c/{idx}")
    def save(request: Request, lesson_id: str, lang: str, idx: int,
             version: Annotated[int, Form()], action: Annotated[str, Form(max_length=16)],
             text: Annotated[str, Form(max_length=MAX_TEXT)] = "",
             csrf: Annotated[str, Form(max_length=64)] = "",
             page: Annotated[int, Form()] = 1) -> Response:
        sess = session(request)
        check_csrf(sess, csrf)
        if action not in ("save", "approve", "reject"):
            return HTMLResponse("bad action", status_code=400)
        result = store.save(sess["user"], lesson_id, lang, idx, text, version, action)
        if not result.ok:
            source = next((c.source for c in store.cues(lesson_id, lang) if c.idx == idx), "")
            return render(request, "conflict.html", 409, user=sess["user"], csrf=sess["csrf"],
                          lesson=lesson_id, lang=lang, idx=idx, source=source, current=result,
                          yours=text)
        return RedirectResponse(f"/l/{lesson_id}/{lang}?page={page}&msg=saved#c{idx}",
                                status_code=303)

    @app.post("/l/{lesson_id}/{lang}/approve-all")
    def approve_all(request: Request, lesson_id: str, lang: str,
                    csrf: Annotated[str, Form(max_length=64)] = "") -> Response:
        sess = session(request)
        check_csrf(sess, csrf)
        ok = store.approve_language(sess["user"], lesson_id, lang, opts.tm_dir)
        if not ok:
            return lesson_page(request, sess, lesson_id, lang,
                               message=t("approve_all_wait", ui_of(request)))
        if opts.on_approved is not None:
            try:
                opts.on_approved(lesson_id, lang)
            except Exception:  # the approval stands even if the orchestrator is down
                logging.getLogger("caunoi.review").exception("resume hook failed")
        return RedirectResponse(f"/l/{lesson_id}/{lang}", status_code=303)

    @app.get("/l/{lesson_id}/{lang}/c/{idx}/history", response_class=HTMLResponse)
    def history(request: Request, lesson_id: str, lang: str, idx: int) -> HTMLResponse:
        sess = session(request)
        store.require(sess["user"], lang, "view")
        source = next((c.source for c in store.cues(lesson_id, lang) if c.idx == idx), "")
        return render(request, "history.html", user=sess["user"], csrf=sess["csrf"],
                      lesson=lesson_id, lang=lang, idx=idx, source=source,
                      versions=store.history(lesson_id, lang, idx),
                      comments=store.comments(lesson_id, lang, idx))

    @app.post("/l/{lesson_id}/{lang}/c/{idx}/comment")
    def comment(request: Request, lesson_id: str, lang: str, idx: int,
                text: Annotated[str, Form(max_length=MAX_TEXT)],
                csrf: Annotated[str, Form(max_length=64)] = "") -> Response:
        sess = session(request)
        check_csrf(sess, csrf)
        store.comment(sess["user"], lesson_id, lang, idx, text)
        return RedirectResponse(f"/l/{lesson_id}/{lang}/c/{idx}/history", status_code=303)

    @app.post("/l/{lesson_id}/{lang}/propose")
    def propose(request: Request, lesson_id: str, lang: str,
                vi: Annotated[str, Form(max_length=200)],
                target: Annotated[str, Form(max_length=200)],
                note: Annotated[str, Form(max_length=MAX_TEXT)] = "",
                csrf: Annotated[str, Form(max_length=64)] = "") -> Response:
        sess = session(request)
        check_csrf(sess, csrf)
        store.propose_term(sess["user"], lang, vi, target, note)
        return RedirectResponse(f"/l/{lesson_id}/{lang}?msg=saved", status_code=303)

    @app.get("/admin/glossary", response_class=HTMLResponse)
    def proposals(request: Request) -> HTMLResponse:
        sess = session(request)
        if not sess["admin"]:
            raise Forbidden
        return render(request, "proposals.html", user=sess["user"], csrf=sess["csrf"],
                      proposals=store.proposals())

    @app.post("/admin/glossary/{proposal_id}")
    def decide(request: Request, proposal_id: int,
               decision: Annotated[str, Form(max_length=16)],
               csrf: Annotated[str, Form(max_length=64)] = "") -> Response:
        sess = session(request)
        check_csrf(sess, csrf)
        store.decide_proposal(sess["user"], proposal_id, decision == "accept",
                              opts.glossary_dir)
        return RedirectResponse("/admin/glossary", status_code=303)

    @app.get("/media/{lesson_id}/{name}")
    def media(request: Request, lesson_id: str, name: str) -> Response:
        session(request)
        folder = (opts.out_dir / lesson_id / "video").resolve()
        path = (folder / name).resolve()
        if path.parent != folder or path.suffix != ".mp4" or not path.is_file():
            return HTMLResponse("not found", status_code=404)
        return FileResponse(path, media_type="video/mp4")

    return app
