"""A speaker and a reviewer in a real phone browser (headless Debian Chromium, 360×640):
consent, record sentence 1 with MediaRecorder (Chromium's fake microphone), send sentence 2
through the no-JavaScript file field, then the reviewer rejects one with a reason and
approves the other. Screenshots go to /tmp/voice-*.png; each step's seconds are printed
(run with -s), never asserted."""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from flows.env import serve_app
from pipeline.review.store import ReviewStore
from tests.conftest import ReviewApp
from tests.test_review_browser import sign_in_page
from tests.test_review_dbs import fast_passwords
from tests.test_voice_cli import LESSON, recordings, world
from tests.web_world import PASSWORD

__all__ = ["fast_passwords", "recordings", "world"]
SHOTS = Path("/tmp")
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run",
         "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream"]


@pytest.fixture
def server(world: tuple[Path, ReviewStore], review_app: ReviewApp) -> Iterator[
        tuple[str, ReviewStore]]:
    out, store = world
    for user in ("rev", "spk"):
        store.set_password(user, PASSWORD)
    for view in store.cues(LESSON, "en"):
        assert store.save("rev", LESSON, "en", view.key, view.text, view.version,
                          "approve").ok
    with serve_app(review_app.app(store, out_dir=out)) as url:
        yield url, store
    store.engine.dispose()


class Steps:
    def __init__(self) -> None:
        self.t = time.monotonic()

    def done(self, what: str) -> None:
        now = time.monotonic()
        print(f"step {what}: {now - self.t:.1f} s")
        self.t = now


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("chromium") is None, reason="Debian chromium not installed")
def test_a_speaker_records_and_a_reviewer_decides(server: tuple[str, ReviewStore],
                                                  recordings: Path) -> None:
    from playwright.sync_api import sync_playwright

    base, store = server
    with sync_playwright() as p:
        # The fake microphone plays the espeak stand-in of sentence 1 (in a loop).
        mic = f"--use-file-for-fake-audio-capture={recordings / '1.wav'}"
        browser = p.chromium.launch(executable_path=shutil.which("chromium"), headless=True,
                                    args=[*FLAGS, mic])
        ctx = browser.new_context(viewport={"width": 360, "height": 640})
        ctx.grant_permissions(["microphone"], origin=base)
        page, steps = ctx.new_page(), Steps()
        sign_in_page(page, base, "spk")
        with page.expect_navigation():
            page.click(f"a[href='/l/{LESSON}/en/voice']")
        steps.done("speaker: sign in, open the recording page")
        page.check("input[name=agree]")
        page.fill("input[name=name]", "Chị Mai")
        with page.expect_navigation():
            page.click("form[action$='/voice/consent'] button")
        page.screenshot(path=str(SHOTS / "voice-record.png"), full_page=True)
        steps.done("speaker: consent with a name")
        record = page.locator("#take button[type=button]")
        record.click()
        page.wait_for_timeout(2500)  # the speaker reads for 2.5 s
        record.click()
        page.wait_for_url("**msg=saved**")
        page.wait_for_load_state()
        steps.done("speaker: record sentence 1 (2.5 s) and send")
        rec = store.recordings.sentences(LESSON, "en")[0].recording
        assert rec is not None and Path(rec.file).suffix in (".webm", ".ogg")
        size = Path(rec.file).stat().st_size
        print(f"sentence 1: {size} bytes, {rec.duration_ms} ms, "
              f"{size * 8 / max(rec.duration_ms, 1):.1f} kb/s")
        assert size * 8 / rec.duration_ms < 40  # Opus at ~20 kb/s, not PCM
        assert page.locator("audio[src*='/voice/1/audio']").count() == 1  # play back
        page.screenshot(path=str(SHOTS / "voice-recorded.png"), full_page=True)
        with page.expect_navigation():
            page.click("#next")
        page.set_input_files("input[type=file]", str(recordings / "2.wav"))
        with page.expect_navigation():
            page.click("#take button:not([type=button])")
        steps.done("speaker: next, send sentence 2 as a file")
        assert "2/2" not in page.text_content("#progress")  # not approved yet
        sign_in_page(page, base, "rev")
        page.goto(f"{base}/l/{LESSON}/en/voices")
        page.screenshot(path=str(SHOTS / "voice-review.png"), full_page=True)
        page.fill("#s1 input[name=reason]", "đọc lại chậm hơn")
        with page.expect_navigation():
            page.click("#s1 button[value=reject]")
        with page.expect_navigation():
            page.click("#s2 button[value=approve]")
        steps.done("reviewer: sign in, open, reject 1 with a reason, approve 2")
        browser.close()
    views = store.recordings.sentences(LESSON, "en")
    assert [v.recording.status for v in views if v.recording] == ["rejected", "approved"]
