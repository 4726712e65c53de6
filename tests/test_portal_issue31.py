"""Issue 31, content team (portal) items 1-8: what a real walkthrough tripped over, each
with the behaviour that fixes it."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import docx
import pytest
from fastapi.testclient import TestClient

from pipeline.core.config import Settings
from pipeline.core.i18n import t
from pipeline.core.media import ffmpeg_exe
from pipeline.portal.choices import PROFILE_KB_PER_MIN, profile_label
from pipeline.portal.lesson_notes import preview_rows
from pipeline.portal.lessons import remember_name, users_names
from pipeline.review.store import ReviewStore
from tests import test_portal_web as web
from tests.test_portal_web import RecordingLauncher, _rec, hand_in, upload_all
from tests.test_review_workbench import login

# The portal app of test_portal_web (editors lan/laocai and binh/hagiang, reviewer mai/hmn).
client, launcher, portal_settings, store = web.client, web.launcher, web.portal_settings, \
    web.store

PROJECT = Path(__file__).resolve().parents[1]


def _lessons(settings: Settings) -> list[Path]:
    root = settings.lessons_dir
    return [p for p in root.iterdir() if not p.name.startswith(".")] if root.is_dir() else []


def _silent(path: Path, seconds: int = 8) -> Path:
    subprocess.run([ffmpeg_exe(), "-v", "error", "-y", "-f", "lavfi", "-i",
                    "anullsrc=r=16000:cl=mono", "-t", str(seconds), str(path)], check=True)
    return path


def _numbered(short_lesson: Path) -> str:
    lines, n = [], 0
    for line in (short_lesson / "script.md").read_text(encoding="utf-8").split("\n"):
        if line.strip() and not line.startswith("#"):
            n += 1
            line = f"{n}. {line}"
        lines.append(line)
    return "\n".join(lines)


def test_1_a_numbered_script_is_stripped_and_the_page_says_so(
        client: TestClient, short_lesson: Path) -> None:
    csrf = login(client, "lan")
    upload_id = upload_all(client, csrf, _rec(short_lesson).read_bytes(), name="r.mp4")
    lesson_id = hand_in(client, csrf, short_lesson, upload_id=upload_id,
                        script_text=_numbered(short_lesson))
    page = client.get(f"/portal/l/{lesson_id}").text
    assert 'id="numbers-removed"' in page and "4 dòng" in page
    sentences = re.search(r'<div id="sentences">(.*?)</div>', page, re.S)
    assert sentences and "<li>" in sentences.group(1)
    assert not re.search(r"<li>\d+\. ", sentences.group(1))


def test_2_a_silent_recording_is_refused_at_hand_in_naming_the_users_file(
        client: TestClient, short_lesson: Path, portal_settings: Settings,
        tmp_path: Path) -> None:
    csrf = login(client, "lan")
    silent = _silent(tmp_path / "Bài giảng QR.wav").read_bytes()
    upload_id = upload_all(client, csrf, silent, name="Bài giảng QR.wav")
    r = client.post("/portal/new", data={
        "csrf": csrf, "title": "Im lặng", "team": "laocai", "languages": ["hmn"],
        "script_text": (short_lesson / "script.md").read_text(encoding="utf-8"),
        "upload_id": upload_id})
    assert r.status_code == 422 and "Bài giảng QR.wav" in r.text
    assert "recording.wav" not in r.text and 'id="upload-kept"' not in r.text
    assert _lessons(portal_settings) == []
    # A good lesson whose recording is then replaced by a silent one: refused as well.
    good = upload_all(client, csrf, _rec(short_lesson).read_bytes(), name="good.mp4")
    lesson_id = hand_in(client, csrf, short_lesson, upload_id=good)
    r = client.post(f"/portal/l/{lesson_id}/recording", data={"csrf": csrf}, files={
        "recording": ("Lần hai.wav", silent, "audio/wav")})
    assert r.status_code == 422 and "Lần hai.wav" in r.text
    assert [p.name for p in (portal_settings.lessons_dir / lesson_id).glob("recording.*")] \
        == ["recording.mp4"]


def test_2_errors_and_run_messages_name_the_users_file(tmp_path: Path) -> None:
    folder = tmp_path / "lesson-1"
    folder.mkdir()
    (folder / "recording.mp4").write_bytes(b"x")
    remember_name(folder, "recording", "quay màn hình.mp4")
    text = f"Không đọc được âm thanh của {folder}/recording.mp4"
    assert users_names(folder, text) == "Không đọc được âm thanh của quay màn hình.mp4"


def test_2_a_failed_check_makes_replacing_the_recording_the_main_action(
        client: TestClient, short_lesson: Path, portal_settings: Settings) -> None:
    csrf = login(client, "lan")
    upload_id = upload_all(client, csrf, _rec(short_lesson).read_bytes(), name="r.mp4")
    lesson_id = hand_in(client, csrf, short_lesson, upload_id=upload_id)
    folder = portal_settings.lessons_dir / lesson_id
    _silent(folder / "recording.wav")  # what a broken disk or an old portal left
    (folder / "recording.mp4").unlink()
    page = client.get(f"/portal/l/{lesson_id}").text
    assert 'id="check-error"' in page
    assert re.search(r'id="fix-action" href="#recording">' + t("portal.fix_recording"), page)
    assert re.search(r"<button disabled", page) and t("portal.why_check") in page


def _docx(path: Path, short_lesson: Path) -> bytes:
    doc = docx.Document()
    for line in (short_lesson / "script.md").read_text(encoding="utf-8").split("\n"):
        if line.startswith("# "):
            doc.add_heading(line[2:], level=1)
        elif line.strip():
            doc.add_paragraph(line)
    doc.save(str(path))
    return path.read_bytes()


def test_3_a_word_script_is_taken_and_kept_as_docx(
        client: TestClient, short_lesson: Path, portal_settings: Settings,
        tmp_path: Path) -> None:
    csrf = login(client, "lan")
    upload_id = upload_all(client, csrf, _rec(short_lesson).read_bytes(), name="r.mp4")
    data = _docx(tmp_path / "Kịch bản.docx", short_lesson)
    r = client.post("/portal/new", data={
        "csrf": csrf, "title": "Word", "team": "laocai", "languages": ["hmn"],
        "upload_id": upload_id}, files={"script_file": ("Kịch bản.docx", data)},
        follow_redirects=False)
    assert r.status_code == 303, r.text
    folder = portal_settings.lessons_dir / r.headers["Location"].split("?")[0].split("/")[-1]
    assert (folder / "script.docx").read_bytes() == data and not (folder / "script.md").exists()
    page = client.get(r.headers["Location"]).text
    assert 'id="check-ok"' in page and "Tệp kịch bản không phải UTF-8" not in page
    # A .txt in UTF-16 (Notepad's "Unicode") replaces it; a PDF is refused by name.
    text = (short_lesson / "script.md").read_text(encoding="utf-8")
    lesson_id = folder.name
    r = client.post(f"/portal/l/{lesson_id}/script", data={"csrf": csrf},
                    files={"script_file": ("kb.txt", text.encode("utf-16"))})
    assert r.status_code == 200 and (folder / "script.txt").is_file()
    assert not (folder / "script.docx").exists()
    r = client.post(f"/portal/l/{lesson_id}/script", data={"csrf": csrf},
                    files={"script_file": ("kb.pdf", b"%PDF-1.4")})
    assert r.status_code == 422 and "kb.pdf" in r.text


def test_5_languages_carry_their_region_and_profiles_plain_words_and_size(
        client: TestClient) -> None:
    login(client, "lan")
    page = client.get("/portal/new").text
    assert "Tiếng Thái (Thái Đen) (Tai Dam) — Tây Bắc" in page
    assert "không phải tiếng Thái ở Tây Bắc" in page
    assert "mọi điện thoại · ~0,4 MB/phút" in page and "mạng 2G · ~0,2 MB/phút" in page
    assert "chỉ nghe, điện thoại phím bấm · ~0,1 MB/phút" in page
    assert profile_label("modern", "en") == "newer Android phones · ~0.2 MB/minute"


def test_5_profile_sizes_are_within_the_readmes_measurements() -> None:
    """The one table in code stays inside what the README's render table measured."""
    readme = (PROJECT / "README.md").read_text(encoding="utf-8")
    measured: dict[str, list[float]] = {}
    for profile, kb in re.findall(r"^\| s\d+ \w+ \| (\w+) \| [^|]+ \| ([\d.]+) \|", readme,
                                  re.M):
        measured.setdefault(profile, []).append(float(kb))
    audio = re.search(r"Opus 16 kb/s (\d+) KB/min", readme)
    assert audio and set(measured) >= {"compat", "tiny", "modern"}
    measured["audio"] = [float(audio.group(1))]
    for profile, kb in PROFILE_KB_PER_MIN.items():
        assert min(measured[profile]) <= kb <= max(measured[profile]), profile


