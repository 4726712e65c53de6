"""A lesson with every hard condition at once (southern espeak-ng voice, per-sentence pace,
long pauses, a restart and a hesitation, reverberant room, music bed 10–15 dB down,
telephone band and codec): the music notes and reverberation tails run into the speech
regions and the match is blurred. The aligner used to report a spoken sentence skipped (its
neighbour took its speech); every sentence must get its right status.

The energy regions' edges are pulled in to the speech band (1–3.4 kHz), and a region running
on from a sentence cut by a long pause is split at the next sentence's start: median 187 ms,
worst 2.9 s (an ad-lib taken into a sentence), measured 2026-11-27 (before: median 377 ms;
before the blip trimming, 594 ms and a sentence 13 s long reported skipped)."""

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
    assert float(np.median(errors)) <= 250, errors
