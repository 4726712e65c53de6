#!/usr/bin/env python3
"""Write a set of issue 29's hard lessons (shifted voices, clipping phones, band-limited
narrators over music; ``bench_lessons.HARD_CONDITIONS``) with their ``truth.json``, for
``bench_align_ear.py --lessons`` and ``bench_align_stablets.py --lessons``. Generate a new
set of seeds *before* changing the aligner, and quote figures only from sets nobody looked
at while tuning.

Usage:
    python scripts/make_bench_lessons.py ROOT --seeds 10400,10401,10402 [--texts fresh]
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

from bench_lessons import HARD_CONDITIONS, make_lesson


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("root", type=Path)
    p.add_argument("--seeds", required=True, help="comma-separated, e.g. 10400,10401,10402")
    p.add_argument("--texts", choices=("tune", "unseen", "fresh"), default="fresh")
    args = p.parse_args(argv)
    seeds = [int(s) for s in args.seeds.split(",")]
    with tempfile.TemporaryDirectory() as tmp:
        for condition in HARD_CONDITIONS:
            for seed in seeds:
                lesson, truth, desc = make_lesson(condition, seed, args.root, Path(tmp),
                                                  args.texts)
                (lesson / "truth.json").write_text(
                    json.dumps([t.__dict__ for t in truth], ensure_ascii=False, indent=1),
                    "utf-8")
                print(lesson.name, desc, flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
