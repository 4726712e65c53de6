"""Left from stop 28, item 1, in headless Chromium at 360×640: the portal's lesson page of a
server-mode run that failed (Prefect's message named a shell command) and the review page of
a language nobody reviews show editors and managers words, never a command; the sentences
fit the phone's width. Screenshots go to /tmp/caunoi-left30-shots/."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pipeline.core.config import Settings
from pipeline.core.i18n import t
from pipeline.portal.store import PortalStore
from pipeline.review.store import ReviewStore
from tests import test_portal_web as web
from tests import test_review_dbs as dbs
from tests.chromium import chromium
from tests.conftest import ReviewApp
from tests.test_left30_messages import ServerRuns
from tests.test_review_workbench import fill_store
from tests.web_world import live_server

pytestmark = [pytest.mark.slow, pytest.mark.skipif(
    not Path("/usr/bin/chromium").is_file(), reason="Debian chromium missing")]

fast_passwords = dbs.fast_passwords
portal_settings = web.portal_settings
SHOTS = Path("/tmp/caunoi-left30-shots")
PASSWORD = "correct horse 9"


@pytest.fixture
def url(review_app: ReviewApp, portal_settings: Settings, short_lesson: Path,
        tmp_path: Path) -> Iterator[str]:
    store = ReviewStore(f"sqlite:///{tmp_path / 'review.sqlite3'}")
    fill_store(store)  # lesson qr-market: mai reviews hmn, kim reviews blt
    store.revoke("mai", ["hmn"])  # nobody reviews Hmong now
    store.add_user("tom2", PASSWORD, {"hmn": "translator"})
    PortalStore.on(store).editors.add_user("lan", PASSWORD, {}, teams=("laocai",))
    runs = ServerRuns()
    app = review_app.from_settings(store, portal_settings, runs, {"tm_dir": tmp_path / "tm"})
    try:
        with live_server(app) as served:
            yield served
    finally:
        store.engine.dispose()


def _sign_in(page: Any, url: str, user: str) -> None:
    page.goto(f"{url}/login")
    page.fill("input[name=username]", user)
    page.fill("input[name=password]", PASSWORD)
    page.click("form[action='/login'] button")


def _fits(page: Any) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth <= 360"))


def test_phone_pages_say_who_acts_never_a_command(url: str, short_lesson: Path) -> None:
    SHOTS.mkdir(exist_ok=True)
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 360, "height": 640})
        # A translator of a language nobody reviews: who to ask, in words.
        _sign_in(page, url, "tom2")
        page.goto(f"{url}/l/qr-market/hmn")
        said = page.inner_text("#no-reviewer")
        assert "caunoi" not in said and "quản trị hệ thống" in said, said
        assert _fits(page)
        page.screenshot(path=str(SHOTS / "review-no-reviewer-360.png"), full_page=False)
        page.context.clear_cookies()

        # An editor whose lesson's server run failed for a missing model.
        _sign_in(page, url, "lan")
        page.goto(f"{url}/portal/new")
        page.fill("input[name=title]", "Trả tiền bằng mã QR")
        page.fill("textarea[name=script_text]",
                  (short_lesson / "script.md").read_text(encoding="utf-8"))
        rec = next(short_lesson.glob("recording.*"))
        page.check("input[name=languages][value=hmn]")
        page.set_input_files("input[name=recording]", str(rec))
        page.click("#lesson-form button[type=submit]")
        page.wait_for_url("**/portal/l/**")
        page.click("form[action$='/run'] button")
        page.wait_for_selector("#run-message")
        said = page.inner_text("#run-message")
        assert said == t("portal.run_failed_model", "vi"), said
        body = page.inner_text("body")
        assert "caunoi" not in body and "ModelMissingError" not in body
        assert _fits(page)
        page.locator("#run-message").scroll_into_view_if_needed()
        page.screenshot(path=str(SHOTS / "portal-server-run-failed-360.png"), full_page=False)
