"""Faults survived (issue 33), product side: the shared store is retried with backoff while
it is unreachable (never for a full disk), stage-out resumes where it stopped, and runs
whose worker died (Crashed) or whose disk filled are scheduled again, a bounded number of
times. The whole cluster with real faults: ``scripts/bench_cluster.py``."""

from __future__ import annotations

import errno
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from uuid import uuid4

import pytest

from flows.deploy import prefect_env
from flows.lease import HEARTBEAT_S, MAX_RUNS, ZOMBIE_AFTER_S, lost_reason, requeue_lost
from pipeline.core.config import load_settings
from pipeline.core.shared import SharedStorage, Staged


def _store(tmp_path: Path) -> tuple[SharedStorage, Staged]:
    settings = load_settings(env={"CAUNOI_CONFIG": str(tmp_path / "none.toml"),
                                  "CAUNOI_STORAGE_URL": (tmp_path / "remote").as_uri(),
                                  "CAUNOI_WORK_DIR": str(tmp_path / "cache")})
    out = tmp_path / "cache" / "output"
    for rel, text in (("alignment.json", "[]"), ("subtitles/vi.srt", "1\n"),
                      ("video/vi-compat.mp4", "mp4"), ("manifest.json", "{}")):
        (out / "les" / rel).parent.mkdir(parents=True, exist_ok=True)
        (out / "les" / rel).write_text(text)
    store = SharedStorage(settings)
    store.backoff_s = (0.0, 0.0, 0.0)
    return store, Staged(tmp_path / "cache" / "lessons" / "les", out)


