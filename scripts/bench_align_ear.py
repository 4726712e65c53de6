#!/usr/bin/env python3
"""The second ear (issue 29) on kept hard-narrator lessons: accuracy per condition and
compute per minute of audio, every row in the same process.

Rows: the proportional baseline; ``dtw`` (what ``auto`` runs with no model, and main's
acoustic aligner); ``ear`` (the acoustic alignment checked by the Whisper model where it is
unsure: :mod:`pipeline.speech.align.ear_check`) on faster-whisper and, with
``--openai-models``, on openai-whisper with the same converted weights; ``whisper`` (the
whole script forced, opt-in) with ``--full``; stable-ts's ``align`` from
``bench_align_stablets.py``'s file with ``--stable-ts``. ``--asr-lessons N`` also times the
free transcription main's ``auto`` ran beside the alignment on N lessons.

The acoustic alignment is deterministic: it is computed once per lesson and kept in
``--cache`` with the seconds it took (the model rows' time = that time + their own), so
re-runs while tuning the ear only pay for the ear.

Lessons: folders kept by ``bench_align.py --keep`` (recording, script, truth.json), e.g.
tuning seeds 100–102 (texts ``tune``) and held-out seeds 9000–9002 (texts ``fresh``).

Usage:
    nice python scripts/bench_align_ear.py --lessons /tmp/kept-tune/lessons \
        [--cache /tmp/align-ear-cache] [--openai-models DIR] [--full] [--stable-ts FILE]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_align import Score, evaluate
from bench_align_voices import _report as report
from bench_lessons import Truth

from pipeline.core.config import load_settings
from pipeline.core.languages import load_registry
from pipeline.core.types import Alignment, Ingested, Transcript
from pipeline.ingest import IngestOptions, ingest
from pipeline.speech.align import AlignOptions, align
from pipeline.speech.align.dtw import DTWAligner
from pipeline.speech.transcribe import TranscribeOptions, transcribe

#: Seconds the acoustic alignment of the lesson being scored took (from the cache).
_DTW_SECONDS: dict[str, float] = {}


def _cache_dtw(cache: Path) -> None:
    """The acoustic alignment from ``cache`` when this lesson's audio was aligned before."""
    original = DTWAligner.align

    def cached(self: DTWAligner, ingested: Ingested, transcript: Transcript | None,
               opts: AlignOptions) -> Alignment:
        digest = hashlib.sha256(ingested.audio_wav.read_bytes() + repr(self.options).encode()
                                ).hexdigest()[:16]
        hit = cache / f"dtw-{ingested.lesson.id}-{digest}.json"
        if hit.is_file():
            data = json.loads(hit.read_text("utf-8"))
        else:
            t0 = time.perf_counter()
            result = original(self, ingested, None, opts)
            data = {"seconds": time.perf_counter() - t0, "alignment": result.to_json()}
            hit.parent.mkdir(parents=True, exist_ok=True)
            hit.with_suffix(".part").write_text(json.dumps(data, ensure_ascii=False), "utf-8")
            hit.with_suffix(".part").replace(hit)
        _DTW_SECONDS[ingested.lesson.id] = float(data["seconds"])
        return Alignment.from_json(data["alignment"], "dtw")

    DTWAligner.align = cached  # type: ignore[method-assign]


def _rows(args: argparse.Namespace) -> dict[str, AlignOptions]:
    fw = TranscribeOptions(backend="faster-whisper", model="base", model_dir=args.models,
                           cpu_threads=2)
    rows = {"proportional × no model": AlignOptions(aligner="proportional"),
            "dtw (auto × no model)": AlignOptions(aligner="dtw"),
            "ear × base (faster-whisper)": AlignOptions(aligner="ear", asr=fw)}
    if args.openai_models:
        rows["ear × base (openai-whisper)"] = AlignOptions(
            aligner="ear", asr=TranscribeOptions(backend="openai-whisper", model="base",
                                                 model_dir=args.openai_models, cpu_threads=2))
    if args.full:
        rows["whisper × base (faster-whisper)"] = AlignOptions(aligner="whisper", asr=fw)
    return rows


