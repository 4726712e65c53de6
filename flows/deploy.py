"""Server mode on real parts: a Prefect server on PostgreSQL, a process work pool, the
deployments, and workers.

    caunoi flows server      # PostgreSQL + Prefect server + work pool + deployments
    caunoi worker            # any number, on any machine that reaches the server and the
                             # shared storage (Settings.storage_url, pipeline.core.shared)

Workers run each flow run in a child process (Prefect's process worker) and load the flow
code from this checkout (``flow.from_source``), so nothing is built or pushed.
"""

from __future__ import annotations

import contextlib
import logging
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any, cast

from prefect import Flow

from flows.lease import HEARTBEAT_S, ensure_zombie_automation
from flows.postgres import LocalPostgres
from pipeline.core.config import PROJECT_ROOT, Settings
from pipeline.core.errors import CaunoiError

__all__ = ["DEPLOYMENTS", "ServerError", "deploy_all", "prefect_env", "start_server",
           "start_worker", "wait_healthy"]

log = logging.getLogger("caunoi.deploy")

#: Deployment name → entrypoint (file:flow) in this checkout.
DEPLOYMENTS: dict[str, str] = {
    "produce": "flows/server.py:produce_lesson_reviewed",
    "render-approved": "flows/server.py:render_approved",
    "publish": "flows/server.py:publish_lesson",
}


#: Prefect's defaults (5 s to connect, 10 s a query) turn a busy machine's slow PostgreSQL
#: answers into HTTP 500s for workers and clients (seen on the shared 2-core box under load
#: 20); these wait instead. The environment still wins.
DATABASE_PATIENCE = {"PREFECT_SERVER_DATABASE_CONNECTION_TIMEOUT": "60",
                     "PREFECT_SERVER_DATABASE_TIMEOUT": "120"}


#: Faults survived (issue 33): flow runs send heartbeats (a run whose machine died is
#: Crashed after ``flows.lease.ZOMBIE_AFTER_S``, then scheduled again), and API calls are
#: retried with backoff through a restart of PostgreSQL (the server answers 500 meanwhile).
RESILIENCE = {"PREFECT_FLOWS_HEARTBEAT_FREQUENCY": str(HEARTBEAT_S),
              "PREFECT_CLIENT_MAX_RETRIES": "10", "PREFECT_CLIENT_RETRY_EXTRA_CODES": "500"}


class ServerError(CaunoiError):
    key = "errors.server"
    exit_code = 3


def prefect_env(settings: Settings, api_url: str = "") -> dict[str, str]:
    """The environment for Prefect processes of this project (quiet, offline-friendly)."""
    env = RESILIENCE | dict(os.environ)
    env.setdefault("PREFECT_HOME", str(settings.prefect_home))
    env |= {"PREFECT_SERVER_ANALYTICS_ENABLED": "false", "DO_NOT_TRACK": "1"}
    if api_url:
        env["PREFECT_API_URL"] = api_url
    return env


