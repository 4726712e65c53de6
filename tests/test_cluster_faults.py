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


def test_workers_send_heartbeats_and_retry_a_restarting_server(tmp_path: Path) -> None:
    env = prefect_env(load_settings(env={"CAUNOI_CONFIG": str(tmp_path / "none.toml")}))
    assert 30 <= int(env["PREFECT_FLOWS_HEARTBEAT_FREQUENCY"]) == HEARTBEAT_S
    assert HEARTBEAT_S * 3 <= ZOMBIE_AFTER_S
    assert "500" in env["PREFECT_CLIENT_RETRY_EXTRA_CODES"].split(",")