def _lessons(dirs: list[Path]) -> list[tuple[Path, list[Truth]]]:
    return [(d, [Truth(**t) for t in json.loads((d / "truth.json").read_text("utf-8"))])
            for root in dirs for d in sorted(root.iterdir()) if (d / "truth.json").is_file()]


def _score_lesson(ingested: Ingested, truth: list[Truth], rows: dict[str, AlignOptions],
                  stable: dict[str, Any] | None) -> dict[str, Score]:
    out: dict[str, Score] = {}
    for label, opts in rows.items():
        t0 = time.perf_counter()
        result = align(ingested, None, opts)
        seconds = time.perf_counter() - t0
        if opts.aligner != "proportional":  # the acoustic alignment came from the cache
            seconds += _DTW_SECONDS.get(ingested.lesson.id, 0.0)
        out[label] = evaluate(result, truth)
        out[label].seconds = seconds
    found = (stable or {}).get(ingested.lesson.id)
    if found is not None:
        out["stable-ts align × base"] = evaluate(
            Alignment.from_json(found["alignment"], "stable-ts"), truth)
        out["stable-ts align × base"].seconds = float(found["seconds"])
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    p.add_argument("--lessons", type=Path, action="append", required=True)
    p.add_argument("--cache", type=Path, default=Path("/tmp/align-ear-cache"))
    p.add_argument("--models", type=Path, default=None, help="model folder (settings)")
    p.add_argument("--openai-models", type=Path, default=None,
                   help="folder with whisper/base.pt (scripts/whisper_ct2_to_openai.py)")
    p.add_argument("--full", action="store_true", help="also the whole script forced")
    p.add_argument("--stable-ts", type=Path, default=None)
    p.add_argument("--asr-lessons", type=int, default=0)
    p.add_argument("--only", default="", help="only lessons whose name contains this")
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    settings = load_settings()
    args.models = args.models or settings.model_dir
    registry = load_registry(settings.glossary_dir)
    rows = _rows(args)
    stable = json.loads(args.stable_ts.read_text("utf-8")) if args.stable_ts else None
    _cache_dtw(args.cache)
    per: dict[str, dict[str, Score]] = {}
    audio_s, asr_s, asr_audio_s = 0.0, 0.0, 0.0
    for lesson, truth in _lessons(args.lessons):
        if args.only not in lesson.name or (stable is not None and lesson.name not in stable):
            continue  # (rows beside stable-ts: only the lessons it ran on)
        ingested = ingest(lesson, registry, IngestOptions(out_dir=args.cache / "out"))
        audio_s += ingested.media.duration_ms / 1000
        scores = _score_lesson(ingested, truth, rows, stable)
        cond = per.setdefault(lesson.name.rsplit("-", 1)[0], {})
        for label, sc in scores.items():
            cond.setdefault(label, Score()).add(sc)
        print(lesson.name, "  ".join(f"{label.split(' ')[0]} {max(sc.errors):.0f}"
                                     f" {sc.seconds:.1f}s" for label, sc in scores.items()),
              flush=True)
        if args.asr_lessons > 0:
            args.asr_lessons -= 1
            t0 = time.perf_counter()
            transcribe(ingested.audio_wav, rows["ear × base (faster-whisper)"].asr
                       or TranscribeOptions())
            asr_s += time.perf_counter() - t0
            asr_audio_s += ingested.media.duration_ms / 1000
    _report(per, audio_s, asr_s, asr_audio_s)
    return 0


def _report(per: dict[str, dict[str, Score]], audio_s: float, asr_s: float,
            asr_audio_s: float) -> None:
    report(per, audio_s, asr_s, asr_audio_s,
           what="compute per minute of audio (alignment, the model rows include the "
                "acoustic alignment they start from)",
           asr_what="free transcription main's auto ran")


if __name__ == "__main__":
    raise SystemExit(main())
