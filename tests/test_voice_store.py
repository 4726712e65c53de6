"""Voice recordings in the review store (issue 30): the recordings collaborator alone, the
voice role, consent, staleness when the approved text changes, ``approved_recordings``
only when every sentence has a current approved recording, deletion."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.core.types import Cue
from pipeline.review.db import Database, NotAllowedError
from pipeline.review.recordings import (
    ConsentMissingError,
    Recordings,
    SentenceNotApprovedError,
)
from pipeline.review.store import ReviewStore
from pipeline.translate.drafts import TranslatedCue
from pipeline.voice.check import RecordingInfo
from pipeline.voice.types import text_sha256
from tests import test_review_dbs as dbs

fast_passwords = dbs.fast_passwords

LESSON = "voice-lesson-1a2b"
# Two sentences: the first in two cue parts, the second in one.
HEX = "e" * 16
CUES = [Cue(0, 0, 0, 2000, ("Mở ứng dụng",), f"{HEX}-1.1", 1),
        Cue(1, 0, 2000, 4000, ("ngân hàng.",), f"{HEX}-1.2", 2),
        Cue(2, 1, 4000, 7000, ("Bấm nút xác nhận.",), f"{HEX}-2.1", 1)]
TEXTS = ["Open the", "bank app.", "Tap confirm."]
S1, S2 = f"{HEX}-1", f"{HEX}-2"


def _drafts() -> dict[str, list[TranslatedCue]]:
    return {"en": [TranslatedCue(c.index, c.sentence_index, c.start_ms, c.end_ms, c.text, "",
                                 "mt:test", cue_id=c.id) for c in CUES]}


@pytest.fixture
def store(tmp_path: Path, fast_passwords: None) -> ReviewStore:
    store = ReviewStore(f"sqlite:///{tmp_path / 'review.sqlite3'}")
    store.sync_lesson(LESSON, "Trả tiền", CUES, _drafts())
    store.add_user("rev", "correct horse 9", {"en": "reviewer"})
    store.add_user("spk", "correct horse 9", {"en": "voice"}, display_name="Mai")
    store.add_user("tran", "correct horse 9", {"en": "translator"})
    for c, text in zip(CUES, TEXTS, strict=True):
        view = next(v for v in store.cues(LESSON, "en") if v.key == c.id)
        assert store.save("rev", LESSON, "en", c.id, text, view.version, "approve").ok
    return store


def _audio(tmp_path: Path, name: str, data: bytes = b"RIFF fake") -> tuple[Path, RecordingInfo]:
    path = tmp_path / name
    path.write_bytes(data)
    import hashlib

    sha = hashlib.sha256(data).hexdigest()
    return path, RecordingInfo(str(path), sha, 1500, 100, 1400, 1300, -3.0)


def _record_all(store: ReviewStore, tmp_path: Path, out: Path) -> None:
    store.recordings.consent("spk", "Chị Mai")
    for key in (S1, S2):
        src, info = _audio(tmp_path, f"{key}.webm", key.encode())
        store.recordings.store("spk", LESSON, "en", key, src, info, out)


def test_sentences_join_their_cue_parts(store: ReviewStore) -> None:
    views = store.recordings.sentences(LESSON, "en")
    assert [(v.sentence.number, v.sentence.key, v.sentence.text, v.sentence.approved)
            for v in views] == [(1, S1, "Open the bank app.", True), (2, S2, "Tap confirm.", True)]
    assert all(v.recording is None for v in views)


def test_the_voice_role_records_only(store: ReviewStore) -> None:
    assert store.can("spk", "en", "record")
    assert not store.can("spk", "en", "view")
    assert not store.can("spk", "en", "edit")
    assert not store.can("spk", "en", "approve")
    assert not store.can("spk", "hmn", "record")
    assert store.can("tran", "en", "record") and not store.can("tran", "en", "approve")
    view = store.cues(LESSON, "en")[2]
    assert store.save("rev", LESSON, "en", view.key, view.text, view.version, "reject",
                      "say it plainer").ok
    assert [r.key for r in store.rejections("tran")] == [view.key]
    assert store.rejections("spk") == []  # a voice is not asked to fix translations


def test_a_recording_needs_consent_and_an_approved_text(store: ReviewStore,
                                                       tmp_path: Path) -> None:
    src, info = _audio(tmp_path, "1.wav")
    out = tmp_path / "out"
    with pytest.raises(ConsentMissingError):
        store.recordings.store("spk", LESSON, "en", S1, src, info, out)
    store.recordings.consent("spk", "Chị Mai")
    assert store.recordings.speaker("spk").name == "Chị Mai"  # type: ignore[union-attr]
    view = next(v for v in store.cues(LESSON, "en") if v.key == f"{S2}.1")
    store.save("tran", LESSON, "en", view.key, "Tap OK.", view.version)  # back to draft
    with pytest.raises(SentenceNotApprovedError):
        store.recordings.store("spk", LESSON, "en", S2, src, info, out)
    with pytest.raises(NotAllowedError):
        store.recordings.store("rev2", LESSON, "en", S1, src, info, out)
    assert not list(out.rglob("*.*"))


def test_store_writes_the_file_and_audits(store: ReviewStore, tmp_path: Path) -> None:
    out = tmp_path / "out"
    _record_all(store, tmp_path, out)
    row = store.recordings.sentences(LESSON, "en")[0].recording
    assert row is not None
    assert Path(row.file) == (out / LESSON / "voice" / "en" / f"{S1}.webm").resolve()
    assert Path(row.file).read_bytes() == S1.encode()
    assert (row.status, row.speaker, row.speaker_name, row.number) == (
        "recorded", "spk", "Chị Mai", 1)
    assert row.text_sha256 == text_sha256("Open the bank app.")
    actions = [e.action for e in store.audit(LESSON)]
    assert actions.count("voice_record") == 2
    # Re-recording in another format replaces the file.
    src, info = _audio(tmp_path, "again.ogg", b"second take")
    store.recordings.store("spk", LESSON, "en", S1, src, info, out)
    assert sorted(p.name for p in (out / LESSON / "voice" / "en").iterdir()) == [
        f"{S1}.ogg", f"{S2}.webm"]


def test_only_reviewers_decide(store: ReviewStore, tmp_path: Path) -> None:
    _record_all(store, tmp_path, tmp_path / "out")
    with pytest.raises(NotAllowedError):
        store.recordings.decide("spk", LESSON, "en", S1, True)
    store.recordings.decide("rev", LESSON, "en", S1, False, "too quiet")
    row = store.recordings.sentences(LESSON, "en")[0].recording
    assert row is not None and (row.status, row.reason, row.reviewer) == (
        "rejected", "too quiet", "rev")
    assert "voice_rejected" in [e.action for e in store.audit(LESSON)]


def test_approved_recordings_only_when_complete(store: ReviewStore, tmp_path: Path) -> None:
    _record_all(store, tmp_path, tmp_path / "out")
    assert store.approved_recordings(LESSON, "en") == []
    store.recordings.decide("rev", LESSON, "en", S1, True)
    assert store.approved_recordings(LESSON, "en") == []  # sentence 2 not approved yet
    store.recordings.decide("rev", LESSON, "en", S2, True)
    recs = store.approved_recordings(LESSON, "en")
    assert [(r.number, r.sentence_id, r.speaker, r.speaker_name, r.speaker_consent)
            for r in recs] == [(1, S1, "spk", "Chị Mai", True), (2, S2, "spk", "Chị Mai", True)]
    assert all(Path(r.file).is_file() and not r.is_stale(t) for r, t in
               zip(recs, ("Open the bank app.", "Tap confirm."), strict=True))
    assert store.recordings.progress(LESSON, "en") == (2, 2)


def test_a_changed_approved_text_makes_the_recording_stale(store: ReviewStore,
                                                          tmp_path: Path) -> None:
    _record_all(store, tmp_path, tmp_path / "out")
    for key in (S1, S2):
        store.recordings.decide("rev", LESSON, "en", key, True)
    assert len(store.approved_recordings(LESSON, "en")) == 2
    view = next(v for v in store.cues(LESSON, "en") if v.key == f"{S1}.2")
    assert store.save("rev", LESSON, "en", view.key, "banking app.", view.version,
                      "approve").ok
    views = store.recordings.sentences(LESSON, "en")
    assert views[0].stale and not views[1].stale
    assert store.approved_recordings(LESSON, "en") == []
    assert store.recordings.progress(LESSON, "en") == (1, 2)


def test_deleting_removes_it_from_the_next_dub(store: ReviewStore, tmp_path: Path) -> None:
    _record_all(store, tmp_path, tmp_path / "out")
    for key in (S1, S2):
        store.recordings.decide("rev", LESSON, "en", key, True)
    file = Path(store.approved_recordings(LESSON, "en")[1].file)
    with pytest.raises(NotAllowedError):
        store.recordings.delete("tran", LESSON, "en", S2)
    store.recordings.delete("spk", LESSON, "en", S2)
    assert not file.exists()
    assert store.approved_recordings(LESSON, "en") == []
    assert "voice_delete" in [e.action for e in store.audit(LESSON)]


def test_the_collaborator_stands_alone(store: ReviewStore, tmp_path: Path) -> None:
    alone = Recordings(Database(store.url))
    _record_all(store, tmp_path, tmp_path / "out")
    assert [v.recording is not None for v in alone.sentences(LESSON, "en")] == [True, True]
