"""The Prefect launcher against a real server (slow): deployment runs started as the web app
starts them, states and per-step progress read back through the Prefect API."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.test_server_pool import server_env

pytestmark = pytest.mark.slow
__all__ = ["server_env"]

#: Run in a fresh process: Prefect reads PREFECT_API_URL when it is imported.
_SCRIPT = """
import json, sys
from pipeline.core.config import load_settings
from flows.launcher import make_launcher
launcher = make_launcher(load_settings())
cmd, kind, lesson = sys.argv[1:4]
if cmd == "start":
    params = json.loads(sys.argv[4])
    print(json.dumps(launcher.start(kind, lesson, params=params).to_json()))
else:
    print(json.dumps([r.to_json() for r in launcher.runs(lesson)]))
"""


def _launcher(env: dict[str, str], *args: str) -> object:
    proc = subprocess.run([sys.executable, "-c", _SCRIPT, *args], env=env,
                          capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _wait(env: dict[str, str], lesson: str, kind: str) -> dict[str, object]:
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        runs = _launcher(env, "runs", kind, lesson)
        assert isinstance(runs, list)
        run = next(r for r in runs if r["kind"] == kind)
        if run["state"] in ("done", "failed", "cancelled", "waiting"):
            return dict(run)
        time.sleep(3)
    raise AssertionError(f"{kind} run did not finish")


def test_prefect_launcher_runs_deployments_and_reads_progress(
        server_env: dict[str, str], short_lesson: Path, tmp_path: Path) -> None:
    env = server_env | {"PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    worker = subprocess.Popen([sys.executable, "-m", "flows.cli", "worker", "--limit", "1"],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              start_new_session=True)
    try:
        started = _launcher(env, "start", "produce", "short-qr", json.dumps({
            "lesson_dir": str(short_lesson), "languages": ["vi"]}))
        assert isinstance(started, dict) and started["state"] == "queued"
        assert started["kind"] == "produce" and started["lesson_id"] == "short-qr"
        again = _launcher(env, "start", "produce", "short-qr", json.dumps({
            "lesson_dir": str(short_lesson), "languages": ["vi"]}))
        assert isinstance(again, dict) and again["run_id"] == started["run_id"]
        run = _wait(env, "short-qr", "produce")
        assert run["state"] == "done", run
        steps = run["steps"]
        assert isinstance(steps, dict)
        assert steps["ingest"] == "done" and steps["render"] == "done", steps
        assert steps["manifest"] == "done", steps
        _launcher(env, "start", "publish", "short-qr", json.dumps({"languages": []}))
        published = _wait(env, "short-qr", "publish")
        assert published["state"] == "done", published
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(timeout=60)
    # server_env has shared storage: the lesson was handed in, workers published beside the
    # store's outputs, and the web app's out_dir got the finals back when it read the runs.
    assert list((tmp_path / "shared" / "published").rglob("vi-compat.mp4"))
    assert (tmp_path / "out" / "short-qr" / "video" / "vi-compat.mp4").is_file()
