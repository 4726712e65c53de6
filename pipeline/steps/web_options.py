"""Settings → the web app's options (the review pages' and the portal's), in one place.

Beside ``options`` (the stages'): the web parts never read Settings themselves either.
"""

from __future__ import annotations

from collections.abc import Callable

from pipeline.core.config import Settings
from pipeline.core.runs import RunLauncher
from pipeline.portal.context import PortalOptions
from pipeline.review.web_common import WebOptions
from pipeline.steps.options import ingest_options, mt_options

__all__ = ["web_options"]


def web_options(settings: Settings, secret: str,
                on_approved: Callable[[str, str], None] | None = None,
                runs: RunLauncher | None = None) -> tuple[WebOptions, PortalOptions]:
    """The review pages' options and the portal's, from ``settings``; ``secret`` signs the
    session cookies, ``on_approved`` and ``runs`` are the server's (see ``WebOptions``)."""
    web = WebOptions(out_dir=settings.out_dir, secret=secret,
                     glossary_dir=settings.glossary_dir, tm_dir=settings.tm_path,
                     secure_cookies=settings.cookie_secure, on_approved=on_approved,
                     runs=runs, title_card_s=settings.title_card_s)
    portal = PortalOptions(
        lessons_dir=settings.lessons_dir, out_dir=settings.out_dir,
        glossary_dir=settings.glossary_dir,
        ingest=ingest_options(settings),
        ffmpeg=settings.ffmpeg, mt=mt_options(settings),
        max_recording_bytes=settings.max_recording_mb * 1024 * 1024)
    return web, portal
