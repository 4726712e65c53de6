"""Left from stop 29, item 1: an input over a limit tells web readers who can raise it.

Editors and reviewers read "… over the limit of 1000. Please split that sentence. Only the
system administrator can raise this limit." with the file's name; the command line and
administrators keep "(or raise 'max_sentence_chars' in caunoi.toml)" (on main every web
reader read the setting and the file's path on the server).
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator
from html import unescape
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from pipeline.core.config import Settings
from pipeline.core.i18n import UI_LANGUAGES
from pipeline.core.limits import InputLimitError
from pipeline.portal.run_messages import failure_messages
from pipeline.portal.uploads import UploadTooLargeError
from tests import test_portal_web as web
from tests.conftest import ReviewApp
from tests.test_left30_messages import team_store
from tests.test_portal_web import PASSWORD, TUS, _rec, upload_all
from tests.test_review_dbs import fast_passwords as fast_passwords
from tests.test_review_workbench import login

portal_settings = web.portal_settings

#: What a web reader who cannot change the configuration must not read.
SETTING = re.compile(r"caunoi\.toml|max_[a-z_]+|/srv/|cài đặt|setting")
ADMIN_CAN = {"vi": "hỉ người quản trị hệ thống", "en": "nly the system administrator"}


def _line_error() -> InputLimitError:
    return InputLimitError(path="/srv/caunoi/lessons/qr/script.md",
                           what="the length of line 1 (characters)",
                           what_vi="độ dài dòng 1 (ký tự)", got=5000, limit=1000,
                           setting="max_sentence_chars", fix="split that sentence",
                           fix_vi="tách câu đó ra")


@pytest.mark.parametrize("lang", UI_LANGUAGES)
def test_the_plain_sentence_names_the_file_and_who_raises_the_limit(lang: str) -> None:
    error = _line_error()
    plain = error.plain(lang)
    assert not SETTING.search(plain), plain
    assert plain.startswith("script.md: ") and "5000" in plain and "1000" in plain
    assert ADMIN_CAN[lang] in plain
    # The command line and administrators keep the setting (and the path).
    assert "max_sentence_chars" in error.message(lang) and "caunoi.toml" in error.message(lang)
    assert error.message(lang).startswith("/srv/caunoi/lessons/qr/script.md")
    too_big = UploadTooLargeError(name="r.mp4", got="3.0 MB", limit="2.0 MB",
                                  setting="max_recording_mb")
    assert not SETTING.search(too_big.plain(lang)) and ADMIN_CAN[lang] in too_big.plain(lang)
    assert "max_recording_mb" in too_big.message(lang)


def test_a_run_stopped_by_a_limit_tells_editors_who_acts_and_admins_the_setting() -> None:
    from pipeline.portal.run_messages import said_to

    said = failure_messages(_line_error())
    for lang in UI_LANGUAGES:
        assert said[lang] == _line_error().plain(lang)
        assert said["admin." + lang] == _line_error().message(lang)
        assert said_to(_line_error(), lang, admin=False) == said[lang]
        assert said_to(_line_error(), lang, admin=True) == said["admin." + lang]


@pytest.fixture
def portal_client(review_app: ReviewApp, portal_settings: Settings,
                  tmp_path: Path) -> Iterator[TestClient]:
    store = team_store(tmp_path)
    store.add_user("mai", PASSWORD, {"hmn": "reviewer"})
    app = review_app.from_settings(store, portal_settings, web.RecordingLauncher(),
                                   {"tm_dir": tmp_path / "tm"})
    with review_app.client(app) as c:
        yield c
    store.engine.dispose()


def _hand_in_long_line(client: TestClient, user: str, short_lesson: Path) -> str:
    csrf = login(client, user)
    upload_id = upload_all(client, csrf, _rec(short_lesson).read_bytes(), name="r.mp4")
    r = client.post("/portal/new?ui=en", data={
        "csrf": csrf, "title": "Trả tiền bằng mã QR", "team": "laocai", "languages": ["hmn"],
        "profiles": ["compat"], "upload_id": upload_id,
        "script_text": "# Mở ứng dụng\n" + "Bấm vào nút quét mã rồi chờ. " * 60 + "\n"})
    assert r.status_code == 422, r.text
    error = re.search(r'class="err"[^>]*>([^<]*)<', r.text)
    assert error, r.text
    return unescape(error.group(1))


def test_an_editor_handing_in_a_long_line_reads_who_raises_the_limit(
        portal_client: TestClient, short_lesson: Path) -> None:
    said = _hand_in_long_line(portal_client, "lan", short_lesson)
    assert not SETTING.search(said), said
    assert ADMIN_CAN["en"] in said and said.startswith("script.md: ")


def test_an_administrator_handing_in_a_long_line_reads_the_setting(
        portal_client: TestClient, short_lesson: Path) -> None:
    said = _hand_in_long_line(portal_client, "boss", short_lesson)
    assert "max_sentence_chars" in said and "caunoi.toml" in said


@pytest.mark.parametrize(("user", "names_setting"), [("lan", False), ("boss", True)])
def test_an_upload_over_the_limit_names_the_setting_to_administrators_only(
        portal_client: TestClient, user: str, names_setting: bool) -> None:
    csrf = login(portal_client, user)
    r = portal_client.post("/portal/uploads?ui=en", headers=TUS | {
        "X-CSRF-Token": csrf, "Upload-Length": str(3 << 20),
        "Upload-Metadata": "filename " + base64.b64encode(b"big.mp4").decode()})
    assert r.status_code == 413
    assert ("max_recording_mb" in r.text) is names_setting, r.text
    if not names_setting:
        assert ADMIN_CAN["en"] in r.text


def _limit_route(app: FastAPI) -> None:
    def refuse() -> None:
        raise _line_error()

    app.add_api_route("/test-limit", refuse)


@pytest.mark.parametrize(("user", "names_setting"), [("mai", False), ("boss", True)])
def test_a_review_page_refusing_an_input_names_the_setting_to_administrators_only(
        portal_client: TestClient, user: str, names_setting: bool) -> None:
    app = portal_client.app
    assert isinstance(app, FastAPI)
    _limit_route(app)
    login(portal_client, user)
    r = portal_client.get("/test-limit?ui=en")
    assert r.status_code == 400
    page = unescape(r.text)
    assert ("max_sentence_chars" in page) is names_setting
    assert ("/srv/caunoi" in page) is names_setting
    assert _line_error().plain("en") in page