def test_6_missing_translation_model_and_reviewer_are_said(
        client: TestClient, short_lesson: Path) -> None:
    csrf = login(client, "lan")
    upload_id = upload_all(client, csrf, _rec(short_lesson).read_bytes(), name="r.mp4")
    lesson_id = hand_in(client, csrf, short_lesson, upload_id=upload_id,
                        languages=["hmn", "blt"])
    page = client.get(f"/portal/l/{lesson_id}").text
    # No model under the settings' model_dir: hmn's drafts stay empty; blt has no MT at all.
    assert page.count(t("portal.lang_no_mt")) == 2
    # mai reviews hmn; nobody reviews blt.
    assert 'id="no-reviewer-blt"' in page and 'id="no-reviewer-hmn"' not in page
    # Editors are told who can add one; the command is for administrators (test_follow31).
    assert t("portal.no_reviewer") in page and "--lang blt:reviewer" not in page


def test_7_a_wrong_file_in_the_recording_slot_is_not_kept(
        client: TestClient, short_lesson: Path, portal_settings: Settings) -> None:
    csrf = login(client, "lan")
    upload_id = upload_all(client, csrf, b"%PDF-1.4 not media" * 10, name="kịch bản.pdf")
    r = client.post("/portal/new", data={
        "csrf": csrf, "title": "Sai tệp", "team": "laocai", "languages": ["hmn"],
        "script_text": "# A\nMột câu.\n", "upload_id": upload_id})
    assert r.status_code == 422 and "kịch bản.pdf" in r.text
    assert 'id="upload-kept"' not in r.text and "không cần chọn lại" not in r.text
    assert _lessons(portal_settings) == []


