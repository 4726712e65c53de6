"""What issue 31's walkthrough noticed and left alone, each fixed:

1. an approved final disappeared without a re-render once a Whisper model was installed
   (``auto`` chose another aligner, so the unchanged lesson was aligned again; and a run of
   one language removed the other languages' finals and left them out of the manifest);
2. editors were shown the administrator's shell command for a missing model;
3. the portal counted cues ("0/19 câu") where the review pages count the title, the
   chapter headings and the cues (22);
4. the script preview put a chapter heading inside sentence 1's numbered item;
5. the bundle page's header showed every approved tagline whichever language was chosen.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from pipeline.core.config import Settings
from pipeline.core.i18n import t
from pipeline.core.languages import Registry
from pipeline.core.runs import RunInfo, RunKind
from pipeline.core.types import Cue
from pipeline.portal.lessons import CheckResult
from pipeline.portal.store import PortalStore
from pipeline.publish.page import render_page
from pipeline.review.store import ReviewStore
from pipeline.steps import ProduceOptions, ProduceResult, produce
from pipeline.translate.drafts import TranslatedCue
from tests import test_portal_web as web
from tests.chromium import chromium
from tests.conftest import ReviewApp
from tests.review_units import approve_units
from tests.test_bundle_words import HMN_ALL, ITEMS, _bundle_folder
from tests.test_portal_web import PASSWORD, _rec, hand_in, upload_all
from tests.test_review_dbs import fast_passwords as fast_passwords
from tests.test_review_workbench import login

# The portal app of test_portal_web (editor lan/laocai; admin boss here).
client, launcher, portal_settings = web.client, web.launcher, web.portal_settings



# --- 1. an approved final stays when only the installed models changed --------------------

def _approve(settings: Settings, lang: str) -> None:
    store = ReviewStore(settings.review_url)
    store.add_user("rev", "password-123", {lang: "reviewer"})
    for cue in store.cues("short-qr", lang):  # no MT model here: a reviewer types the text
        saved = store.save("rev", "short-qr", lang, cue.idx, f"REVIEWED {cue.idx}",
                           cue.version)
        store.save("rev", "short-qr", lang, cue.idx, saved.text, saved.version, "approve",
                   reason="test marker text")
    approve_units(store, "rev", "short-qr", lang)
    assert store.approve_language("rev", "short-qr", lang, settings.tm_path)
    store.engine.dispose()


def _listed(out: Path) -> set[str]:
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    return {f["path"] for f in manifest["files"]}


def test_installing_a_model_keeps_the_alignment_and_the_approved_final(
        short_lesson: Path, settings: Settings, tiny_models: Path, tmp_path: Path) -> None:
    lesson = tmp_path / "short-qr"
    shutil.copytree(short_lesson, lesson)
    toml = lesson / "lesson.toml"  # English stands in for a reviewed language (no MT here)
    toml.write_text(toml.read_text(encoding="utf-8").replace('["hmn", "blt"]', '["en", "blt"]'),
                    encoding="utf-8")
    # The server's settings name a Whisper model that is not installed yet.
    before = replace(settings, asr_backend="faster-whisper", asr_model="tiny-random",
                     asr_fallback=False)
    produce(lesson, ProduceOptions(before))
    _approve(before, "en")
    produce(lesson, ProduceOptions(before))
    out = before.out_dir / "short-qr"
    final = out / "video" / "en-compat.mp4"
    assert final.is_file() and "video/en-compat.mp4" in _listed(out)
    alignment = (out / "alignment.json").read_bytes()

    # The model is installed; the next run is one language's (the portal's render run).
    after = replace(before, model_dir=tiny_models)
    seen: dict[str, tuple[bool, str]] = {}
    produce(lesson, ProduceOptions(after, languages=("blt",)),
            lambda stage, skipped, detail: seen.__setitem__(stage, (skipped, detail)))
    assert seen["align"][0] is True, seen["align"]  # kept, not aligned again
    assert "ear" in seen["align"][1] and "--realign" in seen["align"][1]
    assert (out / "alignment.json").read_bytes() == alignment
    assert final.is_file(), "a run of Tai Dam alone removed the approved English final"

    # A run of the whole lesson lists the approved final, rendered nothing again.
    seen.clear()
    produce(lesson, ProduceOptions(after),
            lambda stage, skipped, detail: seen.__setitem__(stage, (skipped, detail)))
    assert seen["render-en-compat"][0] is True and "video/en-compat.mp4" in _listed(out)
    note = json.loads((out / ".state" / "align.meta.json").read_text(encoding="utf-8"))
    assert note == {"aligner": "dtw", "better": "ear"}

    # Re-aligning on purpose uses the better aligner; the approved final is still listed.
    seen.clear()
    produce(lesson, ProduceOptions(after, realign=True),
            lambda stage, skipped, detail: seen.__setitem__(stage, (skipped, detail)))
    assert seen["align"][0] is False and "(ear:" in seen["align"][1]
    assert "video/en-compat.mp4" in _listed(out) and final.is_file()
    note = json.loads((out / ".state" / "align.meta.json").read_text(encoding="utf-8"))
    assert note == {"aligner": "ear", "better": ""}


def test_realign_refuses_a_language_subset(tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    from flows.cli import main

    code = main(["--config", str(tmp_path / "none.toml"), "produce", str(tmp_path),
                 "--realign", "--languages", "blt", "--no-prefect"])
    assert code == 2 and "--languages" in capsys.readouterr().err


def test_a_render_run_covers_every_language_of_the_lesson(
        monkeypatch: pytest.MonkeyPatch, settings: Settings, tmp_path: Path) -> None:
    """A language approved starts a render run: it goes over every language of the lesson
    (unchanged work skipped), so an approved final made stale is rendered in the same run
    and no language drops out of the manifest."""
    import pipeline.steps
    from flows import launcher

    asked: list[ProduceOptions] = []

    def fake(lesson_dir: Path, opts: ProduceOptions, *_: object) -> ProduceResult:
        asked.append(opts)
        return ProduceResult("l", tmp_path, tmp_path / "manifest.json")

    monkeypatch.setattr(pipeline.steps, "produce", fake)
    path = tmp_path / "run.json"
    path.write_text(json.dumps({"kind": "render", "language": "blt", "params": {}}),
                    encoding="utf-8")
    launcher._produce(launcher._RunFile(path), settings, tmp_path)
    assert asked and asked[0].languages is None


def test_portal_says_a_better_aligner_can_run_and_admins_get_the_command(
        client: TestClient, short_lesson: Path, portal_settings: Settings) -> None:
    _, lesson_id = _lesson(client, short_lesson)
    assert 'id="better-aligner"' not in client.get(f"/portal/l/{lesson_id}").text
    note = portal_settings.lesson_out(lesson_id) / ".state" / "align.meta.json"
    note.parent.mkdir(parents=True, exist_ok=True)
    note.write_text(json.dumps({"aligner": "dtw", "better": "ear"}), encoding="utf-8")
    page = client.get(f"/portal/l/{lesson_id}").text
    said = re.search(r'id="better-aligner">(.*?)</p>', page, re.S)
    assert said and "ear" in said.group(1) and "caunoi" not in said.group(1)
    client.cookies.clear()
    login(client, "boss")
    assert "--realign" in client.get(f"/portal/l/{lesson_id}").text


# --- 2. editors read who can fix a missing model; administrators the command ---------------

class FailedLauncher:
    """A draft run that failed because the Whisper model is missing, as the real launcher
    records it (its run file written by ``flows.launcher._run`` in this process)."""

    mode = "embedded"

    def __init__(self, settings: Settings, lesson_dir: Path) -> None:
        self.settings, self.lesson_dir = settings, lesson_dir

    def start(self, kind: RunKind, lesson_id: str, *, language: str | None = None,
              params: dict[str, object] | None = None) -> RunInfo:
        return self.runs(lesson_id)[0]

    def runs(self, lesson_id: str) -> list[RunInfo]:
        from flows import launcher as fl

        s = replace(self.settings, asr_backend="faster-whisper", asr_model="base")
        path = s.out_dir / "failed-run.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({
            "run_id": "1", "kind": "draft", "lesson_id": lesson_id, "language": None,
            "state": "queued", "steps": {}, "params": {"lesson_dir": str(self.lesson_dir)},
            "out_dir": str(s.out_dir), "lessons_dir": str(self.lesson_dir.parent),
            "settings": fl._settings_json(s)}), encoding="utf-8")
        fl._run(fl._RunFile(path))
        data = json.loads(path.read_text(encoding="utf-8"))
        assert data["state"] == "failed" and "models download" in data["message"]
        return [replace(fl._info(data), kind="produce")]


@pytest.fixture
def failed_client(store: ReviewStore, review_app: ReviewApp, portal_settings: Settings,
                  short_lesson: Path, tmp_path: Path) -> Iterator[TestClient]:
    app = review_app.from_settings(store, portal_settings,
                                   FailedLauncher(portal_settings, short_lesson),
                                   {"tm_dir": tmp_path / "tm"})
    with review_app.client(app) as c:
        yield c


@pytest.fixture
def store(tmp_path: Path) -> ReviewStore:
    s = ReviewStore(f"sqlite:///{tmp_path / 'review.sqlite3'}")
    editors = PortalStore.on(s).editors
    editors.add_user("lan", PASSWORD, {}, teams=("laocai",))
    editors.add_user("boss", PASSWORD, {}, admin=True, teams=("laocai",))
    s.add_user("mai", PASSWORD, {"hmn": "reviewer"})
    return s


def _lesson(client: TestClient, short_lesson: Path, user: str = "lan") -> tuple[str, str]:
    csrf = login(client, user)
    upload_id = upload_all(client, csrf, _rec(short_lesson).read_bytes(), name="r.mp4")
    return csrf, hand_in(client, csrf, short_lesson, upload_id=upload_id)


def test_editors_read_who_fixes_a_missing_model_and_admins_the_command(
        failed_client: TestClient, short_lesson: Path) -> None:
    client = failed_client
    _, lesson_id = _lesson(client, short_lesson)
    page = client.get(f"/portal/l/{lesson_id}").text
    message = re.search(r'id="run-message">([^<]*)<', page)
    assert message and "caunoi" not in message.group(1) and "models download" not in page
    assert "quản trị" in message.group(1) and "faster-whisper" in message.group(1)
    assert "caunoi" not in client.get(f"/portal/l/{lesson_id}/status.json").text
    client.cookies.clear()
    login(client, "boss")
    page = client.get(f"/portal/l/{lesson_id}").text
    assert "caunoi models download --asr base" in page


def test_no_reviewer_names_who_and_the_command_only_for_admins(
        client: TestClient, short_lesson: Path) -> None:
    csrf = login(client, "lan")
    upload_id = upload_all(client, csrf, _rec(short_lesson).read_bytes(), name="r.mp4")
    lesson_id = hand_in(client, csrf, short_lesson, upload_id=upload_id, languages=["blt"])
    page = client.get(f"/portal/l/{lesson_id}").text
    assert 'id="no-reviewer-blt"' in page and "caunoi users" not in page
    client.cookies.clear()
    login(client, "boss")
    assert "caunoi users add NAME --lang blt:reviewer" in client.get(
        f"/portal/l/{lesson_id}").text or "caunoi users add TÊN --lang blt:reviewer" in \
        client.get(f"/portal/l/{lesson_id}").text


# --- 3. the portal counts what the review pages count, in their words ----------------------

def test_portal_counts_title_chapters_and_cues_like_the_review_pages(
        client: TestClient, short_lesson: Path, store: ReviewStore) -> None:
    from pipeline.review.units import UnitSync, lesson_units

    _, lesson_id = _lesson(client, short_lesson)
    cues = [Cue(i, i, 1000 * i, 1000 * i + 800, (f"Câu số {i}.",), f"{'a' * 15}{i}-1.1", 1)
            for i in range(3)]
    store.sync_lesson(lesson_id, "Trả tiền", cues, {"hmn": [TranslatedCue(
        c.index, c.index, c.start_ms, c.end_ms, c.text, "", "human", cue_id=c.id)
        for c in cues]})
    UnitSync(store.cue_sync).sync_units(lesson_id, lesson_units("Trả tiền", ["Chương một"]),
                                        ["hmn"], ("title", "chapter"))
    store.save("mai", lesson_id, "hmn", 0, "[test hmn] 0", 1, action="approve",
               reason="test marker text")
    items = store.items(lesson_id, "hmn")
    assert len(items) == 5  # the title, one heading, three cues
    page = client.get(f"/portal/l/{lesson_id}").text
    # The review pages' words for the same count ("1/5 đã duyệt").
    assert t("review.progress", "vi", done=1, total=5) in page
    assert "1/3" not in page


# --- 4. headings sit between the numbered sentences ----------------------------------------

def test_outline_puts_headings_between_numbered_runs() -> None:
    checked = CheckResult(True, None, [("", "Mở đầu."), ("Bước 1", "Mở ứng dụng."),
                                       ("Bước 1", "Đăng nhập."), ("Bước 2", "Quét mã.")])
    assert checked.outline == [("", 1, ["Mở đầu."]),
                               ("Bước 1", 2, ["Mở ứng dụng.", "Đăng nhập."]),
                               ("Bước 2", 4, ["Quét mã."])]


def test_script_preview_heading_is_not_inside_a_sentence(
        client: TestClient, short_lesson: Path) -> None:
    _, lesson_id = _lesson(client, short_lesson)
    page = client.get(f"/portal/l/{lesson_id}").text
    preview = re.search(r'<div id="sentences">(.*?)</div>', page, re.S)
    assert preview
    heading = (short_lesson / "script.md").read_text(encoding="utf-8").split("\n")[0][2:]
    items = re.findall(r"<li>(.*?)</li>", preview.group(1), re.S)
    assert len(items) == 4 and not any(heading in i or "<" in i for i in items)
    assert re.search(rf'<h3 class="chapter">{re.escape(heading)}</h3><ol start="1">',
                     preview.group(1))


# --- 5. the bundle header speaks the chosen language only ----------------------------------

def _header(page: str) -> str:
    return page[page.index("<header"):page.index("</header>")]


def test_bundle_header_has_one_tagline_per_language_shown_by_target(
        registry: Registry) -> None:
    page = render_page(ITEMS, ["hmn", "blt", "vi"], registry, "vi", {"hmn": HMN_ALL})
    header = _header(page)
    taglines = re.findall(r'<span class="g g-(\w+)( d)?" lang="(\w+)">([^<]*)</span>', header)
    # Tai Dam has no approved tagline: it shows none (never the Vietnamese one).
    assert [(c, d, text) for c, d, _, text in taglines] == [
        ("hmn", " d", HMN_ALL["tagline"]), ("vi", "", t("bundle.tagline", "vi"))]
    css = page[page.index("<style>"):page.index("</style>")]
    assert "header .g{display:none}" in css and "a.t:target~header .g.d{display:none}" in css
    for code in ("hmn", "blt", "vi"):
        assert f"#lang-{code}:target~header .g-{code}{{display:inline}}" in css


@pytest.mark.slow
@pytest.mark.skipif(not Path("/usr/bin/chromium").is_file(), reason="Debian chromium missing")
def test_bundle_header_follows_the_choice_in_chromium(tmp_path: Path,
                                                      registry: Registry) -> None:
    from pipeline.core.config import PROJECT_ROOT

    folder = _bundle_folder(tmp_path / "usb", registry)
    shots = PROJECT_ROOT / "output" / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    with chromium() as browser:
        page = browser.new_context(viewport={"width": 360, "height": 640},
                                   java_script_enabled=False).new_page()
        shown: Callable[[], str] = lambda: page.inner_text("header p").strip()  # noqa: E731
        page.goto((folder / "index.html").as_uri())
        assert shown() == HMN_ALL["tagline"]  # no fragment: the first language's
        page.click("nav a[href='#lang-vi']")
        assert shown() == t("bundle.tagline", "vi")
        page.screenshot(path=str(shots / "bundle-header-360x640-vi.png"))
        page.click("nav a[href='#lang-blt']")
        assert shown() == ""  # no approved Tai Dam tagline: none, not Vietnamese
        page.click("nav a[href='#lang-hmn']")
        assert shown() == HMN_ALL["tagline"]
        page.screenshot(path=str(shots / "bundle-header-360x640-hmn.png"))


@pytest.fixture
def served(settings: Settings, review_app: ReviewApp, short_lesson: Path,
           tmp_path: Path) -> Iterator[str]:
    """A portal with one handed-in lesson (the short sample) whose alignment was kept
    although a better aligner can now run."""
    from pipeline.portal.lessons import write_lesson_toml
    from tests.web_world import live_server

    s = replace(settings, lessons_dir=tmp_path / "lessons")
    folder = s.lessons_dir / "tra-tien-qr-f31"
    shutil.copytree(short_lesson, folder)
    write_lesson_toml(folder, "tra-tien-qr-f31", "Trả tiền bằng mã QR", ["hmn"], ["compat"])
    note = s.lesson_out("tra-tien-qr-f31") / ".state" / "align.meta.json"
    note.parent.mkdir(parents=True)
    note.write_text(json.dumps({"aligner": "dtw", "better": "ear"}), encoding="utf-8")
    store = ReviewStore(s.review_url)
    portal = PortalStore.on(store)
    portal.editors.add_user("lan", PASSWORD, {}, teams=("laocai",))
    portal.lessons.add("tra-tien-qr-f31", "laocai", "Trả tiền bằng mã QR", "lan")
    app = review_app.from_settings(store, s, web.RecordingLauncher())
    try:
        with live_server(app) as url:
            yield url
    finally:
        store.engine.dispose()


@pytest.mark.slow
@pytest.mark.skipif(not Path("/usr/bin/chromium").is_file(), reason="Debian chromium missing")
def test_script_preview_heading_between_sentences_at_360(served: str, tmp_path: Path) -> None:
    from pipeline.core.config import PROJECT_ROOT
    from tests.test_portal_browser import _login

    shots = PROJECT_ROOT / "output" / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    with chromium() as browser:
        page = browser.new_context(viewport={"width": 360, "height": 640}).new_page()
        _login(page, served, "lan")
        page.goto(f"{served}/portal/l/tra-tien-qr-f31")
        page.wait_for_selector("#sentences h3.chapter")
        found = page.evaluate("""() => {
            const h = document.querySelector('#sentences h3.chapter');
            const li = document.querySelector('#sentences li');
            return {inside: h.closest('li') !== null, headTop: h.getBoundingClientRect().top,
                    liTop: li.getBoundingClientRect().top,
                    starts: [...document.querySelectorAll('#sentences ol')].map(o => o.start),
                    items: document.querySelectorAll('#sentences li').length}; }""")
        assert not found["inside"] and found["headTop"] < found["liTop"], found
        assert found["starts"] == [1] and found["items"] == 4, found
        page.locator("#sentences").screenshot(path=str(shots / "portal-preview-360.png"))
        note = page.locator("#better-aligner")
        assert note.is_visible() and "caunoi" not in note.inner_text()
        note.screenshot(path=str(shots / "portal-better-aligner-360.png"))
