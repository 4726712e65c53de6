"""Left from stop 29, item 2: the portal and the review pages offer a final only while the
manifest would list it (``pipeline.publish.finals.standing_finals``).

On main the portal said "approved, final ready" and offered to publish a language whose
final was made under an earlier approval: the reviewer edited a cue and approved the
language again, nothing rendered it since, and the final on disk still burned the old text.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from dataclasses import replace
from html import unescape
from pathlib import Path
from typing import Literal

import pytest
from fastapi.testclient import TestClient

from pipeline.core.config import Settings
from pipeline.core.i18n import t
from pipeline.core.runs import RunInfo
from pipeline.portal.store import PortalStore
from pipeline.review.store import ReviewStore
from pipeline.steps import ProduceOptions, produce
from tests.conftest import ReviewApp
from tests.test_left30_manifest import _approve
from tests.test_portal_web import PASSWORD, RecordingLauncher
from tests.test_review_dbs import fast_passwords as fast_passwords
from tests.test_review_workbench import login

LESSON = "short-qr"  # the id test_left30_manifest's _approve reviews


class DoneRenders(RecordingLauncher):
    """A launcher whose render run of the lesson is done (the review page then links the
    language's final) or, once told so, failed."""

    state: Literal["done", "failed"] = "done"

    def runs(self, lesson_id: str) -> list[RunInfo]:
        return [RunInfo("1", "render", lesson_id, self.state, language="en")]


LAUNCHER = DoneRenders()


def _next_state(page: str) -> str:
    said = re.search(r'id="next-state">([^<]*)<', page)
    assert said, page
    return unescape(said.group(1))


@pytest.fixture
def world(short_lesson: Path, settings: Settings, tmp_path: Path) -> tuple[Settings, Path]:
    s = replace(settings, lessons_dir=tmp_path / "lessons", draft_previews=False,
                quality_gates=False)
    folder = s.lessons_dir / LESSON
    shutil.copytree(short_lesson, folder)
    toml = folder / "lesson.toml"  # English stands in for a reviewed language (no MT here)
    toml.write_text(toml.read_text(encoding="utf-8").replace('["hmn", "blt"]', '["en"]'),
                    encoding="utf-8")
    store = ReviewStore(s.review_url)
    portal = PortalStore.on(store)
    portal.editors.add_user("lan", PASSWORD, {}, teams=("laocai",))
    portal.lessons.add(LESSON, "laocai", "Trả tiền", "lan")
    store.add_user("mai", PASSWORD, {"en": "reviewer"})
    store.engine.dispose()
    produce(folder, ProduceOptions(s))
    _approve(s, "en", "FIRST")
    produce(folder, ProduceOptions(s))
    return s, folder


@pytest.fixture
def client(world: tuple[Settings, Path], review_app: ReviewApp) -> Iterator[TestClient]:
    s = world[0]
    store = ReviewStore(s.review_url)
    LAUNCHER.state = "done"
    app = review_app.from_settings(store, s, LAUNCHER, {"tm_dir": s.tm_path.parent})
    with review_app.client(app) as c:
        yield c
    store.engine.dispose()


def _english(page: str) -> str:
    row = re.search(r"<td>[^<]*English[^<]*</td><td>([^<]*)", page)
    assert row, page
    return row.group(1).strip(" ·")


def test_a_language_approved_again_but_not_rendered_is_not_offered_as_final(
        client: TestClient, world: tuple[Settings, Path]) -> None:
    s, folder = world
    csrf = login(client, "lan")
    page = client.get(f"/portal/l/{LESSON}?ui=en").text
    assert _english(page) == t("portal.lang_final", "en")
    assert "/media/en-compat.mp4" in page and 'value="en"' in page  # offered to publish
    # ... and to download (a phone's player may hide its own download button).
    assert re.search(rf'href="/portal/l/{LESSON}/media/en-compat.mp4" download>', page)
    media = f"/portal/l/{LESSON}/media/en-compat.mp4"
    assert client.get(media).status_code == 200

    # The reviewer edits and approves English again; nothing renders it.
    _approve(s, "en", "SECOND")
    page = client.get(f"/portal/l/{LESSON}?ui=en").text
    assert _english(page) == t("portal.lang_approved", "en"), "a stale final shown as ready"
    assert "/media/en-compat.mp4" not in page, "the stale final offered to watch"
    assert client.get(media).status_code == 404, "the stale final served by its address"
    r = client.post(f"/portal/l/{LESSON}/publish", data={"csrf": csrf, "languages": ["en"]})
    assert r.status_code == 422, "the stale final offered to publish"
    status = client.get(f"/portal/l/{LESSON}/status.json").json()
    assert "en:approved" in status["sig"]

    # The review page links no final either, until a run renders English again.
    login(client, "mai")
    page = client.get(f"/l/{LESSON}/en?ui=en").text
    assert f"/media/{LESSON}/en-compat.mp4" not in page
    assert _next_state(page) == t("review.next_server", "en")
    produce(folder, ProduceOptions(s))
    page = client.get(f"/l/{LESSON}/en?ui=en").text
    assert f"/media/{LESSON}/en-compat.mp4" in page
    # Said once the render is done: not "being made" beside "Video render: done".
    assert _next_state(page) == t("review.next_ready", "en")
    LAUNCHER.state = "failed"
    page = client.get(f"/l/{LESSON}/en?ui=en").text
    assert _next_state(page) == t("review.next_failed", "en")
    login(client, "lan")
    page = client.get(f"/portal/l/{LESSON}?ui=en").text
    assert _english(page) == t("portal.lang_final", "en")


def test_a_run_of_other_languages_moves_a_stale_final_out_of_the_delivery_folders(
        short_lesson: Path, settings: Settings, tmp_path: Path) -> None:
    """Item 3: on main the stale final stayed in ``video/``, unlisted, for anyone opening
    the folder to share; now it waits in ``outdated/`` until a run renders it again."""
    s = replace(settings, draft_previews=False, quality_gates=False)
    folder = tmp_path / LESSON
    shutil.copytree(short_lesson, folder)
    toml = folder / "lesson.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace('["hmn", "blt"]', '["en", "blt"]'),
                    encoding="utf-8")
    out = s.out_dir / LESSON
    produce(folder, ProduceOptions(s))
    _approve(s, "en", "FIRST")
    produce(folder, ProduceOptions(s))
    final, srt = out / "video" / "en-compat.mp4", out / "subtitles" / "en.srt"
    old = final.read_bytes()
    produce(folder, ProduceOptions(s, languages=("blt",)))
    assert final.is_file() and not (out / "outdated").exists()  # valid: stays, listed

    _approve(s, "en", "SECOND")  # approved again, not rendered since: the final is stale
    said: list[str] = []
    produce(folder, ProduceOptions(s, languages=("blt",)),
            report=lambda _step, _skipped, line: said.append(line))
    assert not final.exists(), "a stale final left in the delivery folder"
    assert any("outdated/" in line and "en-compat.mp4" in line for line in said), said
    assert (out / "outdated" / "video" / "en-compat.mp4").read_bytes() == old
    assert "FIRST" in srt.read_text(encoding="utf-8")  # the run of blt touches no en work
    store = ReviewStore(s.review_url)
    assert store.is_approved(LESSON, "en")  # the approval stands
    store.engine.dispose()

    # A whole run renders English again; its outdated copy goes.
    produce(folder, ProduceOptions(s))
    assert final.is_file() and final.read_bytes() != old
    assert not (out / "outdated" / "video" / "en-compat.mp4").exists()
