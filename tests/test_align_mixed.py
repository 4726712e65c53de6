"""A lesson with every hard condition at once (southern espeak-ng voice, per-sentence pace,
long pauses, a restart and a hesitation, reverberant room, music bed 10–15 dB down,
telephone band and codec): the music notes and reverberation tails run into the speech
regions and the match is blurred. The aligner used to report a spoken sentence skipped (its
neighbour took its speech); every sentence must get its right status.

Times are not yet within the issue's targets on this lesson (median ≈ 0.4 s, worst ≈ 3 s,
measured 2026-11-27); the bound below guards the no-false-skip fix and the blip trimming
(before: median 594 ms, a sentence 13 s long reported skipped)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from pipeline.core.languages import Registry
from tests.test_align_telephone import boundary_errors


@pytest.mark.slow
def test_mixed_conditions_lesson_reports_no_false_skip(tmp_path: Path,
                                                       registry: Registry) -> None:
    errors = boundary_errors("mixed", tmp_path, registry)
    assert float(np.median(errors)) <= 450, errors
