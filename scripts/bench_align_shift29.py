#!/usr/bin/env python3
"""The weights-free aligner on several lesson sets, before and after (``--set`` overrides of
today's :class:`DTWOptions`), in one process: accuracy per set (``bench_align.py``'s scoring),
time ratio, and the calibration of the confidence: how many spoken sentences the aligner
places more than ``--off`` ms from their true start while claiming confidence ≥ 0.5 (the ear
is asked only below 0.5, so these are errors nobody checks).

"before" is ``--before`` overrides of today's defaults (the new mechanisms switched off by
their options); "after" is today's defaults with ``--set`` overrides.

Usage:
    nice python scripts/bench_align_shift29.py /tmp/m29/tune /tmp/m29/held9600 \
        [--before FIELD=VALUE ...] [--set FIELD=VALUE ...] [--only shift-phone] [--dump F]
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
from pipeline.core.types import Alignment
from pipeline.ingest import IngestOptions, ingest
from pipeline.speech.align import AlignOptions
from pipeline.speech.align.dtw import DTWAligner, DTWOptions


def _options(pairs: list[str]) -> DTWOptions:
    """Today's defaults with ``field=value`` overrides (``--set own_band=true``,
    ``--set confidence.contrast_full=0``)."""
    o = DTWOptions()
    for pair in pairs:
        key, value = pair.split("=", 1)
        if "." in key:
            outer, inner = key.split(".", 1)
            sub = getattr(o, outer)
            o = replace(o, **{outer: replace(sub, **{inner: _parse(getattr(sub, inner), value)})})
        else:
            o = replace(o, **{key: _parse(getattr(o, key), value)})
    return o


def _parse(old: Any, value: str) -> Any:
    """``value`` as the type of the field's default (``false`` is False for a flag)."""
    if isinstance(old, bool):
        return value.lower() in ("1", "true", "yes", "on")
    if isinstance(old, tuple):
        return tuple(type(old[0])(v) for v in value.split(",") if v)
    return type(old)(value)


def calibration(result: Alignment, truth: list[Truth], off_ms: float
                ) -> tuple[int, int, list[tuple[float, float]]]:
    """(spoken sentences > off_ms from their start with confidence ≥ 0.5, those > off_ms,
    (confidence, |start error|) of every spoken sentence placed)."""
    script = [t for t in truth if t.status != "ad-lib"]
    by_index = {s.index: s for s in result.sentences if s.index is not None}
    pairs = []
    for k, t in enumerate(script):
        r = by_index[k]
        if t.status == "skipped" or r.status == "skipped":
            continue
        pairs.append((r.confidence, abs(r.start_ms - 1000 * t.start)))
    bad = [c for c, e in pairs if e > off_ms]
    return sum(c >= 0.5 for c in bad), len(bad), pairs


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    p.add_argument("sets", type=Path, nargs="+")
    p.add_argument("--only", default="", help="lesson name prefix (a condition)")
    p.add_argument("--set", action="append", default=[], metavar="FIELD=VALUE")
    p.add_argument("--before", action="append", default=[], metavar="FIELD=VALUE")
    p.add_argument("--skip-before", action="store_true")
    p.add_argument("--off", type=float, default=300.0)
    p.add_argument("--dump", type=Path, default=None, help="per-sentence results (JSON)")
    p.add_argument("--cache", type=Path, default=Path("/tmp/shift29/ingest"))
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    registry = load_registry(load_settings().glossary_dir)
    runs = {"before": _options(args.before), "after": _options(args.set)}
    if args.skip_before:
        del runs["before"]
    dump: list[dict[str, object]] = []
    for root in args.sets:
        per: dict[str, Score] = {}
        cal = {label: [0, 0] for label in runs}
        for lesson in sorted(d for d in root.iterdir() if (d / "truth.json").is_file()
                             and d.name.startswith(args.only)):
            truth = [Truth(**t) for t in json.loads((lesson / "truth.json").read_text())]
            ingested = ingest(lesson, registry, IngestOptions(
                out_dir=args.cache / root.name / lesson.name))
            line = [f"{lesson.name:18}"]
            for label, o in runs.items():
                t0 = time.perf_counter()
                result = DTWAligner(o).align(ingested, None, AlignOptions())
                sc = evaluate(result, truth)
                sc.seconds = time.perf_counter() - t0
                per.setdefault(label, Score()).add(sc)
                hi, bad, pairs = calibration(result, truth, args.off)
                cal[label][0] += hi
                cal[label][1] += bad
                line.append(f"{label} max {max(sc.errors):6.0f} f{sc.false_skips} "
                            f"m{sc.missed_skips} a{sc.adlib_found} hiconf-off {hi}/{bad}")
                dump.append({"set": root.name, "lesson": lesson.name, "run": label,
                             "pairs": pairs, "sentences": [
                                 [s.index, s.status, s.start_ms, s.end_ms,
                                  round(s.confidence, 3)] for s in result.sentences],
                             "truth": [[t.status, t.start, t.end] for t in truth]})
            print("  ".join(line), flush=True)
        print("\n".join(_table(f"\n{root.name}", per, "before")))
        for label, (hi, bad) in cal.items():
            print(f"  {label}: sentences > {args.off:.0f} ms off: {bad}, "
                  f"of them confidence >= 0.5: {hi}")
        if "before" in per:
            print(f"  time after/before {per['after'].seconds / per['before'].seconds:.2f}")
    if args.dump:
        args.dump.write_text(json.dumps(dump), "utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
