"""The reviewer's workbench (issue 15): per-cue clip and still, the queue (filters, save and
next, bulk approval), suggestions, reject with a reason, plain QA messages in one language,
what happens after approval. SQLite and PostgreSQL (``db_url``)."""

from __future__ import annotations

import io
import json
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient

from pipeline.core.media import ffmpeg_exe
from pipeline.core.runs import RunInfo, RunKind
from pipeline.core.types import Cue
from pipeline.review.store import ReviewStore
from pipeline.review.web_common import WebOptions
from pipeline.translate.drafts import TranslatedCue
from pipeline.translate.qa import CHECKS, QAIssue
from pipeline.translate.tm import TranslationMemory
from tests import test_review_dbs as dbs
from tests.conftest import ReviewApp

db_url, fast_passwords, pg_server = dbs.db_url, dbs.fast_passwords, dbs.pg_server

LESSON = "qr-market"
PASSWORD = "correct horse 9"
SOURCES = ["Mở ứng dụng ngân hàng.", "Quét mã QR ở quầy.", "Trả 45.000 đồng.",
           "Bấm nút xác nhận."]
CUE_MS = [(1000, 2600), (3000, 4400), (4800, 6000), (6400, 7600)]


def make_lesson_out(out: Path, lesson: str = LESSON) -> Path:
    """A lesson's output folder as ingest leaves it: recording, narration, ingest.json."""
    folder = out / lesson
    (folder / "work").mkdir(parents=True, exist_ok=True)
    rec = folder / "recording.mp4"
    subprocess.run([ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y",
                    "-f", "lavfi", "-i", "testsrc=size=320x180:rate=10:duration=9",
                    "-f", "lavfi", "-i", "sine=frequency=440:duration=9",
                    "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest",
                    str(rec)], check=True)
    subprocess.run([ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y", "-i", str(rec),
                    "-vn", "-ac", "1", "-ar", "48000", str(folder / "work" /
                                                           "audio-normalised.wav")], check=True)
    (folder / "ingest.json").write_text(json.dumps({
        "lesson": {"id": lesson, "dir": f"/lessons/{lesson}", "profiles": ["compat"]},
        "media": {"path": str(rec), "video": {"width": 320, "height": 180, "rotation": 0}}}))
    return folder


@pytest.fixture(scope="module")
def media_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("out")
    make_lesson_out(out)
    return out


def fill_store(store: ReviewStore, texts: list[str] | None = None) -> None:
    cues = [Cue(i, i, a, b, (s,), f"{'c' * 15}{i}-1.1", 1)
            for i, (s, (a, b)) in enumerate(zip(SOURCES, CUE_MS, strict=True))]
    texts = texts or [""] * len(cues)
    store.sync_lesson(LESSON, "T", cues, {"hmn": [TranslatedCue(
        c.index, c.index, c.start_ms, c.end_ms, c.text, texts[c.index],
        "mt:test" if texts[c.index] else "human", cue_id=c.id) for c in cues]})
    store.add_user("mai", PASSWORD, {"hmn": "reviewer"})
    store.add_user("tom", PASSWORD, {"hmn": "translator"})
    store.add_user("kim", PASSWORD, {"blt": "reviewer"})


class Launcher:
    """A RunLauncher (pipeline.core.runs) for tests: records starts, reports set runs."""

    def __init__(self, mode: str) -> None:
        self.mode = mode
        self.started: list[tuple[str, str, str | None]] = []
        self.known: list[RunInfo] = []

    def start(self, kind: RunKind, lesson_id: str, *, language: str | None = None,
              params: dict[str, object] | None = None) -> RunInfo:
        self.started.append((kind, lesson_id, language))
        info = RunInfo(f"r{len(self.started)}", kind, lesson_id, "running", language)
        self.known.insert(0, info)
        return info

    def runs(self, lesson_id: str) -> list[RunInfo]:
        return [r for r in self.known if r.lesson_id == lesson_id]