def wait_healthy(api_url: str, timeout_s: float = 360.0) -> bool:
    """Whether the server answers within ``timeout_s`` (its first start on PostgreSQL runs
    Prefect's migrations: ~2.5 min on the shared 2-core box under load 20)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{api_url}/health", timeout=3):
                return True
        except OSError:
            time.sleep(1)
    return False


def database_url(settings: Settings) -> str:
    """Prefect's database: the configured URL, or the project's own PostgreSQL cluster."""
    if settings.prefect_database_url:
        return settings.prefect_database_url
    cluster = LocalPostgres(settings.postgres_dir, settings.postgres_port)
    cluster.start()
    cluster.ensure_database("prefect")
    cluster.ensure_database("caunoi_review")
    return cluster.url("prefect", driver="asyncpg")


def start_server(settings: Settings,
                 host: str = "") -> tuple[subprocess.Popen[bytes], str]:
    """Start ``prefect server start`` on PostgreSQL; returns the process and the API URL.
    ``host``: the address to listen on (default ``Settings.prefect_host``)."""
    host = host or settings.prefect_host
    settings.prefect_home.mkdir(parents=True, exist_ok=True)
    env = DATABASE_PATIENCE | prefect_env(settings) | {
        "PREFECT_API_DATABASE_CONNECTION_URL": database_url(settings)}
    env.pop("PREFECT_API_URL", None)
    log_path = settings.prefect_home / "server.log"
    with log_path.open("ab") as log_file:
        proc = subprocess.Popen(
            [sys.executable, "-m", "prefect", "server", "start", "--host", host,
             "--port", str(settings.prefect_port)],
            env=env, stdout=log_file, stderr=subprocess.STDOUT, start_new_session=True)
    local = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    api_url = f"http://{local}:{settings.prefect_port}/api"
    if not wait_healthy(api_url):
        proc.terminate()
        raise ServerError(detail=f"no answer from {api_url}", log=str(log_path))
    return proc, api_url


def deploy_all(settings: Settings, api_url: str) -> list[str]:
    """Create the process work pool (if missing), the automation that crashes runs without
    heartbeats (``flows.lease``) and every deployment; returns their names."""
    from prefect import flow
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import WorkPoolCreate
    from prefect.exceptions import ObjectAlreadyExists
    from prefect.settings import PREFECT_API_URL, temporary_settings

    names = []
    # Prefect read its settings at import: point this process at the server explicitly.
    with temporary_settings(updates={PREFECT_API_URL: api_url}):
        with get_client(sync_client=True) as client, \
                contextlib.suppress(ObjectAlreadyExists):
            client.create_work_pool(WorkPoolCreate(name=settings.work_pool, type="process"))
        with get_client(sync_client=True) as client:
            ensure_zombie_automation(client)
        for name, entrypoint in DEPLOYMENTS.items():
            # Called outside an event loop, from_source returns the flow itself.
            source = cast(Flow[..., Any], flow.from_source(source=str(PROJECT_ROOT),
                                                           entrypoint=entrypoint))
            source.deploy(name=name, work_pool_name=settings.work_pool,
                          print_next_steps=False, ignore_warnings=True)
            names.append(f"{source.name}/{name}")
    return names


def _config_file() -> dict[str, str]:
    """``CAUNOI_CONFIG`` made absolute, when this process reads a ``caunoi.toml``."""
    path = Path(os.environ.get("CAUNOI_CONFIG", "caunoi.toml"))
    return {"CAUNOI_CONFIG": str(path.resolve())} if path.is_file() else {}


def start_worker(settings: Settings, api_url: str, limit: int = 1, name: str = "",
                 env: dict[str, str] | None = None,
                 log_path: Path | None = None) -> subprocess.Popen[bytes]:
    """A process worker polling the work pool; ``limit`` flow runs at once on this machine.
    ``env``: extra variables for it and its flow runs (e.g. ``CAUNOI_STORAGE_URL``);
    ``log_path``: where its output goes (default: this process's terminal)."""
    args = [sys.executable, "-m", "prefect", "worker", "start", "--pool", settings.work_pool,
            "--type", "process", "--limit", str(limit)]
    if name:
        args += ["--name", name]
    full = prefect_env(settings, api_url) | {
        "PYTHONPATH": os.pathsep.join([str(PROJECT_ROOT), os.environ.get("PYTHONPATH", "")]),
        # Flow runs start in the checkout, not here: hand them this machine's settings.
        "CAUNOI_OUT_DIR": str(Path(settings.out_dir).resolve()),
        "CAUNOI_WORK_DIR": str(Path(settings.work_dir).resolve()),
        "CAUNOI_STORAGE_URL": settings.storage_url} | _config_file() | (env or {})
    if log_path is None:
        return subprocess.Popen(args, env=full, start_new_session=True)
    with log_path.open("ab") as log_file:
        return subprocess.Popen(args, env=full, stdout=log_file, stderr=subprocess.STDOUT,
                                start_new_session=True)
