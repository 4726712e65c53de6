"""Run launchers (issue 18): the embedded one runs one background process at a time, keeps
its state in a small JSON file and never leaves a killed run "running"; the Prefect one
maps flow and task runs to the pages' states."""

from __future__ import annotations

import dataclasses
import fcntl
import os
import signal
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

from flows.launcher import STEP_NAMES, EmbeddedLauncher, make_launcher
from flows.launcher_prefect import PrefectLauncher, run_info, run_state, step_states
from pipeline.core.config import Settings
from pipeline.core.i18n import t
from pipeline.core.runs import RunInfo


def _wait(launcher: EmbeddedLauncher, lesson: str, until: set[str],
          timeout: float = 60.0) -> RunInfo:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        run = launcher.runs(lesson)[0]
        if run.state in until:
            return run
        time.sleep(0.2)
    raise AssertionError(f"run still {launcher.runs(lesson)[0].state}")


@pytest.fixture
def embedded(settings: Settings, tmp_path: Path) -> EmbeddedLauncher:
    s = dataclasses.replace(settings, lessons_dir=tmp_path / "lessons")
    s.out_dir.mkdir(parents=True, exist_ok=True)
    return EmbeddedLauncher(s)


def test_one_run_at_a_time_queued_then_failed_with_a_sentence(
        embedded: EmbeddedLauncher) -> None:
    lock = embedded.out_dir / ".runs.lock"
    with open(lock, "a+b") as held:
        fcntl.flock(held, fcntl.LOCK_EX)  # another run holds the machine
        first = embedded.start("publish", "nothing-here", params={"languages": ["hmn"]})
        assert first.state == "queued"
        # Every message in both UI languages: each user reads theirs.
        queued = embedded.runs("nothing-here")[0].messages
        assert set(queued) == {"vi", "en"} and queued["vi"] != queued["en"]
        time.sleep(1.5)
        assert embedded.runs("nothing-here")[0].state == "queued"
        # The same run asked again is the same run, not a second one.
        assert embedded.start("publish", "nothing-here",
                              params={"languages": ["hmn"]}).run_id == first.run_id
        fcntl.flock(held, fcntl.LOCK_UN)
    done = _wait(embedded, "nothing-here", {"done", "failed"})
    assert done.state == "failed" and done.ended_at is not None
    # The publish step's own sentence (no manifest yet), not a traceback.
    assert done.message and "Traceback" not in done.message
    assert done.messages["vi"] != done.messages["en"] and done.message in done.messages.values()
    state = embedded.out_dir / "nothing-here" / ".state" / "runs" / f"{first.run_id}.json"
    assert state.is_file()


def test_a_killed_run_is_not_running_forever(embedded: EmbeddedLauncher) -> None:
    lock = embedded.out_dir / ".runs.lock"
    with open(lock, "a+b") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        run = embedded.start("produce", "killed-lesson")
        pid_file = embedded.out_dir / "killed-lesson" / ".state" / "runs" / f"{run.run_id}.pid"
        pid = int(pid_file.read_text().split('"pid": ')[1].split(",")[0])
        assert embedded.runs("killed-lesson")[0].state == "queued"
        os.kill(pid, signal.SIGKILL)
        time.sleep(0.5)
        after = embedded.runs("killed-lesson")[0]
        fcntl.flock(held, fcntl.LOCK_UN)
    assert after.state == "failed" and after.finished
    assert "dừng bất thường" in after.messages["vi"]
    assert "stopped unexpectedly" in after.messages["en"]


def test_a_state_file_of_a_vanished_process_reads_failed(embedded: EmbeddedLauncher) -> None:
    """The web app was killed with its run (or the machine restarted): a stale 'running'
    with a pid that is gone — or reused by another process — reads as failed."""
    from pipeline.core.storage import atomic_write_json

    folder = embedded.out_dir / "old" / ".state" / "runs"
    steps = dict.fromkeys(STEP_NAMES, "pending") | {"ingest": "done", "audio": "running"}
    atomic_write_json(folder / "r1.json", {
        "run_id": "r1", "kind": "produce", "lesson_id": "old", "language": None,
        "state": "running", "created_at": time.time() - 5, "steps": steps})
    # Our own pid, with a start time that is not ours: a reused pid.
    atomic_write_json(folder / "r1.pid", {"pid": os.getpid(), "start": "1"})
    run = embedded.runs("old")[0]
    assert run.state == "failed" and run.steps["audio"] == "failed"
    assert run.steps["ingest"] == "done"


def test_make_launcher_picks_server_mode_by_prefect_api_url(
        settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    assert make_launcher(settings).mode == "embedded"
    monkeypatch.setenv("PREFECT_API_URL", "http://127.0.0.1:9/api")
    launcher = make_launcher(settings)
    assert isinstance(launcher, PrefectLauncher) and launcher.mode == "server"


def _tr(name: str, state: str, start: str = "") -> SimpleNamespace:
    return SimpleNamespace(name=name, state=SimpleNamespace(type=state),
                           expected_start_time=start)


def test_prefect_states_and_steps_map_to_the_contract() -> None:
    assert run_state("SCHEDULED") == "queued" and run_state("PAUSED") == "waiting"
    assert run_state("StateType.CRASHED") == "failed" and run_state("COMPLETED") == "done"
    steps = step_states([
        _tr("ingest-1a2", "COMPLETED"), _tr("audio-9f0", "COMPLETED"),
        _tr("render-hmn-compat", "COMPLETED"), _tr("render-hmn-tiny", "RUNNING"),
        _tr("translate-abc", "FAILED"), _tr("unrelated", "FAILED")])
    assert steps["ingest"] == "done" and steps["render"] == "running"
    assert steps["translate"] == "failed" and steps["manifest"] == "pending"
    assert list(steps) == list(STEP_NAMES)
    fr = SimpleNamespace(id="abc", tags=["caunoi-lesson:qr", "caunoi-kind:render",
                                         "caunoi-lang:hmn"],
                         state=SimpleNamespace(type="PAUSED", message="", name="Suspended"),
                         start_time=None, end_time=None)
    info = run_info(fr, steps)
    assert (info.kind, info.lesson_id, info.language, info.state) == (
        "render", "qr", "hmn", "waiting")
    assert info.message == t("portal.run_waiting") and not info.finished
    # A produce run suspended after its review step: the step reads "waiting", not "done".
    review_done = step_states([_tr("review-1", "COMPLETED"), _tr("render-vi-compat",
                                                                   "COMPLETED")])
    fr.tags = ["caunoi-lesson:qr"]
    info = run_info(fr, review_done)
    assert info.steps["review"] == "waiting" and info.steps["render"] == "done"
    fr.state = SimpleNamespace(type="COMPLETED", message="", name="Completed")
    assert run_info(fr, review_done).steps["review"] == "done"


def test_run_messages_lose_server_paths_but_keep_the_rest() -> None:
    from pipeline.core.text import without_paths

    assert without_paths("Không đọc được /srv/out/qr-1/audio/a b.wav") == (
        "Không đọc được a b.wav")
    assert without_paths("No such file: '/tmp/x/y.mp4'") == "No such file: 'y.mp4'"
    assert without_paths("file:///srv/store/qr/x.json gone") == "x.json gone"
    for kept in ("1/2 và 3/4", "ngày 27/11/2026", "https://example.org/a/b", "và/hoặc"):
        assert without_paths(kept) == kept
