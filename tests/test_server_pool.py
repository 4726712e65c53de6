"""Server mode on real parts (slow): the project's own PostgreSQL cluster, a Prefect server on
it, the process work pool and deployments from ``caunoi flows server``, a ``caunoi worker``,
and a lesson produced through them: handed in to shared storage (a ``file://`` folder) and
run by id, its outputs landing there."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from flows.env import free_port
from flows.postgres import LocalPostgres, postgres_bindir
from pipeline.core.config import load_settings
from pipeline.core.shared import SharedStorage

pytestmark = pytest.mark.slow


def _cli(env: dict[str, str], *args: str) -> str:
    proc = subprocess.run([sys.executable, "-m", "flows.cli", *args], env=env,
                          capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, f"{args}: {proc.stdout}\n{proc.stderr}"
    return proc.stdout.strip()


@pytest.fixture
def server_env(tmp_path: Path) -> Iterator[dict[str, str]]:
    if postgres_bindir() is None:
        pytest.fail("PostgreSQL binaries missing: scripts/setup_system.sh installs postgresql")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env |= {"CAUNOI_PREFECT_HOME": str(tmp_path / "prefect"),
            "PREFECT_HOME": str(tmp_path / "prefect"),
            "CAUNOI_POSTGRES_DIR": str(tmp_path / "pg"),
            "CAUNOI_POSTGRES_PORT": str(free_port()),
            "CAUNOI_PREFECT_PORT": str(free_port()),
            "CAUNOI_OUT_DIR": str(tmp_path / "out"),
            # Workers see lessons only through the shared storage, never the app's disk.
            "CAUNOI_STORAGE_URL": (tmp_path / "shared").as_uri(),
            "CAUNOI_WORK_DIR": str(tmp_path / "worker-cache"),
            "PREFECT_LOGGING_LEVEL": "WARNING"}
    cluster = LocalPostgres(tmp_path / "pg", int(env["CAUNOI_POSTGRES_PORT"]))
    server = subprocess.Popen([sys.executable, "-m", "flows.cli", "flows", "server"], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                              start_new_session=True)
    try:  # whatever happens, the server and the cluster it started end with the test
        deadline, ready = time.monotonic() + 480, ""
        assert server.stdout is not None
        while time.monotonic() < deadline and not ready:
            line = server.stdout.readline()
            if not line and server.poll() is not None:
                break
            if "caunoi worker" in line:
                ready = line
        if not ready:
            pytest.fail("caunoi flows server did not get ready within 480 s")
        env["PREFECT_API_URL"] = f"http://127.0.0.1:{env['CAUNOI_PREFECT_PORT']}/api"
        env["CAUNOI_DATABASE_URL"] = (f"postgresql+psycopg://caunoi@127.0.0.1:"
                                      f"{env['CAUNOI_POSTGRES_PORT']}/caunoi_review")
        yield env
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=60)
        cluster.remove()


def test_worker_runs_the_produce_deployment_on_postgres(server_env: dict[str, str],
                                                        short_lesson: Path,
                                                        tmp_path: Path) -> None:
    env = server_env
    cluster = LocalPostgres(tmp_path / "pg", int(env["CAUNOI_POSTGRES_PORT"]))
    assert cluster.running()
    worker = subprocess.Popen([sys.executable, "-m", "flows.cli", "worker", "--limit", "1"],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              start_new_session=True)
    try:
        SharedStorage(load_settings(env=env)).put_lesson(short_lesson, "short-qr")
        run_id = _cli(env, "flows", "run", "short-qr", "--languages", "vi")
        deadline, state = time.monotonic() + 600, ""
        while time.monotonic() < deadline:
            state = _cli(env, "flows", "state", run_id).splitlines()[-1]
            if state in ("Completed", "Failed", "Crashed", "Cancelled"):
                break
            time.sleep(3)
        assert state == "Completed"
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(timeout=60)
    shared = tmp_path / "shared" / "output" / "short-qr"
    assert (shared / "video" / "vi-compat.mp4").is_file()
    assert (shared / "manifest.json").is_file() and not (shared / "work").exists()
    assert not (tmp_path / "out" / "short-qr").exists()
    # Prefect's own tables live in the project's PostgreSQL, not in a SQLite file.
    tables = subprocess.run(
        [*cluster.as_user, str(cluster.bindir / "psql"), "-h", "127.0.0.1", "-p",
         str(cluster.port), "-U", "caunoi", "-d", "prefect", "-tAc",
         "SELECT count(*) FROM flow_run"], capture_output=True, text=True, check=True)
    assert int(tables.stdout.strip()) >= 2
