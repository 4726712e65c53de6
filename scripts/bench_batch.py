"""Batch benchmark: N generated lessons through the Prefect server on PostgreSQL, first with
one worker, then with two workers, on this machine. Lessons are handed in through shared
storage (a ``file://`` folder, as on several machines) and the deployments get lesson ids.

Prints the wall time of each batch, their ratio (both measured in this process, one after
the other) and the per-lesson cost: CPU seconds of the workers and their flow runs (ffmpeg
included), wall seconds per lesson, both per minute of recording.

    nice -n 10 python scripts/bench_batch.py [--lessons 4] [--timeout 1800] [--keep DIR]

Everything it starts (PostgreSQL cluster, Prefect server, workers) is stopped on exit,
Ctrl+C and SIGTERM included.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cluster_nodes import stop_group  # the same process-group stop as the cluster bench

from flows.deploy import deploy_all, start_server, start_worker
from flows.env import free_port
from flows.postgres import LocalPostgres
from pipeline.core.config import PROJECT_ROOT, Settings, load_settings
from pipeline.core.media import probe
from pipeline.core.shared import SharedStorage

SCRIPTS = Path(__file__).resolve().parent
DEPLOYMENT = "produce_lesson_reviewed/produce"


@dataclass
class Batch:
    workers: int
    wall_s: float
    cpu_s: float
    run_wall_s: list[float]


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def _cpu_children() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def make_lessons(root: Path, n: int) -> list[Path]:
    """N different short lessons: 2–4 sentences of the sample, at different speaking rates."""
    lessons = []
    for i in range(n):
        subprocess.run([sys.executable, str(SCRIPTS / "make_sample_lesson.py"), "--out",
                        str(root), "--id", f"batch-{i}", "--sentences", str(2 + i % 3),
                        "--rate", str(124 + 9 * i)], check=True, capture_output=True)
        lessons.append(root / f"batch-{i}")
    return lessons


@contextlib.contextmanager
def workers(settings: Settings, api_url: str, n: int, env: dict[str, str],
            log: Path) -> Iterator[None]:
    procs: list[subprocess.Popen[bytes]] = []
    try:
        for i in range(n):
            procs.append(start_worker(settings, api_url, limit=1, name=f"bench-{n}-{i}",
                                      env=env, log_path=log))
        yield
    finally:
        for p in procs:
            stop_group(p)


def wait_runs(api_url: str, ids: list[str], timeout_s: float) -> list[float]:
    """Wait until every run is final; returns each run's wall time (start to end)."""
    from uuid import UUID

    import httpx
    from prefect.client.orchestration import get_client
    from prefect.exceptions import PrefectHTTPStatusError
    from prefect.settings import PREFECT_API_URL, temporary_settings

    deadline = time.monotonic() + timeout_s
    walls: dict[str, float] = {}
    with temporary_settings(updates={PREFECT_API_URL: api_url}), \
            get_client(sync_client=True) as client:
        while len(walls) < len(ids):
            if time.monotonic() > deadline:
                states = {i: client.read_flow_run(UUID(i)).state_name for i in ids}
                raise TimeoutError(f"runs not finished after {timeout_s:.0f} s: {states}")
            time.sleep(2)
            for run_id in set(ids) - set(walls):
                try:
                    run = client.read_flow_run(UUID(run_id))
                except (PrefectHTTPStatusError, httpx.TransportError) as e:
                    print(f"(server busy, asking again: {e!s:.80})", file=sys.stderr)
                    continue
                if run.state is None or not run.state.is_final():
                    continue
                if not run.state.is_completed():
                    raise RuntimeError(f"run {run_id} ended {run.state.name}: "
                                       f"{run.state.message}")
                assert run.start_time and run.end_time
                walls[run_id] = (run.end_time - run.start_time).total_seconds()
    return [walls[i] for i in ids]


