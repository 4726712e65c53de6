"""The portal in headless Chromium (issue 18), at 360×640 and 1280×800: a whole lesson from
upload to published files with the embedded launcher, and an upload interrupted and
resumed. Screenshots go to /tmp/caunoi-portal-shots/."""

from __future__ import annotations

import dataclasses
import json
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from flows.launcher import EmbeddedLauncher
from pipeline.core.config import Settings
from pipeline.portal.store import PortalStore
from pipeline.review.store import ReviewStore
from tests import test_review_dbs as dbs
from tests.chromium import chromium
from tests.conftest import ReviewApp, run_script
from tests.review_units import approve_units
from tests.web_world import live_server

pytestmark = [pytest.mark.slow, pytest.mark.skipif(
    not Path("/usr/bin/chromium").is_file(), reason="Debian chromium missing")]

fast_passwords = dbs.fast_passwords
PASSWORD = "correct horse 9"
SHOTS = Path("/tmp/caunoi-portal-shots")
ADDED = "Sau đó, hãy quét mã QR của người bán."
#: The reviewer's English for the sample's first three sentences (and the one added).
ENGLISH = {
    "Xin chào bà con, hôm nay chúng ta học cách trả tiền bằng mã QR khi đi chợ.":
        "Hello everyone, today we learn how to pay with a QR code at the market.",
    "Trước hết, hãy mở ứng dụng ngân hàng trên điện thoại của bạn.":
        "First, open the banking app on your phone.",
    "Nhập mật khẩu hoặc dùng vân tay để đăng nhập.":
        "Enter your password or use your fingerprint to sign in.",
    ADDED: "Then scan the seller's QR code.",
}


@dataclasses.dataclass
class Served:
    url: str
    settings: Settings
    store: ReviewStore
    lesson_src: Path


@pytest.fixture
def served(settings: Settings, review_app: ReviewApp, tmp_path: Path) -> Iterator[Served]:

    run_script("make_sample_lesson.py", "--out", str(tmp_path / "src"), "--id", "tiny",
               "--sentences", "3")
    s = dataclasses.replace(settings, lessons_dir=tmp_path / "lessons", max_recording_mb=5,
                            quality_gates=False)
    s.out_dir.mkdir(parents=True)
    store = ReviewStore(s.review_url)
    PortalStore.on(store).editors.add_user("lan", PASSWORD, {}, teams=("laocai",))
    store.add_user("mai", PASSWORD, {"en": "reviewer"})
    launcher = EmbeddedLauncher(s)
    app = review_app.from_settings(store, s, launcher, {"tm_dir": tmp_path / "tm"},
                                   chunk_bytes=64 * 1024)
    try:
        with live_server(app) as url:
            yield Served(url, s, store, tmp_path / "src" / "tiny")
    finally:
        launcher.stop_children()
        store.engine.dispose()


@pytest.fixture
def browser() -> Iterator[Any]:
    SHOTS.mkdir(exist_ok=True)
    with chromium() as b:
        yield b


def _login(page: Any, url: str, user: str) -> None:
    page.goto(url + "/login")
    page.fill("input[name=username]", user)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit], form button")
    # Editors land on the portal, everyone else on the review home.
    page.wait_for_url(re.compile(re.escape(url) + r"/(portal)?$"))


def _shot(page: Any, name: str) -> None:
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def _fill_new_lesson(page: Any, s: Served, title: str) -> None:
    page.goto(s.url + "/portal/new")
    page.fill("input[name=title]", title)
    page.check("input[name=languages][value=en]")
    page.fill("textarea[name=script_text]",
              (s.lesson_src / "script.md").read_text(encoding="utf-8"))
    page.set_input_files("#recording", str(s.lesson_src / "recording.mp4"))


def _run(page: Any, timeout_s: float = 600) -> str:
    """Press the run button; the page polls status.json and reloads itself when the run
    ends. Returns the progress box's text."""
    with page.expect_navigation():  # (the one-time ?msg= then leaves the address)
        page.click("form[action$='/run'] button")
    page.wait_for_selector("#progress[data-active=no]", timeout=timeout_s * 1000)
    return str(page.inner_text("#progress"))


def _review_in_english(store: ReviewStore, lesson_id: str) -> None:
    """What the reviewer does on the review pages (their own tests cover those)."""
    for cue in store.cues(lesson_id, "en"):
        saved = store.save("mai", lesson_id, "en", cue.key, ENGLISH[cue.source], cue.version)
        assert saved.ok, saved
        done = store.save("mai", lesson_id, "en", cue.key, ENGLISH[cue.source],
                          saved.version, action="approve", reason="reviewed by ear")
        assert done.ok, done
    approve_units(store, "mai", lesson_id, "en")  # the title and chapter headings
    assert store.approve_language("mai", lesson_id, "en")


