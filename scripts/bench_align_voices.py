#!/usr/bin/env python3
"""Alignment on issue 29's hard narrators (shifted voices, clipping phones, band-limited
narrators over music), per condition: the proportional baseline, the weights-free aligner,
``auto`` with no model and with the Whisper base model (the script forced onto the
recording, faster-whisper), the same forced ear on openai-whisper (the same weights,
converted), and stable-ts's ``align`` when its results are given (``--stable-ts FILE``,
written by ``bench_align_stablets.py`` on the same lessons).

Lessons: ``--lessons DIR`` (folders kept by ``bench_align.py --keep``: recording, script and
truth.json) or generated here (``--seed``, ``--texts``; tuning seeds 100…, texts ``tune``;
held-out seeds 9000…, texts ``fresh``, never tuned on). Scoring as in ``bench_align.py``;
time per row is alignment only (the model loaded once); ``--asr-lessons N`` also times the
free transcription of N lessons (what ``auto`` runs beside the alignment in production).

Usage:
    python scripts/bench_align_voices.py [--lessons DIR | --seed 100 --texts tune]
        [--per-condition 3] [--models models] [--openai-models DIR] [--stable-ts FILE]
"""

from __future__ import annotations

import argparse
import json
import logging
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_align import Score, _reuse_dtw, _table, evaluate
from bench_lessons import HARD_CONDITIONS, Truth, make_lesson

from pipeline.core.config import load_settings
from pipeline.core.languages import load_registry
from pipeline.core.types import Alignment, Ingested
from pipeline.ingest import IngestOptions, ingest
from pipeline.speech.align import AlignOptions, align
from pipeline.speech.transcribe import TranscribeOptions, transcribe


def _lessons(args: argparse.Namespace, work: Path) -> list[tuple[Path, list[Truth]]]:
    if args.lessons:
        return [(d, [Truth(**t) for t in json.loads((d / "truth.json").read_text("utf-8"))])
                for d in sorted(args.lessons.iterdir()) if (d / "truth.json").is_file()]
    out = []
    for cond in HARD_CONDITIONS:
        for seed in range(args.seed, args.seed + args.per_condition):
            lesson, truth, _ = make_lesson(cond, seed, work / "lessons", work, args.texts)
            out.append((lesson, truth))
    return out


def _rows(args: argparse.Namespace) -> dict[str, AlignOptions]:
    fw = TranscribeOptions(backend="faster-whisper", model="base", model_dir=args.models,
                           cpu_threads=2)
    rows: dict[str, AlignOptions] = {
        "proportional × no model": AlignOptions(aligner="proportional"),
            "auto × no model": AlignOptions(aligner="auto"),
            "auto × base (faster-whisper)": AlignOptions(aligner="auto", asr=fw)}
    if args.no_model_rows:
        return {k: v for k, v in rows.items() if k.startswith("proportional")}
    if args.openai_models:
        rows["whisper × base (openai-whisper)"] = AlignOptions(
            aligner="whisper", asr=TranscribeOptions(backend="openai-whisper", model="base",
                                                     model_dir=args.openai_models,
                                                     cpu_threads=2))
    return rows


def _stable_ts(path: Path | None, ingested: Ingested) -> Alignment | None:
    if path is None:
        return None
    found = json.loads(path.read_text("utf-8")).get(ingested.lesson.id)
    return None if found is None else Alignment.from_json(found["alignment"], "stable-ts")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    p.add_argument("--lessons", type=Path, default=None)
    p.add_argument("--seed", type=int, default=100)
    p.add_argument("--texts", choices=("tune", "unseen", "fresh"), default="tune")
    p.add_argument("--per-condition", type=int, default=3)
    p.add_argument("--models", type=Path, default=None, help="model folder (settings)")
    p.add_argument("--openai-models", type=Path, default=None,
                   help="folder with whisper/base.pt (scripts/whisper_ct2_to_openai.py)")
    p.add_argument("--stable-ts", type=Path, default=None)
    p.add_argument("--asr-lessons", type=int, default=0)
    p.add_argument("--no-model-rows", action="store_true",
                   help="only the proportional baseline (and stable-ts's results if given)")
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    settings = load_settings()
    args.models = args.models or settings.model_dir
    registry = load_registry(settings.glossary_dir)
    rows = _rows(args)
    _reuse_dtw()  # the acoustic alignment once per lesson; the model rows' time is their own
    per: dict[str, dict[str, Score]] = {}
    work = Path(tempfile.mkdtemp(prefix="caunoi-bench-voices-"))
    audio_s, asr_s, asr_audio_s = 0.0, 0.0, 0.0
    try:
        for lesson, truth in _lessons(args, work):
            cond = lesson.name.rsplit("-", 1)[0]
            ingested = ingest(lesson, registry, IngestOptions(out_dir=work / "out"))
            audio_s += ingested.media.duration_ms / 1000
            scores = per.setdefault(cond, {})
            line = [lesson.name]
            results: dict[str, tuple[Alignment, float]] = {}
            for label, opts in rows.items():
                t0 = time.perf_counter()
                results[label] = (align(ingested, None, opts), time.perf_counter() - t0)
            st = _stable_ts(args.stable_ts, ingested)
            if st is not None:
                results["stable-ts align × base"] = (st, json.loads(args.stable_ts.read_text(
                    "utf-8"))[ingested.lesson.id]["seconds"])
            if args.stable_ts and st is None:
                continue  # stable-ts did not run on this lesson: keep the rows comparable
            for label, (result, seconds) in results.items():
                sc = evaluate(result, truth)
                sc.seconds = seconds
                scores.setdefault(label, Score()).add(sc)
                line.append(f"{label.split(' ')[0]} {max(sc.errors):.0f}")
            if args.asr_lessons > 0:
                args.asr_lessons -= 1
                t0 = time.perf_counter()
                transcribe(ingested.audio_wav, rows["auto × base (faster-whisper)"].asr
                           or TranscribeOptions())
                asr_s += time.perf_counter() - t0
                asr_audio_s += ingested.media.duration_ms / 1000
            print("  ".join(line), flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    _report(per, audio_s, asr_s, asr_audio_s)
    return 0


def _report(per: dict[str, dict[str, Score]], audio_s: float, asr_s: float,
            asr_audio_s: float, what: str = "time per minute of audio (alignment only)",
            asr_what: str = "free transcription") -> None:
    base = "proportional × no model"
    total: dict[str, Score] = {}
    out: list[str] = []
    for cond, scores in per.items():
        out += _table(f"\n{cond}", scores, base)
        for label, s in scores.items():
            total.setdefault(label, Score()).add(s)
    out += _table(f"\nall ({len(per)} conditions)", total, base)
    out.append(f"\n{audio_s:.0f} s of audio; {what}:")
    out += [f"  {label:32} {60 * s.seconds / max(audio_s, 1e-9):6.1f} s"
            for label, s in total.items()]
    if asr_audio_s:
        out.append(f"  {asr_what} (faster-whisper base, 2 threads): "
                   f"{60 * asr_s / asr_audio_s:.1f} s per minute ({asr_audio_s:.0f} s timed)")
    print("\n".join(out))


if __name__ == "__main__":
    raise SystemExit(main())
