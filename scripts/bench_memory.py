#!/usr/bin/env python3
"""Peak memory of ``caunoi produce``: the whole process tree, per stage, per input length.

Each case runs ``caunoi produce`` in its own session under ``nice -n 10`` and samples, every
0.1 s, the resident memory (VmRSS) of every process of that session: the caunoi process,
Prefect's temporary server, ffmpeg and espeak-ng children. Stages are told apart by the
files each one finishes with (ingest.json, work/audio-normalised.wav, alignment.json,
subtitles/, video/, manifest.json:
the samples taken since the previous stage's file belong to the stage whose file appears
next; under Prefect some jobs overlap, so a stage's figure may include a neighbour's job).
Output and samples are kept under ``--work`` (``<case>.log``, ``<case>.jsonl``). The peak of
the tree
(sum of the session's processes at one moment) and of the caunoi process alone are printed,
with ratios against the first (baseline) lesson of the same run.

Cases (all generated under ``--work``; nothing is downloaded):

- ``lesson-<N>min``: the sample lesson narrated by espeak-ng (``make_sample_lesson.py``),
  ``--base-sentences`` sentences for the base length, longer lessons are the base lesson's
  recording and script repeated (``ffmpeg -f concat -c copy``), so a 60-minute lesson is read
  by the same voice without synthesising an hour at once;
- ``silent-<H>h``: an H-hour silent ``recording.ogg`` (Opus), once with the default limits
  (refused before any work) and once with ``CAUNOI_MAX_RECORDING_S`` raised past it (decoded
  to the analysis WAV, found silent, refused).

    python scripts/bench_memory.py --work /tmp/mem --minutes 10 60 --silent-hours 10
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from pipeline.core.media import ffmpeg_exe, probe

ROOT = Path(__file__).resolve().parent.parent


def _session_rss(sid: int) -> tuple[int, int, dict[str, int]]:
    """(total RSS in bytes of session ``sid``, RSS of its leader, RSS per command name)."""
    total = leader = 0
    names: dict[str, int] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry.name}/stat").read_text()
            status = Path(f"/proc/{entry.name}/status").read_text()
        except OSError:
            continue
        rest = stat.rsplit(")", 1)[-1].split()
        if int(rest[3]) != sid:
            continue
        name = stat[stat.index("(") + 1: stat.rindex(")")]
        rss = next((int(line.split()[1]) * 1024 for line in status.splitlines()
                    if line.startswith("VmRSS:")), 0)
        total += rss
        names[name] = names.get(name, 0) + rss
        if int(entry.name) == sid:
            leader = rss
    return total, leader, names


@dataclass
class Sampler:
    """Samples a session's memory in a thread until :meth:`stop`."""

    sid: int
    period_s: float = 0.1
    samples: list[tuple[float, int, int, dict[str, int]]] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        while not self._stop.is_set():
            total, leader, names = _session_rss(self.sid)
            if total:
                self.samples.append((time.monotonic(), total, leader, names))
            self._stop.wait(self.period_s)

    def stop(self) -> None:
        self._stop.set()


@dataclass
class Result:
    label: str
    exit_code: int
    seconds: float
    peak_tree: int
    peak_main: int
    stages: dict[str, tuple[int, int]]  # stage -> (peak tree, peak main)
    top: dict[str, int]  # per command name, its largest RSS
    last_line: str


#: The file (under OUT/<lesson>/) whose appearance ends each stage, in order.
MARKERS = (("ingest", "ingest.json"), ("audio", "work/audio-normalised.wav"),
           ("transcribe+align", "alignment.json"), ("subtitles", "subtitles/*"),
           ("render", "video/*"), ("publish", "manifest.json"))


def _stage_ends(lesson_out: Path, t0_wall: float, t0: float) -> list[tuple[str, float]]:
    """(stage, monotonic time its last file was written), in the plan's order."""
    ends: list[tuple[str, float]] = []
    for stage, pattern in MARKERS:
        files = [f for f in lesson_out.glob(pattern) if f.is_file()]
        if files:
            last = max(f.stat().st_mtime for f in files)
            ends.append((stage, t0 + (last - t0_wall)))
    return ends


