"""What issue 31's second walkthrough found on the portal's lesson page: every step of the
plan has a name in the editor's language (the voice step read "dub"), and at 360×640 the
step names are not broken word by word beside the long "no translation model" note; a
deleted lesson is said deleted on "my lessons"."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from pipeline.core.config import Settings
from pipeline.core.i18n import t
from pipeline.core.runs import RunInfo, RunKind
from pipeline.portal.lessons import write_lesson_toml
from pipeline.portal.store import PortalStore
from pipeline.portal.strings import PORTAL
from pipeline.review.store import ReviewStore
from pipeline.steps import PLAN
from tests import test_portal_web as web
from tests.conftest import ReviewApp
from tests.test_portal_browser import PASSWORD, SHOTS, _login
from tests.test_portal_browser import browser as browser
from tests.test_portal_loose import _sync
from tests.test_portal_web import _rec, hand_in, upload_all
from tests.test_review_dbs import fast_passwords as fast_passwords
from tests.test_review_workbench import login
from tests.web_world import live_server

# The portal app of test_portal_web (editors lan/laocai and binh/hagiang, reviewer mai/hmn).
client, launcher, portal_settings, store = web.client, web.launcher, web.portal_settings, \
    web.store

LESSON = "tra-tien-qr-ef56"


def test_every_step_of_the_plan_has_a_name_on_the_portal() -> None:
    for step in PLAN:
        assert f"stepname_{step.name}" in PORTAL, step.name


def test_a_deleted_lesson_is_said_deleted_on_my_lessons(client: TestClient,
                                                       short_lesson: Path) -> None:
    csrf = login(client, "lan")
    upload_id = upload_all(client, csrf, _rec(short_lesson).read_bytes(), name="r.mp4")
    lesson_id = hand_in(client, csrf, short_lesson, upload_id=upload_id)
    assert t("portal.lesson_deleted", "vi") not in client.get("/portal").text
    r = client.post(f"/portal/l/{lesson_id}/delete", data={"csrf": csrf, "confirm": "yes"})
    assert r.status_code == 200 and str(r.url).endswith("/portal?msg=portal.lesson_deleted")
    assert t("portal.lesson_deleted", "vi") in r.text and lesson_id not in r.text
    # Only the portal's own messages are said (no text from the address).
    assert "<p class=\"msg\"" not in client.get("/portal?msg=review.x").text


def test_no_translation_model_is_not_said_of_an_approved_language(
        client: TestClient, short_lesson: Path, store: ReviewStore) -> None:
    csrf = login(client, "lan")
    upload_id = upload_all(client, csrf, _rec(short_lesson).read_bytes(), name="r.mp4")
    lesson_id = hand_in(client, csrf, short_lesson, upload_id=upload_id,
                        languages=["hmn", "blt"])
    assert client.get(f"/portal/l/{lesson_id}").text.count(t("portal.lang_no_mt")) == 2
    _sync(store, lesson_id)  # hmn translated by hand and approved
    assert client.get(f"/portal/l/{lesson_id}").text.count(t("portal.lang_no_mt")) == 1


class FinishedLauncher:
    """One finished production run, every step of the plan done."""

    mode = "embedded"

    def start(self, kind: RunKind, lesson_id: str, *, language: str | None = None,
              params: dict[str, object] | None = None) -> RunInfo:
        return self.runs(lesson_id)[0]

    def runs(self, lesson_id: str) -> list[RunInfo]:
        return [RunInfo("1", "produce", lesson_id, "done",
                        steps={s.name: "waiting" if s.name == "review" else "done"
                               for s in PLAN},
                        message="chờ duyệt: hmn", messages={"vi": "chờ duyệt: hmn",
                                                            "en": "awaiting review: hmn"})]


@pytest.fixture
def served(settings: Settings, review_app: ReviewApp, tmp_path: Path) -> Iterator[str]:

    s = dataclasses.replace(settings, lessons_dir=tmp_path / "lessons")
    s.out_dir.mkdir(parents=True)
    store = ReviewStore(s.review_url)
    portal = PortalStore.on(store)
    portal.editors.add_user("lan", PASSWORD, {}, teams=("laocai",))
    (s.lessons_dir / LESSON).mkdir(parents=True)
    write_lesson_toml(s.lessons_dir / LESSON, LESSON, "Trả tiền bằng mã QR", ["hmn", "blt"],
                      ["compat"])
    portal.lessons.add(LESSON, "laocai", "Trả tiền bằng mã QR", "lan")
    app = review_app.from_settings(store, s, FinishedLauncher())
    try:
        with live_server(app) as url:
            yield url
    finally:
        store.engine.dispose()


@pytest.mark.slow
@pytest.mark.skipif(not Path("/usr/bin/chromium").is_file(), reason="Debian chromium missing")
def test_step_names_keep_their_words_whole_at_360(served: str, browser: Any) -> None:
    context = browser.new_context(viewport={"width": 360, "height": 640})
    page = context.new_page()
    _login(page, served, "lan")
    page.goto(f"{served}/portal/l/{LESSON}")
    page.wait_for_selector("#no-mt")  # the long note that squeezed the names' column
    names = page.locator("#steps td:first-child")
    assert names.count() == len(PLAN)
    assert "dub" not in [names.nth(k).inner_text() for k in range(names.count())]
    # "Căn chỉnh với kịch bản" on at most two lines, never one word a line.
    lines = page.evaluate("""() => [...document.querySelectorAll('#steps td:first-child')]
        .map(td => { const r = document.createRange(); r.selectNodeContents(td);
                     return [td.innerText, new Set([...r.getClientRects()]
                             .map(b => Math.round(b.top))).size]; })""")
    assert all(n <= 2 for _, n in lines), lines
    page.locator("#steps").screenshot(path=str(SHOTS / "steps-360.png"))
    context.close()
