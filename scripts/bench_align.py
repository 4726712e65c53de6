#!/usr/bin/env python3
"""Alignment accuracy benchmark on generated lessons with known sentence times.

Generates N varied lessons (espeak-ng voices, speeds and pitch; sox tempo changes; added
noise and background music; long pauses while "the screen changes"; one sentence of the
script never spoken; one ad-lib not in the script), runs every aligner on each, and reports
median / p95 absolute start and end error, the share of sentences with the right status and
the skipped sentences detected. Ratios are against the proportional baseline, run in the
same process.

Usage:
    python scripts/bench_align.py [--lessons 20] [--out bench-results/align] [--keep]
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from make_sample_lesson import STEPS

from pipeline.core.config import load_settings
from pipeline.core.languages import load_registry
from pipeline.core.vi_numbers import spoken_form
from pipeline.ingest import IngestOptions, ingest
from pipeline.speech.align import ALIGNERS, AlignOptions, align

RATE = 22050
EXTRA = (
    "Sau khi thanh toán xong, bạn nên kiểm tra lại lịch sử giao dịch.",
    "Nếu mạng yếu, hãy chờ một lát rồi thử lại, đừng bấm nhiều lần.",
    "Bạn có thể lưu mã QR của mình để người mua quét khi bán hàng trên Zalo.",
    "Hãy đặt mật khẩu khó đoán và không ghi mật khẩu lên giấy.",
    "Khi cần giúp đỡ, hãy hỏi tổ công nghệ số cộng đồng ở thôn bản.",
)
ADLIBS = (
    "À, bà con nhớ để ý chỗ này nhé.",
    "Ừ, chỗ này hơi khó, chúng ta làm chậm lại một chút.",
    "Vâng, mọi người nhìn lên màn hình nhé.",
)
VOICES = ("vi", "vi-vn-x-central", "vi-vn-x-south", "vi+f3", "vi+m3", "vi+f2")


@dataclass
class Truth:
    text: str
    start: float
    end: float
    status: str  # matched, skipped, ad-lib


def espeak(text: str, voice: str, wpm: int, pitch: int, dst: Path) -> np.ndarray:
    subprocess.run(["espeak-ng", "-v", voice, "-s", str(wpm), "-p", str(pitch), "-w", str(dst),
                    spoken_form(text)], check=True, capture_output=True)
    with wave.open(str(dst)) as w:
        x = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(np.float32) / 32768
    loud = np.flatnonzero(np.abs(x) > 0.01)
    return x[loud[0]: loud[-1] + 1]


def tempo(x: np.ndarray, factor: float, tmp: Path) -> np.ndarray:
    src, dst = tmp / "t_in.wav", tmp / "t_out.wav"
    write_wav(src, x)
    subprocess.run(["sox", str(src), str(dst), "tempo", "-s", f"{factor:.3f}"], check=True,
                   capture_output=True)
    with wave.open(str(dst)) as w:
        return np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(np.float32) / 32768


def write_wav(path: Path, x: np.ndarray) -> None:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes((np.clip(x, -1, 1) * 32767).astype("<i2").tobytes())


def background(kind: str, n: int, rng: np.random.Generator) -> np.ndarray:
    t = np.arange(n) / RATE
    if kind == "noise":
        return rng.normal(0, 1, n).astype(np.float32)
    # "music": a slow chord progression with a plucked rhythm.
    notes = (220.0, 277.2, 329.6, 246.9, 293.7, 370.0)
    out = np.zeros(n, dtype=np.float32)
    beat = int(0.5 * RATE)
    for k, start in enumerate(range(0, n, beat)):
        f = notes[(k // 4) % len(notes)]
        seg = t[: min(beat, n - start)]
        env = np.exp(-seg * 4)
        out[start: start + seg.size] += (np.sin(2 * np.pi * f * seg) * env).astype(np.float32)
    return out


def make_lesson(i: int, root: Path, tmp: Path) -> tuple[Path, list[Truth], str]:
    rng = np.random.default_rng(1000 + i)
    pool = [s.text for s in STEPS] + list(EXTRA)
    texts = [pool[k] for k in rng.choice(len(pool), size=8, replace=False)]
    voice = VOICES[i % len(VOICES)]
    wpm = int(rng.integers(120, 191))
    pitch = int(rng.integers(30, 71))
    skipped_at = int(rng.integers(1, len(texts) - 1))
    adlib_after = int(rng.integers(0, len(texts) - 1))
    tempo_at = {int(k): float(rng.choice([0.85, 0.9, 1.1, 1.2]))
                for k in rng.choice(len(texts), size=2, replace=False)}
    long_pause_after = {int(k) for k in rng.choice(len(texts), size=2, replace=False)}
    bg = ("clean", "noise", "music")[i % 3]
    truth: list[Truth] = []
    pieces = [np.zeros(int(rng.uniform(0.3, 1.2) * RATE), dtype=np.float32)]
    pos = pieces[0].size

    def say(text: str, status: str, k: int) -> None:
        nonlocal pos
        x = espeak(text, voice, wpm, pitch, tmp / "s.wav")
        if k in tempo_at and status == "matched":
            x = tempo(x, tempo_at[k], tmp)
        truth.append(Truth(text, pos / RATE, (pos + x.size) / RATE, status))
        pieces.append(x)
        pos += x.size

    def pause(seconds: float) -> None:
        nonlocal pos
        pieces.append(np.zeros(int(seconds * RATE), dtype=np.float32))
        pos += pieces[-1].size

    for k, text in enumerate(texts):
        if k == skipped_at:
            truth.append(Truth(text, pos / RATE, pos / RATE, "skipped"))
            continue
        say(text, "matched", k)
        pause(rng.uniform(2.0, 5.0) if k in long_pause_after else rng.uniform(0.35, 0.9))
        if k == adlib_after:
            say(ADLIBS[i % len(ADLIBS)], "ad-lib", k)
            pause(rng.uniform(0.35, 0.9))
    speech = np.concatenate(pieces)
    level = np.sqrt(np.mean(speech[np.abs(speech) > 0.01] ** 2))
    if bg != "clean":
        snr_db = 20.0 if bg == "noise" else 15.0
        b = background(bg, speech.size, rng)
        b *= level / (np.sqrt(np.mean(b**2)) + 1e-9) / (10 ** (snr_db / 20))
        speech = speech + b
    lesson = root / f"bench-{i:02d}"
    lesson.mkdir(parents=True, exist_ok=True)
    write_wav(lesson / "recording.wav", speech * 0.8)
    (lesson / "script.md").write_text("# Bài thử\n" + "\n".join(texts) + "\n", encoding="utf-8")
    (lesson / "lesson.toml").write_text(f'title = "Bài thử {i}"\nlanguages = []\n',
                                        encoding="utf-8")
    desc = f"{voice}, {wpm} wpm, pitch {pitch}, {bg}"
    return lesson, truth, desc


def evaluate(result: list[dict[str, object]], truth: list[Truth]) -> dict[str, list[float]]:
    script_truth = [t for t in truth if t.status != "ad-lib"]
    by_index = {int(str(r["index"])): r for r in result if r.get("index") is not None}
    errors, right, skipped_found, skipped_total = [], 0, 0, 0
    for k, t in enumerate(script_truth):
        r = by_index.get(k)
        if r is None:
            continue
        if r["status"] == t.status:
            right += 1
        if t.status == "skipped":
            skipped_total += 1
            skipped_found += r["status"] == "skipped"
        elif r["status"] == "matched":
            errors += [abs(float(str(r["start"])) - t.start), abs(float(str(r["end"])) - t.end)]
    adlibs = [t for t in truth if t.status == "ad-lib"]
    found = sum(any(r["status"] == "ad-lib" and float(str(r["start"])) < t.end
                    and float(str(r["end"])) > t.start for r in result) for t in adlibs)
    return {"errors": errors, "right": [right], "total": [len(script_truth)],
            "skipped_found": [skipped_found], "skipped_total": [skipped_total],
            "adlib_found": [found], "adlib_total": [len(adlibs)]}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--lessons", type=int, default=20)
    p.add_argument("--out", type=Path, default=Path("bench-results/align"))
    p.add_argument("--aligners", default=",".join(n for n in ALIGNERS if n != "transcript"),
                   help="the transcript aligner needs a real Whisper model")
    p.add_argument("--keep", action="store_true", help="keep the generated lessons")
    args = p.parse_args(argv)
    registry = load_registry(load_settings().glossary_dir)
    names = [n.strip() for n in args.aligners.split(",")]
    totals: dict[str, dict[str, list[float]]] = {n: {} for n in names}
    seconds: dict[str, float] = dict.fromkeys(names, 0.0)
    work = Path(tempfile.mkdtemp(prefix="caunoi-bench-align-"))
    try:
        for i in range(args.lessons):
            lesson, truth, desc = make_lesson(i, work / "lessons", work)
            ingested = ingest(lesson, registry, IngestOptions(out_dir=work / "out"))
            line = [f"{lesson.name} ({desc}):"]
            for name in names:
                t0 = time.perf_counter()
                result = align(ingested, None, AlignOptions(aligner=name)).to_json()
                seconds[name] += time.perf_counter() - t0
                ev = evaluate(result, truth)
                for key, values in ev.items():
                    totals[name].setdefault(key, []).extend(values)
                med = np.median(ev["errors"]) * 1000 if ev["errors"] else float("nan")
                line.append(f"{name} med {med:.0f} ms")
            print("  ".join(line), flush=True)
            if args.keep:
                args.out.mkdir(parents=True, exist_ok=True)
                shutil.copytree(lesson, args.out / lesson.name, dirs_exist_ok=True)
                (args.out / lesson.name / "truth.json").write_text(json.dumps(
                    [t.__dict__ for t in truth], ensure_ascii=False, indent=1), encoding="utf-8")
    finally:
        shutil.rmtree(work, ignore_errors=True)

    base = "proportional" if "proportional" in names else names[0]
    rows = {}
    for name in names:
        t = totals[name]
        e = np.array(t["errors"]) * 1000
        rows[name] = {
            "median_ms": float(np.median(e)), "p95_ms": float(np.percentile(e, 95)),
            "status_right": sum(t["right"]) / sum(t["total"]),
            "skipped_found": f"{int(sum(t['skipped_found']))}/{int(sum(t['skipped_total']))}",
            "adlib_found": f"{int(sum(t['adlib_found']))}/{int(sum(t['adlib_total']))}",
            "seconds": seconds[name],
        }
    print(f"\n{args.lessons} lessons; ratios against '{base}' run in this process")
    print(f"{'aligner':14} {'median':>9} {'p95':>9} {'status ok':>10} {'skipped':>8} "
          f"{'ad-libs':>8} {'time':>7} {'median ×':>9} {'p95 ×':>7}")
    for name, r in rows.items():
        b = rows[base]
        print(f"{name:14} {r['median_ms']:7.0f}ms {r['p95_ms']:7.0f}ms "
              f"{100 * r['status_right']:9.1f}% {r['skipped_found']:>8} {r['adlib_found']:>8} "
              f"{r['seconds']:6.1f}s "
              f"{r['median_ms'] / b['median_ms']:9.2f} {r['p95_ms'] / b['p95_ms']:7.2f}")
    print("transcript aligner: needs a real Whisper model (none on this machine), not measured")
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "results.json").write_text(json.dumps(rows, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