def _flaky(store: SharedStorage, failures: list[BaseException],
           monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Make the store's uploads raise ``failures`` first (one per call); returns the
    destinations of the uploads that went through (fsspec shares one filesystem object
    between tests: monkeypatch puts it back)."""
    put = store.fs.put_file
    sent: list[str] = []

    def flaky_put(src: str, dst: str, **kw: Any) -> None:
        if failures:
            raise failures.pop(0)
        put(src, dst, **kw)
        sent.append(dst)

    monkeypatch.setattr(store.fs, "put_file", flaky_put)
    return sent


def test_unreachable_store_is_waited_for(tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    store, staged = _store(tmp_path)
    _flaky(store, [ConnectionRefusedError(errno.ECONNREFUSED, "refused"),
                   TimeoutError("read timeout")], monkeypatch)
    assert store.stage_out(staged, "les") == 4
    remote = tmp_path / "remote" / "output" / "les"
    assert sorted(p.relative_to(remote).as_posix() for p in remote.rglob("*") if p.is_file()) \
        == ["alignment.json", "manifest.json", "subtitles/vi.srt", "video/vi-compat.mp4"]


def test_full_disk_and_missing_files_are_not_retried(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    store, staged = _store(tmp_path)
    failures: list[BaseException] = [OSError(errno.ENOSPC, "No space left on device")] * 3
    _flaky(store, failures, monkeypatch)
    with pytest.raises(OSError):
        store.stage_out(staged, "les")
    assert len(failures) == 2  # one attempt only


def test_stage_out_resumes_where_it_stopped(tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    store, staged = _store(tmp_path)
    store.backoff_s = ()
    failures: list[BaseException] = []
    sent = _flaky(store, failures, monkeypatch)
    put = store.fs.put_file

    def dies_after_two(src: str, dst: str, **kw: Any) -> None:
        if len(sent) == 2:
            raise ConnectionResetError(errno.ECONNRESET, "reset")
        put(src, dst, **kw)

    monkeypatch.setattr(store.fs, "put_file", dies_after_two)
    with pytest.raises(ConnectionResetError):
        store.stage_out(staged, "les")
    assert len(sent) == 2
    monkeypatch.setattr(store.fs, "put_file", put)
    # Only what did not reach the store is sent again; the manifest still comes last.
    assert store.stage_out(staged, "les") == 2
    remote = tmp_path / "remote" / "output" / "les"
    assert not [p for p in remote.rglob("*") if p.name.endswith(".part")]
    assert (remote / "manifest.json").is_file()


class FakeClient:
    def __init__(self, runs: list[Any]) -> None:
        self.runs = runs
        self.set: list[tuple[Any, Any]] = []

    def read_flow_runs(self, **kw: Any) -> list[Any]:
        return self.runs

    def set_flow_run_state(self, run_id: Any, state: Any, force: bool = False) -> None:
        self.set.append((run_id, state))


def _run(kind: str, message: str, run_count: int) -> Any:
    from prefect.client.schemas.objects import State, StateType

    return SimpleNamespace(id=uuid4(), name="r", run_count=run_count, state=State(
        type=StateType(kind), message=message, timestamp=datetime.now(UTC)))


def test_lost_runs_are_scheduled_again_a_bounded_number_of_times() -> None:
    crashed = _run("CRASHED", f"no heartbeat for {ZOMBIE_AFTER_S} s", 1)
    disk = _run("FAILED", "Flow run encountered an exception: DiskFullError: The disk is "
                          "full while writing /w/video.mp4", 2)
    bad_input = _run("FAILED", "Flow run encountered an exception: LessonError: no script", 1)
    worn_out = _run("CRASHED", "no heartbeat", MAX_RUNS)
    client = FakeClient([crashed, disk, bad_input, worn_out])
    again = requeue_lost(client)
    assert again == [str(crashed.id), str(disk.id)]
    assert [s.type.value for _, s in client.set] == ["SCHEDULED", "SCHEDULED"]
    assert lost_reason("COMPLETED", "") is None
    assert lost_reason("FAILED", "OperationalError: connection refused") == \
        "database unreachable"
    assert lost_reason("FAILED", "FfmpegError: ffmpeg failed: No space left on device") == \
        "disk full"


def test_workers_send_heartbeats_and_retry_a_restarting_server(tmp_path: Path) -> None:
    env = prefect_env(load_settings(env={"CAUNOI_CONFIG": str(tmp_path / "none.toml")}))
    assert 30 <= int(env["PREFECT_FLOWS_HEARTBEAT_FREQUENCY"]) == HEARTBEAT_S
    assert HEARTBEAT_S * 3 <= ZOMBIE_AFTER_S
    assert "500" in env["PREFECT_CLIENT_RETRY_EXTRA_CODES"].split(",")


def test_checkpoint_sends_outputs_but_not_the_manifest(tmp_path: Path) -> None:
    store, staged = _store(tmp_path)
    assert store.stage_out(staged, "les", final=False) == 3
    remote = tmp_path / "remote" / "output" / "les"
    assert not (remote / "manifest.json").exists()  # a reader sees no new manifest yet
    assert (remote / "video" / "vi-compat.mp4").is_file()
    assert store.stage_out(staged, "les") == 1  # the end of the run: the manifest only


def test_full_disk_drops_the_lessons_copies_and_pauses_the_worker(tmp_path: Path) -> None:
    import time

    from flows.lease import DISK_PAUSE_S, disk_pause_left, mark_disk_full

    work = tmp_path / "work"
    for path in (work / "lessons" / "les" / "recording.mp4", work / "output" / "les" / "x",
                 work / "lessons" / "other" / "recording.mp4"):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"x" * 10)
    assert disk_pause_left(work) == 0
    mark_disk_full(work, "les", "The disk is full while writing x.")
    assert not (work / "lessons" / "les").exists() and not (work / "output" / "les").exists()
    assert (work / "lessons" / "other" / "recording.mp4").is_file()
    assert 0 < disk_pause_left(work) <= DISK_PAUSE_S
    assert disk_pause_left(work, now=time.time() + DISK_PAUSE_S + 1) == 0  # over: resumes
    assert disk_pause_left(work) == 0


def test_worker_stops_taking_runs_while_its_disk_is_full(tmp_path: Path) -> None:
    import subprocess
    import sys
    import threading

    from flows.cli.server import _supervise
    from flows.lease import mark_disk_full

    started: list[subprocess.Popen[bytes]] = []

    def start() -> subprocess.Popen[bytes]:
        started.append(subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"]))
        if len(started) == 1:  # the first run fills the disk
            threading.Timer(0.5, mark_disk_full, (tmp_path, "les", "full")).start()
        return started[-1]

    def end_second() -> None:
        while not started:
            threading.Event().wait(0.2)
        started[0].wait(timeout=30)  # stopped because the disk is full
        (tmp_path / ".disk-full.json").unlink()  # the operator freed space
        while len(started) < 2:
            threading.Event().wait(0.2)
        started[1].terminate()

    threading.Thread(target=end_second, daemon=True).start()
    _supervise(start, tmp_path)
    assert len(started) == 2 and started[0].returncode is not None