@pytest.fixture
def env(db_url: str, media_out: Path, review_app: ReviewApp,
        tmp_path: Path) -> Iterator[tuple[TestClient, ReviewStore, WebOptions]]:
    store = ReviewStore(db_url)
    fill_store(store, ["", "Scan QR", "Them 45.000 nyiaj", ""])
    (tmp_path / "gl").mkdir()
    (tmp_path / "gl" / "hmn.csv").write_text(
        "vi,target,pos,note,status,source\nmã QR,QR-TERM,noun,,approved,reviewer test\n",
        encoding="utf-8")
    TranslationMemory(tmp_path / "tm", "hmn").add("Bấm nút xác nhận ngay.", "TM-HIT-TEXT",
                                                  lesson="older")
    app = review_app.app(store, out_dir=media_out)
    with review_app.client(app) as c:
        yield c, store, app.state.ctx.opts
    store.engine.dispose()


def login(client: TestClient, user: str) -> str:
    page = client.get("/login")
    token = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert token is not None
    r = client.post("/login", data={"username": user, "password": PASSWORD,
                                    "csrf": token.group(1)}, follow_redirects=False)
    assert r.status_code == 303
    m = re.search(r'name="csrf" value="([^"]+)"', client.get("/").text)
    assert m is not None
    return m.group(1)


def key(i: int) -> str:
    return f"{'c' * 15}{i}-1.1"


# --- clips ---------------------------------------------------------------------------


def test_clip_is_opus_of_the_cue_with_ranges_and_access(env: tuple[TestClient, ReviewStore,
                                                                   WebOptions]) -> None:
    import av

    client, _, _ = env
    url = f"/l/{LESSON}/hmn/c/{key(0)}/clip.opus"
    assert client.get(url, follow_redirects=False).status_code == 303  # not signed in
    login(client, "mai")
    r = client.get(url)
    assert r.status_code == 200 and r.headers["content-type"] == "audio/ogg"
    assert "max-age=31536000" in r.headers["cache-control"]
    assert 500 < len(r.content) < 12_000  # a few KB
    with av.open(io.BytesIO(r.content)) as c:
        stream = c.streams.audio[0]
        assert stream.codec_context.name == "opus"
        seconds = sum(float(f.duration * f.time_base) for f in c.demux(stream) if f.duration)
    want = (CUE_MS[0][1] - CUE_MS[0][0] + 600) / 1000
    assert abs(seconds - want) < 0.1, (seconds, want)
    part = client.get(url, headers={"Range": "bytes=0-99"})
    assert part.status_code == 206 and len(part.content) == 100
    assert part.headers["content-range"].startswith("bytes 0-99/")
    client.cookies.clear()
    login(client, "kim")  # a reviewer of another language
    assert client.get(url).status_code in (403, 404)


# --- stills --------------------------------------------------------------------------


def _pixels(data: bytes) -> np.ndarray:
    from PIL import Image

    with Image.open(io.BytesIO(data)) as img:
        assert img.format == "WEBP"
        return np.asarray(img.convert("L"), dtype=np.int16)


