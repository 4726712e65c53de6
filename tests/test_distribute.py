"""Publishing: targets (local folder, S3 via a local moto server), manifest schema, catalog,
offline bundle with a plain HTML player, HLS, verification of corrupted copies.

The lesson is produced for real (Vietnamese and Hmong, compat + tiny + audio); Hmong is
approved by a test reviewer whose cue texts are marked test data ("[test hmn] …"), never
presented as Hmong.
"""

from __future__ import annotations

import json
import shutil
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from flows.cli import main
from flows.env import free_port
from pipeline.core.config import PROJECT_ROOT, Settings
from pipeline.publish import targets
from pipeline.publish.bundle import make_bundle
from pipeline.publish.manifest import SCHEMA_PATH
from pipeline.publish.options import PublishOptions
from pipeline.publish.targets import publish
from pipeline.publish.verify import verify
from pipeline.steps.options import publish_options
from tests.chromium import chromium


@pytest.fixture(scope="module")
def dist_settings(distributed_lesson: tuple[Settings, Path]) -> Settings:
    return distributed_lesson[0]


@pytest.fixture(scope="module")
def produced(distributed_lesson: tuple[Settings, Path]) -> Path:
    """The short lesson produced in Vietnamese and Hmong (compat, tiny, audio), built once a
    session by ``tests.conftest.distributed_lesson`` for every module that imports it."""
    return distributed_lesson[1]


@pytest.fixture(scope="module")
def popts(dist_settings: Settings) -> PublishOptions:
    return publish_options(dist_settings)


def test_publish_local_manifest_and_schema(produced: Path, tmp_path: Path,
                                           popts: PublishOptions) -> None:
    import jsonschema

    target = tmp_path / "pub"
    result = publish(produced, str(target), popts)
    manifest = json.loads((target / "short-qr" / "manifest.json").read_text(encoding="utf-8"))
    jsonschema.validate(manifest, json.loads(SCHEMA_PATH.read_text(encoding="utf-8")))
    assert manifest["source_language"] == "vi" and manifest["title_card_s"] == 2.5
    assert manifest["subtitle_offset"] == 2.5
    kinds = {f["kind"] for f in manifest["files"]}
    assert kinds == {"video", "audio", "subtitle", "thumbnail"}
    assert all(f["review_state"] != "draft" for f in manifest["files"])
    assert {f["language"] for f in manifest["files"] if f["kind"] == "video"} == {"vi", "hmn"}
    assert {f["codecs"] for f in manifest["files"] if f["kind"] == "video"} == {
        "avc1.42C01E,mp4a.40.2", "avc1.4D401E,mp4a.40.2"}
    posters = {f["path"] for f in manifest["files"] if f["kind"] == "thumbnail"}
    assert {"posters/hmn-compat.jpg", "posters/vi-tiny.jpg", "thumbnail.jpg"} <= posters
    assert len(result.files) == len(manifest["files"])
    assert verify(str(target)).ok


def test_catalog_is_incremental(produced: Path, tmp_path: Path, popts: PublishOptions) -> None:
    target = tmp_path / "pub"
    publish(produced, str(target), popts)
    first = json.loads((target / "catalog.json").read_text(encoding="utf-8"))
    again = publish(produced, str(target), popts)
    second = json.loads((target / "catalog.json").read_text(encoding="utf-8"))
    assert again.files == [] and again.skipped
    assert first["etag"] == second["etag"]
    lesson = second["lessons"][0]
    assert lesson["id"] == "short-qr" and lesson["manifest"] == "short-qr/manifest.json"
    assert len(lesson["manifest_sha256"]) == 64
    assert not [p for p in target.iterdir() if ".caunoi-new-" in p.name]


@pytest.fixture
def s3_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port)
    server.start()
    for k, v in {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
                 "AWS_DEFAULT_REGION": "us-east-1"}.items():
        monkeypatch.setenv(k, v)
    yield f"http://127.0.0.1:{port}"
    server.stop()


