"""Golden files: a fixed alignment of the sample script → cues → SRT, WebVTT and ASS.

These pin what reaches a viewer's screen (line breaks, timing, styles). A change that alters
them on purpose regenerates them with ``CAUNOI_UPDATE_GOLDEN=1 pytest tests/test_golden.py``
and the diff is reviewed in the commit.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from pipeline.core.languages import Registry
from pipeline.core.types import Alignment
from pipeline.subtitles.formats import write_subtitles
from pipeline.subtitles.segment import SegmentOptions, segment
from pipeline.translate.glossary import do_not_translate

GOLDEN = Path(__file__).parent / "data" / "golden"
UPDATE = os.environ.get("CAUNOI_UPDATE_GOLDEN") == "1"


@pytest.fixture(scope="module")
def written(registry: Registry, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    alignment = Alignment.from_json(
        json.loads((GOLDEN / "alignment.json").read_text(encoding="utf-8")), "fixed")
    source = registry.source
    cues = segment(alignment, source, SegmentOptions(
        protected=do_not_translate(registry.path.parent)))
    paths = write_subtitles(cues, source, tmp_path_factory.mktemp("golden"))
    out = {p.suffix.lstrip("."): p.read_text(encoding="utf-8") for p in paths}
    out["cues.json"] = json.dumps([c.to_json() for c in cues], ensure_ascii=False, indent=1)
    return out


@pytest.mark.parametrize("ext", ["srt", "vtt", "ass", "cues.json"])
def test_subtitles_match_golden_files(written: dict[str, str], ext: str) -> None:
    golden = GOLDEN / f"vi.{ext}"
    if UPDATE:
        golden.write_text(written[ext], encoding="utf-8")
    assert golden.is_file(), f"{golden} missing: run with CAUNOI_UPDATE_GOLDEN=1 once"
    assert written[ext] == golden.read_text(encoding="utf-8")


def test_golden_subtitles_read_by_other_tools() -> None:
    """webvtt-py and srt (not pysubs2, which writes them) read the golden WebVTT and SRT as
    the cues: the same times and lines."""
    from tests.interop import srt_cues, vtt_cues

    cues = json.loads((GOLDEN / "vi.cues.json").read_text(encoding="utf-8"))
    expected = [(c["start"], c["end"], "\n".join(c["lines"])) for c in cues]
    for read in (vtt_cues(GOLDEN / "vi.vtt"), srt_cues(GOLDEN / "vi.srt")):
        assert [(round(a, 3), round(b, 3), t) for a, b, t in read] == expected