def test_whole_lesson_from_upload_to_published_files(served: Served, browser: Any) -> None:
    s = served
    page = browser.new_page(viewport={"width": 360, "height": 640})
    _login(page, s.url, "lan")
    page.click("a[href='/portal']")
    _fill_new_lesson(page, s, "Trả tiền bằng mã QR khi đi chợ")
    _shot(page, "01-new-lesson-360x640")
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r".*/portal/l/tra-tien-bang-ma-qr-khi-di-cho-[0-9a-f]{4}.*"))
    lesson_id = page.url.split("/portal/l/")[1].split("?")[0]
    assert page.is_visible("#check-ok") and page.locator("#sentences li").count() == 3
    _shot(page, "02-checked-before-run-360x640")

    page.click("form[action$='/run'] button")
    page.wait_for_selector("#steps")
    # (The page's CSP forbids eval: no wait_for_function here.)
    page.wait_for_selector("#step-audio:not([data-state=pending])", timeout=120_000)
    _shot(page, "03-run-in-progress-360x640")
    page.wait_for_selector("#progress[data-active=no]", timeout=600_000)
    text = page.inner_text("#progress")
    assert "en" in text and page.inner_text("#step-manifest") == "xong"
    assert page.is_visible("video")  # the Vietnamese final's preview
    wav = s.settings.lesson_out(lesson_id) / "work" / "audio-normalised.wav"
    audio_made = wav.stat().st_mtime_ns

    # Edit the script (a sentence the narrator never read) and run again.
    script = page.input_value("textarea[name=script_text]").rstrip("\n").split("\n")
    script.insert(3, ADDED)
    page.fill("textarea[name=script_text]", "\n".join(script) + "\n")
    page.click("form[action$='/script'] button")
    page.wait_for_selector("text=Đã lưu kịch bản.")
    assert ADDED in page.text_content("#sentences")
    _run(page)
    assert wav.stat().st_mtime_ns == audio_made  # the audio step did not run again
    report = page.inner_text("#deviations")
    assert ADDED in report and page.locator("#deviations audio").count() >= 1
    clip = page.request.get(s.url + str(page.get_attribute("#deviations audio", "src")))
    assert clip.ok and clip.body()[:4] == b"OggS"
    _shot(page, "04-deviation-report-360x640")

    # A reviewer approves English; the editor runs again (only the English final renders)
    # and publishes from the page.
    _review_in_english(s.store, lesson_id)
    page.reload()
    _run(page)
    assert page.locator("video[src$='/en-compat.mp4']").count() == 1
    page.check("form[action$='/publish'] input[value=en]")
    page.click("form[action$='/publish'] button[value=publish]")
    page.wait_for_selector("text=Đã bắt đầu phát hành.")
    published = s.settings.out_dir / "published"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not list(published.rglob("en-compat.mp4")):
        time.sleep(0.5)
    files = sorted(p.relative_to(published).as_posix() for p in published.rglob("*")
                   if p.is_file())
    assert any(f.endswith("en-compat.mp4") for f in files), files
    assert any(f.endswith("vi-compat.mp4") for f in files), files
    # The page reloads itself when the publish run ends: wait for that, then reload.
    page.wait_for_selector("#progress[data-active=no]", timeout=120_000)
    page.wait_for_load_state("load")
    page.reload()
    _shot(page, "05-published-360x640")
    page.click("form[action$='/publish'] button[value=bundle]")
    bundle = s.settings.out_dir / "bundles" / f"{lesson_id}.zip"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not bundle.is_file():
        time.sleep(0.5)
    assert bundle.is_file() and bundle.stat().st_size > 10_000
    (SHOTS / "published-files.json").write_text(json.dumps(files, indent=1), encoding="utf-8")

    wide = browser.new_page(viewport={"width": 1280, "height": 800})
    _login(wide, s.url, "lan")
    wide.goto(s.url + "/portal")
    assert lesson_id in wide.content()
    _shot(wide, "06-my-lessons-1280x800")
    wide.goto(f"{s.url}/portal/l/{lesson_id}")
    _shot(wide, "07-lesson-1280x800")
    wide.goto(f"{s.url}/portal/l/{lesson_id}?ui=en")
    assert "Deviation report" in wide.content()
    _shot(wide, "08-lesson-english-1280x800")


@pytest.mark.parametrize("viewport", [(360, 640), (1280, 800)])
def test_upload_interrupted_and_resumed(served: Served, browser: Any,
                                        viewport: tuple[int, int]) -> None:
    s = served
    size = f"{viewport[0]}x{viewport[1]}"
    context = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]})
    page = context.new_page()
    _login(page, s.url, "lan")
    patches: list[str] = []
    page.on("request", lambda r: patches.append(r.headers.get("upload-offset", ""))
            if r.method == "PATCH" else None)

    def drop_after_first(route: Any) -> None:  # the uplink goes away after one chunk
        if route.request.method == "PATCH" and len(patches) > 1:
            route.abort("internetdisconnected")
        else:
            route.continue_()

    page.route("**/portal/uploads/*", drop_after_first)
    _fill_new_lesson(page, s, "Bài học tải lên bị ngắt")
    page.click("button[type=submit]")
    page.wait_for_selector("#upload-status.err", timeout=20_000)  # "trying to continue"
    assert "thử gửi tiếp" in page.inner_text("#upload-status")
    _shot(page, f"09-upload-interrupted-{size}")
    uploads = s.settings.lessons_dir / ".uploads"
    parts = list(uploads.glob("*.part"))
    assert len(parts) == 1 and parts[0].stat().st_size == 64 * 1024
    assert not list(s.settings.lessons_dir.glob("bai-hoc-tai-len-bi-ngat-*"))

    # The editor gives up on this page (closed, phone in a pocket), comes back later and
    # chooses the same file again: the upload continues from the server's offset.
    page.goto(s.url + "/portal")
    had = parts[0].stat().st_size
    page.unroute("**/portal/uploads/*")
    patches.clear()
    _fill_new_lesson(page, s, "Bài học tải lên bị ngắt")
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r".*/portal/l/bai-hoc-tai-len-bi-ngat-[0-9a-f]{4}.*"),
                      timeout=60_000)
    assert patches[0] == str(had) and had > 0  # resumed, not started again
    lesson_id = page.url.split("/portal/l/")[1].split("?")[0]
    got = (s.settings.lessons_dir / lesson_id / "recording.mp4").read_bytes()
    assert got == (s.lesson_src / "recording.mp4").read_bytes()
    assert page.is_visible("#check-ok") and not list(uploads.glob("*.part"))
    _shot(page, f"10-upload-resumed-checked-{size}")
    context.close()
