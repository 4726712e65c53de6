"""Limits the web app puts on expensive or probing requests.

- Media builds (a cue's clip and still, a deviation clip), and the checks before a cue's
  media, run at most ``slots`` at once
  in worker threads; a few more wait *without holding a thread* (so sign-in and pages
  keep their threads), and the rest are answered 503 with a Retry-After at once.
- Previews of typed text (a still per keystroke pause) are limited per user.
- Media misses (unknown or forbidden ids, answered 404 alike) are limited per user, so
  lesson ids (a title slug and 4 hex digits) cannot be guessed by trying them all.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Callable, Iterator
from typing import TypeVar

from fastapi import FastAPI, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from pipeline.core.errors import CaunoiError
from pipeline.review.db import NotAllowedError, NotFoundError
from pipeline.review.security import RateLimiter
from pipeline.review.web_common import PageNotFound, signed_in, ui_of

__all__ = ["BUILDS", "CHECKS", "CLIP_BUILDS", "BuildGate", "BuildsBusyError",
           "TooManyRequestsError", "count_preview", "install", "media_misses"]

T = TypeVar("T")

#: Media misses a user may make in ``MISS_WINDOW_S`` before every media answer is 429.
MISS_LIMIT = 20
MISS_WINDOW_S = 600.0
#: Previews of typed text a user may ask for in ``PREVIEW_WINDOW_S``.
PREVIEW_LIMIT = 20
PREVIEW_WINDOW_S = 60.0


class BuildsBusyError(CaunoiError):
    key = "errors.builds_busy"
    exit_code = 1


class TooManyRequestsError(CaunoiError):
    key = "errors.too_many_requests"
    exit_code = 2


class BuildGate:
    """At most ``slots`` builds at once; at most ``queue`` more wait (up to ``wait_s``
    seconds, polling, on the event loop: no thread is held while waiting)."""

    def __init__(self, slots: int, queue: int, wait_s: float, retry_s: int = 5) -> None:
        self.slots = threading.BoundedSemaphore(slots)
        self.queue, self.wait_s, self.retry_s = queue, wait_s, retry_s
        self._waiting = 0
        self._lock = threading.Lock()

    async def _acquire(self) -> None:
        if self.slots.acquire(blocking=False):
            return
        with self._lock:
            if self._waiting >= self.queue:
                raise BuildsBusyError(seconds=self.retry_s)
            self._waiting += 1
        try:
            end = time.monotonic() + self.wait_s
            while not self.slots.acquire(blocking=False):
                if time.monotonic() > end:
                    raise BuildsBusyError(seconds=self.retry_s)
                await asyncio.sleep(0.05)
        finally:
            with self._lock:
                self._waiting -= 1

    async def run(self, fn: Callable[..., T], *args: object) -> T:
        """``fn(*args)`` in a worker thread once a slot is free.

        Raises:
            BuildsBusyError: every slot is taken and the queue is full (or the wait ended).
        """
        await self._acquire()
        try:
            return await run_in_threadpool(fn, *args)
        finally:
            self.slots.release()


#: A cue's clip and still (the review pages; cue_media bounds its ffmpeg runs too).
BUILDS = BuildGate(slots=2, queue=8, wait_s=10.0)
#: The portal's deviation clips.
CLIP_BUILDS = BuildGate(slots=2, queue=4, wait_s=5.0)
#: The checks before a cue's clip or still (session, rights, cue): a burst of media
#: requests queues here instead of taking every worker thread (sign-in needs one too).
CHECKS = BuildGate(slots=4, queue=400, wait_s=30.0)


def install(app: FastAPI) -> None:
    """The app's per-user limiters and the answers to refused requests (429/503 with a
    Retry-After, a plain page in the UI language)."""
    app.state.media_misses = RateLimiter(MISS_LIMIT, MISS_WINDOW_S)
    app.state.previews = RateLimiter(PREVIEW_LIMIT, PREVIEW_WINDOW_S)

    async def refused(request: Request, exc: Exception) -> Response:
        from pipeline.review.web import _message

        assert isinstance(exc, BuildsBusyError | TooManyRequestsError)
        status = 503 if isinstance(exc, BuildsBusyError) else 429
        resp = _message(request, exc.message(ui_of(request)), status)
        resp.headers["Retry-After"] = str(exc.context.get("seconds", 5))
        return resp

    app.add_exception_handler(BuildsBusyError, refused)
    app.add_exception_handler(TooManyRequestsError, refused)


@contextlib.contextmanager
def media_misses(request: Request, username: str | None = None) -> Iterator[None]:
    """Count the media misses of the signed-in user: unknown and forbidden become the same
    404 (and count); past the limit every media request of theirs is 429."""
    limiter: RateLimiter = request.app.state.media_misses
    user = username if username is not None else signed_in(request).username
    key = f"media:{user}"
    if limiter.blocked(key):
        raise TooManyRequestsError(seconds=round(limiter.window))
    try:
        yield
    except (PageNotFound, NotAllowedError, NotFoundError):
        limiter.fail(key)
        raise PageNotFound from None


def count_preview(request: Request, username: str) -> None:
    """One more preview of typed text by ``username``.

    Raises:
        TooManyRequestsError: they asked for too many lately.
    """
    limiter: RateLimiter = request.app.state.previews
    key = f"preview:{username}"
    if limiter.blocked(key):
        raise TooManyRequestsError(seconds=round(limiter.window))
    limiter.fail(key)
