"""``caunoi review approve`` and ``caunoi voice import|export|status`` (issue 30), with
English espeak-ng stand-ins for a community's phone recordings (scripts/
make_voice_recordings.py; English stands in for a minority language)."""

from __future__ import annotations

import subprocess
import sys
import wave
from pathlib import Path

import pytest

from flows.cli import main
from pipeline.core.types import Cue
from pipeline.review.store import ReviewStore
from pipeline.translate.drafts import TranslatedCue
from tests import test_review_dbs as dbs

fast_passwords = dbs.fast_passwords
ROOT = Path(__file__).resolve().parent.parent
LESSON = "tra-tien-qr-7c7c"
HEX = "a" * 16
# The sample lesson's first two sentences and the team's English for them.
SOURCES = ("Xin chào bà con, hôm nay chúng ta học cách trả tiền bằng mã QR ở chợ.",
           "Đầu tiên, mở ứng dụng ngân hàng trên điện thoại.")
ENGLISH = ("Hello everyone, today we learn how to pay with a QR code at the market.",
           "First, open the bank app on your phone.")


@pytest.fixture
def world(tmp_path: Path, fast_passwords: None) -> tuple[Path, ReviewStore]:
    out = tmp_path / "out"
    store = ReviewStore(f"sqlite:///{(out / 'review.sqlite3').resolve()}")
    cues = [Cue(i, i, 5000 * i, 5000 * i + 4500, (s,), f"{HEX}-{i + 1}.1", 1)
            for i, s in enumerate(SOURCES)]
    drafts = {"en": [TranslatedCue(c.index, c.sentence_index, c.start_ms, c.end_ms, c.text,
                                   e, "mt:test", cue_id=c.id)
                     for c, e in zip(cues, ENGLISH, strict=True)]}
    store.sync_lesson(LESSON, "Trả tiền", cues, drafts)
    store.add_user("rev", "correct horse 9", {"en": "reviewer"})
    store.add_user("spk", "correct horse 9", {"en": "voice"})
    return out, store


def _cli(out: Path, *args: str) -> int:
    return main(["--en", "--config", str(out.parent / "none.toml"), *args, "--out", str(out)])


@pytest.fixture(scope="module")
def recordings(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("phone")
    subprocess.run([sys.executable, str(ROOT / "scripts" / "make_voice_recordings.py"),
                    "--out", str(folder), "--sentences", "2"], check=True, cwd=ROOT)
    return folder


def test_review_approve_needs_a_reviewer(world: tuple[Path, ReviewStore]) -> None:
    out, store = world
    assert _cli(out, "review", "approve", LESSON, "--lang", "en", "--user", "spk") == 2
    assert store.progress(LESSON, "en") == (0, 2)
    assert _cli(out, "review", "approve", LESSON, "--lang", "en", "--user", "rev") == 0
    assert store.progress(LESSON, "en") == (2, 2) and store.is_approved(LESSON, "en")
    assert {"approve_language"} <= {e.action for e in store.audit(LESSON)}


def test_import_approve_export_status(world: tuple[Path, ReviewStore], recordings: Path,
                                      tmp_path: Path, capsys: pytest.CaptureFixture[str]
                                      ) -> None:
    out, store = world
    # Not before the translation is approved: one sentence, exit 2, nothing stored.
    assert _cli(out, "voice", "import", LESSON, "--lang", "en", "--from", str(recordings),
                "--user", "rev", "--consent") == 2
    assert not (out / LESSON / "voice").exists() and store.recordings.speaker("rev") is None
    assert _cli(out, "review", "approve", LESSON, "--lang", "en", "--user", "rev") == 0
    capsys.readouterr()
    # A speaker who is not a reviewer cannot approve: one sentence, exit 2, nothing stored.
    assert _cli(out, "voice", "import", LESSON, "--lang", "en", "--from", str(recordings),
                "--user", "spk", "--approve", "--consent") == 2
    assert not (out / LESSON / "voice").exists()
    assert len(capsys.readouterr().err.strip().splitlines()) == 1
    # Without consent on record a person's voice is not stored.
    assert _cli(out, "voice", "import", LESSON, "--lang", "en", "--from", str(recordings),
                "--user", "rev", "--approve") == 2
    assert not (out / LESSON / "voice").exists()
    assert _cli(out, "voice", "import", LESSON, "--lang", "en", "--from", str(recordings),
                "--user", "rev", "--approve", "--consent", "--name", "Anh Tú") == 0
    recs = store.approved_recordings(LESSON, "en")
    assert [(r.number, r.speaker, r.speaker_name, r.speaker_consent) for r in recs] == [
        (1, "rev", "Anh Tú", True), (2, "rev", "Anh Tú", True)]
    assert all(Path(r.file).read_bytes() == (recordings / f"{r.number}.wav").read_bytes()
               for r in recs)
    capsys.readouterr()
    assert _cli(out, "voice", "status", LESSON) == 0
    assert "en: 2/2" in capsys.readouterr().out
    dst = tmp_path / "exported"
    assert _cli(out, "voice", "export", LESSON, "--lang", "en", "--to", str(dst)) == 0
    assert sorted(p.name for p in dst.iterdir()) == ["1.wav", "2.wav"]


def test_a_silent_file_stops_the_whole_import(world: tuple[Path, ReviewStore],
                                              recordings: Path, tmp_path: Path) -> None:
    out, store = world
    assert _cli(out, "review", "approve", LESSON, "--lang", "en", "--user", "rev") == 0
    folder = tmp_path / "take2"
    folder.mkdir()
    (folder / "01.wav").write_bytes((recordings / "1.wav").read_bytes())
    with wave.open(str(folder / "2.wav"), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16000)
        w.writeframes(b"\0\0" * 32000)
    assert _cli(out, "voice", "import", LESSON, "--lang", "en", "--from", str(folder),
                "--user", "rev", "--consent") == 2
    assert not (out / LESSON / "voice").exists()
    assert all(v.recording is None for v in store.recordings.sentences(LESSON, "en"))


def test_users_add_and_grant_the_voice_role(world: tuple[Path, ReviewStore],
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    out, store = world
    monkeypatch.setenv("CAUNOI_NEW_PASSWORD", "correct horse 9")
    assert _cli(out, "users", "add", "lan", "--lang", "en:voice") == 0
    assert store.roles("lan") == {"en": "voice"}
    assert store.can("lan", "en", "record") and not store.can("lan", "en", "view")
    assert _cli(out, "users", "grant", "rev", "--lang", "hmn:voice") == 0
    assert store.roles("rev") == {"en": "reviewer", "hmn": "voice"}
    assert _cli(out, "users", "add", "bad", "--lang", "en:singer") == 2
