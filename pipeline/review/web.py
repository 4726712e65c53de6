"""The reviewers' web app: FastAPI, server-rendered pages, no JavaScript needed.

Mobile-first and light (pages well under 100 KB without video) for cheap Android phones on
2G/3G. Security: argon2 passwords, server-side sessions behind a signed HttpOnly SameSite
cookie, a CSRF token on every form, per-language roles (media too), rate-limited and
constant-time sign-in, validated ids (404, never 500), cleaned input, and headers that
forbid inline script, framing, sniffing, leaking referrers and caching pages.

:func:`install` mounts review on an app (the app itself is made by ``flows.app``, which
mounts the portal beside it). Routes live by what they are about: ``web_auth`` (signing in
and out), ``web_lesson`` (a lesson's language: its cues, videos, approval), ``web_cue`` (one
cue: its page, saves and decisions, history, clip and still) and ``web_glossary`` (term
proposals); ``web_common`` holds what they share.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException as StarletteHTTPException

from pipeline.core.errors import CaunoiError
from pipeline.core.i18n import t
from pipeline.core.languages import Registry
from pipeline.review import (
    limits_web,
    web_auth,
    web_cue,
    web_glossary,
    web_lesson,
    web_voice,
)
from pipeline.review.checks import Checker, InputRefusedError
from pipeline.review.db import NotAllowedError, NotFoundError
from pipeline.review.security import RateLimiter, SessionCodec
from pipeline.review.store import ReviewStore
from pipeline.review.web_common import (
    Ctx,
    Forbidden,
    Mounts,
    NotSignedIn,
    PageNotFound,
    WebOptions,
    render,
    signed_in,
    ui_of,
)

__all__ = ["CACHEABLE", "SECURITY_HEADERS", "WebOptions", "install", "security_headers"]

#: Sent with every answer. Styles are inline in the page (one request on 2G); the only
#: script allowed is the app's own file (no inline script), which may talk to the app only.
SECURITY_HEADERS = {
    "Content-Security-Policy": ("default-src 'none'; style-src 'unsafe-inline'; "
                                "script-src 'self'; connect-src 'self'; "
                                "img-src 'self'; media-src 'self'; form-action 'self'; "
                                "frame-ancestors 'none'; base-uri 'none'"),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}


#: Paths whose answers may be cached (review's lesson media); pages never are.
CACHEABLE = ("/media/",)

Middleware = Callable[[Request, Callable[[Request], Awaitable[Response]]], Awaitable[Response]]


def security_headers(cacheable: tuple[str, ...]) -> Middleware:
    """The middleware that adds :data:`SECURITY_HEADERS` to every answer and forbids
    caching, except under the ``cacheable`` path prefixes."""

    async def headers(request: Request,
                      call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        response = await call_next(request)
        response.headers.update(SECURITY_HEADERS)
        if (not request.url.path.startswith(cacheable)
                and "cache-control" not in response.headers):
            response.headers["Cache-Control"] = "no-store"
        return response

    return headers


log = logging.getLogger("caunoi.review")

def _message(request: Request, text: str, status: int,
             error: CaunoiError | None = None) -> HTMLResponse:
    """An error page with the normal header (app name, home link, language switch, sign-out
    when signed in), in the UI language. For ``error``, its plain sentence (no setting
    names); administrators also read its own sentence."""
    user, csrf, admin = None, "", False
    try:
        sess = signed_in(request)
        user, csrf, admin = sess.username, sess.csrf, sess.admin
    except Exception:  # not signed in (or the store is the problem): a page still shows
        pass
    detail = ""
    if error is not None and error.plain_key:
        text = error.plain(ui_of(request))
        detail = error.message(ui_of(request)) if admin else ""
    try:
        return render(request, "message.html", status, user=user, csrf=csrf, text=text,
                      detail=detail)
    except Exception:  # the page itself must never fail: plain text as the last resort
        from html import escape

        log.exception("rendering the %s page", status)
        return HTMLResponse(f"<p>{escape(text)}</p>", status_code=status)


def _handlers(app: FastAPI) -> None:
    async def to_login(request: Request, _exc: Exception) -> Response:
        return RedirectResponse("/login", status_code=303)

    async def forbidden(request: Request, _exc: Exception) -> Response:
        return _message(request, t("forbidden", ui_of(request)), 403)

    async def not_found(request: Request, _exc: Exception) -> Response:
        return _message(request, t("review.not_found", ui_of(request)), 404)

    async def refused(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, CaunoiError)
        return _message(request, exc.message(ui_of(request)), 422, exc)

    app.add_exception_handler(NotSignedIn, to_login)
    app.add_exception_handler(Forbidden, forbidden)
    app.add_exception_handler(NotAllowedError, forbidden)
    app.add_exception_handler(PageNotFound, not_found)
    app.add_exception_handler(NotFoundError, not_found)
    app.add_exception_handler(InputRefusedError, refused)

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        key = "review.not_found" if exc.status_code == 404 else "bad_request"
        return _message(request, t(key, ui_of(request)), exc.status_code)

    async def project_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, CaunoiError)
        status = 400 if exc.exit_code == 2 else 500
        return _message(request, exc.message(ui_of(request)), status, exc)

    async def internal(request: Request, exc: Exception) -> Response:
        log.exception("internal error on %s", request.url.path)
        return _message(request, t("internal_error", ui_of(request)), 500)

    async def invalid_form(request: Request, _exc: Exception) -> Response:
        # A form missing fields or not decodable: a plain page, not FastAPI's JSON "detail".
        return _message(request, t("bad_request", ui_of(request)), 422)

    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(RequestValidationError, invalid_form)
    app.add_exception_handler(CaunoiError, project_error)
    app.add_exception_handler(Exception, internal)


def install(app: FastAPI, store: ReviewStore, registry: Registry, opts: WebOptions) -> Ctx:
    """Mount the review pages on ``app`` over ``store``; QA on saves uses ``registry`` and
    the glossaries of ``opts.glossary_dir``. Returns the context other parts mounted beside
    review (the portal) share: its templates, sessions and :class:`Mounts`."""
    store.checker = Checker(registry, opts.glossary_dir)
    mounts = Mounts()
    templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
    templates.env.globals["nav_links"] = mounts.links
    ctx = Ctx(store, registry, opts, templates, SessionCodec(opts.secret), RateLimiter(),
              mounts)
    app.state.ctx = ctx
    _handlers(app)
    limits_web.install(app)
    for module in (web_auth, web_lesson, web_cue, web_glossary, web_voice):
        app.include_router(module.router)
    return ctx
