"""Subtitle files: SRT, WebVTT and ASS written by pysubs2, with the pipeline's line breaks."""

from __future__ import annotations

import errno
from pathlib import Path
from typing import Any

import pysubs2
import pytest

from pipeline.core.errors import DiskFullError
from pipeline.core.languages import Registry
from pipeline.core.types import Cue
from pipeline.subtitles.formats import STANDALONE_CANVAS, write_subtitles

CUES = [
    Cue(0, 0, 800, 3200, ("Xin chào bà con,", "hôm nay học trả tiền bằng mã QR.")),
    Cue(1, 1, 3300, 5000, ("Mở ứng dụng {ngân hàng}.",)),
]


def test_three_formats_round_trip(tmp_path: Path, registry: Registry) -> None:
    paths = write_subtitles(CUES, registry.get("vi"), tmp_path)
    assert sorted(p.name for p in paths) == ["vi.ass", "vi.srt", "vi.vtt"]
    for path in paths:
        subs = pysubs2.load(str(path), encoding="utf-8")
        assert [(e.start, e.end) for e in subs] == [(800, 3200), (3300, 5000)]
        assert subs[0].plaintext == "Xin chào bà con,\nhôm nay học trả tiền bằng mã QR."
    assert (tmp_path / "vi.vtt").read_text(encoding="utf-8").startswith("WEBVTT")


def test_ass_style_uses_language_font_and_no_wrapping(tmp_path: Path,
                                                      registry: Registry) -> None:
    write_subtitles(CUES, registry.get("blt"), tmp_path)
    subs = pysubs2.load(str(tmp_path / "blt.ass"))
    assert subs.styles["Default"].fontname == "Noto Sans Tai Viet"
    assert subs.info["WrapStyle"] == "2"
    # The standalone file is drawn on the canvas the render restyles for each output frame.
    assert (subs.info["PlayResX"], subs.info["PlayResY"]) == tuple(map(str, STANDALONE_CANVAS))
    # Braces would start an override block: they are neutralised.
    assert "(ngân hàng)" in subs[1].text and "{ngân" not in subs[1].text


def test_no_partial_file_on_failure(tmp_path: Path, registry: Registry,
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """The disk fills up half-way through the WebVTT file of a second run: the error says so,
    no temporary file is left, and the first run's WebVTT stays as it was. (The old test
    caused no failure at all, so it could not fail.)"""
    vi = registry.get("vi")
    write_subtitles(CUES, vi, tmp_path)
    before = (tmp_path / "vi.vtt").read_bytes()
    original = pysubs2.SSAFile.save

    def disk_fills(self: pysubs2.SSAFile, path: str, format_: str | None = None,
                   **kw: Any) -> None:
        if format_ == "vtt":
            Path(path).write_text("WEBVTT\n\n00:00:00.800 --> 00:0", encoding="utf-8")
            raise OSError(errno.ENOSPC, "No space left on device")
        original(self, path, format_=format_, **kw)

    monkeypatch.setattr(pysubs2.SSAFile, "save", disk_fills)
    changed = [Cue(0, 0, 0, 1500, ("Nội dung mới.",))]
    with pytest.raises(DiskFullError) as info:
        write_subtitles(changed, vi, tmp_path)
    assert "vi.vtt" in str(info.value) and info.value.exit_code == 4
    assert sorted(p.name for p in tmp_path.iterdir()) == ["vi.ass", "vi.srt", "vi.vtt"]
    assert (tmp_path / "vi.vtt").read_bytes() == before
