"""The voice pages (issue 30) on the app ``caunoi review serve`` builds: a speaker records
through the no-JavaScript file fallback (every take checked), a reviewer approves or rejects
with a reason (shown on the speaker's page), stale recordings are marked, the lesson page
says how many sentences still need a voice."""

from __future__ import annotations

import re
import wave
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from pipeline.review.store import ReviewStore
from tests.conftest import ReviewApp
from tests.test_review_dbs import fast_passwords
from tests.test_voice_cli import LESSON, recordings, world
from tests.web_world import PASSWORD, csrf_in

__all__ = ["fast_passwords", "recordings", "world"]
V = f"/l/{LESSON}/en"


@pytest.fixture
def app(world: tuple[Path, ReviewStore], review_app: ReviewApp) -> Iterator[
        tuple[ReviewApp, ReviewStore, Path]]:
    out, store = world
    store.add_user("spk2", PASSWORD, {"en": "voice"})
    for user in ("rev", "spk"):
        store.set_password(user, PASSWORD)
    for view in store.cues(LESSON, "en"):
        assert store.save("rev", LESSON, "en", view.key, view.text, view.version,
                          "approve").ok
    yield review_app, store, out
    store.engine.dispose()


def _client(setup: tuple[ReviewApp, ReviewStore, Path], user: str) -> TestClient:
    review_app, store, out = setup
    client = TestClient(review_app.app(store, out_dir=out), base_url="http://127.0.0.1",
                        follow_redirects=False)
    token = csrf_in(client.get("/login").text)
    assert client.post("/login", data={"username": user, "password": PASSWORD,
                                       "csrf": token}).status_code == 303
    return client


def _silent(path: Path) -> Path:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16000)
        w.writeframes(b"\0\0" * 16000)
    return path


def _csrf(html: str) -> str:
    return csrf_in(html)


def test_a_speaker_records_through_the_file_fallback(
        app: tuple[ReviewApp, ReviewStore, Path], recordings: Path, tmp_path: Path) -> None:
    _, store, _out = app
    spk = _client(app, "spk")
    assert spk.get(V).status_code == 403  # a voice sees no cue pages
    page = spk.get(f"{V}/voice")
    assert page.status_code == 200 and len(page.content) < 100_000
    assert 'name="agree"' in page.text and 'type="file"' not in page.text
    assert spk.post(f"{V}/voice/consent", data={"csrf": _csrf(page.text), "name": "Chị Mai",
                                                "agree": "1"}).status_code == 303
    page = spk.get(f"{V}/voice?n=1")
    assert re.search(r'<input type="file" name="audio" accept="audio/\*" capture', page.text)
    assert "0/2" in page.text and "Hello everyone" in page.text
    assert f"/c/{'a' * 16}-1.1/clip.opus" in page.text
    token = _csrf(page.text)
    silent = _silent(tmp_path / "quiet.wav")
    r = spk.post(f"{V}/voice/1", data={"csrf": token},
                 files={"audio": ("quiet.wav", silent.read_bytes(), "audio/wav")})
    assert r.status_code == 422 and 'role="alert"' in r.text
    assert "im lặng" in r.text  # the check's own sentence, in the UI language
    assert "quiet.wav" in r.text and "caunoi-voice" not in r.text  # no server path
    assert store.recordings.sentences(LESSON, "en")[0].recording is None
    wav = (recordings / "1.wav").read_bytes()
    r = spk.post(f"{V}/voice/1", data={"csrf": token},
                 files={"audio": ("1.wav", wav, "audio/wav")})
    assert r.status_code == 303
    row = store.recordings.sentences(LESSON, "en")[0].recording
    assert row is not None and row.status == "recorded" and row.speaker_name == "Chị Mai"
    assert Path(row.file).read_bytes() == wav
    assert spk.get(f"{V}/voice/1/audio").content == wav
    assert _client(app, "spk2").get(f"{V}/voice/1/audio").status_code == 404
    assert spk.get(f"{V}/voices").status_code == 403  # speakers do not review