def test_7_languages_and_profiles_change_and_a_lesson_is_deleted(
        client: TestClient, short_lesson: Path, portal_settings: Settings,
        store: ReviewStore) -> None:
    csrf = login(client, "lan")
    upload_id = upload_all(client, csrf, _rec(short_lesson).read_bytes(), name="r.mp4")
    lesson_id = hand_in(client, csrf, short_lesson, upload_id=upload_id)
    folder = portal_settings.lessons_dir / lesson_id
    r = client.post(f"/portal/l/{lesson_id}/settings", data={
        "csrf": csrf, "languages": ["hmn", "tyz"], "profiles": ["tiny", "audio"]},
        follow_redirects=False)
    assert r.status_code == 303
    toml = (folder / "lesson.toml").read_text(encoding="utf-8")
    assert '["hmn", "tyz"]' in toml and '["tiny", "audio"]' in toml
    out = portal_settings.out_dir / lesson_id / "video"
    out.mkdir(parents=True)
    (out / "vi-compat.mp4").write_bytes(b"x")
    r = client.post(f"/portal/l/{lesson_id}/delete", data={"csrf": csrf})
    assert r.status_code == 422 and folder.is_dir()  # not confirmed
    r = client.post(f"/portal/l/{lesson_id}/delete", data={"csrf": csrf, "confirm": "yes"},
                    follow_redirects=False)
    assert r.status_code == 303
    assert not folder.exists() and not (portal_settings.out_dir / lesson_id).exists()
    assert client.get(f"/portal/l/{lesson_id}").status_code == 404
    assert [e.username for e in store.audit(lesson_id)
            if e.action == "portal_lesson_delete"] == ["lan"]


def test_8_bundling_says_bundling_and_the_status_carries_a_signature(
        client: TestClient, short_lesson: Path, portal_settings: Settings,
        launcher: RecordingLauncher) -> None:
    csrf = login(client, "lan")
    upload_id = upload_all(client, csrf, _rec(short_lesson).read_bytes(), name="r.mp4")
    lesson_id = hand_in(client, csrf, short_lesson, upload_id=upload_id)
    page = client.get(f"/portal/l/{lesson_id}").text
    sig = re.search(r'data-sig="([^"]*)"', page)
    status = client.get(f"/portal/l/{lesson_id}/status.json").json()
    assert sig and status["sig"] == sig.group(1)
    video = portal_settings.out_dir / lesson_id / "video"
    video.mkdir(parents=True)
    (video / "vi-compat.mp4").write_bytes(b"x")
    changed = client.get(f"/portal/l/{lesson_id}/status.json").json()
    assert changed["sig"] != status["sig"]  # the open page shows its notice
    r = client.post(f"/portal/l/{lesson_id}/publish", data={
        "csrf": csrf, "languages": ["vi"], "action": "bundle"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["Location"].endswith("msg=portal.bundle_started")
    assert launcher.started[-1][2]["bundle"] is True
    assert "published" in t("portal.run_published", n=11, target="published")


def test_8_previews_are_labelled_apart_and_old_drafts_dropped() -> None:
    files = [{"name": n, "kind": k, "lang": lang, "profile": p, "draft": d, "kb": 1}
             for n, k, lang, p, d in [
                 ("hmn-compat.mp4", "video", "hmn", "compat", False),
                 ("hmn-compat-draft.mp4", "video", "hmn", "compat", True),
                 ("hmn-tiny-draft.mp4", "video", "hmn", "tiny", True),
                 ("hmn-audio.opus", "audio", "hmn", "audio", False),
                 ("hmn-audio.mp3", "audio", "hmn", "audio", False)]]
    rows = preview_rows(files, "vi", lambda c: {"hmn": "Tiếng H'Mông"}[c])
    assert [r["name"] for r in rows] == ["hmn-compat.mp4", "hmn-tiny-draft.mp4",
                                         "hmn-audio.opus", "hmn-audio.mp3"]
    labels = [r["label"] for r in rows]
    assert len(set(labels)) == len(labels)
    assert labels[1].endswith(t("portal.draft", "vi"))


@pytest.mark.parametrize("page", ["/portal/new"])
def test_8_tick_boxes_are_24_px(client: TestClient, page: str) -> None:
    login(client, "lan")
    assert "input[type=checkbox]{width:24px;height:24px" in client.get(page).text


def test_names_file_is_json(tmp_path: Path) -> None:
    remember_name(tmp_path, "script", "a.docx")
    remember_name(tmp_path, "recording", "b.mp4")
    data = json.loads((tmp_path / ".portal-names.json").read_text(encoding="utf-8"))
    assert data == {"script": "a.docx", "recording": "b.mp4"}
