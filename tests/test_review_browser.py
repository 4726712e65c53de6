"""The reviewer's workbench in a real phone browser (headless Debian Chromium, 360×640, no
JavaScript): filter untranslated, open a cue, see its still and audio, copy a suggestion,
save and next, reject with a reason, see it on the translator's home page, bulk approve.
Screenshots go to /tmp/review-*.png."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from flows.env import serve_app
from pipeline.review.store import ReviewStore
from pipeline.translate.tm import TranslationMemory
from tests.conftest import ReviewApp
from tests.test_review_workbench import LESSON, PASSWORD, SOURCES, fill_store, key
from tests.test_review_workbench import media_out as media_out

SHOTS = Path("/tmp")


@pytest.fixture
def server(tmp_path: Path, review_app: ReviewApp,
           media_out: Path) -> Iterator[tuple[str, ReviewStore]]:
    store = ReviewStore(f"sqlite:///{tmp_path / 'review.sqlite3'}")
    fill_store(store, ["", "Scan QR", "Them 45.000 nyiaj", ""])
    TranslationMemory(tmp_path / "tm", "hmn").add(SOURCES[3], "TM-HIT-TEXT", lesson="older")
    app = review_app.app(store, out_dir=media_out, glossary_dir=tmp_path)
    with serve_app(app) as url:
        yield url, store
    store.engine.dispose()


def sign_in_page(page: Any, base: str, user: str) -> None:
    page.context.clear_cookies()
    page.goto(f"{base}/login")
    page.fill("input[name=username]", user)
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.click("form[action='/login'] button")


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("chromium") is None, reason="Debian chromium not installed")
def test_phone_review_flow(server: tuple[str, ReviewStore]) -> None:
    from playwright.sync_api import sync_playwright

    base, store = server
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=shutil.which("chromium"), headless=True,
                                    args=["--no-sandbox", "--disable-gpu", "--no-first-run"])
        ctx = browser.new_context(viewport={"width": 360, "height": 640},
                                  java_script_enabled=False)
        page = ctx.new_page()
        sign_in_page(page, base, "mai")
        assert page.locator(".bar").count() == 1  # progress per language
        page.goto(f"{base}/l/{LESSON}/hmn")
        page.click("nav.f >> text=Chưa dịch")
        assert page.locator("div.cue").count() == 2
        page.screenshot(path=str(SHOTS / "review-queue-filters.png"))
        with page.expect_navigation():
            page.click("a.cue-open")
        assert page.locator("audio[preload=none][controls]").count() == 1
        still = page.locator("img.still")
        still.scroll_into_view_if_needed()
        page.wait_for_function("document.querySelector('img.still').complete")
        assert still.evaluate("img => img.naturalWidth") == 320
        clip = page.locator("audio").get_attribute("src") or ""
        assert page.request.get(base + clip).status == 200
        page.screenshot(path=str(SHOTS / "review-cue-clip-still.png"), full_page=True)
        # A suggestion copied into the box with one tap, then save and next.
        page.goto(f"{base}/l/{LESSON}/hmn/c/{key(3)}?f=untranslated")
        assert page.locator("mark").count() == 0 or page.locator("mark").first.is_visible()
        with page.expect_navigation():
            page.locator("button.use").first.click()
        assert page.locator("form.cue-edit textarea").input_value() == "TM-HIT-TEXT"
        page.screenshot(path=str(SHOTS / "review-suggestions.png"), full_page=True)
        with page.expect_navigation():
            page.click("button[value=save_next]")
        assert key(3) not in page.url and "/c/" in page.url
        assert next(c for c in store.cues(LESSON, "hmn") if c.idx == 3).text == "TM-HIT-TEXT"
        # Reject with a reason; the translator sees it on the home page.
        page.goto(f"{base}/l/{LESSON}/hmn/c/{key(1)}")
        page.fill("form.cue-edit input[name=reason]", "Dùng đúng thuật ngữ cho mã QR")
        with page.expect_navigation():
            page.click("form.cue-edit button[value=reject]")
        assert page.locator("#edit .msg").is_visible()
        sign_in_page(page, base, "tom")
        assert page.locator("text=Dùng đúng thuật ngữ cho mã QR").is_visible()
        page.screenshot(path=str(SHOTS / "review-reject-reason.png"), full_page=True)
        # Bulk approval of the clean cues.
        sign_in_page(page, base, "mai")
        page.goto(f"{base}/l/{LESSON}/hmn")
        with page.expect_navigation():
            page.click("button[value=bulk_approve]")
        width = page.evaluate("document.documentElement.scrollWidth")
        # With JavaScript on, the optional script saves a cue without leaving the page.
        js = browser.new_context(viewport={"width": 360, "height": 640})
        page = js.new_page()
        sign_in_page(page, base, "mai")
        page.goto(f"{base}/l/{LESSON}/hmn")
        cue = page.locator("#c0")
        cue.locator("textarea").fill("Qhib lub app txhab nyiaj")
        url = page.url
        with page.expect_response(lambda r: r.request.method == "POST"):
            cue.locator("button[value=save]").click()
        page.wait_for_selector("#c0 .live.msg")
        assert page.url == url
        browser.close()
    assert width <= 360
    states = {c.idx: c.state for c in store.cues(LESSON, "hmn")}
    assert states[1] == "rejected" and states[2] == "approved" and states[3] == "approved"
    assert next(c for c in store.cues(LESSON, "hmn") if c.idx == 0).text == \
        "Qhib lub app txhab nyiaj"
