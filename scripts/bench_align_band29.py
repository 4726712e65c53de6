#!/usr/bin/env python3
"""The weights-free DTW aligner with speech-detector variants side by side, in one process
(issue 29, speech regions under music beds and phone microphones): accuracy per condition
(``bench_align.py``'s scoring) for each ``--variant NAME:FIELD=VALUE,...`` of
:class:`~pipeline.speech.vad.VadOptions` against today's defaults ("default") and the
proportional baseline. Lessons: ``--lessons DIR`` (repeatable; folders with recording,
script and truth.json as ``bench_align.py --keep`` writes them).

Usage:
    nice python scripts/bench_align_band29.py --lessons /tmp/m29/tune \\
        --variant off:split_quiet_ms=0 --only band-music
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_align import Score, _table, evaluate
from bench_lessons import Truth

from pipeline.core.config import load_settings
from pipeline.core.languages import load_registry
from pipeline.core.types import Alignment, Ingested, Transcript
from pipeline.ingest import IngestOptions, ingest
from pipeline.speech.align import AlignOptions, audio
from pipeline.speech.align.base import Aligner
from pipeline.speech.align.dtw import DTWAligner, DTWOptions
from pipeline.speech.align.proportional import ProportionalAligner
from pipeline.speech.vad import EdgeOptions, VadOptions


def _variant(spec: str) -> tuple[str, VadOptions, EdgeOptions]:
    """``name:field=value,field=value`` → (name, VadOptions and EdgeOptions with those
    fields; each field goes to the one that has it)."""
    name, _, fields = spec.partition(":")
    opts: list[Any] = [VadOptions(), EdgeOptions()]
    for pair in filter(None, fields.split(",")):
        key, value = pair.split("=", 1)
        k = 0 if hasattr(opts[0], key) else 1
        old = getattr(opts[k], key)
        opts[k] = replace(opts[k], **{key: value.lower() in ("1", "true")
                                      if isinstance(old, bool) else type(old)(value)})
    return name, opts[0], opts[1]


class _Edges(DTWAligner):
    """The DTW aligner whose edge snapping uses ``edges`` (DTWOptions has no field for it:
    the snapping module's default options are swapped for the run)."""

    def __init__(self, options: DTWOptions, edges: EdgeOptions) -> None:
        super().__init__(options)
        self.edges = edges

    def align(self, ingested: Ingested, transcript: Transcript | None,
              opts: AlignOptions) -> Alignment:
        saved = getattr(audio, "EdgeOptions")  # noqa: B009 (not exported: swapped by name)
        setattr(audio, "EdgeOptions", lambda: self.edges)  # noqa: B010
        try:
            return super().align(ingested, transcript, opts)
        finally:
            setattr(audio, "EdgeOptions", saved)  # noqa: B010


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    p.add_argument("--lessons", type=Path, action="append", required=True)
    p.add_argument("--variant", action="append", default=[], metavar="NAME:FIELD=VALUE,...")
    p.add_argument("--only", default="", help="only lessons whose name contains this")
    p.add_argument("--cache", type=Path, default=Path("/tmp/caunoi-bench-band29"))
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    registry = load_registry(load_settings().glossary_dir)
    variants = [("default", VadOptions(), EdgeOptions()), *map(_variant, args.variant)]
    per: dict[str, dict[str, Score]] = {}
    per_set: dict[str, dict[str, Score]] = {}
    audio_s = 0.0
    for root in args.lessons:
        for lesson in sorted(d for d in root.iterdir() if (d / "truth.json").is_file()
                             and args.only in d.name):
            truth = [Truth(**t) for t in json.loads((lesson / "truth.json").read_text("utf-8"))]
            ingested = ingest(lesson, registry, IngestOptions(
                out_dir=args.cache / root.name / lesson.name))
            audio_s += ingested.media.duration_ms / 1000
            cond = lesson.name.rsplit("-", 1)[0]
            line = [lesson.name]
            runs: list[tuple[str, Aligner]] = [("proportional", ProportionalAligner())] + [
                (name, _Edges(replace(DTWOptions(), vad=v), e)) for name, v, e in variants]
            for label, aligner in runs:
                t0 = time.perf_counter()
                sc = evaluate(aligner.align(ingested, None, AlignOptions()), truth)
                sc.seconds = time.perf_counter() - t0
                per.setdefault(cond, {}).setdefault(label, Score()).add(sc)
                per_set.setdefault(root.name, {}).setdefault(label, Score()).add(sc)
                line.append(f"{label} {max(sc.errors):.0f}")
            print("  ".join(line), flush=True)
    total: dict[str, Score] = {}
    out: list[str] = []
    for cond, scores in sorted(per.items()):
        out += _table(f"\n{cond}", scores, "proportional")
        for label, s in scores.items():
            total.setdefault(label, Score()).add(s)
    for name, scores in per_set.items():
        out += _table(f"\nset {name} (all conditions)", scores, "proportional")
    out += _table(f"\nall ({len(per)} conditions)", total, "proportional")
    out.append(f"\n{audio_s:.0f} s of audio")
    print("\n".join(out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
