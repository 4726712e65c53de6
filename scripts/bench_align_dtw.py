#!/usr/bin/env python3
"""The weights-free aligner before and after issue 29's second round, on the hard narrators,
in one process: accuracy per condition (``bench_align.py``'s scoring) and the time of each,
with the ratio to the old settings measured on the same lessons in the same run (no
figure from another run or another load of the box).

"before" is the DTW aligner as merged before this round (every new piece switched off by its
option: the same results as main's code); "after" is today's defaults (``--set`` overrides);
the proportional baseline runs beside them.

Lessons: ``--lessons DIR`` (folders with recording, script and truth.json, as
``bench_align.py --keep`` writes them) or generated here (``--seed``, ``--texts``,
``--per-condition``; cached under ``--cache`` so reruns skip the synthesis). Tune on seeds
100… with ``--texts tune``; quote held-out figures from new seeds with ``--texts fresh``.

Usage:
    nice python scripts/bench_align_dtw.py --seed 100 --texts tune --per-condition 3
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_align import Score, _table, evaluate
from bench_lessons import HARD_CONDITIONS, Truth, make_lesson

from pipeline.core.config import load_settings
from pipeline.core.languages import load_registry
from pipeline.core.types import Alignment, Ingested
from pipeline.ingest import IngestOptions, ingest
from pipeline.speech.align import AlignOptions
from pipeline.speech.align.dtw import DTWAligner, DTWOptions
from pipeline.speech.align.evidence import ConfidenceOptions
from pipeline.speech.align.proportional import ProportionalAligner
from pipeline.speech.vad import VadOptions

#: The aligner as merged before this round: no edge snapping, skips by the template match
#: alone, no speech-band detector.
BEFORE = replace(DTWOptions(), snap=False, skip_duration_weight=0.0, min_run_share=0.0,
                 extend=False, vad=replace(VadOptions(), band_detector=False),
                 length_weight=0.0, keep_misfit=0.0,
                 confidence=ConfidenceOptions(contrast_full=0.0, length_zero=0.0))


def _lessons(args: argparse.Namespace) -> list[tuple[Path, list[Truth]]]:
    if args.lessons:
        return [(d, [Truth(**t) for t in json.loads((d / "truth.json").read_text("utf-8"))])
                for d in sorted(args.lessons.iterdir()) if (d / "truth.json").is_file()]
    out = []
    root = args.cache / f"{args.texts}-{args.seed}"
    tmp = args.cache / "tmp"
    tmp.mkdir(parents=True, exist_ok=True)
    for cond in args.conditions.split(","):
        for seed in range(args.seed, args.seed + args.per_condition):
            folder = root / f"{cond}-{seed}"
            if (folder / "truth.json").is_file():
                truth = [Truth(**t) for t in json.loads((folder / "truth.json").read_text())]
            else:
                folder, truth, _ = make_lesson(cond, seed, root, tmp, args.texts)
                (folder / "truth.json").write_text(json.dumps(
                    [t.__dict__ for t in truth], ensure_ascii=False), "utf-8")
            out.append((folder, truth))
    return out


def _options(pairs: list[str]) -> DTWOptions:
    """Today's defaults with ``field=value`` overrides (``--set own_band=true``)."""
    o = DTWOptions()
    for pair in pairs:
        key, value = pair.split("=", 1)
        old = getattr(o, key)
        o = replace(o, **{key: value.lower() in ("1", "true") if isinstance(old, bool)
                          else type(old)(value)})
    return o


def _run(label: str, ingested: Ingested, after: DTWOptions) -> Alignment:
    if label == "proportional":
        return ProportionalAligner().align(ingested, None, AlignOptions())
    options = BEFORE if label == "dtw before" else after
    return DTWAligner(options).align(ingested, None, AlignOptions())


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    p.add_argument("--lessons", type=Path, default=None)
    p.add_argument("--seed", type=int, default=100)
    p.add_argument("--texts", choices=("tune", "unseen", "fresh"), default="tune")
    p.add_argument("--per-condition", type=int, default=3)
    p.add_argument("--conditions", default=",".join(HARD_CONDITIONS))
    p.add_argument("--set", action="append", default=[], metavar="FIELD=VALUE",
                   help="DTWOptions override for the 'after' row (repeatable)")
    p.add_argument("--skip-before", action="store_true", help="no 'before' row (faster)")
    p.add_argument("--cache", type=Path, default=Path("/tmp/caunoi-bench-dtw"))
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    settings = load_settings()
    registry = load_registry(settings.glossary_dir)
    labels = ("proportional", "dtw after") if args.skip_before else (
        "proportional", "dtw before", "dtw after")
    after = _options(args.set)
    per: dict[str, dict[str, Score]] = {}
    audio_s = 0.0
    for lesson, truth in _lessons(args):
        cond = lesson.name.rsplit("-", 1)[0]
        ingested = ingest(lesson, registry, IngestOptions(out_dir=args.cache / "out"
                                                          / lesson.parent.name / lesson.name))
        audio_s += ingested.media.duration_ms / 1000
        line = [lesson.name]
        for label in labels:
            t0 = time.perf_counter()
            result = _run(label, ingested, after)
            sc = evaluate(result, truth)
            sc.seconds = time.perf_counter() - t0
            per.setdefault(cond, {}).setdefault(label, Score()).add(sc)
            line.append(f"{label} {max(sc.errors):.0f}")
        print("  ".join(line), flush=True)
    total: dict[str, Score] = {}
    out: list[str] = []
    for cond, scores in per.items():
        out += _table(f"\n{cond}", scores, "proportional")
        for label, s in scores.items():
            total.setdefault(label, Score()).add(s)
    out += _table(f"\nall ({len(per)} conditions)", total, "proportional")
    t_new = total["dtw after"].seconds
    t_old = total["dtw before"].seconds if "dtw before" in total else float("nan")
    out.append(f"\n{audio_s:.0f} s of audio; time per minute of audio: before "
               f"{60 * t_old / audio_s:.1f} s, after {60 * t_new / audio_s:.1f} s "
               f"(after/before {t_new / max(t_old, 1e-9):.2f}, same process)")
    print("\n".join(out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
