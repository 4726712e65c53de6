"""Batch benchmark: N generated lessons through the Prefect server on PostgreSQL with one
worker, then with two workers, on this machine. Prints wall times, their ratio (measured in
the same process, one after the other) and the per-lesson cost.

    python scripts/bench_batch.py [--lessons 4] [--sentences 3] [--keep DIR]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flows.deploy import deploy_all, start_server, start_worker
from flows.postgres import LocalPostgres
from pipeline.core.config import load_settings

SCRIPTS = Path(__file__).resolve().parent


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _run_batch(api_url: str, lessons: list[Path], out: Path, workers: int,
               settings_env: dict[str, str]) -> float:
    """Start ``workers`` workers, submit every lesson, wait until all runs are final."""
    from uuid import UUID

    from prefect.client.orchestration import get_client
    from prefect.deployments import run_deployment
    from prefect.settings import PREFECT_API_URL, temporary_settings

    settings = load_settings(env=settings_env, out_dir=out)
    procs = [start_worker(settings, api_url, limit=1, name=f"bench-{workers}-{i}")
             for i in range(workers)]
    started = time.monotonic()
    try:
        with temporary_settings(updates={PREFECT_API_URL: api_url}):
            ids = [run_deployment("produce_lesson_reviewed/produce", timeout=0, parameters={
                "lesson_dir": str(d), "out_dir": str(out), "languages": ["vi"]}).id  # type: ignore[union-attr]
                for d in lessons]
            pending = set(ids)
            with get_client(sync_client=True) as client:
                while pending:
                    time.sleep(2)
                    for run_id in list(pending):
                        state = client.read_flow_run(UUID(str(run_id))).state
                        if state is not None and state.is_final():
                            if not state.is_completed():
                                raise SystemExit(f"run {run_id} ended {state.name}")
                            pending.discard(run_id)
        return time.monotonic() - started
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait(timeout=60)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--lessons", type=int, default=4)
    parser.add_argument("--sentences", type=int, default=3)
    parser.add_argument("--keep", type=Path, default=None, help="work folder to keep")
    args = parser.parse_args()
    root = args.keep or Path(tempfile.mkdtemp(prefix="caunoi-bench-batch-"))
    env = {"CAUNOI_PREFECT_HOME": str(root / "prefect"),
           "CAUNOI_POSTGRES_DIR": str(root / "pg"),
           "CAUNOI_POSTGRES_PORT": str(_free_port()),
           "CAUNOI_PREFECT_PORT": str(_free_port())}
    os.environ.update(env)
    lessons = []
    for i in range(args.lessons):
        subprocess.run([sys.executable, str(SCRIPTS / "make_sample_lesson.py"), "--out",
                        str(root / "lessons"), "--id", f"batch-{i}", "--sentences",
                        str(args.sentences)], check=True, capture_output=True)
        lessons.append(root / "lessons" / f"batch-{i}")
    settings = load_settings(env=env, out_dir=root / "out")
    server, api_url = start_server(settings)
    try:
        deploy_all(settings, api_url)
        one = _run_batch(api_url, lessons, root / "out-1", 1, env)
        two = _run_batch(api_url, lessons, root / "out-2", 2, env)
    finally:
        server.terminate()
        server.wait(timeout=60)
        LocalPostgres(settings.postgres_dir, settings.postgres_port).stop()
    print(f"{args.lessons} lessons × {args.sentences} sentences, vi + compat, "
          f"{os.cpu_count()} cores")
    print(f"1 worker : {one:7.1f} s  ({one / args.lessons:.1f} s per lesson)")
    print(f"2 workers: {two:7.1f} s  ({two / args.lessons:.1f} s per lesson)")
    print(f"ratio 2 workers / 1 worker: {two / one:.2f}×")
    return 0


if __name__ == "__main__":
    sys.exit(main())
