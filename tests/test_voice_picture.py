"""The picture holds where the time map says: a test video run through ``hold_filter`` is
longer by the holds, shows the frame from just before each hold during it, and is in step
with the original after it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from pipeline.core.media import probe, run_ffmpeg
from pipeline.voice import TimeMap
from pipeline.voice.picture import hold_filter


def _frame(video: Path, at_s: float, tmp: Path) -> np.ndarray:
    raw = tmp / f"f{at_s:.3f}.gray"
    run_ffmpeg(["-ss", f"{at_s:.3f}", "-i", str(video), "-frames:v", "1", "-f", "rawvideo",
                "-pix_fmt", "gray", "-s", "64x48", str(raw)], "test frame", video)
    return np.frombuffer(raw.read_bytes(), dtype=np.uint8).astype(np.float64)


def _same(a: np.ndarray, b: np.ndarray) -> bool:
    return float(np.mean(np.abs(a - b))) < 2.0


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """5 s of ffmpeg's test pattern with a running clock: every frame differs."""
    path = tmp_path_factory.mktemp("pic") / "src.mp4"
    run_ffmpeg(["-f", "lavfi", "-i", "testsrc=size=160x120:rate=10:duration=5", "-c:v",
                "libx264", "-pix_fmt", "yuv420p", "-g", "1", str(path)], "test video", path)
    return path


def test_holds_freeze_the_frame_and_keep_step(source: Path, tmp_path: Path) -> None:
    tmap = TimeMap.from_holds([(2000, 1500), (5000, 1000)])
    out = tmp_path / "held.mp4"
    run_ffmpeg(["-i", str(source), "-vf", f"{hold_filter(tmap, 5000)},fps=10", "-c:v",
                "libx264", "-pix_fmt", "yuv420p", "-g", "1", str(out)], "test hold", out)
    assert abs(probe(out).duration_ms - 7500) <= 150
    before = _frame(source, 1.9, tmp_path)
    assert not _same(before, _frame(source, 2.5, tmp_path))  # the source keeps moving
    for t in (2.2, 2.9, 3.3):  # during the hold: the frame from just before it
        assert _same(_frame(out, t, tmp_path), before), t
    for orig in (2.5, 4.2):  # after it: in step with the original, moved by the hold
        assert _same(_frame(out, tmap.to_dub(round(orig * 1000)) / 1000, tmp_path),
                     _frame(source, orig, tmp_path)), orig
    assert _same(_frame(out, 7.2, tmp_path), _frame(source, 4.9, tmp_path))


def test_no_hold_is_a_null_filter() -> None:
    assert hold_filter(TimeMap(), 5000) == "null"
