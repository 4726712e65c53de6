"""Issue 31 items 9 and 14 on the review pages: the title and chapter headings are the
first rows of a lesson (before cue 1) and open the cue page, which for a unit has no sound
or picture but says where the text appears; the interface words are a lesson of their own
in the lists, under a plain name. SQLite only (the store tests cover PostgreSQL)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from pipeline.core.i18n import t
from pipeline.core.languages import Registry
from pipeline.review.interface import sync_interface
from pipeline.review.store import ReviewStore
from pipeline.review.units import chapter_key
from tests import test_review_dbs as dbs
from tests.conftest import ReviewApp
from tests.test_review import PASSWORD, csrf_of, login
from tests.test_review_units import CUES, LESSON, UI_ID, _gate

fast_passwords = dbs.fast_passwords


@pytest.fixture
def store(tmp_path: Path, registry: Registry) -> Iterator[ReviewStore]:
    s = ReviewStore(f"sqlite:///{tmp_path / 'review.sqlite3'}")
    _gate(s, registry, tmp_path / "out")
    sync_interface(s, {"watch": "Xem", "listen": "Chỉ nghe (MP3, {mb} MB)"}, ["hmn"], UI_ID)
    s.add_user("mai", PASSWORD, {"hmn": "reviewer"})
    s.add_user("lan", PASSWORD, {"blt": "translator"})
    yield s
    s.engine.dispose()


@pytest.fixture
def client(store: ReviewStore, review_app: ReviewApp, tmp_path: Path) -> Iterator[TestClient]:
    # An ingested lesson with a recording: cues get a clip and a still, units must not.
    lesson_out = tmp_path / "out" / LESSON
    lesson_out.mkdir(parents=True, exist_ok=True)
    (lesson_out / "recording.mp4").write_bytes(b"x")
    (lesson_out / "ingest.json").write_text(json.dumps({
        "media": {"path": str(lesson_out / "recording.mp4"),
                  "video": {"width": 640, "height": 360}},
        "lesson": {"profiles": ["compat"]}}), encoding="utf-8")
    with review_app.client(review_app.app(store)) as c:
        yield c


def test_lesson_page_shows_title_and_chapters_before_cue_1(client: TestClient) -> None:
    login(client, "mai")
    page = client.get(f"/l/{LESSON}/hmn").text
    title_row = page.index(t("units.label_title", "vi"))
    chapter_row = page.index(f"/c/{chapter_key('Quét mã')}")
    first_cue = page.index(f'href="/l/{LESSON}/hmn/c/{CUES[0].id}')
    assert title_row < chapter_row < first_cue
    assert f'href="/l/{LESSON}/hmn/c/title?f="' in page
    assert page.count(t("units.label_chapter", "vi")) == 2  # one row per distinct heading
    # The approval counts the units: 0 of 6 (title, two headings, three cues).
    assert "0/6" in page


def test_unit_page_has_no_media_and_says_where_the_text_appears(client: TestClient) -> None:
    login(client, "mai")
    page = client.get(f"/l/{LESSON}/hmn/c/title")
    assert page.status_code == 200
    assert t("units.where_title", "vi") in page.text
    assert "<audio" not in page.text and "still.webp" not in page.text
    assert "Trả tiền bằng mã QR" in page.text
    chapter = client.get(f"/l/{LESSON}/hmn/c/{chapter_key('Mở ứng dụng')}").text
    assert t("units.where_chapter", "vi") in chapter
    cue = client.get(f"/l/{LESSON}/hmn/c/{CUES[0].id}").text
    assert "<audio" in cue and "still.webp" in cue and t("units.where_title", "vi") not in cue
    for kind in ("clip.opus", "still.webp"):
        assert client.get(f"/l/{LESSON}/hmn/c/title/{kind}").status_code == 404


def test_unit_saved_and_approved_through_the_cue_form(client: TestClient,
                                                      store: ReviewStore) -> None:
    login(client, "mai")
    token = csrf_of(client, f"/l/{LESSON}/hmn/c/title")
    title = store.units(LESSON, "hmn", ("title",))[0]
    r = client.post(f"/l/{LESSON}/hmn/c/title",
                    data={"csrf": token, "version": title.version, "action": "approve_next",
                          "text": "Them nyiaj QR", "view": "cue"}, follow_redirects=False)
    assert r.status_code == 303
    # The next unit is the first chapter heading, then the cues.
    assert r.headers["location"].startswith(f"/l/{LESSON}/hmn/c/{chapter_key('Mở ứng dụng')}")
    done = store.units(LESSON, "hmn", ("title",))[0]
    assert (done.text, done.state) == ("Them nyiaj QR", "approved")


def test_interface_lesson_listed_with_a_plain_name(client: TestClient) -> None:
    login(client, "mai")
    home = client.get("/").text
    assert t("units.interface_title", "vi") in home and f"/l/{UI_ID}/hmn" in home
    page = client.get(f"/l/{UI_ID}/hmn").text
    assert t("units.label_ui", "vi") in page
    assert t("voice.open_record", "vi") not in page  # nothing to record here
    unit = client.get(f"/l/{UI_ID}/hmn/c/ui.listen").text
    assert t("units.where_ui", "vi") in unit and t("units.fields_note", "vi") in unit
    client.cookies.clear()
    login(client, "lan")  # a translator of another language does not see it
    assert f"/l/{UI_ID}/" not in client.get("/").text


def test_rejected_unit_and_its_history_named_by_label(client: TestClient,
                                                      store: ReviewStore) -> None:
    title = store.units(LESSON, "hmn", ("title",))[0]
    assert store.save("mai", LESSON, "hmn", "title", "Them nyiaj QR", title.version).ok
    again = store.units(LESSON, "hmn", ("title",))[0]
    assert store.save("mai", LESSON, "hmn", "title", again.text, again.version, "reject",
                      "tsis yog").ok
    login(client, "mai")
    home = client.get("/").text
    assert f'href="/l/{LESSON}/hmn/c/title"' in home and "#10000001" not in home
    history = client.get(f"/l/{LESSON}/hmn/c/title/history").text
    assert t("units.label_title", "vi") in history and "#10000001" not in history
