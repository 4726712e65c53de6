"""Targets are never destroyed and paths are data (issue 17): every destructive and traversal
case a distributor hit, driven through the CLI, on lesson folders with a real manifest
(written by pipeline.publish.manifest) over small stand-in files; no media is decoded
because each case must be refused before anything is read or written."""

from __future__ import annotations

import json
import os
from pathlib import Path

import jsonschema
import pytest

from flows.cli import main
from pipeline.core.storage import sha256_file
from pipeline.core.types import Lesson
from pipeline.publish.manifest import SCHEMA_PATH, ManifestEntry, write_manifest
from pipeline.publish.verify import verify

LID = "fake-lesson"


def _fake_lesson(out_root: Path, lid: str = LID) -> Path:
    """A produced-looking lesson folder: a final source-language video and its subtitles."""
    out = out_root / lid
    (out / "video").mkdir(parents=True)
    (out / "subtitles").mkdir()
    (out / "video" / "vi-compat.mp4").write_bytes(b"not really a video")
    (out / "subtitles" / "vi.vtt").write_text("WEBVTT\n", encoding="utf-8")
    lesson = Lesson(id=lid, dir=out_root, title="Bài thử", languages=("hmn",),
                    profiles=("compat",), authors=(), chapters=(), sentences=(),
                    recording=out_root / "recording.mp4")
    write_manifest(out, lesson, [
        ManifestEntry(path=out / "video" / "vi-compat.mp4", kind="video", language="vi",
                      profile="compat", duration_ms=1000, review_state="final"),
        ManifestEntry(path=out / "subtitles" / "vi.vtt", kind="subtitle", language="vi",
                      review_state="final")], source="vi", title_card_s=2.5)
    return out


@pytest.fixture
def out_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "output"
    _fake_lesson(root)
    (root / "review.sqlite3").write_bytes(b"the review database")
    monkeypatch.setenv("CAUNOI_OUT_DIR", str(root))
    monkeypatch.chdir(tmp_path)
    return root


def _tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _siblings(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.parent.iterdir() if p.name.startswith(f".{folder.name}"))


# --- destructive cases ---------------------------------------------------------------------

def test_bundle_missing_lesson_keeps_existing_folder(out_root: Path, tmp_path: Path) -> None:
    usb = tmp_path / "usb"
    usb.mkdir()
    (usb / "notes.txt").write_text("giữ lại", encoding="utf-8")
    assert main(["bundle", "no-such-lesson", "--to", str(usb)]) == 2
    assert _tree(usb) == {"notes.txt": "giữ lại".encode()}
    assert _siblings(usb) == [] and not (tmp_path / "usb.zip").exists()


def test_bundle_to_current_folder_is_refused(out_root: Path, tmp_path: Path) -> None:
    (tmp_path / "mine.txt").write_text("x", encoding="utf-8")
    before = _tree(tmp_path)
    for to in (".", str(tmp_path), str(tmp_path.parent)):
        assert main(["bundle", LID, "--to", to, "--force"]) == 2
    assert _tree(tmp_path) == before


def test_bundle_to_output_root_is_refused(out_root: Path) -> None:
    before = _tree(out_root)
    assert main(["bundle", LID, "--to", str(out_root), "--force"]) == 2
    assert main(["bundle", LID, "--to", str(out_root / LID), "--force"]) == 2
    assert _tree(out_root) == before


def test_bundle_foreign_folder_refused_even_with_force(out_root: Path, tmp_path: Path) -> None:
    usb = tmp_path / "stick"
    (usb / "photos").mkdir(parents=True)
    (usb / "photos" / "a.jpg").write_bytes(b"jpg")
    assert main(["bundle", LID, "--to", str(usb), "--force"]) == 2
    assert _tree(usb) == {"photos/a.jpg": b"jpg"} and _siblings(usb) == []
    (tmp_path / "stick.zip").write_bytes(b"somebody's zip")
    empty = tmp_path / "empty"
    empty.mkdir()
    (tmp_path / "empty.zip").write_bytes(b"somebody's zip")
    assert main(["bundle", LID, "--to", str(empty), "--force"]) == 2
    assert (tmp_path / "empty.zip").read_bytes() == b"somebody's zip"


def test_bundle_missing_approved_language_writes_nothing(out_root: Path,
                                                         tmp_path: Path) -> None:
    usb = tmp_path / "usb"
    assert main(["bundle", LID, "--languages", "hmn", "--to", str(usb)]) == 2
    assert not usb.exists() and not (tmp_path / "usb.zip").exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".usb")] == []