def test_a_reviewer_approves_or_rejects_with_a_reason(
        app: tuple[ReviewApp, ReviewStore, Path], recordings: Path) -> None:
    _, store, _out = app
    store.recordings.consent("spk", "Chị Mai")
    for n in (1, 2):
        spk = _client(app, "spk")
        token = _csrf(spk.get(f"{V}/voice?n={n}").text)
        assert spk.post(f"{V}/voice/{n}", data={"csrf": token}, files={
            "audio": (f"{n}.wav", (recordings / f"{n}.wav").read_bytes())}).status_code == 303
    rev = _client(app, "rev")
    assert "Còn 2 câu cần giọng đọc" in rev.get(V).text
    page = rev.get(f"{V}/voices")
    assert page.status_code == 200 and page.text.count("/audio?v=") == 2
    token = _csrf(page.text)
    assert rev.get(f"{V}/voice/1/audio").status_code == 200
    assert rev.post(f"{V}/voices/1", data={"csrf": token, "action": "reject",
                                           "reason": "đọc quá nhanh"}).status_code == 303
    assert rev.post(f"{V}/voices/2", data={"csrf": token,
                                           "action": "approve"}).status_code == 303
    assert "đọc quá nhanh" in _client(app, "spk").get(f"{V}/voice?n=1").text
    assert "Còn 1 câu cần giọng đọc" in rev.get(V).text
    assert {"voice_rejected", "voice_approved"} <= {e.action for e in store.audit(LESSON)}
    # The approved text of sentence 2 changes: its recording is marked stale.
    view = store.cues(LESSON, "en")[1]
    assert store.save("rev", LESSON, "en", view.key, "First, open the bank's app.",
                      view.version, "approve").ok
    assert "cũ: bản dịch đã đổi" in rev.get(f"{V}/voices").text
    assert store.approved_recordings(LESSON, "en") == []


def test_a_voice_lands_on_its_recording_page(app: tuple[ReviewApp, ReviewStore, Path]
                                             ) -> None:
    home = _client(app, "spk").get("/").text
    assert f'href="{V}/voice"' in home


def test_the_approval_that_completes_the_voices_starts_the_render(
        world: tuple[Path, ReviewStore], review_app: ReviewApp, recordings: Path) -> None:
    """Issue 30: server and embedded mode start the dubbed render when a voice approval
    completes an approved language (the language's own approval came first)."""
    from tests.test_portal_web import RecordingLauncher

    out, store = world
    store.set_password("rev", PASSWORD)
    store.set_password("spk", PASSWORD)
    for view in store.cues(LESSON, "en"):
        assert store.save("rev", LESSON, "en", view.key, view.text, view.version,
                          "approve").ok
    assert store.approve_language("rev", LESSON, "en", out / "tm")
    store.recordings.consent("spk", "Chị Mai")
    runs = RecordingLauncher()
    app = review_app.app(store, out_dir=out, runs=runs)
    login = {"username": "spk", "password": PASSWORD}
    with review_app.client(app, follow_redirects=False) as spk:
        spk.post("/login", data={**login, "csrf": csrf_in(spk.get("/login").text)})
        for n in (1, 2):
            token = _csrf(spk.get(f"{V}/voice?n={n}").text)
            assert spk.post(f"{V}/voice/{n}", data={"csrf": token}, files={"audio": (
                f"{n}.wav", (recordings / f"{n}.wav").read_bytes())}).status_code == 303
    with review_app.client(app, follow_redirects=False) as rev:
        rev.post("/login", data={"username": "rev", "password": PASSWORD,
                                 "csrf": csrf_in(rev.get("/login").text)})
        token = _csrf(rev.get(f"{V}/voices").text)
        assert rev.post(f"{V}/voices/1", data={"csrf": token,
                                               "action": "approve"}).status_code == 303
        assert runs.started == []  # one sentence still has no approved voice
        assert rev.post(f"{V}/voices/2", data={"csrf": token,
                                               "action": "approve"}).status_code == 303
    assert [(kind, lesson) for kind, lesson, _ in runs.started] == [("render", LESSON)]
