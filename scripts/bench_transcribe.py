#!/usr/bin/env python3
"""Transcription speed per ASR backend, as a ratio to openai-whisper run in the same process.

By default it times the tiny random-weight models (built into a temporary folder) on the
sample lesson's narration: that measures the plumbing and decoder overhead, not accuracy.
Pass --models DIR --model small to time real models where they are installed.

Usage:
    python scripts/bench_transcribe.py [--lesson lessons/sample-qr-payment] [--repeat 3]
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
from pipeline.core.config import load_settings
from pipeline.core.languages import load_registry
from pipeline.core.media import read_wav
from pipeline.ingest import IngestOptions, ingest
from pipeline.speech.transcribe import BACKENDS, TranscribeOptions, transcribe


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--lesson", type=Path, default=Path("lessons/sample-qr-payment"))
    p.add_argument("--models", type=Path, default=None, help="model folder (default: tiny)")
    p.add_argument("--model", default="tiny-random")
    p.add_argument("--repeat", type=int, default=3)
    args = p.parse_args(argv)
    scripts = Path(__file__).resolve().parent
    if not args.lesson.is_dir():
        subprocess.run([sys.executable, str(scripts / "make_sample_lesson.py"), "--out",
                        str(args.lesson.parent), "--id", args.lesson.name], check=True)
    with tempfile.TemporaryDirectory(prefix="caunoi-bench-asr-") as tmp:
        models = args.models
        if models is None:
            models = Path(tmp) / "models"
            subprocess.run([sys.executable, str(scripts / "make_tiny_models.py"), "--out",
                            str(models)], check=True, capture_output=True)
        ingested = ingest(args.lesson, load_registry(load_settings().glossary_dir),
                          IngestOptions(out_dir=Path(tmp) / "out"))
        samples, rate = read_wav(ingested.audio_wav)
        audio_s = samples.size / rate
        times: dict[str, list[float]] = {}
        for backend in BACKENDS:
            opts = TranscribeOptions(backend=backend, model=args.model, model_dir=models,
                                     prompt=ingested.lesson.title)
            transcribe(ingested.audio_wav, opts)  # warm-up: model load, numba compile
            for _ in range(args.repeat):
                t0 = time.perf_counter()
                transcribe(ingested.audio_wav, opts)
                times.setdefault(backend, []).append(time.perf_counter() - t0)
    base = statistics.median(times["openai-whisper"])
    print(f"{audio_s:.1f} s of audio, model '{args.model}', median of {args.repeat} runs "
          "after a warm-up; ratio = openai-whisper time / backend time")
    print(f"{'backend':16} {'seconds':>8} {'× realtime':>11} {'speed ratio':>12}")
    for backend, values in times.items():
        t = statistics.median(values)
        print(f"{backend:16} {t:8.2f} {audio_s / t:11.1f} {base / t:12.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
