"""Subtitle files: SRT, WebVTT and ASS written by pysubs2, with the pipeline's line breaks."""

from __future__ import annotations

from pathlib import Path

import pysubs2

from pipeline.core.languages import Registry
from pipeline.core.types import Cue
from pipeline.speech.subtitles import write_subtitles

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
    assert subs.info["PlayResY"] == "480"
    # Braces would start an override block: they are neutralised.
    assert "(ngân hàng)" in subs[1].text and "{ngân" not in subs[1].text


def test_no_partial_file_on_failure(tmp_path: Path, registry: Registry) -> None:
    write_subtitles(CUES, registry.get("vi"), tmp_path)
    assert not list(tmp_path.glob(".*part*"))
