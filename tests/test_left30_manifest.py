"""Left from stop 28, item 2: a run with ``--languages`` keeps the other languages' finals
on disk; its manifest (and the bundle made from it) now lists each of them while it is
still valid for the current script and approval, and no longer lists a stale one.

"Valid" is what the review store says: an approval stands only while every current cue is
approved (a changed source withdraws every approval of the lesson; an edit withdraws its
language's), so a final is listed again only under the very approval it was made under,
from the same lesson inputs, with its files unchanged (``pipeline.publish.finals``).
"""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from pipeline.core.config import Settings
from pipeline.publish.bundle import make_bundle
from pipeline.publish.verify import verify
from pipeline.review.store import ReviewStore
from pipeline.steps import ProduceOptions, produce
from pipeline.steps.options import publish_options
from tests.review_units import approve_units

LESSON = "short-qr"


def _approve(settings: Settings, lang: str, text: str) -> None:
    """A reviewer types ``text`` + the cue number into every cue and approves the language
    (no MT model here)."""
    store = ReviewStore(settings.review_url)
    if "rev" not in {u.username for u in store.users()}:
        store.add_user("rev", "password-123", {lang: "reviewer"})
    for cue in store.cues(LESSON, lang):
        saved = store.save("rev", LESSON, lang, cue.idx, f"{text} {cue.idx}", cue.version)
        store.save("rev", LESSON, lang, cue.idx, saved.text, saved.version, "approve",
                   reason="test marker text")
    approve_units(store, "rev", LESSON, lang)
    assert store.approve_language("rev", LESSON, lang, settings.tm_path)
    store.engine.dispose()


def _manifest(out: Path) -> dict[str, object]:
    data: dict[str, object] = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    return data


def _listed(out: Path) -> set[str]:
    files = _manifest(out)["files"]
    assert isinstance(files, list)
    return {f["path"] for f in files}


@pytest.fixture
def lesson(short_lesson: Path, tmp_path: Path) -> Path:
    folder = tmp_path / LESSON
    shutil.copytree(short_lesson, folder)
    toml = folder / "lesson.toml"  # English stands in for a reviewed language (no MT here)
    toml.write_text(toml.read_text(encoding="utf-8").replace('["hmn", "blt"]', '["en", "blt"]'),
                    encoding="utf-8")
    return folder


def test_a_run_of_one_language_lists_the_other_valid_finals_and_not_the_stale(
        lesson: Path, settings: Settings, tmp_path: Path) -> None:
    s = replace(settings, draft_previews=False, quality_gates=False)  # gates: test_render
    produce(lesson, ProduceOptions(s))
    _approve(s, "en", "FIRST")
    produce(lesson, ProduceOptions(s))
    out = s.out_dir / LESSON
    en = {"video/en-compat.mp4", "subtitles/en.srt", "subtitles/en.vtt"}
    assert en <= _listed(out)

    # A run of Tai Dam alone: the approved English final is still valid, and listed.
    produce(lesson, ProduceOptions(s, languages=("blt",)))
    assert en <= _listed(out), "the run of blt alone left the valid English final out"
    manifest = _manifest(out)
    assert manifest["languages"] == ["vi", "blt", "en"]
    entry = next(f for f in manifest["files"]  # type: ignore[attr-defined]
                 if f["path"] == "video/en-compat.mp4")
    assert entry["review_state"] == "approved" and entry["approver"] == "rev"
    assert entry["codecs"] and entry["duration"] > 0
    assert verify(str(out)).ok
    # ... and what is built from the manifest has it: the offline bundle.
    bundle = make_bundle([out], ["vi", "en"], "compat", tmp_path / "usb", publish_options(s))
    assert any(p.name == "en-compat.mp4" for p in (tmp_path / "usb").rglob("*.mp4")), bundle

    # English edited and approved again, not rendered since: its final on disk is stale.
    _approve(s, "en", "SECOND")
    produce(lesson, ProduceOptions(s, languages=("blt",)))
    # Not this run's to remove: set aside out of the delivery folder (left31 item 3).
    assert (out / "outdated" / "video" / "en-compat.mp4").is_file()
    assert not (out / "video" / "en-compat.mp4").exists()
    assert not en & _listed(out), "a stale English final was listed"
    assert _manifest(out)["languages"] == ["vi", "blt"]

    # A whole run renders it again; then a run of one language lists it again.
    produce(lesson, ProduceOptions(s))
    produce(lesson, ProduceOptions(s, languages=("blt",)))
    assert en <= _listed(out)
    srt = (out / "subtitles" / "en.srt").read_text(encoding="utf-8")
    assert "SECOND" in srt and "FIRST" not in srt

    # The script changes: every approval of the lesson is withdrawn; nothing of English
    # is listed after a run of Tai Dam alone.
    script = lesson / "script.md"
    script.write_text(script.read_text(encoding="utf-8") + "\nMột câu mới ở cuối bài.\n",
                      encoding="utf-8")
    produce(lesson, ProduceOptions(s, languages=("blt",)))
    assert not en & _listed(out)


def test_a_ledger_from_another_version_is_not_trusted(tmp_path: Path) -> None:
    from pipeline.publish.finals import LEDGER, kept_finals
    (tmp_path / "final.mp4").write_bytes(b"x")
    import hashlib
    digest = hashlib.sha256(b"x").hexdigest()
    (tmp_path / LEDGER).parent.mkdir(parents=True)
    (tmp_path / LEDGER).write_text(json.dumps({"languages": {"hmn": {
        "basis": "b", "files": [{"path": "final.mp4", "sha256": digest, "kind": "video",
                                 "no_such_field": 1}, "not a dict", {}]}}}), "utf-8")
    assert kept_finals(tmp_path, {"hmn": "b"}, []).entries == ()