def test_publish_to_s3_compatible_store(produced: Path, s3_server: str, popts: PublishOptions,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    import dataclasses

    import s3fs

    options = {"client_kwargs": {"endpoint_url": s3_server}}
    fs = s3fs.S3FileSystem(**options)
    fs.mkdir("lessons")
    order: list[str] = []
    real_put = targets._put

    def spy(fs_: object, src: object, dst: str) -> None:
        order.append(dst.rsplit("/", 1)[-1])
        real_put(fs_, src, dst)  # type: ignore[arg-type]

    monkeypatch.setattr(targets, "_put", spy)
    opts = dataclasses.replace(popts, storage_options=options)
    result = publish(produced, "s3://lessons/v1", opts)
    assert result.files and order[-2:] == ["manifest.json", "catalog.json"]
    assert fs.exists("lessons/v1/catalog.json")
    assert verify("s3://lessons/v1", options).ok
    fs.pipe("lessons/v1/short-qr/thumbnail.jpg", b"broken")
    report = verify("s3://lessons/v1", options)
    assert report.corrupt == ["lessons/v1/short-qr/thumbnail.jpg"]
    assert "6 byte" in report.problems[0].detail  # the size differs: not hashed
    fs.pipe("lessons/other/readme.txt", b"not ours")
    with pytest.raises(Exception, match="lessons/other"):
        publish(produced, "s3://lessons/other", opts)


def test_bundle_zip_verify_and_corrupted_copy(produced: Path, tmp_path: Path,
                                              popts: PublishOptions) -> None:
    result = make_bundle([produced], ["hmn", "vi"], "compat", tmp_path / "usb", popts)
    folder, zip_path = result.folder, result.zip
    page = (folder / "index.html").read_text(encoding="utf-8")
    assert '<a class="poster" href="short-qr/video/hmn-compat.mp4"' in page
    assert "<script" not in page and "<track" not in page
    mp3s = [p.name for p in (folder / "short-qr" / "audio").iterdir()]
    assert mp3s == ["vi-audio.mp3"] and page.count("short-qr/audio/vi-audio.mp3") == 2
    with zipfile.ZipFile(zip_path) as z:  # at the root: "Extract all" nests nothing twice
        assert "index.html" in z.namelist() and not any(n.startswith("usb/")
                                                        for n in z.namelist())
        z.extractall(tmp_path / "extracted")
    assert verify(str(folder)).ok and verify(str(zip_path)).ok
    assert verify(str(tmp_path / "extracted")).ok
    copy = tmp_path / "copy"
    shutil.copytree(folder, copy)
    video = copy / "short-qr" / "video" / "vi-compat.mp4"
    data = bytearray(video.read_bytes())
    data[len(data) // 2] ^= 0xFF
    video.write_bytes(bytes(data))
    (copy / "short-qr" / "posters" / "vi-compat.jpg").unlink()
    (copy / "short-qr" / "video" / "stray.mp4").write_bytes(b"x")
    report = verify(str(copy))
    assert not report.ok
    assert [Path(p).name for p in report.corrupt] == ["vi-compat.mp4"]
    assert [Path(p).name for p in report.missing] == ["vi-compat.jpg"]
    assert [Path(p).name for p in report.extra] == ["stray.mp4"]
    assert main(["verify", str(copy)]) == 1
    broken_zip = tmp_path / "broken.zip"
    with zipfile.ZipFile(zip_path) as src, zipfile.ZipFile(broken_zip, "w") as dst:
        for info in src.infolist():
            body = src.read(info)
            dst.writestr(info, body[:-1] + b"!" if info.filename.endswith(".jpg") else body)
    assert {Path(p).name for p in verify(str(broken_zip)).corrupt} == {
        "hmn-compat.jpg", "vi-compat.jpg"}


def test_bundle_replaces_only_its_own_previous_bundle(produced: Path, tmp_path: Path,
                                                      popts: PublishOptions) -> None:
    import dataclasses

    from pipeline.publish.errors import TargetRefusedError

    dst = tmp_path / "usb"
    make_bundle([produced], ["vi"], "compat", dst, popts)
    with pytest.raises(TargetRefusedError):  # a previous bundle: only with --force
        make_bundle([produced], ["hmn", "vi"], "compat", dst, popts)
    forced = dataclasses.replace(popts, force=True)
    make_bundle([produced], ["hmn", "vi"], "compat", dst, forced)
    assert "hmn-compat.mp4" in (dst / "index.html").read_text(encoding="utf-8")
    (dst / "my-notes.txt").write_text("a teacher's notes", encoding="utf-8")
    with pytest.raises(TargetRefusedError):  # something else is in it now
        make_bundle([produced], ["vi"], "compat", dst, forced)
    assert (dst / "my-notes.txt").is_file() and (dst / "short-qr" / "video").is_dir()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["usb", "usb.zip"]


def test_cli_publish_default_target(produced: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CAUNOI_OUT_DIR", str(produced.parent))
    assert main(["publish", "short-qr"]) == 0
    assert (produced.parent / "published" / "catalog.json").is_file()


def test_cli_bundle_exit_codes(produced: Path, tmp_path: Path,
                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CAUNOI_OUT_DIR", str(produced.parent))
    assert main(["bundle", "short-qr", "--languages", "hmn,blt", "--to",
                 str(tmp_path / "a")]) == 2
    assert not (tmp_path / "a").exists()
    assert main(["bundle", "short-qr", "--languages", "hmn", "--to", str(tmp_path / "b")]) == 0
    assert verify(str(tmp_path / "b.zip")).ok


def test_hls_ladder_clean_video_native_names(produced: Path, tmp_path: Path,
                                             popts: PublishOptions) -> None:
    import dataclasses

    import av
    import m3u8

    publish(produced, str(tmp_path / "pub"), dataclasses.replace(popts, hls=True))
    hls = tmp_path / "pub" / "short-qr" / "hls"
    master = m3u8.load(str(hls / "master.m3u8"))
    assert master.is_variant and len(master.playlists) >= 2
    rungs = [(p.uri, p.stream_info.bandwidth, p.stream_info.resolution, p.stream_info.codecs)
             for p in master.playlists]
    assert [r[0] for r in rungs] == ["tiny.m3u8", "compat.m3u8"]
    assert rungs[0][1] < rungs[1][1] and all(r[2] and r[3].startswith("avc1.") for r in rungs)
    subs = {m.language: m for m in master.media if m.type == "SUBTITLES"}
    assert set(subs) == {"vi", "hmn"}
    assert subs["hmn"].name == "Hmoob" and subs["vi"].name == "Tiếng Việt"
    assert subs["vi"].default == "YES" and subs["hmn"].default == "NO"
    for p in master.playlists:
        media = m3u8.load(str(hls / p.uri))
        assert media.is_endlist and len(media.segments) >= 2
        assert all(s.duration <= media.target_duration for s in media.segments)
    vtt = (hls / "subs-hmn.vtt").read_text(encoding="utf-8")
    assert "X-TIMESTAMP-MAP=MPEGTS:" in vtt and "[test hmn] 0" in vtt
    # The rungs are clean: in the subtitle band a rung matches the source recording, and a
    # final with burned subtitles does not, at a mid-cue moment.
    recording = json.loads((produced / "ingest.json").read_text(encoding="utf-8"))
    source = Path(recording["lesson"]["recording"])
    # Mid-cue of the second cue (after the chapter banner), from the lesson's own cues.
    cue = json.loads((produced / "subtitles" / "vi.cues.json").read_text(encoding="utf-8"))[1]
    at = (cue["start"] + cue["end"]) / 2
    title_s = json.loads((produced / "manifest.json").read_text(encoding="utf-8")).get(
        "title_card_s", 2.5)
    size = (rungs[0][2][0], rungs[0][2][1])
    src = _band(source, at, size)
    clean = float(np.abs(_band(hls / "tiny.m3u8", at, size) - src).mean())
    burned = float(np.abs(_band(produced / "video" / "vi-tiny.mp4", at + title_s, size)
                          - src).mean())
    assert clean * 2 < burned, (clean, burned)
    with av.open(str(hls / "master.m3u8")) as c:
        kinds = sorted(s.type for s in c.streams)
        frame = next(c.decode(video=0))
    assert kinds.count("video") == 2 and kinds.count("subtitle") == 2
    assert frame.width > 0
    assert verify(str(tmp_path / "pub")).ok


def _band(path: Path, at_s: float, size: tuple[int, int]) -> np.ndarray:
    """The bottom third (where subtitles are burned) of the frame at ``at_s``, grey."""
    import av

    shown = None
    with av.open(str(path)) as c:
        # The frame on screen at at_s: the last one that starts by then (a still screen is
        # one frame in variable-frame-rate renders).
        for frame in c.decode(c.streams.video[0]):
            if frame.time is not None and frame.time > at_s:
                break
            shown = frame
        if shown is None:
            raise AssertionError(f"no frame at {at_s} s in {path}")
        img = shown.reformat(width=size[0], height=size[1], format="gray").to_ndarray()
    return img[size[1] * 2 // 3:].astype(np.float32)


def _check_page(page: object, base: str, folder: Path) -> dict[str, Any]:
    """Picker, touch targets, links and playback of the bundle page at ``base``."""
    from playwright.sync_api import Page

    assert isinstance(page, Page)
    page.goto(f"{base}/index.html")
    first = page.evaluate("document.querySelector('header').nextElementSibling.tagName")
    names = page.locator("nav a").all_inner_texts()
    # The buttons on screen: the picker and the language shown (one section at a time).
    shown = page.locator("a.big:visible")
    heights = [shown.nth(i).bounding_box()["height"]  # type: ignore[index]
               for i in range(shown.count())]
    links = page.evaluate("""[...document.querySelectorAll('a[href],img[src]')]
        .map(e => e.getAttribute('href') || e.getAttribute('src'))""")
    for href in links:
        if href.startswith("#"):
            assert page.locator(href).count() == 1, href
        else:
            assert (folder / href).is_file(), href
            if base.startswith("http"):
                assert page.request.get(f"{base}/{href}").status == 200, href
    text = page.inner_text("body")
    # Tapping a poster opens the video in the browser's own player, which plays it.
    page.click("a.poster >> nth=0")
    page.wait_for_function("document.querySelector('video') && "
                           "document.querySelector('video').currentTime > 0.5", timeout=30000)
    duration = page.evaluate("document.querySelector('video').duration")
    page.go_back()
    return {"duration": duration,"first": first, "names": names, "heights": heights,
            "text": text, "links": links}


@pytest.mark.slow
@pytest.mark.skipif(not Path("/usr/bin/chromium").is_file(), reason="Debian chromium missing")
def test_bundle_page_in_chromium(produced: Path, tmp_path: Path, popts: PublishOptions) -> None:
    import functools
    import http.server
    import threading

    from pipeline.core.i18n import BUNDLE

    folder = make_bundle([produced], ["hmn", "vi"], "compat", tmp_path / "usb", popts).folder
    shots = PROJECT_ROOT / "output" / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with chromium("--autoplay-policy=no-user-gesture-required") as browser:
            page = browser.new_page(viewport={"width": 360, "height": 640})
            local = _check_page(page, folder.as_uri(), folder)
            page.goto(folder.as_uri() + "/index.html")
            page.screenshot(path=str(shots / "bundle-360x640.png"))
            page.click("nav a[href='#lang-hmn']")
            page.wait_for_timeout(300)
            page.screenshot(path=str(shots / "bundle-360x640-hmn.png"))
            served = _check_page(page, f"http://127.0.0.1:{server.server_port}", folder)
    finally:
        server.shutdown()
        server.server_close()
    assert local["first"] == "NAV" and local["names"] == ["Hmoob", "Tiếng Việt"]
    assert len(local["heights"]) >= 4 and min(local["heights"]) >= 48
    text = str(local["text"])
    # Hmong is shown first, with no interface words here: icons, no Vietnamese words. Its
    # title is the one its reviewers approved (the manifest's), else the Vietnamese one
    # marked with the language's own name.
    from pipeline.publish.manifest import load_manifest

    hmn_title = load_manifest(produced).title.get("hmn")
    expected = hmn_title or "Trả tiền bằng mã QR khi đi chợ (Tiếng Việt)"
    assert expected in " ".join(text.split())
    assert "Giọng đọc" not in text and "Lưu video" not in text and "▶" in text
    assert local["duration"] > 10 and served["duration"] > 10
    english = [en for vi, en in BUNDLE.values() if en != vi and "{" not in en]
    assert not [en for en in english if en in text]
    assert served["links"] == local["links"]
    # Each language's poster shows its own burned subtitles: the two posters differ in the
    # subtitle band and match elsewhere.
    hmn = _band(folder / "short-qr" / "posters" / "hmn-compat.jpg", 0, (360, 204))
    vi = _band(folder / "short-qr" / "posters" / "vi-compat.jpg", 0, (360, 204))
    assert float(np.abs(hmn - vi).mean()) > 2.0
