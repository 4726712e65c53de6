"""Prefect's environment for the embedded (serverless) mode, set before prefect is imported.

Without ``PREFECT_API_URL`` Prefect would start its own temporary API server as a child that
survives its parent when that parent is killed (``kill -9``: re-parented to init, still
listening). Instead :func:`configure_prefect_env` starts the same server (uvicorn over
``prefect.server.api.server:create_app``, as ``SubprocessASGIServer`` does) with
``PR_SET_PDEATHSIG``: the kernel ends it when the caunoi process dies, however it dies.
The run then talks to it through ``PREFECT_API_URL``; :func:`stop_embedded_server` ends it.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pipeline.core.errors import CaunoiError

__all__ = [
    "PrefectServerError",
    "configure_prefect_env",
    "free_port",
    "quiet_console_tracebacks",
    "serve_app",
    "start_embedded_server",
    "stop_embedded_server",
]

#: Seconds to wait for the temporary server (PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS
#: overrides; Prefect's own default of 20 s is too short on a busy 2-core machine).
STARTUP_TIMEOUT_S = 90

# Runs in the child: ask the kernel for SIGKILL when the parent dies (SIGTERM would start
# uvicorn's graceful shutdown, seconds long), make sure the parent did not die already
# (race), then become uvicorn.
_BOOT = """
import ctypes, os, signal, sys
ctypes.CDLL(None, use_errno=True).prctl(1, int(signal.SIGKILL), 0, 0, 0)  # PR_SET_PDEATHSIG
if os.getppid() != int(sys.argv[1]):
    sys.exit(0)
import prefect, uvicorn.main
sys.argv = ["uvicorn", "--app-dir", str(prefect.__module_path__.parent), "--factory",
            "prefect.server.api.server:create_app", "--host", "127.0.0.1", "--port", sys.argv[2],
            "--log-level", "error", "--lifespan", "on"]
uvicorn.main.main()
"""

_server: subprocess.Popen[bytes] | None = None
_saved_url: str | None = None


class PrefectServerError(CaunoiError):
    key = "errors.prefect_server"
    exit_code = 3


def configure_prefect_env(prefect_home: Path, start_server: bool = True) -> None:
    """Quiet, offline-friendly defaults; explicit environment variables win.

    With ``start_server`` and no API configured (``PREFECT_API_URL`` unset and no Prefect
    settings context, e.g. a test harness), a temporary server that dies with this process
    is started and used.
    """
    prefect_home.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("PREFECT_HOME", str(prefect_home))
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("DO_NOT_TRACK", "1")
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "INFO")
    os.environ.setdefault("PREFECT_SERVER_LOGGING_LEVEL", "WARNING")
    # The temporary server needs more than Prefect's 20 s to start on a busy 2-core machine.
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
    if start_server and not _api_configured():
        start_embedded_server()


def _api_configured() -> bool:
    if os.environ.get("PREFECT_API_URL"):
        return True
    if "prefect" in sys.modules:
        from prefect.settings import get_current_settings

        return bool(get_current_settings().api.url)
    return False


def free_port() -> int:
    """A TCP port on 127.0.0.1 free right now (servers started by tests and benchmarks)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def serve_app(app: Any) -> Iterator[str]:
    """A real uvicorn server for the ASGI ``app`` on a free local port, in a thread, for
    tests and benchmarks; yields its URL and stops it on exit."""
    import threading

    import uvicorn

    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=free_port(),
                                        log_level="warning", workers=1))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not srv.started and time.monotonic() < deadline:
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{srv.config.port}"
    finally:
        srv.should_exit = True
        thread.join(timeout=10)


def start_embedded_server() -> str:
    """Start the temporary API server (dies with this process); returns its API URL."""
    global _server, _saved_url
    port = free_port()
    env = {**os.environ, "PREFECT_UI_ENABLED": "0", "PREFECT__SERVER_EPHEMERAL": "1",
           "PREFECT__SERVER_FINAL": "1"}
    # Its messages go to a log file: Ctrl+C would otherwise print uvicorn's "Aborted!".
    log_path = Path(os.environ.get("PREFECT_HOME", ".")) / "embedded-server.log"
    with open(log_path, "ab") as log:
        _server = subprocess.Popen([sys.executable, "-c", _BOOT, str(os.getpid()), str(port)],
                                   env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=log)
    url = f"http://127.0.0.1:{port}/api"
    timeout = int(os.environ.get("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS")
                  or STARTUP_TIMEOUT_S)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if _server.poll() is not None:
            code = _server.returncode
            stop_embedded_server()
            raise PrefectServerError(seconds=timeout, detail=f"exit code {code}, see {log_path}")
        with contextlib.suppress(OSError), urllib.request.urlopen(f"{url}/health",
                                                                  timeout=2) as r:
            if r.status == 200:
                break
        time.sleep(0.1)
    else:
        stop_embedded_server()
        raise PrefectServerError(seconds=timeout, detail="no answer on /health")
    _saved_url = os.environ.get("PREFECT_API_URL")
    os.environ["PREFECT_API_URL"] = url
    # Registered after Prefect's first import, so it runs after Prefect's own exit handlers
    # (atexit is last-in, first-out) have sent their queued logs and events.
    atexit.register(stop_embedded_server)
    return url


def stop_embedded_server() -> None:
    """End the temporary server if this process started one, and forget its URL."""
    global _server
    if _server is None:
        return
    proc, _server = _server, None
    proc.terminate()
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    if os.environ.get("PREFECT_API_URL", "").startswith("http://127.0.0.1:"):
        if _saved_url is None:
            os.environ.pop("PREFECT_API_URL", None)
        else:
            os.environ["PREFECT_API_URL"] = _saved_url


class _NoTracebackFormatter(logging.Formatter):
    """Formats like the wrapped formatter, without the traceback (kept for other handlers)."""

    def __init__(self, inner: logging.Formatter | None) -> None:
        super().__init__()
        self.inner = inner or logging.Formatter()

    def format(self, record: logging.LogRecord) -> str:
        saved = record.exc_info, record.exc_text, record.stack_info
        record.exc_info, record.exc_text, record.stack_info = None, None, None
        try:
            return self.inner.format(record)
        finally:
            record.exc_info, record.exc_text, record.stack_info = saved


def quiet_console_tracebacks() -> None:
    """No traceback on the terminal: console handlers (ours and Prefect's) drop them.

    Prefect logs a failing task with ``exc_info=True``; the sentence the CLI prints is the
    message, and an internal error's traceback goes to its log file.
    """
    loggers = [logging.getLogger(), *(logging.getLogger(n) for n in
                                      ("prefect", "prefect.flow_runs", "prefect.task_runs"))]
    for lg in loggers:
        for h in lg.handlers:
            if type(h).__name__ in ("StreamHandler", "PrefectConsoleHandler") \
                    and not isinstance(h.formatter, _NoTracebackFormatter):
                h.setFormatter(_NoTracebackFormatter(h.formatter))
