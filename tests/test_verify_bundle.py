"""`verify` checks the whole bundle (issue 28): the page and every file against the bundle's
own checksum list, extra files, entries outside the root (``..``, absolute, NUL, links),
sizes before hashes, a publish target's catalog, zip bombs by ratio and total size. Hostile
bundles are built here from one small generated lesson (a 4 s 96×160 video)."""

from __future__ import annotations

import json
import os
import shutil
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from flows.cli import main
from pipeline.core.limits import Limits
from pipeline.core.media import run_ffmpeg
from pipeline.core.types import Lesson
from pipeline.publish.manifest import ManifestEntry, write_manifest
from pipeline.publish.verify import verify

LID = "fake-lesson"
REDIRECT = ('<!doctype html><meta http-equiv="refresh" content="0;url=http://example.invalid/">'
            '<script>location="http://example.invalid/"</script>')


@pytest.fixture(autouse=True)
def english(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CAUNOI_UI_LANG", "en")


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``root/usb`` and ``root/usb.zip`` made by ``caunoi bundle``, and ``root/pub`` made by
    ``caunoi publish``, from a produced-looking lesson with a real (tiny) video."""
    root = tmp_path_factory.mktemp("bundle")
    out = root / "output" / LID
    (out / "video").mkdir(parents=True)
    (out / "subtitles").mkdir()
    video = out / "video" / "vi-compat.mp4"
    run_ffmpeg(["-f", "lavfi", "-i", "testsrc=s=96x160:d=4:r=5", "-f", "lavfi", "-i",
                "sine=d=4", "-c:v", "libx264", "-c:a", "aac", "-shortest", str(video)],
               action="test", path=video)
    (out / "subtitles" / "vi.vtt").write_text("WEBVTT\n", encoding="utf-8")
    lesson = Lesson(id=LID, dir=root, title="Bài thử", languages=("hmn",), profiles=("compat",),
                    authors=(), chapters=(), sentences=(), recording=root / "recording.mp4")
    write_manifest(out, lesson, [
        ManifestEntry(path=video, kind="video", language="vi", profile="compat",
                      duration_ms=4000, review_state="final"),
        ManifestEntry(path=out / "subtitles" / "vi.vtt", kind="subtitle", language="vi",
                      review_state="final")], source="vi", title_card_s=2.5)
    old = os.environ.get("CAUNOI_OUT_DIR")
    os.environ["CAUNOI_OUT_DIR"] = str(root / "output")
    try:
        assert main(["bundle", LID, "--to", str(root / "usb")]) == 0
        assert main(["publish", LID, "--to", str(root / "pub")]) == 0
    finally:
        if old is None:
            os.environ.pop("CAUNOI_OUT_DIR")
        else:
            os.environ["CAUNOI_OUT_DIR"] = old
    return root


@pytest.fixture
def usb(made: Path, tmp_path: Path) -> Iterator[Path]:
    copy = tmp_path / "usb"
    shutil.copytree(made / "usb", copy, symlinks=True)
    yield copy


def _rezip(src: Path, dst: Path, extra: list[tuple[zipfile.ZipInfo | str, bytes]]) -> Path:
    with zipfile.ZipFile(src) as a, zipfile.ZipFile(dst, "w") as b:
        for info in a.infolist():
            b.writestr(info, a.read(info))
        for name, body in extra:
            b.writestr(name, body, compress_type=zipfile.ZIP_DEFLATED)
    return dst


def test_clean_bundle_passes_and_lists_every_file(made: Path) -> None:
    listed = json.loads((made / "usb" / "checksums.json").read_text(encoding="utf-8"))
    paths = {f["path"] for f in listed["files"]}
    assert "index.html" in paths and f"{LID}/video/vi-compat.mp4" in paths
    for target in (made / "usb", made / "usb.zip"):
        report = verify(str(target))
        assert report.ok and report.checked == len(paths), report.problems


def test_replaced_page_is_corrupt(usb: Path, capsys: pytest.CaptureFixture[str]) -> None:
    page = usb / "index.html"
    page.write_text(REDIRECT, encoding="utf-8")
    assert [Path(p).name for p in verify(str(usb)).corrupt] == ["index.html"]
    assert main(["--en", "verify", str(usb)]) == 1
    assert "1 corrupt" in capsys.readouterr().out
    # The same size, other bytes: found by the hash.
    original = (usb / "checksums.json").read_text(encoding="utf-8")
    want = next(f for f in json.loads(original)["files"] if f["path"] == "index.html")
    page.write_bytes(REDIRECT.encode().ljust(want["bytes"], b" ")[:want["bytes"]])
    report = verify(str(usb))
    assert report.corrupt == [str(page)] and "sha256" in report.problems[0].detail


def test_added_file_fails_a_bundle(usb: Path, made: Path, tmp_path: Path,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    (usb / "setup.exe").write_bytes(b"MZ" + bytes(100))
    report = verify(str(usb))
    assert [Path(p).name for p in report.extra] == ["setup.exe"] and not report.ok
    assert main(["--en", "verify", str(usb)]) == 1
    assert "1 extra" in capsys.readouterr().out
    zipped = _rezip(made / "usb.zip", tmp_path / "added.zip", [("setup.exe", b"MZ")])
    report = verify(str(zipped))
    assert report.extra == ["setup.exe"] and not report.ok


def test_missing_checksum_list_fails(usb: Path) -> None:
    (usb / "checksums.json").unlink()
    report = verify(str(usb))
    assert not report.ok and any(p.endswith("checksums.json") for p in report.missing)


def test_zip_entries_outside_the_root_are_refused_unread(
        made: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    link = zipfile.ZipInfo("link.mp4")
    link.external_attr = 0o120777 << 16
    hostile = _rezip(made / "usb.zip", tmp_path / "hostile.zip", [
        ("../../evil.txt", b"x"), ("/etc/evil.txt", b"x"), ("nulXname.txt", b"x"),
        (link, b"/etc/hostname")])
    data = hostile.read_bytes().replace(b"nulXname.txt", b"nul\x00name.txt")
    hostile.write_bytes(data)
    report = verify(str(hostile))
    unsafe = report.unsafe
    assert not report.ok
    assert "../../evil.txt" in unsafe and "/etc/evil.txt" in unsafe
    assert "nul\\x00name.txt" in unsafe and "link.mp4" in unsafe
    assert not (tmp_path.parent / "evil.txt").exists()
    assert main(["--en", "verify", str(hostile)]) == 1


def test_folder_links_are_refused_unread(usb: Path) -> None:
    os.symlink("/etc/hostname", usb / LID / "video" / "more.mp4")
    target = usb / LID / "video" / "vi-compat.mp4"
    target.unlink()
    os.symlink("/dev/zero", target)  # hashed, it would never end
    report = verify(str(usb))
    assert not report.ok
    assert {Path(p).name for p in report.unsafe} >= {"more.mp4", "vi-compat.mp4"}


def test_zip_bomb_refused_by_ratio_and_total_size(
        made: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bomb = tmp_path / "bomb.zip"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as z:
        with zipfile.ZipFile(made / "usb.zip") as src:
            for i in src.infolist():
                z.writestr(i, src.read(i))
        with z.open("zeros.bin", "w", force_zip64=True) as f:
            for _ in range(16):  # 16 MB of zeros deflate to ~16 KB
                f.write(bytes(1 << 20))

    def never(*args: object, **kw: object) -> bytes:
        raise AssertionError("a refused zip was read")

    monkeypatch.setattr(zipfile.ZipExtFile, "read", never)
    report = verify(str(bomb))
    assert not report.ok and report.unsafe == ["zeros.bin"]
    assert "max_zip_ratio" in report.problems[0].detail
    # Not a bomb by ratio (stored), but over the total size allowed.
    small = verify(str(made / "usb.zip"), limits=Limits(max_bundle_mb=0))
    assert not small.ok and "max_bundle_mb" in small.problems[0].detail


def test_size_compared_before_hashing(usb: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from pipeline.publish import paths

    video = usb / LID / "video" / "vi-compat.mp4"
    with video.open("ab") as f:
        f.write(bytes(4096))
    hashed: list[str] = []
    real = paths.fs_sha256

    def spy(fs: object, path: str) -> str:
        hashed.append(path)
        return real(fs, path)

    for module in list(__import__("sys").modules.values()):
        if getattr(module, "fs_sha256", None) is real and module is not paths:
            monkeypatch.setattr(module, "fs_sha256", spy)
    report = verify(str(usb))
    assert report.corrupt == [str(video)] and "not hashed" in report.problems[0].detail
    assert str(video) not in hashed and str(usb / "index.html") in hashed


def test_publish_target_catalog_is_checked(made: Path, tmp_path: Path) -> None:
    pub = tmp_path / "pub"
    shutil.copytree(made / "pub", pub)
    assert verify(str(pub)).ok
    catalog = pub / "catalog.json"
    data = json.loads(catalog.read_text(encoding="utf-8"))
    data["lessons"][0]["manifest_sha256"] = "0" * 64
    catalog.write_text(json.dumps(data), encoding="utf-8")
    report = verify(str(pub))
    assert not report.ok and report.corrupt == [str(pub / LID / "manifest.json")]
    data["lessons"] = []
    catalog.write_text(json.dumps(data), encoding="utf-8")
    report = verify(str(pub))
    assert not report.ok and report.corrupt == [str(catalog)]
    catalog.unlink()
    report = verify(str(pub))
    assert not report.ok and report.missing == [str(catalog)]


def test_zip_entry_failing_its_crc_is_corrupt(made: Path, tmp_path: Path) -> None:
    """A stored entry whose bytes changed under its CRC: reported, not an internal error."""
    raw = bytearray((made / "usb.zip").read_bytes())
    with zipfile.ZipFile(made / "usb.zip") as z:
        info = z.getinfo(f"{LID}/video/vi-compat.mp4")
    assert info.compress_type == zipfile.ZIP_STORED
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    raw[start + info.file_size // 2] ^= 0xFF
    broken = tmp_path / "crc.zip"
    broken.write_bytes(bytes(raw))
    report = verify(str(broken))
    assert report.corrupt == [f"{LID}/video/vi-compat.mp4"], report.problems


def test_file_manager_leftovers_are_not_extra(usb: Path) -> None:
    (usb / ".DS_Store").write_bytes(b"\0\0\0\1Bud1")
    (usb / LID / "Thumbs.db").write_bytes(b"x")
    assert verify(str(usb)).ok