def measure(label: str, argv: list[str], env: dict[str, str], lesson_out: Path,
            logs: Path) -> Result:
    """Run ``argv`` in its own session and sample its memory until it exits."""
    t0, t0_wall = time.monotonic(), time.time()
    name = "".join(c if c.isalnum() else "-" for c in label)
    with open(logs / f"{name}.log", "w", encoding="utf-8") as log:
        proc = subprocess.Popen(["nice", "-n", "10", *argv], env=env, stdout=log,
                                stderr=subprocess.STDOUT, text=True, start_new_session=True)
        sampler = Sampler(proc.pid)
        thread = threading.Thread(target=sampler.run, daemon=True)
        thread.start()
        code = proc.wait()
    sampler.stop()
    thread.join()
    with open(logs / f"{name}.jsonl", "w", encoding="utf-8") as f:
        for s in sampler.samples:
            f.write(json.dumps([round(s[0] - t0, 2), s[1], s[2], s[3]]) + "\n")
    stages: dict[str, tuple[int, int]] = {}
    since = t0
    for stage, when in _stage_ends(lesson_out, t0_wall, t0):
        window = [s for s in sampler.samples if since <= s[0] <= when]
        if window:
            stages[stage] = (max(s[1] for s in window), max(s[2] for s in window))
        since = max(since, when)
    top: dict[str, int] = {}
    for s in sampler.samples:
        for cmd, rss in s[3].items():
            top[cmd] = max(top.get(cmd, 0), rss)
    lines = (logs / f"{name}.log").read_text(encoding="utf-8", errors="replace").splitlines()
    last = next((ln for ln in reversed(lines) if ln.strip()), "")
    return Result(label, code, time.monotonic() - t0,
                  max((s[1] for s in sampler.samples), default=0),
                  max((s[2] for s in sampler.samples), default=0), stages, top, last)


_VAD_PROBE = """
import resource, sys
from pathlib import Path
from pipeline.core.media import read_wav
from pipeline.speech import vad
wav, how = Path(sys.argv[1]), sys.argv[2]
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
if how == "blocks":
    n = len(vad.wav_speech_regions(wav))
elif how == "whole":
    n = len(vad.speech_regions(*read_wav(wav)))
else:
    vad._silero_probs(iter([]))  # load the Silero model only
    n = 0
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024, n)
"""


def vad_peaks(wav: Path, env: dict[str, str]) -> dict[str, int]:
    """Peak RSS of one process finding the speech regions of ``wav``: block by block
    (transcribe's path), from the whole array (the aligners' path), and the model alone."""
    found: dict[str, int] = {}
    for how in ("model-only", "blocks", "whole"):
        out = subprocess.run(["nice", "-n", "10", sys.executable, "-c", _VAD_PROBE, str(wav),
                              how], env=env, capture_output=True, text=True, check=True)
        found[how] = int(out.stdout.split()[0])
    return found


def _run(cmd: list[str]) -> None:
    subprocess.run(["nice", "-n", "10", *cmd], check=True, stdout=subprocess.DEVNULL)


def make_lessons(work: Path, minutes: list[int], base_sentences: int) -> dict[int, Path]:
    """The base lesson and, for longer lengths, its recording and script repeated."""
    lessons = work / "lessons"
    base = lessons / "lesson-base"
    if not (base / "recording.mp4").is_file():
        _run([sys.executable, str(ROOT / "scripts/make_sample_lesson.py"), "--out", str(lessons),
              "--id", "lesson-base", "--sentences", str(base_sentences)])
    base_min = probe(base / "recording.mp4").duration_ms / 60_000
    found: dict[int, Path] = {}
    for m in minutes:
        copies = max(1, math.ceil(m / base_min - 0.05))
        dst = lessons / f"lesson-{m}min"
        if not (dst / "recording.mp4").is_file():
            dst.mkdir(parents=True, exist_ok=True)
            listing = dst / "concat.txt"
            listing.write_text(f"file '{base / 'recording.mp4'}'\n" * copies, encoding="utf-8")
            _run([ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y", "-f", "concat",
                  "-safe", "0", "-i", str(listing), "-c", "copy", str(dst / "recording.mp4")])
            listing.unlink()
            script = (base / "script.md").read_text(encoding="utf-8")
            (dst / "script.md").write_text("\n".join([script] * copies), encoding="utf-8")
            shutil.copyfile(base / "lesson.toml", dst / "lesson.toml")
        found[m] = dst
    return found


