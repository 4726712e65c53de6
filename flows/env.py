"""Prefect's environment for the embedded (serverless) mode, set before prefect is imported."""

from __future__ import annotations

import os
from pathlib import Path


def configure_prefect_env(prefect_home: Path) -> None:
    """Quiet, offline-friendly defaults; explicit environment variables win."""
    prefect_home.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("PREFECT_HOME", str(prefect_home))
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("DO_NOT_TRACK", "1")
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "INFO")
    os.environ.setdefault("PREFECT_SERVER_LOGGING_LEVEL", "WARNING")
    # The temporary server needs more than Prefect's 20 s to start on a busy 2-core machine.
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
