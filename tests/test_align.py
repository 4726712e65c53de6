"""Alignment on a generated lesson with known sentence times: the configured aligner (read
from the settings, so ``CAUNOI_ALIGNER=proportional`` must make these tests fail) and the
proportional baseline's helpers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipeline.core.config import Settings
from pipeline.core.errors import UnknownNameError
from pipeline.core.languages import Registry
from pipeline.core.types import Alignment
from pipeline.ingest import IngestOptions, ingest
from pipeline.speech.align import ALIGNERS, align, choose_aligner
from pipeline.speech.align.base import AlignOptions
from pipeline.speech.align.proportional import place_boundaries


def _errors_ms(short_lesson: Path, alignment: Alignment) -> list[int]:
    """Start and end error of every sentence against the generator's truth, in ms."""
    truth = json.loads((short_lesson / "truth.json").read_text(encoding="utf-8"))
    assert [s.index for s in alignment.sentences] == [t["index"] for t in truth]
    return [abs(getattr(got, f"{key}_ms") - round(1000 * want[key]))
            for got, want in zip(alignment.sentences, truth, strict=True)
            for key in ("start", "end")]


def test_configured_aligner_matches_generated_truth(short_lesson: Path, registry: Registry,
                                                    settings: Settings) -> None:
    """The aligner the settings name (default "auto" = DTW without a transcript) times every
    sentence of the short lesson. Measured 2026-11-27 on the generated narration: DTW max
    50 ms; the proportional baseline max 1579 ms (the hesitation inside sentence 1)."""
    ingested = ingest(short_lesson, registry, IngestOptions(out_dir=settings.out_dir))
    alignment = align(ingested, None, AlignOptions(aligner=settings.aligner))
    assert max(_errors_ms(short_lesson, alignment)) < 100  # measured 50 (DTW)
    for got in alignment.sentences:
        assert got.status == "matched"
        assert 0.0 < got.confidence <= 1.0
    starts = [s.start_ms for s in alignment.sentences]
    assert starts == sorted(starts)


def test_baseline_is_not_good_enough_on_the_sample(short_lesson: Path, registry: Registry,
                                                   settings: Settings) -> None:
    """The sample must not be the aligners' mirror: the blind proportional baseline has to
    miss a boundary by far more than the accuracy bound above (measured 1579 ms; on the old
    sample, narrated like the DTW templates with digital silence, 7 ms)."""
    ingested = ingest(short_lesson, registry, IngestOptions(out_dir=settings.out_dir))
    alignment = align(ingested, None, AlignOptions(aligner="proportional"))
    assert max(_errors_ms(short_lesson, alignment)) > 500  # measured 1579


def test_alignment_json_schema(short_lesson: Path, registry: Registry,
                               settings: Settings) -> None:
    ingested = ingest(short_lesson, registry, IngestOptions(out_dir=settings.out_dir))
    data = align(ingested, None).to_json()
    assert isinstance(data, list)
    for item in data:
        assert set(item) == {"index", "chapter", "text", "start", "end", "status", "confidence"}
        assert isinstance(item["start"], float) and isinstance(item["end"], float)
        assert item["status"] in {"matched", "skipped", "ad-lib"}


def test_place_boundaries_prefers_near_long_pauses() -> None:
    pauses = [(1000.0, 200), (2100.0, 900), (2500.0, 150), (4000.0, 700)]
    assert place_boundaries([2000.0, 3900.0], pauses, scale=1000.0) == [1, 3]


def test_place_boundaries_too_few_pauses() -> None:
    assert place_boundaries([1.0, 2.0, 3.0], [(1.0, 500)], scale=1.0) == [None, None, None]
    assert place_boundaries([], [(1.0, 500)], scale=1.0) == []


def test_unknown_aligner_lists_known() -> None:
    with pytest.raises(UnknownNameError) as info:
        choose_aligner("magic", None)
    assert all(name in str(info.value) for name in ALIGNERS)


def test_auto_without_transcript_runs() -> None:
    assert choose_aligner("auto", None).name in ALIGNERS
