"""Auto alignment with a weak transcript is never worse than the weights-free aligner: a
transcript that resembles the script but gets most syllables wrong (what Whisper base gives
on a phone recording) must not call spoken sentences skipped."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from pipeline.core.config import PROJECT_ROOT
from pipeline.core.languages import Registry
from pipeline.core.text import syllables
from pipeline.core.types import Transcript, TranscriptSegment, Word
from pipeline.ingest import IngestOptions, ingest
from pipeline.speech.align import AlignOptions, align, choose_aligner

sys.path.insert(0, str(PROJECT_ROOT / "scripts"))
from bench_lessons import Truth, make_lesson


def _weak(truth: list[Truth], rng: np.random.Generator, keep: float) -> Transcript:
    """Words at the true times; only ``keep`` of the syllables right, the others replaced by
    syllables from elsewhere in the script (so the transcript still 'resembles' it)."""
    pool = [t for x in truth for t in syllables(x.text)]
    segments = []
    for t in truth:
        if t.status == "skipped":
            continue
        toks = syllables(t.text)
        heard = [w if rng.random() < keep else str(rng.choice(pool)) for w in toks]
        a, b = int(t.start * 1000), int(t.end * 1000)
        step = (b - a) // len(heard)
        words = tuple(Word(a + i * step, a + (i + 1) * step, w, 0.6) for i, w in enumerate(heard))
        segments.append(TranscriptSegment(a, b, " ".join(heard), words))
    return Transcript("vi", "test", "weak", "", tuple(segments))


def test_weak_transcript_never_makes_auto_worse(tmp_path: Path, registry: Registry) -> None:
    lesson, truth, _ = make_lesson("telephone", 4242, tmp_path / "lessons", tmp_path)
    ingested = ingest(lesson, registry, IngestOptions(out_dir=tmp_path / "out"))
    weak = _weak(truth, np.random.default_rng(0), keep=0.25)
    assert choose_aligner("auto", weak, ingested).name == "hybrid"
    auto = align(ingested, weak, AlignOptions(aligner="auto"))
    dtw = align(ingested, None, AlignOptions(aligner="dtw"))
    script = [t for t in truth if t.status != "ad-lib"]
    got = {s.index: s for s in auto.sentences if s.index is not None}
    ref = {s.index: s for s in dtw.sentences if s.index is not None}
    for k, t in enumerate(script):
        if t.status == "matched":
            assert got[k].status == "matched", f"spoken sentence {k} reported skipped"
            err = max(abs(got[k].start_ms - 1000 * t.start), abs(got[k].end_ms - 1000 * t.end))
            ref_err = max(abs(ref[k].start_ms - 1000 * t.start),
                          abs(ref[k].end_ms - 1000 * t.end))
            assert err <= ref_err + 20, (k, err, ref_err)
    assert [got[k].status for k, t in enumerate(script) if t.status == "skipped"] == ["skipped"]