def test_publish_to_output_root_or_foreign_folder_is_refused(out_root: Path,
                                                             tmp_path: Path) -> None:
    before = _tree(out_root)
    assert main(["publish", LID, "--to", str(out_root)]) == 2
    assert main(["publish", LID, "--to", "."]) == 2
    assert _tree(out_root) == before
    shop = tmp_path / "shop"
    shop.mkdir()
    (shop / "index.html").write_text("<p>shop</p>", encoding="utf-8")
    assert main(["publish", LID, "--to", str(shop)]) == 2
    assert _tree(shop) == {"index.html": b"<p>shop</p>"}


# --- traversal cases -----------------------------------------------------------------------

UNSAFE = ["../../outside.txt", "/etc/hostname", "../../../../etc/hostname", "video/../../x",
          "a//b", "./video/vi-compat.mp4", "C:/Windows/x", "video\\..\\x", ""]


def _edit_manifest(lesson_out: Path, **changes: object) -> None:
    path = lesson_out / "manifest.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    data.update(changes)
    path.write_text(json.dumps(data), encoding="utf-8")


@pytest.mark.parametrize("bad", UNSAFE)
def test_schema_rejects_unsafe_paths(bad: str, out_root: Path) -> None:
    data = json.loads((out_root / LID / "manifest.json").read_text(encoding="utf-8"))
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    jsonschema.validate(data, schema)
    data["files"][0]["path"] = bad
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(data, schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**data, "lesson_id": "../../x"}, schema)


def test_publish_refuses_traversing_lesson_id(out_root: Path, tmp_path: Path) -> None:
    _edit_manifest(out_root / LID, lesson_id="../../x")
    assert main(["publish", LID, "--to", str(tmp_path / "pub" / "a")]) == 2
    assert not (tmp_path / "x").exists() and not (tmp_path / "pub").exists()
    assert main(["publish", "../../x", "--to", str(tmp_path / "pub2")]) == 2
    assert not (tmp_path / "pub2").exists()


@pytest.mark.parametrize("bad", ["../../outside.txt", "/etc/hostname"])
def test_publish_and_bundle_refuse_traversing_entries(bad: str, out_root: Path,
                                                      tmp_path: Path) -> None:
    (tmp_path / "outside.txt").write_text("secret", encoding="utf-8")
    data = json.loads((out_root / LID / "manifest.json").read_text(encoding="utf-8"))
    data["files"][0]["path"] = bad
    _edit_manifest(out_root / LID, files=data["files"])
    assert main(["publish", LID, "--to", str(tmp_path / "pub")]) == 2
    assert main(["bundle", LID, "--to", str(tmp_path / "usb")]) == 2
    assert not (tmp_path / "pub").exists() and not (tmp_path / "usb").exists()


def test_publish_refuses_symlink_out_of_the_folder(out_root: Path, tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("secret", encoding="utf-8")
    link = out_root / LID / "subtitles" / "vi.vtt"
    link.unlink()
    os.symlink(secret, link)
    assert main(["publish", LID, "--to", str(tmp_path / "pub")]) == 2
    assert not (tmp_path / "pub").exists()


def test_verify_reports_unsafe_entries(out_root: Path, tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    lesson = out_root / LID
    hostname = Path("/etc/hostname")
    entry = {"kind": "data", "bytes": 1, "sha256": "0" * 64}
    if hostname.is_file():
        entry = {**entry, "bytes": hostname.stat().st_size, "sha256": sha256_file(hostname)}
    data = json.loads((lesson / "manifest.json").read_text(encoding="utf-8"))
    data["files"] += [{**entry, "path": p} for p in ("/etc/hostname", "../../../../etc/hostname")]
    _edit_manifest(lesson, files=data["files"])
    os.symlink(tmp_path / "secret.txt", lesson / "video" / "link.mp4")
    (tmp_path / "secret.txt").write_text("secret", encoding="utf-8")
    data["files"].append({**entry, "path": "video/link.mp4"})
    _edit_manifest(lesson, files=data["files"])
    report = verify(str(lesson))
    assert not report.ok
    unsafe = report.unsafe
    assert "/etc/hostname" in unsafe and "../../../../etc/hostname" in unsafe
    assert any(p.endswith("video/link.mp4") for p in unsafe)
    assert report.checked == 3  # the two safe entries and the symlink, never /etc
    assert main(["verify", str(lesson)]) == 1
    err = capsys.readouterr().err
    assert "/etc/hostname" in err and "không an toàn" in err
