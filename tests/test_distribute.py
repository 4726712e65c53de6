"""Publishing: targets (local folder, S3 via a local moto server), manifest schema, catalog,
offline bundle with a plain HTML player, HLS, verification of corrupted copies."""

from __future__ import annotations

import json
import shutil
import socket
import zipfile
from collections.abc import Iterator
from pathlib import Path

import av
import jsonschema
import pytest

from flows.cli import main
from pipeline.core.config import PROJECT_ROOT
from pipeline.publish import distribute
from pipeline.publish.distribute import make_bundle, make_hls, publish, verify
from pipeline.steps import ProduceOptions, produce

NAMES = {"vi": "Tiếng Việt", "hmn": "Hmoob"}


@pytest.fixture(scope="module")
def produced(short_lesson: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    from pipeline.core.config import load_settings

    root = tmp_path_factory.mktemp("dist")
    settings = load_settings(config_file=root / "none.toml", env={}, out_dir=root / "out",
                             model_dir=root / "none", quality_gates=False)
    produce(short_lesson, ProduceOptions(settings, languages=("hmn",),
                                                       profiles=("compat", "tiny")))
    return settings.out_dir / "short-qr"


def test_publish_local_manifest_last_and_schema(produced: Path, tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    order: list[str] = []
    real_put = distribute._put

    def spy(fs: object, src: object, dst: str) -> None:
        order.append(dst.rsplit("/", 1)[-1])
        real_put(fs, src, dst)  # type: ignore[arg-type]

    monkeypatch.setattr(distribute, "_put", spy)
    target = tmp_path / "pub"
    result = publish(produced, str(target))
    assert order[-2:] == ["manifest.json", "catalog.json"]
    manifest = json.loads((target / "short-qr" / "manifest.json").read_text(encoding="utf-8"))
    schema = json.loads((PROJECT_ROOT / "pipeline" / "publish" / "manifest.schema.json")
                        .read_text(encoding="utf-8"))
    jsonschema.validate(manifest, schema)
    kinds = {f["kind"] for f in manifest["files"]}
    assert kinds == {"video", "subtitle", "thumbnail"}
    assert all(f["review_state"] != "draft" for f in manifest["files"])
    assert not any(f["language"] == "hmn" for f in manifest["files"])  # not approved
    assert {f["codecs"] for f in manifest["files"] if f["kind"] == "video"} == {
        "avc1.42C01E,mp4a.40.2", "avc1.4D401E,mp4a.40.2"}
    assert len(result.files) == len(manifest["files"])
    assert verify(str(target)).ok


def test_catalog_is_incremental(produced: Path, tmp_path: Path) -> None:
    target = tmp_path / "pub"
    publish(produced, str(target))
    first = json.loads((target / "catalog.json").read_text(encoding="utf-8"))
    again = publish(produced, str(target))
    second = json.loads((target / "catalog.json").read_text(encoding="utf-8"))
    assert again.files == [] and again.skipped
    assert first["etag"] == second["etag"]
    lesson = second["lessons"][0]
    assert lesson["id"] == "short-qr" and lesson["manifest"] == "short-qr/manifest.json"
    assert len(lesson["manifest_sha256"]) == 64


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def s3_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port)
    server.start()
    for k, v in {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
                 "AWS_DEFAULT_REGION": "us-east-1"}.items():
        monkeypatch.setenv(k, v)
    yield f"http://127.0.0.1:{port}"
    server.stop()


def test_publish_to_s3_compatible_store(produced: Path, s3_server: str) -> None:
    import s3fs

    options = {"client_kwargs": {"endpoint_url": s3_server}}
    fs = s3fs.S3FileSystem(**options)
    fs.mkdir("lessons")
    result = publish(produced, "s3://lessons/v1", storage_options=options)
    assert result.files
    assert fs.exists("lessons/v1/catalog.json")
    assert verify("s3://lessons/v1", options).ok
    fs.pipe("lessons/v1/short-qr/thumbnail.jpg", b"broken")
    assert verify("s3://lessons/v1", options).corrupt == ["lessons/v1/short-qr/thumbnail.jpg"]


def test_bundle_and_verify_corrupted_copy(produced: Path, tmp_path: Path) -> None:
    folder, zip_path, notes = make_bundle([produced], ["vi", "hmn"], "compat",
                                          tmp_path / "usb", NAMES)
    assert any("hmn" in n for n in notes)
    page = (folder / "index.html").read_text(encoding="utf-8")
    assert "<video" in page and "short-qr/video/vi-compat.mp4" in page and "<script" not in page
    with zipfile.ZipFile(zip_path) as z:
        assert "usb/index.html" in z.namelist()
    assert verify(str(folder)).ok
    copy = tmp_path / "copy"
    shutil.copytree(folder, copy)
    video = copy / "short-qr" / "video" / "vi-compat.mp4"
    data = bytearray(video.read_bytes())
    data[len(data) // 2] ^= 0xFF
    video.write_bytes(bytes(data))
    (copy / "short-qr" / "thumbnail.jpg").unlink()
    (copy / "short-qr" / "video" / "stray.mp4").write_bytes(b"x")
    report = verify(str(copy))
    assert not report.ok
    assert [Path(p).name for p in report.corrupt] == ["vi-compat.mp4"]
    assert [Path(p).name for p in report.missing] == ["thumbnail.jpg"]
    assert [Path(p).name for p in report.extra] == ["stray.mp4"]
    assert main(["verify", str(copy)]) == 1


def test_hls_master_playlist_reads(produced: Path) -> None:
    master = make_hls(produced)
    text = master.read_text(encoding="utf-8")
    assert text.count("#EXT-X-STREAM-INF") == 2 and 'TYPE=SUBTITLES' in text
    with av.open(str(master)) as c:
        kinds = sorted(s.type for s in c.streams)
    assert kinds.count("video") == 2 and "subtitle" in kinds


def test_cli_publish_default_target(produced: Path, capsys: pytest.CaptureFixture[str],
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CAUNOI_OUT_DIR", str(produced.parent))
    assert main(["publish", "short-qr"]) == 0
    assert (produced.parent / "published" / "catalog.json").is_file()


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("chromium") is None, reason="Debian chromium not installed")
def test_bundle_page_plays_in_chromium(produced: Path, tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    folder, _, _ = make_bundle([produced], ["vi"], "compat", tmp_path / "usb", NAMES)
    shots = PROJECT_ROOT / "output" / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=shutil.which("chromium"), headless=True,
            args=["--no-sandbox", "--disable-gpu", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update",
                  "--allow-file-access-from-files"])
        page = browser.new_page(viewport={"width": 360, "height": 640})
        page.goto((folder / "index.html").as_uri())
        assert page.locator("article").count() == 1
        page.wait_for_function("document.querySelector('video').readyState >= 1",
                               timeout=20000)
        duration = page.evaluate("document.querySelector('video').duration")
        page.screenshot(path=str(shots / "bundle-360x640.png"))
        browser.close()
    assert duration > 10
