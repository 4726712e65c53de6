"""Many machines on one box, faults survived (issue 33).

A coordinator (the project's PostgreSQL, a Prefect server with the deployments and the
lost-run watch of ``flows.lease``, the web app, a moto S3 store behind a gate) and N workers,
each ``caunoi worker`` in its own mount namespace with its own disk, where the coordinator's
lessons, outputs and database files do not exist (checked from inside): the store and the
APIs on 127.0.0.1 are their only way in. Lessons are handed in the way the portal does
(``PrefectLauncher.start``: the lesson goes to the store, a deployment run starts).

First a pass without faults (the reference), then the same lessons on a fresh store prefix
and fresh worker disks with the faults of ``--faults`` injected:

- ``kill-worker``: SIGKILL every process of a worker's namespace while it renders (power
  loss); the worker comes back 20 s later. Heartbeats stop, the run is Crashed, scheduled
  again, and completed by whichever worker takes it.
- ``restart-db``: PostgreSQL stopped and started 10 s later while runs run.
- ``store-outage``: the store refuses and cuts every connection for 30 s.
- ``disk-full``: the first worker's disk is a 1 MB tmpfs: its run fails with one sentence and runs
  again on another worker.

    nice -n 10 python scripts/bench_cluster.py --lessons-from DIR --lessons 3 --workers 2 \\
        --faults kill-worker,restart-db --json r.json

Everything it starts is stopped on exit.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from cluster_pass import Cluster, run_pass

from flows.env import free_port

FAULTS = ("kill-worker", "restart-db", "store-outage", "disk-full")


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def _env(root: Path, args: argparse.Namespace) -> dict[str, str]:
    coord = root / "coord"
    env = {"CAUNOI_CONFIG": str(root / "none.toml"),
           "CAUNOI_PREFECT_HOME": str(coord / "prefect"),
           "CAUNOI_POSTGRES_DIR": str(coord / "pg"), "CAUNOI_POSTGRES_PORT": str(free_port()),
           "CAUNOI_PREFECT_PORT": str(free_port()), "CAUNOI_OUT_DIR": str(coord / "out"),
           "CAUNOI_LESSONS_DIR": str(coord / "lessons"),
           "CAUNOI_WORK_DIR": str(coord / "work"),
           "CAUNOI_MODEL_DIR": str(args.model_dir.resolve()), "HF_HUB_OFFLINE": "1",
           "PREFECT_LOGGING_LEVEL": "WARNING", "AWS_ACCESS_KEY_ID": "bench",
           "AWS_SECRET_ACCESS_KEY": "bench", "AWS_DEFAULT_REGION": "us-east-1",
           "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    return env


def _summary(reference: dict[str, Any], faulted: dict[str, Any] | None) -> dict[str, Any]:
    out: dict[str, Any] = {"reference": reference}
    if faulted is not None:
        same = {lid: faulted["hashes"].get(lid) == h for lid, h in reference["hashes"].items()}
        for f in faulted["faults"]:
            f["outputs_identical"] = all(same.get(lid, False) for lid in f["lessons"]) \
                if f["lessons"] else all(same.values())
        faulted["outputs_identical"] = same
        out["faulted"] = faulted
        out |= {k: faulted[k] for k in ("submitted", "completed", "lost", "workers",
                                        "faults")}
    else:
        out |= {k: reference[k] for k in ("submitted", "completed", "lost", "workers")}
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lessons-from", type=Path, required=True,
                        help="a folder of lesson folders (held-out lessons)")
    parser.add_argument("--lessons", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--faults", default="", help=",".join(FAULTS))
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--timeout", type=float, default=2400.0, help="per pass, seconds")
    parser.add_argument("--model-dir", type=Path, default=Path("/nonexistent-models"),
                        help="workers' models (default none: the weights-free aligner)")
    parser.add_argument("--no-reference", action="store_true",
                        help="only the pass with faults (outputs_identical is then unknown)")
    parser.add_argument("--throughput", action="store_true",
                        help="first a pass with one worker: wall time and ratio to N workers")
    parser.add_argument("--keep", type=Path, default=None, help="work folder to keep")
    args = parser.parse_args()
    faults = [f for f in args.faults.split(",") if f]
    unknown = set(faults) - set(FAULTS)
    if unknown:
        parser.error(f"unknown faults: {', '.join(sorted(unknown))}")
    lessons = sorted(p for p in args.lessons_from.iterdir()
                     if (p / "lesson.toml").is_file())[:args.lessons]
    if len(lessons) < args.lessons:
        parser.error(f"{args.lessons_from} holds only {len(lessons)} lessons")
    signal.signal(signal.SIGTERM, _interrupt)
    root = (args.keep or Path(tempfile.mkdtemp(prefix="caunoi-cluster-"))).resolve()
    env = _env(root, args)
    os.environ.update(env)  # before prefect is imported
    cluster = Cluster(root, env)
    report: dict[str, Any] = {}
    try:
        cluster.start()
        t0 = time.time()
        from prefect.settings import PREFECT_API_URL, temporary_settings

        # Prefect read its settings at import, before the server existed.
        with temporary_settings(updates={PREFECT_API_URL: cluster.api_url}):
            one = run_pass(cluster, "one-worker", lessons, 1, [], args.timeout) \
                if args.throughput else None
            reference = None if args.no_reference else run_pass(
                cluster, "reference", lessons, args.workers, [], args.timeout)
            faulted = run_pass(cluster, "faults", lessons, args.workers, faults,
                               args.timeout) if faults or reference is None else None
        report = _summary(reference or {"hashes": {}}, faulted) if reference else \
            {"faulted": faulted}
        if one is not None and reference is not None:
            report["throughput"] = {
                "one_worker_wall_s": one["wall_s"], "one_worker_completed": one["completed"],
                f"{args.workers}_workers_wall_s": reference["wall_s"],
                "ratio_wall_n_over_1": round(reference["wall_s"] / one["wall_s"], 2),
                "load_1min_at_end": os.getloadavg()[0]}
        report["machine"] = {"cores": os.cpu_count(), "load_at_end": os.getloadavg(),
                             "wall_s": round(time.time() - t0, 1),
                             "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
                             "bench_mntns": os.readlink("/proc/self/ns/mnt")}
    except KeyboardInterrupt:
        print("interrupted: stopping everything", file=sys.stderr)
        return 130
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        cluster.stop()
        if args.keep is None:
            shutil.rmtree(root, ignore_errors=True)
    text = json.dumps(report, indent=2, ensure_ascii=False)
    if args.json:
        args.json.write_text(text + "\n", encoding="utf-8")
    print(text)
    ok = report.get("lost", 1) == 0 and report.get("completed") == report.get("submitted")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