def test_still_draws_the_current_text_small(env: tuple[TestClient, ReviewStore,
                                                       WebOptions]) -> None:
    client, _, _ = env
    login(client, "mai")
    base = f"/l/{LESSON}/hmn/c/{key(1)}/still.webp"
    with_text = client.get(base + "?v=1")  # saved text "Scan QR"
    assert with_text.status_code == 200 and with_text.headers["content-type"] == "image/webp"
    assert len(with_text.content) < 15_000
    empty = client.get(base + "?text=")
    other = client.get(base + "?text=" + "Lorem ipsum dolor sit amet consectetur adipiscing")
    a, b, c = _pixels(with_text.content), _pixels(empty.content), _pixels(other.content)
    assert a.shape[1] == 320
    h = a.shape[0]
    # The text is drawn in the bottom band; the picture above it is the same frame.
    assert np.abs(a[h * 2 // 3:] - b[h * 2 // 3:]).mean() > 3
    assert np.abs(a[: h // 3] - b[: h // 3]).mean() < 3
    assert np.abs(a[h * 2 // 3:] - c[h * 2 // 3:]).mean() > 3



def test_previews_of_typed_text_do_not_pile_up(env: tuple[TestClient, ReviewStore, WebOptions],
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    from pipeline.review import cue_media

    client, _, opts = env
    monkeypatch.setattr(cue_media, "STILLS_PER_CUE", 2)
    login(client, "mai")
    base = f"/l/{LESSON}/hmn/c/{key(1)}/still.webp"
    for word in ("Ib", "Ob", "Peb", "Plaub"):
        assert client.get(base + "?text=" + word).status_code == 200
    kept = list((opts.out_dir / LESSON / cue_media.FOLDER).glob(f"still-hmn-{key(1)}-*.webp"))
    assert len(kept) == 2


# --- queue ---------------------------------------------------------------------------


def test_filters_save_next_and_bulk_approve(env: tuple[TestClient, ReviewStore,
                                                       WebOptions]) -> None:
    client, store, _ = env
    token = login(client, "mai")
    page = client.get(f"/l/{LESSON}/hmn?f=untranslated")
    assert "Chưa dịch (2)" in page.text
    assert page.text.count('class="cue ') == 2 and SOURCES[1] not in page.text
    # Save and next: the next untranslated cue opens.
    v0 = next(c for c in store.cues(LESSON, "hmn") if c.idx == 0).version
    r = client.post(f"/l/{LESSON}/hmn/c/{key(0)}", data={
        "csrf": token, "version": v0, "action": "save_next", "text": "Qhib lub app txhab nyiaj",
        "f": "untranslated", "view": "cue"}, follow_redirects=False)
    assert r.status_code == 303, r.text
    assert r.status_code == 303 and r.headers["location"].startswith(
        f"/l/{LESSON}/hmn/c/{key(3)}?f=untranslated")
    # Saved from the list: the message sits next to the cue, the anchor keeps the place.
    v3 = next(c for c in store.cues(LESSON, "hmn") if c.idx == 3).version
    r = client.post(f"/l/{LESSON}/hmn/c/{key(3)}", data={
        "csrf": token, "version": v3, "action": "save", "text": "Nias lub pob"},
        follow_redirects=False)
    assert r.headers["location"].endswith("at=3#c3")
    page = client.get(r.headers["location"]).text
    assert re.search(r'id="c3">\s*<p class="msg">', page)
    # Bulk approval takes only the clean cues: "Scan QR" misses the glossary term and is
    # short (found when the checks re-run, though the draft came without findings).
    assert "Duyệt 3 câu" in page or "Duyệt 4 câu" in page
    r = client.post(f"/l/{LESSON}/hmn/bulk-approve", data={"csrf": token},
                    follow_redirects=False)
    assert r.status_code == 303
    approved = sorted(c.idx for c in store.cues(LESSON, "hmn") if c.state == "approved")
    assert approved == [0, 2, 3]
    flagged = next(c for c in store.cues(LESSON, "hmn") if c.idx == 1)
    assert flagged.state == "draft" and flagged.checks


def test_reject_needs_a_reason_and_reaches_the_translator(env: tuple[TestClient, ReviewStore,
                                                                     WebOptions]) -> None:
    client, store, _ = env
    token = login(client, "mai")
    url = f"/l/{LESSON}/hmn/c/{key(1)}"
    r = client.post(url, data={"csrf": token, "version": 1, "action": "reject",
                               "text": "Scan QR", "view": "cue"})
    assert r.status_code == 422 and "Hãy ghi lý do" in r.text
    r = client.post(url, data={"csrf": token, "version": 1, "action": "reject",
                               "text": "Scan QR", "reason": "REASON-MARKER: wrong word",
                               "view": "cue"}, follow_redirects=False)
    assert r.status_code == 303
    cue = next(c for c in store.cues(LESSON, "hmn") if c.idx == 1)
    assert (cue.state, cue.rejection) == ("rejected", "REASON-MARKER: wrong word")
    assert any("REASON-MARKER" in c.text for c in store.comments(LESSON, "hmn", key(1)))
    client.cookies.clear()
    login(client, "tom")
    home = client.get("/").text
    assert "REASON-MARKER: wrong word" in home and SOURCES[1] in home
    token = csrf = re.search(r'name="csrf" value="([^"]+)"', home)
    assert csrf is not None
    client.post(url, data={"csrf": csrf.group(1), "version": cue.version, "action": "save",
                           "text": "Scan QR fixed"})
    assert "REASON-MARKER" not in client.get("/").text
    assert token


def test_suggestions_and_glossary_marks(env: tuple[TestClient, ReviewStore,
                                                   WebOptions]) -> None:
    client, _, _ = env
    token = login(client, "mai")
    page = client.get(f"/l/{LESSON}/hmn/c/{key(1)}").text
    assert "<mark>mã QR</mark>" in page and "QR-TERM" in page
    assert 'preload="none"' in page and 'loading="lazy"' in page
    assert "Bản dịch máy" in page  # the MT draft
    page = client.get(f"/l/{LESSON}/hmn/c/{key(3)}").text
    assert "TM-HIT-TEXT" in page and re.search(r"giống \d+%", page)
    r = client.post(f"/l/{LESSON}/hmn/c/{key(3)}/use",
                    data={"csrf": token, "text": "TM-HIT-TEXT"})
    box = re.search(r"<textarea[^>]*>([^<]*)</textarea>", r.text)
    assert box is not None and box.group(1) == "TM-HIT-TEXT"


def test_video_link_skips_the_title_card(env: tuple[TestClient, ReviewStore, WebOptions],
                                         media_out: Path) -> None:
    client, _, _ = env
    video = media_out / LESSON / "video"
    video.mkdir(exist_ok=True)
    (video / "vi-compat.mp4").write_bytes(b"\x00")
    login(client, "mai")
    page = client.get(f"/l/{LESSON}/hmn/c/{key(1)}").text
    m = re.search(r'vi-compat\.mp4#t=([\d.]+)', page)
    assert m is not None
    # Cue 2 starts at 3.0 s of the recording; the title card (2.5 s at 15 fps) comes first.
    assert float(m.group(1)) == pytest.approx(3.0 + 2.5, abs=0.07)


# --- QA messages -----------------------------------------------------------------------


_VI = re.compile(r"[ăâđêôơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ]", re.I)
DETAILS = {"numbers": "∅ → 0", "length": "17.19", "placeholder": "-[1] +", "dnt": "Zalo",
           "glossary": "mã QR → xyz", "url": "https://x.vn", "phone": "0912345678",
           "script": "Latn", "untranslated": "", "empty": ""}


@pytest.mark.parametrize("code", [*sorted(CHECKS), "empty"])
def test_qa_messages_in_one_language_without_jargon(code: str) -> None:
    issue = QAIssue(code, DETAILS.get(code, ""))
    en, vi = issue.message("en"), issue.message("vi")
    assert not _VI.search(en.replace("mã QR", "")), en
    assert _VI.search(vi), vi
    for text in (en, vi):
        assert "17.19" not in text and "[1]" not in text and "∅" not in text
        assert "Latn" not in text


# --- after approval ----------------------------------------------------------------------


def _record_final(out: Path, store: ReviewStore) -> None:
    """What the manifest step of a run would record of the Hmong final made under the
    approval that stands now (a final is offered only then: left31 item 2)."""
    from pipeline.publish.finals import ingested_basis, record_finals
    from pipeline.publish.manifest import ManifestEntry
    from pipeline.review.gate import approval_basis

    entry = ManifestEntry(path=out / "video" / "hmn-compat.mp4", kind="video", language="hmn",
                          profile="compat", review_state="approved", approver="mai")
    record_finals(out, [entry], {"hmn": ingested_basis(out, approval_basis(store, LESSON,
                                                                            "hmn"))}, {})


def _approve_everything(client: TestClient, store: ReviewStore, token: str) -> None:
    for c in store.cues(LESSON, "hmn"):
        client.post(f"/l/{LESSON}/hmn/c/{c.key}", data={
            "csrf": token, "version": c.version, "action": "approve",
            "text": c.text or f"T{c.idx}", "reason": "test override"})
    assert all(c.state == "approved" for c in store.cues(LESSON, "hmn"))
    r = client.post(f"/l/{LESSON}/hmn/approve-all", data={"csrf": token})
    assert r.status_code == 200 and store.is_approved(LESSON, "hmn")


def test_after_approval_without_runs_says_who_to_tell_and_admins_read_the_command(
        env: tuple[TestClient, ReviewStore, WebOptions]) -> None:
    """A reviewer reads who makes the final (no shell command: left30 item 1); an
    administrator also reads the command that makes it."""
    client, store, _ = env
    token = login(client, "mai")
    _approve_everything(client, store, token)
    page = client.get(f"/l/{LESSON}/hmn").text
    assert "quản trị hệ thống" in page and "caunoi" not in page.replace("caunoi.", "")
    store.add_user("root", PASSWORD, {}, admin=True)
    client.cookies.clear()
    login(client, "root")
    page = client.get(f"/l/{LESSON}/hmn").text
    assert f"<code>Lệnh (người quản trị): caunoi produce /lessons/{LESSON}</code>" in page


@pytest.mark.parametrize("mode", ["embedded", "server"])
def test_after_approval_with_runs_shows_their_states(
        mode: str, db_url: str, media_out: Path, review_app: ReviewApp, tmp_path: Path) -> None:
    store = ReviewStore(db_url)
    fill_store(store)
    runs = Launcher(mode)
    (media_out / LESSON / "video").mkdir(exist_ok=True)
    (media_out / LESSON / "video" / "hmn-compat.mp4").write_bytes(b"\x00")
    app = review_app.app(store, out_dir=media_out, glossary_dir=tmp_path, runs=runs)
    with review_app.client(app) as client:
        token = login(client, "mai")
        _approve_everything(client, store, token)
        assert runs.started == ([("render", LESSON, "hmn")] if mode == "embedded" else [])
        _record_final(media_out / LESSON, store)
        runs.known = [
            RunInfo("r9", "render", LESSON, "done", "hmn", "render-vi-compat: /tmp/x.mp4"),
            RunInfo("r8", "publish", LESSON, "done", None, "published 3 files"),
            RunInfo("r7", "produce", LESSON, "waiting", None, "chờ duyệt: hmn, en"),
            RunInfo("r6", "render", LESSON, "failed", "hmn"),
            RunInfo("r5", "render", LESSON, "running", "en")]
        page = client.get(f"/l/{LESSON}/hmn").text
        english = client.get(f"/l/{LESSON}/hmn?ui=en").text
    store.engine.dispose()
    assert page.count("Dựng video: xong") == 1
    assert f'href="/media/{LESSON}/hmn-compat.mp4"' in page
    # Only the newest render of the reviewer's language, no run message (paths, other
    # languages' words), no whole-lesson or publish runs.
    for absent in ("/tmp/", "chờ duyệt: hmn", "published", "Cả bài học", "Phát hành",
                   "Dựng video: lỗi", "Dựng video: đang chạy"):
        assert absent not in page, absent
    assert "Video render: done" in english and "Dựng video" not in english
    if mode == "server":
        # No render run of its own: the lesson's run (resumed by the approval) renders it.
        runs.known = [RunInfo("r7", "produce", LESSON, "running", None, "/tmp/x")]
        with TestClient(app, base_url="http://127.0.0.1") as client:
            login(client, "mai")
            page = client.get(f"/l/{LESSON}/hmn").text
        assert "Cả bài học: đang chạy" in page and "/tmp/x" not in page


# --- the optional script ---------------------------------------------------------------


def test_script_saves_without_reload_and_is_small(env: tuple[TestClient, ReviewStore,
                                                              WebOptions]) -> None:
    client, store, _ = env
    token = login(client, "mai")
    js = client.get("/static/review.js")
    assert js.status_code == 200 and len(js.content) <= 10_000
    assert js.headers["content-type"].startswith("text/javascript")
    csp = client.get(f"/l/{LESSON}/hmn").headers["content-security-policy"]
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    assert directives["script-src"] == "'self'" and directives["connect-src"] == "'self'"
    v = next(c for c in store.cues(LESSON, "hmn") if c.idx == 0).version
    r = client.post(f"/l/{LESSON}/hmn/c/{key(0)}", headers={"Accept": "application/json"},
                    data={"csrf": token, "version": v, "action": "save",
                          "text": "Qhib lub app txhab nyiaj"})
    assert r.status_code == 200
    assert r.json() == {"ok": True, "version": v + 1, "state": "draft",
                        "message": "Đã lưu câu này.", "checks": []}
    r = client.post(f"/l/{LESSON}/hmn/c/{key(0)}", headers={"Accept": "application/json"},
                    data={"csrf": token, "version": v, "action": "save", "text": "stale"})
    assert r.json() == {"ok": False, "fallback": True}


def test_no_english_in_the_vietnamese_pages(env: tuple[TestClient, ReviewStore,
                                                       WebOptions]) -> None:
    client, _, _ = env
    token = login(client, "mai")
    client.post(f"/l/{LESSON}/hmn/c/{key(0)}", data={
        "csrf": token, "version": 1, "action": "save", "text": "Qhib lub app txhab nyiaj"})
    pages = [client.get(f"/l/{LESSON}/hmn").text, client.get(f"/l/{LESSON}/hmn/c/{key(1)}").text,
             client.get(f"/l/{LESSON}/hmn/c/{key(0)}/history").text, client.get("/").text]
    for page in pages:
        visible = re.sub(r"<[^>]+>", " ", page.split("</style>")[-1])
        for word in ("human", "pipeline", "draft", "mt:test", "approved", "rejected"):
            assert word not in visible, word


def test_a_finished_queue_says_so_once(env: tuple[TestClient, ReviewStore, WebOptions]) -> None:
    client, _, _ = env
    login(client, "mai")
    done = client.get(f"/l/{LESSON}/hmn?f=approved&msg=queue_done").text
    assert "Hết câu ở mục này. Làm tốt lắm!" in done
    assert "Không còn câu nào ở mục này." not in done
    assert "Không còn câu nào ở mục này." in client.get(f"/l/{LESSON}/hmn?f=approved").text


def test_origin_labels_are_role_neutral_and_name_kept_text() -> None:
    from pipeline.review.queue import origin_label

    assert origin_label("human:mai", "vi") == "Người sửa: mai"
    assert origin_label("human:mai", "en") == "Edited by: mai"
    earlier = {"Kept text": "lan"}
    assert origin_label("tm-exact", "vi", "Kept text", earlier) == "giữ lại từ bản trước (lan)"
    assert origin_label("tm-fuzzy:90", "vi", "Other", earlier) == "Nguồn: bộ nhớ dịch"
    assert origin_label("mt:madlad400-3b-mt", "en") == "Origin: machine translation"
    assert origin_label("pipeline", "vi") == "Nguồn: hệ thống"


def test_translators_see_a_neutral_heading(
        env: tuple[TestClient, ReviewStore, WebOptions]) -> None:
    client, _, _ = env
    login(client, "tom")
    page = client.get("/").text
    assert "Bài học của bạn" in page and "Bài học cần duyệt" not in page
    client.cookies.clear()
    login(client, "mai")
    assert "Lessons to review" in client.get("/?ui=en").text
