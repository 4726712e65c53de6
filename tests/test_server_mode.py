"""Server mode with a real Prefect server started here: the run suspends at the review gate
and resumes when a language is approved (slow: starts a server and a runner)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from flows.env import free_port
from pipeline.review.store import ReviewStore
from tests.review_units import approve_units


def _cli(env: dict[str, str], *args: str, check: bool = True) -> str:
    proc = subprocess.run([sys.executable, "-m", "flows.cli", *args], env=env,
                          capture_output=True, text=True, timeout=120)
    if check and proc.returncode != 0:
        raise AssertionError(f"{args}: {proc.stdout}\n{proc.stderr}")
    return proc.stdout.strip()


def _wait_state(env: dict[str, str], run_id: str, want: str, timeout: float) -> str:
    deadline = time.monotonic() + timeout
    state = ""
    while time.monotonic() < deadline:
        state = _cli(env, "flows", "state", run_id).splitlines()[-1]
        if state == want or state in ("Failed", "Crashed", "Cancelled"):
            return state
        time.sleep(3)
    return state


@pytest.fixture
def prefect_server(tmp_path: Path) -> Iterator[dict[str, str]]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env |= {"PREFECT_HOME": str(tmp_path / "prefect"), "PREFECT_SERVER_ANALYTICS_ENABLED":
            "false", "DO_NOT_TRACK": "1", "CAUNOI_PREFECT_HOME": str(tmp_path / "prefect"),
            "PREFECT_RUNNER_POLL_FREQUENCY": "2", "PREFECT_LOGGING_LEVEL": "WARNING"}
    server = subprocess.Popen([sys.executable, "-m", "prefect", "server", "start", "--host",
                               "127.0.0.1", "--port", str(port)], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              start_new_session=True)
    url = f"http://127.0.0.1:{port}/api"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"{url}/health", timeout=2)
            break
        except OSError:
            time.sleep(1)
    else:
        os.killpg(server.pid, signal.SIGTERM)
        pytest.fail("the Prefect server did not start within 120 s")
    env["PREFECT_API_URL"] = url
    yield env
    os.killpg(server.pid, signal.SIGTERM)
    server.wait(timeout=30)


@pytest.mark.slow
def test_run_suspends_for_review_and_resumes(prefect_server: dict[str, str],
                                             short_lesson: Path, tmp_path: Path) -> None:
    env = prefect_server
    out = tmp_path / "out"
    runner = subprocess.Popen([sys.executable, "-m", "flows.cli", "flows", "serve", "--out",
                               str(out)], env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        run_id = ""
        deadline = time.monotonic() + 90
        while not run_id and time.monotonic() < deadline:
            try:  # the deployment exists once the runner has registered it
                run_id = _cli(env, "flows", "run", str(short_lesson), "--languages", "en",
                              "--out", str(out)).splitlines()[-1]
            except AssertionError:
                time.sleep(2)
        assert run_id, "the runner did not register the deployment"
        assert _wait_state(env, run_id, "Suspended", 240) == "Suspended"
        assert not (out / "short-qr" / "video" / "en-compat.mp4").exists()

        store = ReviewStore(f"sqlite:///{out / 'review.sqlite3'}")
        store.add_user("rev", "password-123", {"en": "reviewer"})
        for cue in store.cues("short-qr", "en"):
            saved = store.save("rev", "short-qr", "en", cue.idx, f"REVIEWED {cue.idx}",
                               cue.version)
            store.save("rev", "short-qr", "en", cue.idx, saved.text, saved.version,
                       "approve", reason="test marker text")  # markers fail QA: override
        approve_units(store, "rev", "short-qr", "en")  # the title and chapter headings
        assert store.approve_language("rev", "short-qr", "en")
        _cli(env, "flows", "resume", "short-qr", "--lang", "en", "--out", str(out))

        assert _wait_state(env, run_id, "Completed", 240) == "Completed"
        assert (out / "short-qr" / "video" / "en-compat.mp4").is_file()
        assert not (out / "short-qr" / ".state" / "flow-run.json").exists()
    finally:
        os.killpg(runner.pid, signal.SIGTERM)
        runner.wait(timeout=30)