def run_batch(settings: Settings, api_url: str, lessons: list[Path], n_workers: int,
              base_env: dict[str, str], root: Path, timeout_s: float) -> Batch:
    """Hand the lessons in to a fresh shared store, start the workers, run every lesson."""
    from prefect.deployments import run_deployment
    from prefect.settings import PREFECT_API_URL, temporary_settings

    env = base_env | {"CAUNOI_STORAGE_URL": (root / f"store-{n_workers}").as_uri(),
                      "CAUNOI_WORK_DIR": str(root / f"work-{n_workers}")}
    store = SharedStorage(load_settings(env=env))
    for d in lessons:
        store.put_lesson(d, d.name)
    cpu0 = _cpu_children()
    started = time.monotonic()
    with workers(settings, api_url, n_workers, env, root / f"workers-{n_workers}.log"):
        with temporary_settings(updates={PREFECT_API_URL: api_url}):
            ids = [str(run_deployment(DEPLOYMENT, timeout=0, parameters={  # type: ignore[union-attr]
                "lesson_id": d.name, "languages": ["vi"]}).id) for d in lessons]
        run_walls = wait_runs(api_url, ids, timeout_s)
        wall = time.monotonic() - started
    # The workers have exited and were waited for: their CPU, and their flow runs' and
    # ffmpeg's (each waited for by its parent), is in RUSAGE_CHILDREN now.
    missing = [d.name for d in lessons
               if store.read_output(d.name, "video/vi-compat.mp4") is None]
    if missing:
        raise RuntimeError(f"no final in the shared store for {missing}")
    return Batch(n_workers, wall, _cpu_children() - cpu0, run_walls)


def _report(batches: list[Batch], minutes: float, n: int, settings: Settings) -> None:
    one, two = batches
    asr = f"{settings.asr_backend}/{settings.asr_model}" if os.environ.get(
        "CAUNOI_ASR_BACKEND") else "none (no model: weights-free aligner)"
    print(f"{n} lessons, {minutes * 60:.0f} s of recording in all; languages vi, profile "
          f"compat; ASR {asr}; {os.cpu_count()} cores (shared machine: other people's jobs "
          f"ran too, load {os.getloadavg()[0]:.0f}); machine_slots {settings.machine_slots}")
    for b in batches:
        print(f"{b.workers} worker(s): {b.wall_s:7.1f} s wall ({b.wall_s / n:.1f} s a lesson), "
              f"{b.cpu_s:7.1f} CPU-s; per lesson {b.cpu_s / n:5.1f} CPU-s, flow-run wall "
              f"{sum(b.run_wall_s) / n:5.1f} s (min {min(b.run_wall_s):.1f}, max "
              f"{max(b.run_wall_s):.1f}); per minute of recording {b.cpu_s / minutes:5.1f} "
              f"CPU-s, {b.wall_s / minutes:5.1f} s of batch wall")
    print(f"ratio of wall times, 2 workers / 1 worker: {two.wall_s / one.wall_s:.2f}× "
          f"(throughput {one.wall_s / two.wall_s:.2f}×)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lessons", type=int, default=4)
    parser.add_argument("--timeout", type=float, default=1800.0, help="per batch, seconds")
    parser.add_argument("--model-dir", type=Path, default=PROJECT_ROOT / "models",
                        help="uses faster-whisper/base from it when there")
    parser.add_argument("--keep", type=Path, default=None, help="work folder to keep")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, _interrupt)
    root = (args.keep or Path(tempfile.mkdtemp(prefix="caunoi-bench-batch-"))).resolve()
    env = {"CAUNOI_CONFIG": str(root / "none.toml"), "CAUNOI_PREFECT_HOME": str(root / "prefect"),
           "CAUNOI_POSTGRES_DIR": str(root / "pg"), "CAUNOI_POSTGRES_PORT": str(free_port()),
           "CAUNOI_PREFECT_PORT": str(free_port()), "CAUNOI_OUT_DIR": str(root / "out"),
           "CAUNOI_MODEL_DIR": str(args.model_dir.resolve()), "HF_HUB_OFFLINE": "1",
           "PREFECT_LOGGING_LEVEL": "WARNING"}
    if (args.model_dir / "faster-whisper" / "base" / "model.bin").is_file():
        env |= {"CAUNOI_ASR_BACKEND": "faster-whisper", "CAUNOI_ASR_MODEL": "base"}
    os.environ.update(env)
    settings = load_settings(env=env)
    cluster = LocalPostgres(settings.postgres_dir, settings.postgres_port)
    server = None
    try:
        lessons = make_lessons(root / "lessons", args.lessons)
        minutes = sum(probe(d / "recording.mp4").duration_ms for d in lessons) / 60000
        server, api_url = start_server(settings)
        deploy_all(settings, api_url)
        batches = [run_batch(settings, api_url, lessons, n, env, root, args.timeout)
                   for n in (1, 2)]
        _report(batches, minutes, args.lessons, settings)
    except KeyboardInterrupt:
        print("interrupted: stopping the workers, the server and PostgreSQL", file=sys.stderr)
        return 130
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl+C must not skip this
        if server is not None:
            stop_group(server, grace_s=60)
        cluster.stop()
        if args.keep is None:
            shutil.rmtree(cluster.root, ignore_errors=True)
            shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
