#!/usr/bin/env python3
"""Transcription speed per ASR backend on the SAME network with the SAME settings, as a
ratio to openai-whisper run in the same process.

The network is the real Whisper base: faster-whisper loads ``models/faster-whisper/base``
(``make whisper-base``); openai-whisper loads the same weights converted to a PyTorch
checkpoint by ``whisper_ct2_to_openai.py`` (float16 → float32, done once into
``models/whisper/base.pt`` if missing). Both run through ``pipeline.speech.transcribe`` with
one ``TranscribeOptions``: the same voice-activity chunks (VAD on both), the same beam size
(``--beam``, 1 = greedy), word timestamps on, and ONE decoding temperature (0): with the
fallback temperatures a backend whose first pass trips a threshold would decode a chunk
again and be timed on more work. Both use the same number of threads (``--threads``:
CTranslate2's ``cpu_threads``, ``torch.set_num_threads``). faster-whisper runs int8 (what the
pipeline uses) and float32 (the like-for-like row). Runs are interleaved so a busy machine
slows every backend alike. Also reports the share of script syllables each
agreement: the share of openai-whisper's syllables each transcript repeats (a check that
both really run the same network).

Usage:
    python scripts/bench_transcribe.py [--lesson lessons/sample-qr-payment] [--repeat 2]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
import wave
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))
import numpy as np
from whisper_ct2_to_openai import convert

from pipeline.core.config import load_settings
from pipeline.core.languages import load_registry
from pipeline.core.media import read_wav
from pipeline.core.text import syllables
from pipeline.core.types import Transcript
from pipeline.core.vi_numbers import spoken_form
from pipeline.ingest import IngestOptions, ingest
from pipeline.speech.align.transcript import align_tokens
from pipeline.speech.transcribe import TranscribeOptions, transcribe


def _heard(transcript: Transcript) -> list[str]:
    return [t.lower() for w in transcript.words for t in syllables(spoken_form(w.text))]


def agreement(reference: Transcript, other: Transcript) -> float:
    """Share of the reference transcript's syllables the other has at the aligned place
    (tone included): near 1 when both backends run the same network."""
    ref, heard = _heard(reference), _heard(other)
    pairs = align_tokens(ref, heard)
    return sum(1 for s, p in zip(ref, pairs, strict=True)
               if p is not None and heard[p] == s) / max(1, len(ref))


def _cut(wav: Path, seconds: float, dst: Path) -> Path:
    if seconds <= 0:
        return wav
    samples, rate = read_wav(wav)
    with wave.open(str(dst), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes((np.clip(samples[: int(seconds * rate)], -1, 1) * 32767)
                      .astype("<i2").tobytes())
    return dst


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    p.add_argument("--lesson", type=Path, default=Path("lessons/sample-qr-payment"))
    p.add_argument("--models", type=Path, default=None, help="model folder (settings)")
    p.add_argument("--model", default="base")
    p.add_argument("--repeat", type=int, default=2)
    p.add_argument("--seconds", type=float, default=0.0, help="first N s only (0: all)")
    p.add_argument("--beam", type=int, default=1, help="beam size for every backend")
    p.add_argument("--threads", type=int, default=2, help="CPU threads for every backend")
    args = p.parse_args(argv)
    settings = load_settings()
    models: Path = args.models or settings.model_dir
    ct2 = models / "faster-whisper" / args.model
    if not (ct2 / "model.bin").is_file():
        print(f"{ct2} is missing: run `make whisper-base`")
        return 3
    pt = models / "whisper" / f"{args.model}.pt"
    if not pt.is_file():
        convert(ct2, pt)
    if not args.lesson.is_dir():
        subprocess.run([sys.executable, str(Path(__file__).parent / "make_sample_lesson.py"),
                        "--out", str(args.lesson.parent)], check=True)
    with tempfile.TemporaryDirectory(prefix="caunoi-bench-asr-") as tmp:
        ingested = ingest(args.lesson, load_registry(settings.glossary_dir),
                          IngestOptions(out_dir=Path(tmp) / "out"))
        wav = _cut(ingested.audio_wav, args.seconds, Path(tmp) / "cut.wav")
        samples, rate = read_wav(wav)
        audio_s = samples.size / rate
        import torch

        torch.set_num_threads(args.threads)
        common = TranscribeOptions(model=args.model, model_dir=models, cpu_threads=args.threads,
                                   prompt=ingested.lesson.title, beam_size=args.beam,
                                   temperatures=(0.0,))
        runs = {"openai-whisper (float32)": replace(common, backend="openai-whisper"),
                "faster-whisper int8": replace(common, backend="faster-whisper"),
                "faster-whisper float32": replace(common, backend="faster-whisper",
                                                  compute_type="float32")}
        times: dict[str, list[float]] = {k: [] for k in runs}
        # Warm-up (model load, numba compile), kept to compare the transcripts.
        texts = {label: transcribe(wav, opts) for label, opts in runs.items()}
        for _ in range(args.repeat):
            for label, opts in runs.items():
                t0 = time.perf_counter()
                transcribe(wav, opts)
                times[label].append(time.perf_counter() - t0)
    base = statistics.median(times["openai-whisper (float32)"])
    print(f"{audio_s:.1f} s of audio, Whisper {args.model} (the same weights on both "
          f"backends), VAD chunks on both, beam {args.beam}, temperature 0, {args.threads} "
          f"threads; median of {args.repeat} "
          "interleaved runs after a warm-up; ratio = openai-whisper time / backend time")
    print(f"{'backend':26} {'seconds':>8} {'× realtime':>11} {'speed ratio':>12} "
          f"{'agreement':>10}")
    for label, values in times.items():
        t = statistics.median(values)
        print(f"{label:26} {t:8.2f} {audio_s / t:11.2f} {base / t:12.2f} "
              f"{agreement(texts['openai-whisper (float32)'], texts[label]):10.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
