#!/usr/bin/env python3
"""MT speed per backend, like with like: transformers against CTranslate2 on the *same* network
at the *same* precision, both run in this process on the same sentences (the sample script,
repeated), rounds interleaved so a busy machine slows both alike.

- float32: the transformers model as saved, and its CTranslate2 conversion kept in float32
  (``compute_type="float32"``): the same weights, so greedy outputs should agree.
- int8: transformers with PyTorch dynamic int8 quantisation of every ``nn.Linear``, and the
  CTranslate2 int8 conversion the pipeline ships (``compute_type="int8"``).
- mixed: transformers float32 against CTranslate2 int8 (what this benchmark used to compare;
  printed only to show how much of that ratio was precision, not backend).

By default the tiny random-weight models are built into a temporary folder: the figures
measure loading, batching, tokenising and decoding overhead, not translation quality. Pass
--models DIR --madlad NAME --nllb NAME to time real models where they are installed.

Usage:
    python scripts/bench_translate.py [--sentences 68] [--repeat 3]

Speed is sentences per second of wall time; "CPU time" is the same ratio in process CPU
seconds (both backends use every core, so on a busy shared machine it is the steadier one).
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

from pipeline.translate import mt
from pipeline.translate.mt import MTEngine, MTOptions

FAMILIES = (("madlad", "<2hmn>"), ("nllb", "khm_Khmr"))
#: precision → (transformers dynamic int8?, transformers folder, CTranslate2 folder, CTranslate2
#: compute type). The int8 transformers models are quantised in place in the loader's cache,
#: so they get their own folder.
SETUPS = {"float32": (False, "f32", "f32", "float32"), "int8": (True, "i8", "i8", "int8"),
          "mixed": (False, "f32", "i8", "int8")}


def prepare(models: Path, work: Path, names: dict[str, str]) -> None:
    """Per precision a model folder: the transformers model (linked) and a CTranslate2
    conversion of that same model at that precision."""
    import ctranslate2

    for sub, quant in (("f32", "float32"), ("i8", "int8")):
        for name in names.values():
            src, dst = models / "mt" / name, work / sub / "mt" / name
            dst.parent.mkdir(parents=True, exist_ok=True)
            dst.symlink_to(src.resolve(), target_is_directory=True)
            files = [f for f in mt.TOKENIZER_FILES if (src / f).is_file()]
            ctranslate2.converters.TransformersConverter(str(src), copy_files=files).convert(
                str(work / sub / "mt" / f"{name}-ct2"), quantization=quant, force=True)


def engines(work: Path, precision: str, names: dict[str, str],
            max_length: int) -> dict[str, MTEngine]:
    quantise, tf_sub, ct2_sub, compute = SETUPS[precision]
    out = {}
    for backend, sub in (("transformers", tf_sub), ("ctranslate2", ct2_sub)):
        out[backend] = MTEngine(MTOptions(
            backend=backend, model_dir=work / sub, batch_size=8, max_length=max_length,
            compute_type=compute, models=tuple(names.items())))
    if quantise:
        import torch

        for family in names:
            # The cached model the transformers backend will use, quantised in place.
            path = mt.mt_model_path(out["transformers"].opts, family)
            _, model = mt._hf(str(path), "cpu")
            torch.ao.quantization.quantize_dynamic(  # type: ignore[no-untyped-call]
                model, {torch.nn.Linear}, dtype=torch.qint8, inplace=True)
    return out


def time_family(pair: dict[str, MTEngine], family: str, tag: str, texts: list[str],
                repeat: int) -> tuple[float, float, float, float]:
    """Sentences per second of each backend (median of interleaved rounds), the CPU-time ratio
    ct2 / tf (steadier than wall time on a shared machine) and the share of sentences both
    translate identically."""
    outputs = {b: e.translate(texts, family, tag) for b, e in pair.items()}  # warm-up
    wall: dict[str, list[float]] = {b: [] for b in pair}
    cpu: dict[str, list[float]] = {b: [] for b in pair}
    for _ in range(repeat):
        for backend, engine in pair.items():
            t0, c0 = time.perf_counter(), time.process_time()
            engine.translate(texts, family, tag)
            wall[backend].append(time.perf_counter() - t0)
            cpu[backend].append(time.process_time() - c0)
    # Identical non-empty outputs (random models may decode to nothing at all).
    pairs = zip(outputs["transformers"], outputs["ctranslate2"], strict=True)
    same = sum(bool(a) and a == b for a, b in pairs) / len(texts)
    cpu_ratio = statistics.median(cpu["transformers"]) / statistics.median(cpu["ctranslate2"])
    return (len(texts) / statistics.median(wall["transformers"]),
            len(texts) / statistics.median(wall["ctranslate2"]), cpu_ratio, same)


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
    names = {"madlad": args.madlad, "nllb": args.nllb}
    rows = []
    with tempfile.TemporaryDirectory(prefix="caunoi-bench-mt-") as tmp:
        models = args.models
        if models is None:
            models = Path(tmp) / "models"
            subprocess.run([sys.executable, str(Path(__file__).parent / "make_tiny_models.py"),
                            "--out", str(models), "--only", "madlad,nllb"], check=True,
                           capture_output=True)
        prepare(models, Path(tmp) / "work", names)
        for precision in SETUPS:
            pair = engines(Path(tmp) / "work", precision, names, args.max_length)
            for family, tag in FAMILIES:
                rows.append((family, precision,
                             *time_family(pair, family, tag, texts, args.repeat)))
    print(f"{len(texts)} sentences, batch 8, greedy, max {args.max_length} tokens, median of "
          f"{args.repeat} interleaved runs after a warm-up")
    print(f"{'family':8} {'precision':9} {'transformers':>14} {'ctranslate2':>13} "
          f"{'ct2 / tf':>9} {'(CPU time)':>10} {'same, non-empty':>16}")
    for family, precision, tf, ct, cpu_ratio, same in rows:
        print(f"{family:8} {precision:9} {tf:10.1f} s/s {ct:9.1f} s/s {ct / tf:9.2f} "
              f"{cpu_ratio:10.2f} {same:15.0%}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
