"""Sign in and sign out. Sessions are server-side rows; the cookie holds a signed token."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from pipeline.core.i18n import t
from pipeline.core.usernames import skeleton
from pipeline.review.accounts import SESSION_DAYS
from pipeline.review.security import new_token, tokens_equal
from pipeline.review.web_common import (
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    check_csrf,
    ctx_of,
    render,
    signed_in,
    ui_of,
)

__all__ = ["router"]

router = APIRouter()


@router.get("/healthz")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request) -> HTMLResponse:
    return _login_form(request)


def _login_form(request: Request, status: int = 200, error: str = "",
                username: str = "") -> HTMLResponse:
    """The sign-in form with a fresh login token (a cookie for an hour)."""
    token = new_token()
    resp = render(request, "login.html", status, login_csrf=token, error=error,
                  username=username)
    resp.set_cookie(LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict",
                    secure=ctx_of(request).opts.secure_cookies, max_age=3600)
    return resp


def _home_of(request: Request, username: str) -> str:
    """Where a signed-in user starts: a part mounted beside review may have a start page
    for users without a language role (the portal, for editors), else the reviewer's home."""
    ctx = ctx_of(request)
    if ctx.mounts.start_pages and not ctx.store.roles(username):
        return ctx.mounts.start_page(username) or "/"
    return "/"


@router.post("/login")
def login(request: Request, username: Annotated[str, Form(max_length=64)],
          password: Annotated[str, Form(max_length=256)],
          csrf: Annotated[str, Form(max_length=64)] = "") -> Response:
    if not tokens_equal(request.cookies.get(LOGIN_CSRF_COOKIE), csrf):
        # The sign-in page was open over an hour, or opened again in another tab: the
        # form again with a fresh token and the name typed, not "you are not allowed".
        return _login_form(request, 403, t("login_again", ui_of(request)),
                           username if username.isprintable() else "")
    ctx, ui = ctx_of(request), ui_of(request)
    key = f"{request.client.host if request.client else '?'}:{skeleton(username)}"
    if ctx.limiter.blocked(key):
        return render(request, "login.html", 429, login_csrf=csrf, error=t("too_many", ui))
    user = ctx.store.authenticate(username, password)
    if user is None:
        ctx.limiter.fail(key)
        return render(request, "login.html", 401, login_csrf=csrf, error=t("bad_login", ui))
    ctx.limiter.reset(key)
    resp = RedirectResponse(_home_of(request, user.username), status_code=303)
    resp.set_cookie(SESSION_COOKIE, ctx.codec.dump({"sid": ctx.store.start_session(user)}),
                    httponly=True, samesite="lax", secure=ctx.opts.secure_cookies,
                    max_age=SESSION_DAYS * 86400)
    resp.delete_cookie(LOGIN_CSRF_COOKIE)
    return resp


@router.post("/logout")
def logout(request: Request, csrf: Annotated[str, Form(max_length=64)] = "") -> Response:
    sess = signed_in(request)
    check_csrf(sess, csrf)
    ctx = ctx_of(request)
    data = ctx.codec.load(request.cookies.get(SESSION_COOKIE)) or {}
    ctx.store.end_session(str(data.get("sid", "")))
    resp = RedirectResponse("/login", status_code=303)
    resp.delete_cookie(SESSION_COOKIE)
    return resp