def make_silent(work: Path, hours: float) -> Path:
    """A lesson whose recording.ogg is ``hours`` of digital silence (Opus, a few MB)."""
    dst = work / "lessons" / f"silent-{hours:g}h"
    if not (dst / "recording.ogg").is_file():
        dst.mkdir(parents=True, exist_ok=True)
        from tests.test_robust_inputs import _silent_ogg

        _silent_ogg(int(hours * 3600))(dst)
        (dst / "script.md").write_text("# Chương một\nXin chào bà con.\n", encoding="utf-8")
        # Audio only: a video profile would refuse it before the audio is decoded.
        (dst / "lesson.toml").write_text(
            'title = "Im lặng"\nlanguages = ["hmn"]\nprofiles = ["audio"]\n', encoding="utf-8")
    return dst


def _gb(n: int) -> str:
    return f"{n / 1e9:.2f}"


def report(results: list[Result]) -> None:
    base = results[0] if results else None
    print("\ncase | exit | s | peak tree GB | peak caunoi GB | x baseline | last line")
    for r in results:
        ratio = r.peak_tree / base.peak_tree if base and base.peak_tree else 0.0
        print(f"{r.label} | {r.exit_code} | {r.seconds:.0f} | {_gb(r.peak_tree)} | "
              f"{_gb(r.peak_main)} | {ratio:.2f} | {r.last_line[:110]}")
    print("\nper stage (peak tree GB / caunoi GB):")
    for r in results:
        cells = ", ".join(f"{k} {_gb(v[0])}/{_gb(v[1])}" for k, v in r.stages.items())
        print(f"{r.label}: {cells or '-'}")
    print("\nlargest processes (peak RSS GB by command):")
    for r in results:
        top = sorted(r.top.items(), key=lambda kv: -kv[1])[:4]
        print(f"{r.label}: " + ", ".join(f"{k} {_gb(v)}" for k, v in top))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--work", type=Path, required=True)
    ap.add_argument("--minutes", type=int, nargs="*", default=[10, 60])
    ap.add_argument("--base-sentences", type=int, default=132,
                    help="sentences of the base lesson (132 ≈ 10 min)")
    ap.add_argument("--silent-hours", type=float, default=10.0, help="0 = skip")
    ap.add_argument("--languages", default="vi", help="passed to produce --languages")
    ap.add_argument("--profiles", default="compat", help="passed to produce --profiles")
    ap.add_argument("--no-prefect", action="store_true")
    args = ap.parse_args()
    work = args.work.resolve()
    work.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "PYTHONPATH": str(ROOT)}
    produce = [sys.executable, "-m", "flows.cli", "produce"]
    extra = ["--languages", args.languages, "--profiles", args.profiles]
    if args.no_prefect:
        extra.append("--no-prefect")
    results: list[Result] = []
    for m, lesson in make_lessons(work, args.minutes, args.base_sentences).items():
        out = work / f"out-{m}min"
        shutil.rmtree(out, ignore_errors=True)
        minutes = probe(lesson / "recording.mp4").duration_ms / 60_000
        results.append(measure(f"lesson {minutes:.1f} min", [*produce, str(lesson), "--out",
                                                             str(out), *extra], env,
                               out / lesson.name, work))
        print(f"done: {results[-1].label} exit {results[-1].exit_code}", flush=True)
        wav = out / lesson.name / "work" / "audio-16k.wav"
        if wav.is_file():
            peaks = vad_peaks(wav, env)
            print(f"VAD alone on {minutes:.1f} min (peak RSS GB): " + ", ".join(
                f"{k} {_gb(v)}" for k, v in peaks.items()), flush=True)
    if args.silent_hours > 0:
        silent = make_silent(work, args.silent_hours)
        out = work / "out-silent"
        for label, more in (("silent default limits", {}),
                            ("silent limit raised", {"CAUNOI_MAX_RECORDING_S":
                                                     str(int(args.silent_hours * 3600 + 60)),
                                                     "CAUNOI_MAX_RECORDING_MB": "8192"})):
            shutil.rmtree(out, ignore_errors=True)
            results.append(measure(f"{label} {args.silent_hours:g} h",
                                   [*produce, str(silent), "--out", str(out), *extra],
                                   {**env, **more}, out / silent.name, work))
            print(f"done: {results[-1].label} exit {results[-1].exit_code}", flush=True)
    report(results)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
