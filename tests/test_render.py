"""Render: the compat profile as DESIGN.md specifies it, checked on the real file."""

from __future__ import annotations

from pathlib import Path

import av
import pytest

from pipeline.errors import FfmpegError, UnknownNameError
from pipeline.languages import Registry
from pipeline.media import probe
from pipeline.profiles import PROFILES, get_profile
from pipeline.render import render
from pipeline.subtitles import write_subtitles
from pipeline.types import Cue


def top_level_boxes(path: Path) -> list[str]:
    boxes, data, pos = [], path.read_bytes(), 0
    while pos + 8 <= len(data):
        size = int.from_bytes(data[pos:pos + 4], "big")
        boxes.append(data[pos + 4:pos + 8].decode("latin-1"))
        if size == 1:
            size = int.from_bytes(data[pos + 8:pos + 16], "big")
        if size < 8:
            break
        pos += size
    return boxes


@pytest.fixture(scope="module")
def compat_video(short_lesson: Path, registry: Registry,
                 tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("render")
    write_subtitles([Cue(0, 0, 500, 4000, ("Nhập mật khẩu", "để đăng nhập."))],
                    registry.get("vi"), out)
    dst = out / "vi-compat.mp4"
    rendered = render(short_lesson / "recording.mp4", out / "vi.ass", get_profile("compat"),
                      "vi", dst)
    assert rendered.codecs == ("avc1.42C01E", "mp4a.40.2")
    return dst


def test_compat_profile_streams(compat_video: Path) -> None:
    info = probe(compat_video)
    assert info.video is not None and info.audio is not None
    assert (info.video.codec, info.video.width, info.video.height) == ("h264", 854, 480)
    assert info.video.profile == "Constrained Baseline"
    assert info.video.level == 30
    assert round(info.video.fps) == 15
    assert (info.audio.codec, info.audio.channels) == ("aac", 1)
    assert info.audio.profile == "LC"


def test_compat_is_faststart(compat_video: Path) -> None:
    boxes = top_level_boxes(compat_video)
    assert boxes.index("moov") < boxes.index("mdat")


def test_subtitles_are_burned_in(compat_video: Path, short_lesson: Path,
                                 tmp_path: Path) -> None:
    # The bottom band differs from an unsubtitled render where the cue is shown.
    plain = tmp_path / "plain.mp4"
    render(short_lesson / "recording.mp4", None, get_profile("compat"), "vi", plain)

    def bottom_band(path: Path) -> bytes:
        with av.open(str(path)) as c:
            for frame in c.decode(video=0):
                if frame.time is not None and frame.time >= 2.0:
                    img = frame.to_ndarray(format="gray")
                    return bytes(img[400:470, 200:650].tobytes())
        raise AssertionError("no frame")

    a, b = bottom_band(compat_video), bottom_band(plain)
    diff = sum(abs(x - y) for x, y in zip(a, b, strict=True)) / len(a)
    assert diff > 10


def test_failed_render_leaves_nothing(tmp_path: Path) -> None:
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(b"\x00garbage" * 1000)
    dst = tmp_path / "video" / "vi-compat.mp4"
    with pytest.raises(FfmpegError) as info:
        render(bad, None, get_profile("compat"), "vi", dst)
    assert "compat" in str(info.value)
    assert not dst.exists()
    assert not any(dst.parent.iterdir()) if dst.parent.exists() else True


def test_profiles_table() -> None:
    assert {"compat", "tiny", "modern", "audio"} <= set(PROFILES)
    with pytest.raises(UnknownNameError):
        get_profile("4k")
