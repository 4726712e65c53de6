#!/usr/bin/env python3
"""Render benchmark: per profile, KB per minute, encode speed (× realtime), SSIM/VMAF,
diacritics OCR accuracy and speech intelligibility (STOI), as ratios to a ricecooker-style
reference encode (x264 baseline CRF 32, 480p, AAC 32 kb/s mono) run in this process on the
same lesson with the same burned-in subtitles.

Lessons: the sample lesson and a ~5-minute generated one.

Usage:
    python scripts/bench_render.py [--profiles compat,tiny,modern] [--skip-long]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
import wave
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from pipeline.core.config import load_settings
from pipeline.core.languages import load_registry
from pipeline.core.media import probe, run_ffmpeg
from pipeline.ingest import IngestOptions, ingest
from pipeline.render.encode import RenderJob, RenderOptions, normalise_audio, render
from pipeline.render.profiles import Profile, get_profile
from pipeline.render.quality import measure
from pipeline.speech.align import align
from pipeline.speech.segment import segment
from pipeline.speech.subtitles import write_subtitles

REFERENCE = Profile(
    name="reference", purpose="ricecooker-style", ext="mp4", width=854, height=480, fps=15,
    video_args=("-c:v", "libx264", "-profile:v", "baseline", "-crf", "32", "-preset", "medium",
                "-pix_fmt", "yuv420p"),
    audio_args=("-c:a", "aac", "-b:a", "32k", "-ac", "1"), codecs=("avc1", "mp4a.40.2"))


def _pcm(path: Path, offset: float, tmp: Path) -> np.ndarray:
    wav = tmp / f"{path.stem}.pcm.wav"
    run_ffmpeg(["-ss", f"{offset:.3f}", "-i", str(path), "-vn", "-ac", "1", "-ar", "16000",
                "-c:a", "pcm_s16le", str(wav)], action="decoding audio", path=path)
    with wave.open(str(wav)) as w:
        return np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(np.float64)


def stoi(clean: np.ndarray, degraded: np.ndarray) -> float | None:
    try:
        from pystoi import stoi as _stoi
    except ImportError:
        return None
    n = min(clean.size, degraded.size)
    return float(_stoi(clean[:n], degraded[:n], 16000, extended=False))


def bench_lesson(lesson_dir: Path, profiles: list[str], tmp: Path) -> list[dict[str, object]]:
    settings = load_settings()
    registry = load_registry(settings.glossary_dir)
    ingested = ingest(lesson_dir, registry, IngestOptions(out_dir=tmp / "out"))
    vi = registry.get("vi")
    cues = segment(align(ingested, None), vi)
    write_subtitles(cues, vi, tmp)
    audio = normalise_audio(ingested.lesson.recording, tmp / "norm.wav")
    clean = _pcm(audio, 0.0, tmp)
    duration = ingested.media.duration_ms / 1000
    times = tuple((c.start_ms + c.end_ms) / 2000 for c in cues)
    rows = []
    for name in ["reference", *profiles]:
        profile = REFERENCE if name == "reference" else get_profile(name)
        opts = RenderOptions(quality_gates=False,
                             title_card_s=0.04 if name == "reference" else 2.5)
        job = RenderJob(recording=ingested.lesson.recording, audio=audio, language="vi",
                        font="Noto Sans", profile=profile, dst=tmp / f"{name}.{profile.ext}",
                        ass=tmp / "vi.ass", title_vi=ingested.lesson.title, cue_times=times)
        started = time.perf_counter()
        render(job, opts)
        seconds = time.perf_counter() - started
        size = job.dst.stat().st_size
        row: dict[str, object] = {"lesson": lesson_dir.name, "profile": name,
                                  "kb_per_min": size / 1024 / (duration / 60),
                                  "x_realtime": duration / seconds}
        if profile.has_video:
            q = measure(ingested.lesson.recording, job.dst, (854, 480), profile.fps,
                        opts.title_card_s, list(times), burned=True)
            row |= {"ssim": q.ssim, "vmaf": q.vmaf, "ocr": q.ocr_diacritics}
        offset = opts.title_card_s if profile.has_video else 0.0
        row["stoi"] = stoi(clean, _pcm(job.dst, offset, tmp))
        row["duration_s"] = probe(job.dst).duration_ms / 1000
        rows.append(row)
        print(f"  {lesson_dir.name} {name}: {row['kb_per_min']:.0f} KB/min, "
              f"{row['x_realtime']:.1f}× realtime", flush=True)
    return rows


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--profiles", default="compat,tiny,modern,audio")
    p.add_argument("--skip-long", action="store_true", help="only the sample lesson")
    p.add_argument("--out", type=Path, default=Path("bench-results/render.json"))
    args = p.parse_args(argv)
    profiles = [x.strip() for x in args.profiles.split(",") if x.strip()]
    scripts = Path(__file__).resolve().parent
    rows = []
    with tempfile.TemporaryDirectory(prefix="caunoi-bench-render-") as tmp_name:
        tmp = Path(tmp_name)
        lessons = [("sample-qr-payment", 17)] + ([] if args.skip_long else [("long-5min", 66)])
        for lesson_id, n in lessons:
            subprocess.run([sys.executable, str(scripts / "make_sample_lesson.py"), "--out",
                            str(tmp / "lessons"), "--id", lesson_id, "--sentences", str(n)],
                           check=True, capture_output=True)
            work = tmp / lesson_id
            work.mkdir()
            rows += bench_lesson(tmp / "lessons" / lesson_id, profiles, work)
    print(f"\n{'lesson':18} {'profile':10} {'KB/min':>7} {'size×':>6} {'×rt':>6} {'SSIM':>6} "
          f"{'VMAF':>6} {'OCR':>5} {'STOI':>5}")
    for r in rows:
        ref = next(x for x in rows if x["lesson"] == r["lesson"] and x["profile"] == "reference")

        def f(key: str, fmt: str, row: dict[str, object] = r) -> str:
            v = row.get(key)
            return format(v, fmt) if isinstance(v, float) else "-"

        ratio = float(str(r["kb_per_min"])) / float(str(ref["kb_per_min"]))
        print(f"{r['lesson']:18} {r['profile']:10} {f('kb_per_min', '7.0f')} {ratio:6.2f} "
              f"{f('x_realtime', '6.1f')} {f('ssim', '6.3f')} {f('vmaf', '6.1f')} "
              f"{f('ocr', '5.2f')} {f('stoi', '5.2f')}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(rows, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
