#!/usr/bin/env python3
"""Peak memory (RSS) of the alignment stage on a long recording, against a baseline source
tree run by the same script.

A generated recording (tone bursts and silence, ``--minutes`` long, 16 kHz mono) and a script
of ``--sentences`` sentences are ingested once; then each tree's aligner runs in a fresh
process (``python -c``, that tree first on ``sys.path``) and reports its peak resident set
size (``ru_maxrss``) and time. Memory is what is measured: the tones are no narration, the
alignment itself is meaningless.

Usage:
    python scripts/bench_align_memory.py [--minutes 60] [--aligner dtw]
        [--baseline /tmp/caunoi-before]   # e.g. `git archive <commit> | tar -x -C DIR`
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import wave
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_lessons import POOL

from pipeline.core.config import load_settings
from pipeline.core.languages import load_registry
from pipeline.ingest import IngestOptions, ingest

ROOT = Path(__file__).resolve().parent.parent
RATE = 16_000
CHILD = """
import json, resource, sys, time
sys.path.insert(0, sys.argv[1])
from pipeline.core.types import Ingested
from pipeline.speech.align import AlignOptions, align
ing = Ingested.from_json(json.loads(open(sys.argv[2], encoding="utf-8").read()))
t0 = time.perf_counter()
res = align(ing, None, AlignOptions(aligner=sys.argv[3]))
print(json.dumps({"seconds": time.perf_counter() - t0, "sentences": len(res.sentences),
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def write_recording(path: Path, minutes: float, seed: int = 0) -> None:
    """Tone bursts (0.5–4 s, a few harmonics, a syllable-like envelope) between silences,
    written ten seconds at a time."""
    rng = np.random.default_rng(seed)
    total = int(minutes * 60 * RATE)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        done = 0
        while done < total:
            n = min(10 * RATE, total - done)
            t = np.arange(n) / RATE
            x = rng.normal(0, 1e-3, n)
            burst = int(rng.uniform(0.5, 4.0) * RATE)
            at = int(rng.integers(0, max(1, n - burst)))
            f0 = rng.uniform(110, 260)
            seg = t[:burst]
            env = np.abs(np.sin(2 * np.pi * 4 * seg))
            tone = sum(np.sin(2 * np.pi * f0 * h * seg) / h for h in (1, 2, 3, 5))
            x[at: at + burst] += 0.3 * env * tone
            w.writeframes((np.clip(x, -1, 1) * 32767).astype("<i2").tobytes())
            done += n


def run(tree: Path, ingested_json: Path, aligner: str) -> dict[str, float]:
    out = subprocess.run([sys.executable, "-c", CHILD, str(tree), str(ingested_json), aligner],
                         capture_output=True, text=True, check=True)
    result: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    p.add_argument("--minutes", type=float, default=60.0)
    p.add_argument("--sentences", type=int, default=60)
    p.add_argument("--aligner", default="dtw")
    p.add_argument("--baseline", type=Path, default=None, help="source tree to compare with")
    args = p.parse_args(argv)
    settings = load_settings()
    with tempfile.TemporaryDirectory(prefix="caunoi-bench-align-mem-") as tmp_name:
        tmp = Path(tmp_name)
        lesson = tmp / "long-lesson"
        lesson.mkdir()
        write_recording(lesson / "recording.wav", args.minutes)
        texts = [POOL[k % len(POOL)] for k in range(args.sentences)]
        (lesson / "script.md").write_text("# Bài dài\n" + "\n".join(texts) + "\n", "utf-8")
        (lesson / "lesson.toml").write_text('title = "Bài dài"\nlanguages = []\n', "utf-8")
        ingested = ingest(lesson, load_registry(settings.glossary_dir),
                          IngestOptions(out_dir=tmp / "out"))
        ij = tmp / "ingested.json"
        ij.write_text(json.dumps(ingested.to_json(), ensure_ascii=False), "utf-8")
        wav_mb = ingested.audio_wav.stat().st_size / 2**20
        print(f"{args.minutes:.0f} min recording, analysis WAV {wav_mb:.0f} MB (int16; a "
              f"float32 copy is {2 * wav_mb:.0f} MB), {args.sentences} sentences, "
              f"aligner {args.aligner}")
        rows = {"this tree": run(ROOT, ij, args.aligner)}
        if args.baseline is not None:
            rows["baseline"] = run(args.baseline, ij, args.aligner)
    for label, r in rows.items():
        ratio = ""
        if "baseline" in rows:
            ratio = f"  {r['peak_mb'] / rows['baseline']['peak_mb']:.2f}× baseline peak"
        print(f"  {label:10} peak RSS {r['peak_mb']:7.0f} MB  {r['seconds']:6.1f} s{ratio}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
