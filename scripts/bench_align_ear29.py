#!/usr/bin/env python3
"""Calibration of the ear's skip call (issue 29): every script sentence's text scored over
the whole gap its true neighbours leave, against its neighbours' texts on the same audio.

For a spoken sentence the gap holds its own speech; for a skipped one, a pause or an ad-lib.
The printed distributions (absolute contrast, and contrast relative to the lesson's own
typical contrast: the median over its acoustically surest sentences where the acoustics put
them) are what the margins of :class:`pipeline.speech.align.ear_check.CheckOptions` are
chosen from. Lessons: folders with ``truth.json`` (``bench_lessons.py``); the acoustic
alignment comes from ``bench_align_ear.py``'s ``--cache``.

Usage:
    nice python scripts/bench_align_ear29.py --lessons /tmp/m29/tune --cache DIR [--out F]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_align_ear import _cache_dtw, _lessons

from pipeline.core.config import load_settings
from pipeline.core.languages import load_registry
from pipeline.core.text import syllable_count
from pipeline.ingest import IngestOptions, ingest
from pipeline.speech.align import AlignOptions
from pipeline.speech.align.audio import wav_regions
from pipeline.speech.align.dtw import DTWAligner
from pipeline.speech.align.ear import open_ear
from pipeline.speech.align.ear_check import CheckOptions, _Listener
from pipeline.speech.align.forced import _read
from pipeline.speech.transcribe import TranscribeOptions


def _gap(truth: list[dict[str, object]], k: int, total_ms: int) -> tuple[int, int]:
    spoken = [t for t in truth if t["status"] != "skipped"]
    me = truth[k]
    a = max((int(1000 * float(t["end"])) for t in spoken  # type: ignore[arg-type]
             if t is not me and float(t["end"]) <= float(me["start"]) + 0.01  # type: ignore[arg-type]
             and t["status"] == "matched"), default=0)
    b = min((int(1000 * float(t["start"])) for t in spoken  # type: ignore[arg-type]
             if t is not me and float(t["start"]) >= float(me["end"]) - 0.01  # type: ignore[arg-type]
             and t["status"] == "matched"), default=total_ms)
    return a, max(a, b)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    p.add_argument("--lessons", type=Path, action="append", required=True)
    p.add_argument("--cache", type=Path, required=True)
    p.add_argument("--neighbours", action="store_true",
                   help="only the skipped sentences and their neighbours (a quicker run)")
    p.add_argument("--out", type=Path, default=None, help="one JSON line per sentence")
    args = p.parse_args(argv)
    settings = load_settings()
    registry = load_registry(settings.glossary_dir)
    _cache_dtw(args.cache)
    ear = open_ear(TranscribeOptions(backend="faster-whisper", model="base",
                                     model_dir=settings.model_dir, cpu_threads=2))
    rows: list[dict[str, object]] = []
    for lesson, truth_objs in _lessons(args.lessons):
        ingested = ingest(lesson, registry, IngestOptions(out_dir=args.cache / "out"))
        acoustic = DTWAligner().align(ingested, None, AlignOptions(aligner="dtw"))
        dtw = [s for s in acoustic.sentences if s.status != "ad-lib"]
        truth = [t.__dict__ for t in truth_objs if t.status != "ad-lib"]
        texts = [str(t["text"]) for t in truth]
        regions = wav_regions(ingested.audio_wav, sum(syllable_count(t) for t in texts))
        listener = _Listener(ear, _read(ingested.audio_wav), texts, CheckOptions().pad_ms)
        typ = listener.typical_contrast(dtw)
        skips = [k for k, t in enumerate(truth) if t["status"] == "skipped"]
        for k, t in enumerate(truth):
            if args.neighbours and not any(abs(k - j) <= 1 for j in skips):
                continue
            a, b = _gap(truth, k, listener.total_ms)
            speech = sum(max(0, min(b, y) - max(a, x)) for x, y in regions)
            heard = listener.contrast(k, a, b) if b - a >= 250 else None
            row = {"lesson": lesson.name, "k": k, "status": t["status"], "gap_ms": b - a,
                   "speech_ms": speech, "typical": typ,
                   "contrast": heard.contrast if heard else None,
                   "own": heard.own if heard else None,
                   "prior": listener.prior(k), "rivals": [
                       (j, r, listener.prior(j)) for j, r in heard.rivals] if heard else []}
            rows.append(row)
            print(json.dumps(row), flush=True)
    if args.out:
        args.out.write_text("\n".join(json.dumps(r) for r in rows) + "\n", "utf-8")
    for status in ("matched", "skipped"):
        cs = np.array([float(r["contrast"]) for r in rows  # type: ignore[arg-type]
                       if r["status"] == status and r["contrast"] is not None])
        rel = np.array([float(r["contrast"]) / max(0.1, float(r["typical"]))  # type: ignore[arg-type]
                        for r in rows if r["status"] == status and r["contrast"] is not None])
        if cs.size:
            print(f"{status}: n={cs.size} contrast pct 0/5/25/50/75/95/100 "
                  f"{np.percentile(cs, [0, 5, 25, 50, 75, 95, 100]).round(2).tolist()} "
                  f"relative {np.percentile(rel, [0, 5, 25, 50, 75, 95, 100]).round(2).tolist()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
