#!/usr/bin/env python3
"""Alignment accuracy per narrator condition, every aligner with no model and with the real
Whisper base model, against the proportional baseline run in the same process.

Lessons come from ``bench_lessons.py`` (conditions: clean, telephone band, reverb, regional
voice, music bed 10–15 dB, per-sentence pace, restarts and hesitations; each with pauses up
to 4 s, one skipped sentence and one ad-lib). EVERY spoken sentence is scored: a spoken
sentence reported ``skipped`` counts as an error of its full length at both its start and its
end (a "false skip"); a skipped sentence reported as spoken is a "missed skip". Errors are
absolute start and end errors in ms.

Tune on the default seeds and texts; quote figures from held-out lessons: other seeds and
other script texts (``--texts unseen --seed 9000``).

Usage:
    python scripts/bench_align.py [--per-condition 2] [--seed 100] [--conditions all]
        [--model base|none] [--out bench-results/align]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_lessons import CONDITIONS, HARD_CONDITIONS, Truth, make_lesson

from pipeline.core.config import load_settings
from pipeline.core.errors import ModelMissingError
from pipeline.core.languages import load_registry
from pipeline.core.types import Alignment, Ingested, Transcript
from pipeline.ingest import IngestOptions, ingest
from pipeline.speech.align import AlignOptions, align, choose_aligner
from pipeline.speech.align.dtw import DTWAligner
from pipeline.speech.transcribe import TranscribeOptions, transcribe

#: (aligner, uses the model): every aligner with no model and with the real model. The
#: proportional and dtw aligners never read the transcript: with the model they give the
#: same result as without, so they run once. "auto" reuses the result of the aligner it
#: chooses for the lesson (choose_aligner, the same call align() makes).
RUNS = (("proportional", False), ("dtw", False), ("auto", False),
        ("transcript", True), ("hybrid", True), ("auto", True))


@dataclass
class Score:
    errors: list[float] = field(default_factory=list)
    starts: list[float] = field(default_factory=list)
    spoken: int = 0
    right: int = 0
    skipped_total: int = 0
    skipped_found: int = 0
    false_skips: int = 0
    missed_skips: int = 0
    adlib_total: int = 0
    adlib_found: int = 0
    seconds: float = 0.0

    def add(self, other: Score) -> None:
        for k, v in other.__dict__.items():
            setattr(self, k, getattr(self, k) + v)


def evaluate(result: Alignment, truth: list[Truth]) -> Score:
    """Score every script sentence (see the module docstring)."""
    script_truth = [t for t in truth if t.status != "ad-lib"]
    by_index = {s.index: s for s in result.sentences if s.index is not None}
    sc = Score()
    for k, t in enumerate(script_truth):
        r = by_index[k]
        sc.right += r.status == t.status
        if t.status == "skipped":
            sc.skipped_total += 1
            sc.skipped_found += r.status == "skipped"
            sc.missed_skips += r.status != "skipped"
            continue
        sc.spoken += 1
        if r.status == "skipped":
            sc.false_skips += 1
            sc.errors += [1000 * (t.end - t.start)] * 2
            sc.starts.append(1000 * (t.end - t.start))
        else:
            sc.errors += [abs(r.start_ms - 1000 * t.start), abs(r.end_ms - 1000 * t.end)]
            sc.starts.append(abs(r.start_ms - 1000 * t.start))
    for t in truth:
        if t.status == "ad-lib":
            sc.adlib_total += 1
            sc.adlib_found += any(r.status == "ad-lib" and r.start_ms < 1000 * t.end
                                  and r.end_ms > 1000 * t.start for r in result.sentences)
    return sc


def _label(name: str, model: bool, model_name: str) -> str:
    return f"{name} × {model_name if model else 'no model'}"


def _row(label: str, s: Score, base: Score | None) -> str:
    e = np.array(s.errors) if s.errors else np.array([np.nan])
    med, p95 = float(np.median(e)), float(np.percentile(e, 95))
    st = np.array(s.starts) if s.starts else np.array([np.nan])
    starts = f" {float(np.median(st)):6.0f} {float(np.percentile(st, 95)):6.0f}"
    ratio = ""
    if base is not None and base.errors:
        ratio = (f" {med / max(1.0, float(np.median(base.errors))):6.2f}"
                 f" {p95 / max(1.0, float(np.percentile(base.errors, 95))):6.2f}")
    return (f"  {label:26} {med:7.0f} {p95:7.0f}{starts}"
            f" {s.right:3d}/{s.spoken + s.skipped_total:<3d}"
            f" {s.skipped_found:2d}/{s.skipped_total:<2d} {s.false_skips:5d} {s.missed_skips:6d}"
            f" {s.adlib_found:2d}/{s.adlib_total:<2d} {s.seconds:6.1f}{ratio}")


def _table(title: str, scores: dict[str, Score], base_label: str) -> list[str]:
    lines = [title, f"  {'aligner × model':26} {'med ms':>7} {'p95 ms':>7} {'start':>6} "
                    f"{'p95':>6} {'status':>7} "
                    f"{'skip':>5} {'false':>5} {'missed':>6} {'adlib':>5} {'time s':>6}"
                    f" {'med ×':>6} {'p95 ×':>6}"]
    lines += [_row(label, s, scores.get(base_label)) for label, s in scores.items()]
    return lines


def _transcript(wav: Path, model: str, models: Path, cache: Path | None,
                name: str) -> Transcript | None:
    """The lesson's transcript with ``model`` (kept in ``cache`` when given: the lessons are
    deterministic, so re-runs while tuning an aligner skip the ASR)."""
    if model == "none":
        return None
    digest = hashlib.sha256(wav.read_bytes()).hexdigest()[:12]
    hit = cache / f"{name}-{model}-{digest}.json" if cache else None
    if hit is not None and hit.is_file():
        return Transcript.from_json(json.loads(hit.read_text(encoding="utf-8")))
    opts = TranscribeOptions(backend="faster-whisper", model=model, model_dir=models,
                             cpu_threads=2)
    transcript = transcribe(wav, opts)
    if hit is not None:
        hit.parent.mkdir(parents=True, exist_ok=True)
        hit.write_text(json.dumps(transcript.to_json(), ensure_ascii=False), encoding="utf-8")
    return transcript


def _reuse_dtw() -> None:
    """The acoustic alignment of a lesson is deterministic and ignores the transcript: compute
    it once per lesson (the hybrid aligner would run it again). The hybrid's time column then
    counts only its own work."""
    original = DTWAligner.align
    cache: dict[tuple[str, str], Alignment] = {}

    def once(self: DTWAligner, ingested: Ingested, transcript: Transcript | None,
             opts: AlignOptions) -> Alignment:
        key = (str(ingested.audio_wav), repr(self.options))
        if key not in cache:
            cache.clear()
            cache[key] = original(self, ingested, None, opts)
        return cache[key]

    DTWAligner.align = once  # type: ignore[method-assign]


def _summary(per: dict[str, dict[str, Score]], args: argparse.Namespace, asr_seconds: float,
             audio_seconds: float) -> None:
    """Print the per-condition and overall tables; write results-<seed>.json."""
    base_label = _label("proportional", False, args.model)
    total = {label: Score() for label in next(iter(per.values()))}
    out: list[str] = []
    for cond, scores in per.items():
        out += _table(f"\n{cond} ({args.per_condition} lessons, seeds {args.seed}…)", scores,
                      base_label)
        for label, s in scores.items():
            total[label].add(s)
    out += _table(f"\nall conditions ({len(per) * args.per_condition} lessons)", total,
                  base_label)
    out.append("\nmed/p95 ms: start and end errors together; start/p95: starts only. "
               "status = script sentences with the right status; skip = skipped sentences "
               "found; false = spoken sentences reported skipped (scored as an error of their "
               "full length); missed = skipped sentences reported spoken; ratios against "
               f"'{base_label}' in this run.")
    if args.model != "none" and asr_seconds:
        out.append(f"ASR ({args.model}, faster-whisper int8): {audio_seconds:.0f} s of audio "
                   f"in {asr_seconds:.0f} s = {audio_seconds / asr_seconds:.1f}× realtime")
    print("\n".join(out))
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / f"results-{args.texts}-{args.seed}.json").write_text(json.dumps(
        {c: {k: {**v.__dict__, "median_ms": float(np.median(v.errors)),
                 "p95_ms": float(np.percentile(v.errors, 95))}
             for k, v in s.items()} for c, s in per.items()}, indent=1), encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    p.add_argument("--per-condition", type=int, default=2)
    p.add_argument("--transcripts", type=Path, default=None,
                   help="cache folder for transcripts (re-used when the lesson is the same)")
    p.add_argument("--seed", type=int, default=100, help="first seed (held-out: 9000)")
    p.add_argument("--conditions", default="all")
    p.add_argument("--model", default="base", help="faster-whisper model, or 'none'")
    p.add_argument("--models", type=Path, default=None, help="model folder (settings)")
    p.add_argument("--out", type=Path, default=Path("bench-results/align"))
    p.add_argument("--texts", choices=("tune", "unseen", "fresh"), default="tune",
                   help="script texts: the tuning pool or the held-out one")
    p.add_argument("--asr-only", action="store_true",
                   help="only transcribe (fill the --transcripts cache), align nothing")
    p.add_argument("--keep", action="store_true", help="keep the generated lessons")
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    settings = load_settings()
    models = args.models or settings.model_dir
    registry = load_registry(settings.glossary_dir)
    conditions = {"all": CONDITIONS, "hard": HARD_CONDITIONS}.get(
        args.conditions, tuple(args.conditions.split(",")))
    runs = [r for r in RUNS if args.model != "none" or not r[1]]
    _reuse_dtw()
    per: dict[str, dict[str, Score]] = {}
    work = Path(tempfile.mkdtemp(prefix="caunoi-bench-align-"))
    asr_seconds, audio_seconds = 0.0, 0.0
    try:
        for cond in conditions:
            per[cond] = {_label(n, m, args.model): Score() for n, m in runs}
            for seed in range(args.seed, args.seed + args.per_condition):
                lesson, truth, desc = make_lesson(cond, seed, work / "lessons", work,
                                                 args.texts)
                ingested = ingest(lesson, registry, IngestOptions(out_dir=work / "out"))
                t0 = time.perf_counter()
                try:
                    transcript = _transcript(ingested.audio_wav, args.model, models,
                                             args.transcripts, lesson.name)
                except ModelMissingError as e:
                    print(f"{e}\nRun `make whisper-base`, or pass --model none.")
                    return 3
                asr_seconds += time.perf_counter() - t0
                audio_seconds += ingested.media.duration_ms / 1000
                line = [f"{lesson.name} ({desc}):"]
                done: dict[str, tuple[Alignment, float]] = {}
                for name, uses_model in [] if args.asr_only else runs:
                    t0 = time.perf_counter()
                    given = transcript if uses_model else None
                    chosen = choose_aligner(name, given, ingested).name
                    if chosen not in done:
                        done[chosen] = (align(ingested, given, AlignOptions(aligner=chosen)),
                                        time.perf_counter() - t0)
                    result, seconds = done[chosen]
                    sc = evaluate(result, truth)
                    sc.seconds = seconds
                    per[cond][_label(name, uses_model, args.model)].add(sc)
                    med = np.median(sc.errors) if sc.errors else float("nan")
                    line.append(f"{name}{'+' if uses_model else ''} {med:.0f}/{max(sc.errors):.0f}")
                print("  ".join(line), flush=True)
                if args.keep:
                    dest = args.out / "lessons" / lesson.name
                    shutil.copytree(lesson, dest, dirs_exist_ok=True)
                    (dest / "truth.json").write_text(json.dumps(
                        [t.__dict__ for t in truth], ensure_ascii=False, indent=1), "utf-8")
    finally:
        shutil.rmtree(work, ignore_errors=True)

    if args.asr_only:
        print(f"ASR: {audio_seconds:.0f} s of audio in {asr_seconds:.0f} s")
        return 0
    _summary(per, args, asr_seconds, audio_seconds)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
