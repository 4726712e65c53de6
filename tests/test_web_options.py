"""Settings → the web app's options, in one place (``pipeline.steps.web_options``): the
review pages and the portal get what they need, never Settings themselves."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from pipeline.core.config import Settings
from pipeline.core.limits import Limits
from pipeline.portal.context import PortalOptions
from pipeline.steps.web_options import web_options


def test_web_options_come_from_settings(settings: Settings, tmp_path: Path) -> None:
    s = dataclasses.replace(settings, lessons_dir=tmp_path / "lessons", title_card_s=4.0,
                            cookie_secure=True, max_recording_mb=3, profiles=("tiny",),
                            ffmpeg="/opt/ffmpeg")
    web, portal = web_options(s, "k" * 40)
    assert (web.out_dir, web.glossary_dir, web.tm_dir) == (s.out_dir, s.glossary_dir,
                                                         s.tm_path)
    assert (web.secret, web.title_card_s, web.secure_cookies) == ("k" * 40, 4.0, True)
    assert (portal.lessons_dir, portal.out_dir, portal.glossary_dir) == (
        s.lessons_dir, s.out_dir, s.glossary_dir)
    assert portal.max_recording_bytes == 3 * 1024 * 1024 and portal.ffmpeg == "/opt/ffmpeg"
    assert portal.default_profiles == ("tiny",) and portal.limits == Limits.from_settings(s)
    assert portal.lesson_out("qr-1") == s.out_dir / "qr-1"


def test_portal_options_do_not_carry_settings() -> None:
    kinds = {f.name: f.type for f in dataclasses.fields(PortalOptions)}
    assert not any("Settings" in str(kind) for kind in kinds.values())
