"""Interrupt ``caunoi produce`` and measure how it stops, and what it leaves behind.

For each (signal, delay): start ``caunoi produce LESSON`` in its own session, send the signal
after ``delay`` seconds (SIGINT to the whole process group, as Ctrl+C does; SIGTERM and
SIGKILL to the main process only, as ``kill`` does), then report the seconds until it exited,
its exit code, the processes of its session still alive 2 s later, the temporary folders left
in its TMPDIR and the ``.part`` files left under the output folder. After a SIGKILL the same
command is run again and must finish (exit 0) and leave none of them; its outputs (alignment,
subtitles, rendered media) are compared with those of an uninterrupted reference run.

    python scripts/bench_interrupt.py LESSON_DIR --work /tmp/x --runs SIGINT:20 SIGTERM:16
"""

from __future__ import annotations

import argparse
import hashlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path


def _session_members(sid: int) -> list[str]:
    found = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry.name}/stat").read_text()
            cmd = Path(f"/proc/{entry.name}/cmdline").read_bytes().replace(b"\0", b" ")
        except OSError:
            continue
        rest = stat.rsplit(")", 1)[-1].split()
        if rest[0] != "Z" and int(rest[3]) == sid:
            found.append(f"{entry.name} {cmd.decode(errors='replace')[:80]}")
    return found


def _leftovers(tmp: Path, out: Path) -> tuple[list[str], list[str]]:
    temps = sorted(p.name for p in tmp.glob("caunoi-*"))
    parts = sorted(str(p.relative_to(out)) for p in out.rglob(".*.part*")) if out.exists() else []
    return temps, parts


#: Outputs compared after a kill -9 and a re-run (by sha256).
_COMPARED = ("alignment.json", "subtitles/*", "**/*.mp4", "**/*.webm", "**/*.m4a", "**/*.opus")


def _hashes(out: Path) -> dict[str, str]:
    found: dict[str, str] = {}
    for pattern in _COMPARED:
        for f in out.glob(f"*/{pattern}"):
            if f.is_file() and "/work/" not in str(f) and not f.name.startswith("."):
                found[str(f.relative_to(out))] = hashlib.sha256(f.read_bytes()).hexdigest()
    return found


def _start(argv: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with open(log, "ab") as f:
        return subprocess.Popen(argv, env=env, stdout=f, stderr=subprocess.STDOUT,
                                start_new_session=True)


def reference(lesson: Path, work: Path, extra: list[str]) -> dict[str, str]:
    """Outputs of an uninterrupted run (the comparison for re-runs after kill -9)."""
    tmp, out = work / "tmp-reference", work / "out-reference"
    tmp.mkdir(parents=True, exist_ok=True)
    argv = [sys.executable, "-m", "flows.cli", "produce", str(lesson), "--out", str(out), *extra]
    t0 = time.monotonic()
    code = _start(argv, {**os.environ, "TMPDIR": str(tmp)}, work / "reference.log").wait()
    found = _hashes(out)
    print(f"reference: exit {code} in {time.monotonic() - t0:.1f} s, {len(found)} outputs "
          "compared", flush=True)
    return found


def run_one(lesson: Path, work: Path, sig_name: str, delay: float, extra: list[str],
            expected: dict[str, str]) -> None:
    label = f"{sig_name.lower()}-{delay:g}"
    tmp, out = work / f"tmp-{label}", work / f"out-{label}"
    tmp.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "TMPDIR": str(tmp)}
    argv = [sys.executable, "-m", "flows.cli", "produce", str(lesson), "--out", str(out), *extra]
    log = work / f"{label}.log"
    proc = _start(argv, env, log)
    time.sleep(delay)
    if proc.poll() is not None:
        print(f"{label}: finished before the signal (exit {proc.returncode})")
        return
    children = len(_session_members(proc.pid)) - 1
    sig = getattr(signal, sig_name)
    t0 = time.monotonic()
    if sig == signal.SIGINT:
        os.killpg(proc.pid, sig)
    else:
        os.kill(proc.pid, sig)
    code = proc.wait()
    stop_s = time.monotonic() - t0
    time.sleep(2.0)
    alive = _session_members(proc.pid)
    temps, parts = _leftovers(tmp, out)
    print(f"{label}: exit {code} after {stop_s:.2f} s; children before: {children}; "
          f"alive 2 s later: {len(alive)} {alive}; temp folders: {temps}; .part files: {parts}",
          flush=True)
    if sig == signal.SIGKILL:
        t1 = time.monotonic()
        again = _start(argv, env, log).wait()
        temps, parts = _leftovers(tmp, out)
        got = _hashes(out)
        differ = sorted(k for k in expected.keys() | got.keys() if expected.get(k) != got.get(k))
        same = "identical" if expected and not differ else f"DIFFERENT {differ}"
        print(f"{label}: re-run exit {again} in {time.monotonic() - t1:.1f} s; temp folders: "
              f"{temps}; .part files: {parts}; outputs vs reference: {same} "
              f"({len(got)} files)", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("lesson", type=Path)
    ap.add_argument("--work", type=Path, required=True)
    ap.add_argument("--runs", nargs="+", default=["SIGINT:20", "SIGTERM:16", "SIGKILL:15"])
    ap.add_argument("--no-prefect", action="store_true")
    ap.add_argument("--profiles", default="", help="passed to produce --profiles")
    args = ap.parse_args()
    extra = ["--no-prefect"] if args.no_prefect else []
    if args.profiles:
        extra += ["--profiles", args.profiles]
    lesson, work = args.lesson.resolve(), args.work.resolve()
    expected = reference(lesson, work, extra) if any(
        r.startswith("SIGKILL") for r in args.runs) else {}
    for run in args.runs:
        name, delay = run.split(":")
        run_one(lesson, work, name, float(delay), extra, expected)


if __name__ == "__main__":
    main()
