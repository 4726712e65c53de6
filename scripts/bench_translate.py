#!/usr/bin/env python3
"""MT speed per backend: sentences per second, CTranslate2 as a ratio to transformers, both run
in this process on the same sentences (the sample script, repeated).

By default the tiny random-weight models are built into a temporary folder: the figures
measure loading, batching, tokenising and decoding overhead, not translation quality. Pass
--models DIR --madlad NAME --nllb NAME to time real models where they are installed.

Usage:
    python scripts/bench_translate.py [--sentences 68] [--repeat 3]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from make_sample_lesson import STEPS

from pipeline.translate.mt import MTEngine, MTOptions


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--models", type=Path, default=None)
    p.add_argument("--madlad", default="tiny-madlad")
    p.add_argument("--nllb", default="tiny-nllb")
    p.add_argument("--sentences", type=int, default=68)
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--max-length", type=int, default=64)
    args = p.parse_args(argv)
    texts = [STEPS[i % len(STEPS)].text for i in range(args.sentences)]
    with tempfile.TemporaryDirectory(prefix="caunoi-bench-mt-") as tmp:
        models = args.models
        if models is None:
            models = Path(tmp) / "models"
            subprocess.run([sys.executable, str(Path(__file__).parent / "make_tiny_models.py"),
                            "--out", str(models), "--only", "madlad,nllb"], check=True,
                           capture_output=True)
        rows = []
        for family, tag in (("madlad", "<2hmn>"), ("nllb", "khm_Khmr")):
            speed = {}
            for backend in ("transformers", "ctranslate2"):
                engine = MTEngine(MTOptions(
                    backend=backend, model_dir=models, batch_size=8, max_length=args.max_length,
                    models=(("madlad", args.madlad), ("nllb", args.nllb))))
                engine.translate(texts[:2], family, tag)  # warm-up: load once per process
                runs = []
                for _ in range(args.repeat):
                    t0 = time.perf_counter()
                    engine.translate(texts, family, tag)
                    runs.append(time.perf_counter() - t0)
                speed[backend] = len(texts) / statistics.median(runs)
            rows.append((family, speed["transformers"], speed["ctranslate2"]))
    print(f"{len(texts)} sentences, batch 8, max {args.max_length} tokens, median of "
          f"{args.repeat} runs after a warm-up")
    print(f"{'family':8} {'transformers':>14} {'ctranslate2':>13} {'ct2 / tf':>9}")
    for family, tf, ct in rows:
        print(f"{family:8} {tf:10.1f} s/s {ct:9.1f} s/s {ct / tf:9.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
