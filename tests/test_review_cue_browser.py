"""The cue page in a real phone browser (issue 31, items 10–13): headless Debian Chromium at
360×640, JavaScript off and on, on emulated 2G (CDP). The box sits under the source where a
phone keyboard leaves it visible, the reviewer's filled button approves, the still follows
what is typed, a suggestion fills the box without leaving the page. Screenshots go to
/tmp/ux-review/*.png."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from flows.env import serve_app
from pipeline.review.store import ReviewStore
from pipeline.translate.tm import TranslationMemory
from tests.conftest import ReviewApp
from tests.test_review_browser import sign_in_page
from tests.test_review_dbs import fast_passwords as fast_passwords
from tests.test_review_workbench import LESSON, SOURCES, fill_store, key
from tests.test_review_workbench import media_out as media_out

SHOTS = Path("/tmp/ux-review")
#: What a phone keyboard leaves of a 640 px high screen (it takes about 280 px).
ABOVE_KEYBOARD = 360


@pytest.fixture
def server(tmp_path: Path, review_app: ReviewApp,
           media_out: Path) -> Iterator[tuple[str, ReviewStore]]:
    store = ReviewStore(f"sqlite:///{tmp_path / 'review.sqlite3'}")
    fill_store(store, ["", "Scan QR", "Them 45.000 nyiaj", ""])
    TranslationMemory(tmp_path / "tm", "hmn").add(SOURCES[3], "TM-HIT-TEXT", lesson="older")
    (tmp_path / "gl").mkdir()
    (tmp_path / "gl" / "hmn.csv").write_text(
        "vi,target,pos,note,status,source\nmã QR,,noun,,proposed,\n", encoding="utf-8")
    app = review_app.app(store, out_dir=media_out, glossary_dir=tmp_path / "gl")
    with serve_app(app) as url:
        yield url, store
    store.engine.dispose()


def _context(browser: Any, script: bool, slow: bool) -> Any:
    ctx = browser.new_context(viewport={"width": 360, "height": 640},
                              java_script_enabled=script)
    page = ctx.new_page()
    if slow:  # 2G: 40 kbit/s both ways, 800 ms round trip
        cdp = ctx.new_cdp_session(page)
        cdp.send("Network.enable")
        cdp.send("Network.emulateNetworkConditions", {
            "offline": False, "latency": 800, "downloadThroughput": 40_000 / 8,
            "uploadThroughput": 40_000 / 8})
    return page


def _box_under_source(page: Any) -> None:
    source = page.locator(".vi").bounding_box()
    box = page.locator("form.cue-edit textarea").bounding_box()
    assert source is not None and box is not None
    assert source["y"] >= 0 and source["y"] < box["y"]
    assert box["y"] + box["height"] <= ABOVE_KEYBOARD, box


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("chromium") is None, reason="Debian chromium not installed")
def test_cue_page_on_a_phone(server: tuple[str, ReviewStore]) -> None:
    from playwright.sync_api import expect, sync_playwright

    base, store = server
    SHOTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=shutil.which("chromium"), headless=True,
                                    args=["--no-sandbox", "--disable-gpu", "--no-first-run",
                                          "--disable-background-networking",
                                          "--disable-component-update", "--disable-sync"])
        # Reviewer, JavaScript off: the filled button approves and moves on.
        page = _context(browser, script=False, slow=False)
        sign_in_page(page, base, "mai")
        page.goto(f"{base}/l/{LESSON}/hmn/c/{key(2)}")
        _box_under_source(page)
        main = page.locator("form.cue-edit button[name=action]:not([class])")
        assert main.count() == 1 and main.inner_text() == "Duyệt và sang câu tiếp"
        page.screenshot(path=str(SHOTS / "cue-reviewer-nojs.png"))
        with page.expect_navigation():
            main.click()
        assert next(c for c in store.cues(LESSON, "hmn") if c.idx == 2).state == "approved"
        page.goto(f"{base}/l/{LESSON}/hmn/c/{key(2)}")
        assert page.locator("form.cue-edit button[value^=approve]").count() == 0
        page.screenshot(path=str(SHOTS / "cue-approved-nojs.png"), full_page=True)
        page.goto(f"{base}/l/{LESSON}/hmn/c/{key(0)}")
        assert page.locator("#still-cap").inner_text().startswith("Chưa có bản dịch")
        page.screenshot(path=str(SHOTS / "cue-untranslated-nojs.png"), full_page=True)
        page.goto(f"{base}/")
        page.screenshot(path=str(SHOTS / "home-reviewer.png"))
        page.goto(f"{base}/l/{LESSON}/hmn")
        page.screenshot(path=str(SHOTS / "lesson-reviewer.png"), full_page=True)
        page.context.close()
        # Translator, JavaScript on, 2G: typing previews the still; a suggestion fills the box.
        page = _context(browser, script=True, slow=True)
        sign_in_page(page, base, "tom")
        page.goto(f"{base}/l/{LESSON}/hmn/c/{key(3)}")
        _box_under_source(page)
        assert page.locator("form.cue-edit button[name=action]:not([class])").inner_text() \
            == "Lưu và sang câu tiếp"
        page.locator("form.cue-edit textarea").fill("Nias lub pob")
        still = page.locator("#still")
        expect(still).to_have_attribute("src", re.compile(r"text=Nias"), timeout=60_000)
        for _ in range(600):  # the preview arrives over 2G (polled, no timing asserted)
            if still.evaluate("img => img.complete && img.naturalWidth > 0"):
                break
            page.wait_for_timeout(100)
        assert still.evaluate("img => img.naturalWidth") == 320
        assert page.locator("#still-cap").inner_text().startswith("Phụ đề sẽ hiện")
        page.screenshot(path=str(SHOTS / "cue-translator-js-2g-typed.png"), full_page=True)
        url = page.url
        page.locator("html").evaluate("el => { window.stillHere = 1; }")
        page.locator("button.use").first.click()
        assert page.locator("form.cue-edit textarea").input_value() == "TM-HIT-TEXT"
        # No reload: the same page, its script state kept.
        assert page.url == url and page.locator("html").evaluate("el => window.stillHere") == 1
        page.screenshot(path=str(SHOTS / "cue-translator-js-2g-suggestion.png"))
        browser.close()
