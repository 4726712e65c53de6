"""Issue 29 (open30), on generated lessons: a spoken sentence whose speech the speech detector
joined to an ad-lib or to the next sentence (a pause of 0.2–0.3 s) is not reported skipped.

- band-music, seed 9700 (texts "fresh"): sentence 1 (3.5 s) and a 2.1 s ad-lib, 0.3 s apart,
  are one speech region; the unit assignment left the region unmatched (an ad-lib) and the
  sentence skipped.
- shift-up, seed 9701: sentence 2 and the start of sentence 3, 0.2 s apart, are one region,
  and the shifted voice fits every template badly: sentence 2 was skipped.

Both are lessons of the diagnosis set held9700; the skipped sentence must still be found."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from pipeline.core.config import PROJECT_ROOT
from pipeline.core.languages import Registry
from pipeline.core.text import syllable_count
from pipeline.ingest import IngestOptions, ingest
from pipeline.speech.align import AlignOptions, align
from pipeline.speech.align.audio import wav_regions

sys.path.insert(0, str(PROJECT_ROOT / "scripts"))
from bench_lessons import make_lesson


@pytest.mark.slow
@pytest.mark.parametrize(("condition", "seed", "shared"), [("band-music", 9700, 1),
                                                            ("shift-up", 9701, 2)])
def test_a_sentence_sharing_a_speech_region_is_not_skipped(
        condition: str, seed: int, shared: int, tmp_path: Path, registry: Registry) -> None:
    lesson, truth, _ = make_lesson(condition, seed, tmp_path / "lessons", tmp_path, "fresh")
    ingested = ingest(lesson, registry, IngestOptions(out_dir=tmp_path / "out"))
    script = [t for t in truth if t.status != "ad-lib"]
    # The premise: the sentence's speech and what follows it are one speech region.
    after = truth[truth.index(script[shared]) + 1]
    regions = wav_regions(ingested.audio_wav,
                          sum(syllable_count(s.text) for s in ingested.lesson.sentences))
    assert any(a <= 1000 * script[shared].start + 300 and 1000 * after.start + 300 <= b
               for a, b in regions), regions
    result = align(ingested, None, AlignOptions(aligner="dtw"))
    got = {s.index: s for s in result.sentences if s.index is not None}
    assert [got[k].status for k in range(len(script))] == [t.status for t in script]
    assert abs(got[shared].start_ms - 1000 * script[shared].start) <= 300
