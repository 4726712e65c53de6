#!/usr/bin/env python3
"""Acoustic work done once (issue 29, once30): the no-model aligner's acoustic path as the
base commit has it (``git show BASE:pipeline/speech/vad.py`` and ``…/align/audio.py``,
loaded as modules of their own) and as the work tree has it, in one process, on the same
lessons. Per lesson: the acoustic time of each (speech regions, the feature pass, the edge
snapping, and the second ``wav_regions`` the ear and the forced aligner ask for after the
DTW with a model), the whole DTW aligner's time, their ratios (new / base), and whether
every output is identical: the DTW alignment, the speech regions, and the snapped spans of
a plain (unchecked) set of spans.

The order of the two runs alternates from lesson to lesson; the caches of the new path are
cleared before each of its runs (each lesson pays its first pass).

Usage:
    nice python scripts/bench_align_once30.py --lessons /tmp/m29/tune [--base dd8fe50]
"""

from __future__ import annotations

import argparse
import logging
import subprocess
import sys
import time
import types
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipeline.core.config import load_settings  # noqa: E402
from pipeline.core.languages import load_registry  # noqa: E402
from pipeline.core.text import syllable_count  # noqa: E402
from pipeline.core.types import Ingested  # noqa: E402
from pipeline.ingest import IngestOptions, ingest  # noqa: E402
from pipeline.speech.align import AlignOptions, audio, dtw, levels  # noqa: E402
from pipeline.speech.align.dtw import DTWAligner  # noqa: E402

#: The functions of audio.py the aligners import by name (patched in dtw's namespace).
ACOUSTIC = ("wav_regions", "snap_sentences", "speech_band", "wav_features")


def base_audio(rev: str) -> types.ModuleType:
    """audio.py at ``rev``, importing vad.py at ``rev`` (both outside the package)."""
    mods: dict[str, types.ModuleType] = {}
    for name, path in (("_base_vad", "pipeline/speech/vad.py"),
                       ("_base_audio", "pipeline/speech/align/audio.py")):
        src = subprocess.run(["git", "-C", str(ROOT), "show", f"{rev}:{path}"], check=True,
                             capture_output=True, text=True).stdout
        src = src.replace("from pipeline.speech.vad import", "from _base_vad import")
        mod = types.ModuleType(name)
        mod.__file__ = f"{rev}:{path}"
        sys.modules[name] = mod  # dataclasses look their module up
        exec(compile(src, mod.__file__, "exec"), mod.__dict__)
        mods[name] = mod
    return mods["_base_audio"]


@contextmanager
def acoustic(module: types.ModuleType, clock: list[float]) -> Iterator[None]:
    """dtw's acoustic functions taken from ``module``, each call's seconds added to clock."""
    def timed(f: Callable[..., Any]) -> Callable[..., Any]:
        def run(*args: Any, **kwargs: Any) -> Any:
            t0 = time.perf_counter()
            try:
                return f(*args, **kwargs)
            finally:
                clock[0] += time.perf_counter() - t0
        return run

    saved = {name: getattr(dtw, name) for name in ACOUSTIC}
    for name in ACOUSTIC:
        setattr(dtw, name, timed(getattr(module, name)))
    try:
        yield
    finally:
        for name, f in saved.items():
            setattr(dtw, name, f)


def run(module: types.ModuleType, ingested: Ingested) -> tuple[Any, float, float]:
    """(outputs, acoustic seconds, whole seconds) of the DTW aligner then the ear's second
    ``wav_regions`` and a plain snap, on ``module``'s acoustic path."""
    if module is audio:
        levels.clear_levels()
    clock = [0.0]
    t0 = time.perf_counter()
    with acoustic(module, clock):
        alignment = DTWAligner().align(ingested, None, AlignOptions())
    wav = ingested.audio_wav
    t1 = time.perf_counter()
    regions = module.wav_regions(wav, sum(syllable_count(s.text)
                                          for s in ingested.lesson.sentences))
    spans = [(a, b) for a, b in regions[:40]]
    snapped = module.snap_spans(wav, spans)
    extra = time.perf_counter() - t1
    return (alignment, regions, snapped), clock[0] + extra, time.perf_counter() - t0 + extra


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    p.add_argument("--lessons", type=Path, action="append", required=True)
    p.add_argument("--base", default="dd8fe50", help="the commit whose acoustic path is main's")
    p.add_argument("--only", default="", help="only lessons whose name contains this")
    p.add_argument("--cache", type=Path, default=Path("/tmp/caunoi-bench-once30"))
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    registry = load_registry(load_settings().glossary_dir)
    old = base_audio(args.base)
    print(f"{'lesson':<18} {'base ac':>8} {'new ac':>8} {'ratio':>6} {'base all':>9} "
          f"{'new all':>8} {'ratio':>6}  identical")
    for root in args.lessons:
        sums = [0.0, 0.0, 0.0, 0.0]
        same_all = True
        lessons = sorted(d for d in root.iterdir() if (d / "truth.json").is_file()
                         and args.only in d.name)
        for n, lesson in enumerate(lessons):
            ingested = ingest(lesson, registry, IngestOptions(
                out_dir=args.cache / root.name / lesson.name))
            if n == 0:  # warm-up: numba's compilation and Silero's session are paid here
                run(audio, ingested)
            order = [old, audio] if n % 2 == 0 else [audio, old]
            got = {id(m): run(m, ingested) for m in order}
            (out_o, ac_o, all_o), (out_n, ac_n, all_n) = got[id(old)], got[id(audio)]
            same = out_o == out_n
            same_all &= same
            for k, v in enumerate((ac_o, ac_n, all_o, all_n)):
                sums[k] += v
            print(f"{lesson.name:<18} {ac_o:8.3f} {ac_n:8.3f} {ac_n / ac_o:6.3f} {all_o:9.2f} "
                  f"{all_n:8.2f} {all_n / all_o:6.3f}  {'yes' if same else 'NO'}", flush=True)
        if lessons:
            print(f"{'= ' + root.name:<18} {sums[0]:8.3f} {sums[1]:8.3f} "
                  f"{sums[1] / sums[0]:6.3f} {sums[2]:9.2f} {sums[3]:8.2f} "
                  f"{sums[3] / sums[2]:6.3f}  {'yes' if same_all else 'NO'}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
