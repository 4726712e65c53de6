"""What every review page shares: the app's context, sign-in, CSRF, id validation,
rendering in the UI language."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from pipeline.core.config import Settings
from pipeline.core.i18n import t
from pipeline.core.ids import LESSON_ID_RE
from pipeline.core.languages import Registry
from pipeline.core.runs import RunLauncher
from pipeline.review.accounts import SignedIn
from pipeline.review.security import RateLimiter, SessionCodec, tokens_equal
from pipeline.review.store import ReviewStore

__all__ = ["LOGIN_CSRF_COOKIE", "SESSION_COOKIE", "UI_COOKIE", "Ctx", "Forbidden", "Mounts",
           "NotSignedIn", "PageNotFound", "WebOptions", "check_csrf", "ctx_of", "cue_ref",
           "lang_name", "lesson_lang", "render", "signed_in", "ui_of"]

SESSION_COOKIE = "caunoi_session"
LOGIN_CSRF_COOKIE = "caunoi_login_csrf"
UI_COOKIE = "caunoi_ui"

_LESSON_ID = LESSON_ID_RE
_LANG = re.compile(r"^[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})?$")
# A narration cue's key, or a unit's: the title, a chapter heading, an interface word.
_CUE_KEY = re.compile(r"^(?:[0-9a-f]{16}-\d{1,4}\.\d{1,3}|title|chapter\.[0-9a-f]{16}"
                      r"|ui\.[a-z0-9_]{1,40})$")


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
    # Starts pipeline runs and reads their states (pipeline.core.runs); None = the pages
    # say which command to run instead.
    runs: RunLauncher | None = None
    # Seconds of title card before the recording in the videos (the configured value
    # comes from ``pipeline.steps.web_options``; this is the settings' default).
    title_card_s: float = Settings.title_card_s


@dataclass
class Mounts:
    """What the parts mounted beside review (the portal) add to review's pages."""

    # user -> header links [(path, catalogue key)] on every page.
    nav: list[Callable[[str], list[tuple[str, str]]]] = field(default_factory=list)
    # user -> where they start after signing in when they have no language role, or None.
    start_pages: list[Callable[[str], str | None]] = field(default_factory=list)
    # (user, lesson id) -> whether the user may also see the lesson's videos.
    media_viewers: list[Callable[[str, str], bool]] = field(default_factory=list)

    def links(self, user: str | None) -> list[tuple[str, str]]:
        return [link for f in self.nav for link in f(user)] if user else []

    def start_page(self, user: str) -> str | None:
        return next((p for f in self.start_pages if (p := f(user))), None)


@dataclass(frozen=True)
class Ctx:
    store: ReviewStore
    registry: Registry
    opts: WebOptions
    templates: Jinja2Templates
    codec: SessionCodec
    limiter: RateLimiter
    mounts: Mounts = field(default_factory=Mounts)


class Forbidden(Exception):
    pass


class NotSignedIn(Exception):
    pass


class PageNotFound(Exception):
    pass


def ctx_of(request: Request) -> Ctx:
    ctx: Ctx = request.app.state.ctx
    return ctx


def ui_of(request: Request) -> str:
    ui = request.query_params.get("ui") or request.cookies.get(UI_COOKIE) or "vi"
    return "en" if ui == "en" else "vi"


def signed_in(request: Request) -> SignedIn:
    """The signed-in user (server-side session), or :class:`NotSignedIn`."""
    ctx = ctx_of(request)
    data = ctx.codec.load(request.cookies.get(SESSION_COOKIE))
    token = data.get("sid") if data else None
    found = ctx.store.signed_in(token) if isinstance(token, str) else None
    if found is None:
        raise NotSignedIn
    return found


def check_csrf(sess: SignedIn, token: str | None) -> None:
    if not tokens_equal(sess.csrf, token):
        raise Forbidden


def lesson_lang(request: Request, lesson_id: str, lang: str) -> None:
    """404 unless ``lesson_id`` is a lesson of the store and ``lang`` a known language."""
    ctx = ctx_of(request)
    if (not _LESSON_ID.match(lesson_id) or not _LANG.match(lang)
            or lang not in ctx.registry.languages or ctx.store.lesson(lesson_id) is None):
        raise PageNotFound


def cue_ref(cue: str) -> int | str:
    """A cue in a URL: its position (small integer) or its stable key; else 404."""
    if cue.isascii() and cue.isdigit() and len(cue) <= 6:
        return int(cue)
    if _CUE_KEY.match(cue):
        return cue
    raise PageNotFound


def lang_name(request: Request, code: str) -> str:
    """The language as people pick it, with its region ("Tiếng Thái (Thái Đen) (Tai Dam) —
    Tây Bắc: …", never to be taken for Thai): :meth:`Language.label`."""
    lang = ctx_of(request).registry.languages.get(code)
    return code if lang is None else lang.label(ui_of(request))


def render(request: Request, name: str, status: int = 200, **ctx: Any) -> HTMLResponse:
    ui = ui_of(request)
    ctx.setdefault("user", None)
    resp = ctx_of(request).templates.TemplateResponse(
        request, name, {"ui": ui, "t": lambda k, **v: t(k, ui, **v), **ctx},
        status_code=status)
    if request.query_params.get("ui") in ("vi", "en"):
        resp.set_cookie(UI_COOKIE, ui, max_age=365 * 86400, samesite="lax", httponly=True)
    return resp
