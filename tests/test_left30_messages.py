"""Left from stop 28, item 1: editors never read a shell command or a traceback.

In server mode a run's message was Prefect's state message ("Flow run encountered an
exception: ModelMissingError: … run 'caunoi models download …'"); the review pages told
managers to run ``caunoi users grant …``. Editors now read a catalogue sentence in their
language saying who can fix it; administrators read the detail, and the log keeps it.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from uuid import uuid4

import pytest
from fastapi.testclient import TestClient

from flows.launcher_prefect import run_info
from pipeline.core.config import Settings
from pipeline.core.errors import ModelMissingError
from pipeline.core.i18n import UI_LANGUAGES, t
from pipeline.core.runs import RunInfo, RunKind
from pipeline.portal.run_messages import failure_messages, message_for
from pipeline.portal.store import PortalStore
from pipeline.publish.errors import (
    ManifestInvalidError,
    MissingFinalError,
    SourceChangedError,
)
from pipeline.review.store import ReviewStore
from tests import test_portal_web as web
from tests.conftest import ReviewApp
from tests.test_portal_web import PASSWORD, _rec, hand_in, upload_all
from tests.test_review_dbs import fast_passwords as fast_passwords
from tests.test_review_workbench import login

portal_settings = web.portal_settings

MODEL_MISSING = ("Flow run encountered an exception: ModelMissingError: Model base is not at "
                 "/srv/caunoi/models/faster-whisper/base: run 'caunoi models download --asr "
                 "base' on a machine with internet access and copy the models/ folder here.")
TRACEBACK = ("Flow run encountered an exception: KeyError: 'hmn'\nTraceback (most recent call "
             "last):\n  File \"/srv/caunoi/flows/server.py\", line 9, in produce\nKeyError: 'hmn'")
#: What editors must never read of a run.
NEVER = ("caunoi ", "Traceback", "Error:", "exception", "/srv/", "Flow run")


def _flow_run(state_type: str, message: str = "", name: str = "") -> SimpleNamespace:
    return SimpleNamespace(id=str(uuid4()), tags=["caunoi-lesson:qr", "caunoi-kind:produce"],
                           state=SimpleNamespace(type=state_type, message=message,
                                                 name=name or state_type.title()),
                           start_time=None, end_time=None)


@pytest.mark.parametrize(("state_type", "message", "key"), [
    ("FAILED", MODEL_MISSING, "portal.run_failed_model"),
    ("FAILED", TRACEBACK, "portal.run_failed"),
    ("FAILED", "DiskFullError: No space left on device: '/srv/out/x.mp4'",
     "portal.run_failed_machine"),
    ("CRASHED", "Flow run infrastructure exited with non-zero status code 137.",
     "portal.run_failed_machine"),
    ("PAUSED", "Suspended: run 'caunoi review serve'", "portal.run_waiting"),
    ("COMPLETED", "All states completed.", "portal.run_done"),
    ("CANCELLED", "Cancelled by user 'caunoi' from the UI", "portal.run_cancelled"),
    ("RUNNING", "", "portal.run_running"),
    ("SCHEDULED", "", "portal.run_queued")])
def test_a_server_run_says_a_catalogue_sentence_in_each_ui_language(
        state_type: str, message: str, key: str, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, "caunoi.launcher")
    info = run_info(_flow_run(state_type, message))
    for lang in UI_LANGUAGES:
        said = message_for(info, lang, admin=False)
        assert not any(word in said for word in NEVER), said
        assert said == t(key, lang)
    assert info.messages["vi"] != info.messages["en"]
    if info.state == "failed":
        # Administrators read the state message's first line; the log has all of it.
        first = message.splitlines()[0]
        assert message_for(info, "en", admin=True) == first
        assert message in caplog.text
    else:
        assert message_for(info, "vi", admin=True) == t(key, "vi")


def test_a_run_awaiting_review_says_so() -> None:
    info = run_info(_flow_run("COMPLETED", "awaiting review: hmn", name="Awaiting review"))
    assert info.messages["vi"] == t("portal.run_waiting", "vi")


@pytest.mark.parametrize("error", [
    ManifestInvalidError(path="/srv/out/qr/manifest.json", detail="files: missing"),
    SourceChangedError(path="/srv/out/qr/video/hmn-compat.mp4", detail="missing"),
    ModelMissingError(name="faster-whisper base", path="/srv/models", hint="--asr base"),
    MissingFinalError(profile="compat", missing="hmn")])
def test_an_embedded_failure_whose_sentence_names_a_command_tells_editors_who_acts(
        error: Exception) -> None:
    assert isinstance(error, (ManifestInvalidError, SourceChangedError, ModelMissingError,
                              MissingFinalError))
    said = failure_messages(error)
    for lang in UI_LANGUAGES:
        assert "caunoi " in error.message(lang) or " --" in error.message(lang)  # before
        assert "caunoi " not in said[lang] and " --" not in said[lang] and said[lang]
        assert said["admin." + lang] == error.message(lang)


class ServerRuns:
    """Server mode as the pages see it: one Prefect flow run, mapped by ``run_info``."""

    mode = "server"

    def __init__(self) -> None:
        self.started: list[str] = []

    def start(self, kind: RunKind, lesson_id: str, *, language: str | None = None,
              params: dict[str, object] | None = None) -> RunInfo:
        self.started.append(lesson_id)
        return self.runs(lesson_id)[0]

    def runs(self, lesson_id: str) -> list[RunInfo]:
        if lesson_id not in self.started:
            return []
        fr = _flow_run("FAILED", MODEL_MISSING)
        fr.tags = [f"caunoi-lesson:{lesson_id}", "caunoi-kind:produce"]
        return [run_info(fr)]


def team_store(tmp_path: Path) -> ReviewStore:
    """A store with an editor (lan) and an administrator (boss) of team laocai."""
    store = ReviewStore(f"sqlite:///{tmp_path / 'review.sqlite3'}")
    editors = PortalStore.on(store).editors
    editors.add_user("lan", PASSWORD, {}, teams=("laocai",))
    editors.add_user("boss", PASSWORD, {}, admin=True, teams=("laocai",))
    return store


@pytest.fixture
def server_client(review_app: ReviewApp, portal_settings: Settings,
                  tmp_path: Path) -> Iterator[TestClient]:
    store = team_store(tmp_path)
    app = review_app.from_settings(store, portal_settings, ServerRuns(),
                                   {"tm_dir": tmp_path / "tm"})
    with review_app.client(app) as c:
        yield c
    store.engine.dispose()


def test_the_portal_in_server_mode_shows_editors_a_sentence_and_admins_the_detail(
        server_client: TestClient, short_lesson: Path) -> None:
    client = server_client
    csrf = login(client, "lan")
    upload_id = upload_all(client, csrf, _rec(short_lesson).read_bytes(), name="r.mp4")
    lesson_id = hand_in(client, csrf, short_lesson, upload_id=upload_id)
    r = client.post(f"/portal/l/{lesson_id}/run", data={"csrf": csrf},
                    follow_redirects=False)
    assert r.status_code == 303
    page = client.get(f"/portal/l/{lesson_id}").text
    message = re.search(r'id="run-message">([^<]*)<', page)
    assert message and "caunoi models" not in page and "ModelMissingError" not in page
    assert message.group(1) == t("portal.run_failed_model", "vi")
    status = client.get(f"/portal/l/{lesson_id}/status.json").text
    assert "caunoi models" not in status and "ModelMissingError" not in status
    client.cookies.clear()
    login(client, "boss")
    page = client.get(f"/portal/l/{lesson_id}").text
    assert "caunoi models download --asr base" in page  # administrators read the detail
    assert "/srv/caunoi" not in page  # still without the server's folders
