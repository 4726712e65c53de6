"""A lesson with every hard condition at once (southern espeak-ng voice, per-sentence pace,
long pauses, a restart and a hesitation, reverberant room, music bed 10–15 dB down,
telephone band and codec): the music notes and reverberation tails run into the speech
regions and the match is blurred. The aligner used to report a spoken sentence skipped (its
neighbour took its speech); every sentence must get its right status.

Times are not yet within the issue's targets on this lesson (median ≈ 0.4 s, worst ≈ 3 s,
measured 2026-11-27); the bound below guards the no-false-skip fix and the blip trimming
(before: median 594 ms, a sentence 13 s long reported skipped)."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from pipeline.core.config import PROJECT_ROOT
from pipeline.core.languages import Registry
from pipeline.ingest import IngestOptions, ingest
from pipeline.speech.align import AlignOptions, align

sys.path.insert(0, str(PROJECT_ROOT / "scripts"))
from bench_lessons import make_lesson


@pytest.mark.slow
def test_mixed_conditions_lesson_reports_no_false_skip(tmp_path: Path,
                                                       registry: Registry) -> None:
    lesson, truth, desc = make_lesson("mixed", 9000, tmp_path / "lessons", tmp_path, "unseen")
    assert desc.startswith("vi-vn-x-south")
    ingested = ingest(lesson, registry, IngestOptions(out_dir=tmp_path / "out"))
    result = align(ingested, None, AlignOptions(aligner="dtw"))
    got = {s.index: s for s in result.sentences if s.index is not None}
    script = [t for t in truth if t.status != "ad-lib"]
    errors = []
    for k, t in enumerate(script):
        assert got[k].status == t.status, (k, got[k].status, t.status)
        if t.status == "matched":
            errors += [abs(got[k].start_ms - 1000 * t.start), abs(got[k].end_ms - 1000 * t.end)]
    assert float(np.median(errors)) <= 450, errors
