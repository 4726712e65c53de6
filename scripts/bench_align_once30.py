#!/usr/bin/env python3
"""Acoustic work done once (issue 29, once30): the no-model aligner's acoustic path as the
base commit has it (``git show BASE:pipeline/speech/vad.py`` and ``…/align/audio.py``,
loaded as modules of their own) and as the work tree has it, in one process, on the same
lessons.

Per lesson, the DTW aligner runs once on each path (its acoustic calls recorded: speech
regions, the feature pass, the edge snapping; plus the second ``wav_regions`` the ear and
the forced aligner ask for after the DTW when a model is present). Then those calls are
replayed ``--repeats`` times on each path, base and new alternating, the new path's cache
cleared before each replay (each replay pays its first pass): the acoustic time is the
least replay's CPU time (the box is shared; the least is the least disturbed). Printed:
acoustic CPU seconds and ratio (new / base), the whole DTW aligner's wall seconds (one run
each: the DTW itself, the same code on both, dominates and its ratio is load noise), and
whether every output is identical: the alignment and every replayed call's result.

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

import numpy as np

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


Call = tuple[str, tuple[Any, ...], dict[str, Any]]


@contextmanager
def acoustic(module: types.ModuleType, calls: list[Call]) -> Iterator[None]:
    """dtw's acoustic functions taken from ``module``, each call recorded in ``calls``."""
    def recorded(name: str, f: Callable[..., Any]) -> Callable[..., Any]:
        def run(*args: Any, **kwargs: Any) -> Any:
            calls.append((name, args, kwargs))
            return f(*args, **kwargs)
        return run

    saved = {name: getattr(dtw, name) for name in ACOUSTIC}
    for name in ACOUSTIC:
        setattr(dtw, name, recorded(name, getattr(module, name)))
    try:
        yield
    finally:
        for name, f in saved.items():
            setattr(dtw, name, f)


def align(module: types.ModuleType, ingested: Ingested) -> tuple[Any, list[Call], float]:
    """The DTW aligner on ``module``'s acoustic path: (alignment, the acoustic calls it made
    plus the ear's second ``wav_regions``, seconds)."""
    if module is audio:
        levels.clear_levels()
    calls: list[Call] = []
    t0 = time.perf_counter()
    with acoustic(module, calls):
        alignment = DTWAligner().align(ingested, None, AlignOptions())
    seconds = time.perf_counter() - t0
    syllables = sum(syllable_count(s.text) for s in ingested.lesson.sentences)
    calls.append(("wav_regions", (ingested.audio_wav, syllables), {}))
    return alignment, calls, seconds


def replay(module: types.ModuleType, calls: list[Call]) -> tuple[list[Any], list[float]]:
    """(outputs, [CPU seconds of the DTW's calls, of all with the ear's]) of ``calls`` made
    again on ``module`` (a fresh cache for ours). CPU time, not wall time: on a box shared
    by several benchmarks the wall time of a few hundred ms is mostly waiting."""
    if module is audio:
        levels.clear_levels()
    t0 = time.process_time()
    out = [getattr(module, name)(*args, **kwargs) for name, args, kwargs in calls[:-1]]
    t1 = time.process_time()
    out += [getattr(module, name)(*args, **kwargs) for name, args, kwargs in calls[-1:]]
    return out, [t1 - t0, time.process_time() - t0]


def lesson_row(old: types.ModuleType, ingested: Ingested, repeats: int
               ) -> tuple[bool, list[float]]:
    """(identical?, [base, new acoustic s of the DTW; base, new with the ear's call; base,
    new DTW aligner s]) of one lesson: the acoustic seconds are the least of ``repeats``
    replays, base and new alternating (the box is shared: the least is the least
    disturbed)."""
    a_old, calls_old, t_old = align(old, ingested)
    a_new, calls_new, t_new = align(audio, ingested)
    same = a_old == a_new and [c[0] for c in calls_old] == [c[0] for c in calls_new]
    best = [float("inf")] * 4
    for _ in range(repeats):
        (out_old, s_old), (out_new, s_new) = replay(old, calls_new), replay(audio, calls_new)
        same &= _equal(out_old, out_new)
        best = [min(b, s) for b, s in zip(best, [s_old[0], s_new[0], s_old[1], s_new[1]],
                                          strict=True)]
    return same, [*best, t_old, t_new]


def _row(name: str, v: list[float], same: bool) -> str:
    return (f"{name:<18} {v[0]:8.3f} {v[1]:7.3f} {v[1] / v[0]:6.3f} {v[2]:9.3f} {v[3]:6.3f} "
            f"{v[3] / v[2]:6.3f} {v[4]:9.2f} {v[5]:6.2f} {v[5] / v[4]:6.3f}  "
            f"{'yes' if same else 'NO'}")


def _equal(a: list[Any], b: list[Any]) -> bool:
    return all(np.array_equal(x, y) if isinstance(x, np.ndarray) else x == y
               for x, y in zip(a, b, strict=True))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    p.add_argument("--lessons", type=Path, action="append", required=True)
    p.add_argument("--base", default="dd8fe50", help="the commit whose acoustic path is main's")
    p.add_argument("--only", default="", help="only lessons whose name contains this")
    p.add_argument("--cache", type=Path, default=Path("/tmp/caunoi-bench-once30"))
    p.add_argument("--repeats", type=int, default=5, help="replays of the acoustic calls")
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    registry = load_registry(load_settings().glossary_dir)
    old = base_audio(args.base)
    print(f"{'lesson':<18} {'base ac':>8} {'new ac':>7} {'ratio':>6} {'+ear base':>9} "
          f"{'new':>6} {'ratio':>6} {'dtw base':>9} {'new':>6} {'ratio':>6}  identical")
    for root in args.lessons:
        sums = [0.0] * 6
        same_all = True
        lessons = sorted(d for d in root.iterdir() if (d / "truth.json").is_file()
                         and args.only in d.name)
        for n, lesson in enumerate(lessons):
            ingested = ingest(lesson, registry, IngestOptions(
                out_dir=args.cache / root.name / lesson.name))
            if n == 0:  # warm-up: numba's compilation and Silero's session are paid here
                align(audio, ingested)
            same, row = lesson_row(old, ingested, args.repeats)
            same_all &= same
            for k, v in enumerate(row):
                sums[k] += v
            print(_row(lesson.name, row, same), flush=True)
        if lessons:
            print(_row("= " + root.name, sums, same_all), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
