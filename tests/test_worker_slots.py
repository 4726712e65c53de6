"""Fan-out inside a lesson: a machine's CPU slots (flows.slots) bound the concurrent renders
of every flow run on it; the Prefect runner submits languages × profiles as task runs that
each hold a slot."""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from flows.slots import machine_slot
from pipeline.core.config import Settings, load_settings


class _Gauge:
    """Counts jobs inside their slot; each waits until ``want`` are in (or a deadline)."""

    def __init__(self, want: int) -> None:
        self.want, self.inside, self.most = want, 0, 0
        self.cond = threading.Condition()

    def work(self) -> None:
        """One job's work: be counted, wait for the others (or 1 s), leave."""
        with self.cond:
            self.inside += 1
            self.most = max(self.most, self.inside)
            self.cond.notify_all()
            self.cond.wait_for(lambda: self.inside >= self.want, timeout=1.0)
        with self.cond:
            self.inside -= 1

    def job(self, slots: int, folder: Path) -> None:
        with machine_slot(slots, folder, poll_s=0.02):
            self.work()


@pytest.mark.parametrize("slots", [1, 2, 3])
def test_slots_bound_concurrent_jobs(slots: int, tmp_path: Path) -> None:
    gauge = _Gauge(want=slots)
    threads = [threading.Thread(target=gauge.job, args=(slots, tmp_path)) for _ in range(6)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(timeout=60)
    # Never more than the slots; and the slots are used (jobs wait for each other inside).
    assert gauge.most == slots


def test_a_slot_held_by_another_process_is_respected(tmp_path: Path) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; from pathlib import Path; "
         "from flows.slots import machine_slot\n"
         "with machine_slot(1, Path(sys.argv[1])):\n"
         "    print('held', flush=True); time.sleep(60)", str(tmp_path)],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        got: list[int] = []
        waiter = threading.Thread(target=lambda: got.append(
            _enter(machine_slot(1, tmp_path, poll_s=0.02))))
        waiter.start()
        waiter.join(timeout=1.0)
        assert waiter.is_alive() and not got  # still waiting for the other process
        holder.kill()  # the kernel releases a dead process's lock
        waiter.join(timeout=30)
        assert got == [0]
    finally:
        holder.kill()
        holder.wait()


def _enter(cm: Any) -> int:
    with cm as slot:
        return int(slot)


def test_machine_slots_default_leaves_two_encoder_threads_per_job(tmp_path: Path) -> None:
    import os

    env = {"CAUNOI_CONFIG": str(tmp_path / "none.toml")}
    assert load_settings(env=env).machine_slots == max(1, (os.cpu_count() or 1) // 2)
    assert load_settings(env=env | {"CAUNOI_WORKER_SLOTS": "3"}).machine_slots == 3


@pytest.fixture(scope="module")
def prefect_harness() -> Iterator[None]:
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


# Slow: a whole Prefect run or a real decode (tens of seconds); runs in CI's -m slow.
@pytest.mark.slow
@pytest.mark.parametrize("worker_slots", [1, 2])
def test_fanout_runs_as_concurrent_tasks_within_the_machine_slots(
        prefect_harness: None, settings: Settings, worker_slots: int,
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Four render jobs (2 languages × 2 profiles) submitted at once (parallel_jobs 4) run
    as Prefect task runs, never more at a time than the machine's slots."""
    import dataclasses

    from prefect import flow

    from flows import produce
    from pipeline.steps import PLAN, Job

    gauge = _Gauge(want=worker_slots)
    monkeypatch.setattr(produce, "machine_slot",
                        lambda slots: machine_slot(slots, tmp_path, poll_s=0.02))

    def job(run: Any, j: Job) -> str:
        gauge.work()
        return j.label

    render = dataclasses.replace(next(s for s in PLAN if s.name == "render"), run=job)
    monkeypatch.setitem(produce.TASKS, "render", produce._as_task(render))
    run = type("Run", (), {"settings": dataclasses.replace(
        settings, parallel_jobs=4, worker_slots=worker_slots)})()
    jobs = [Job(lang=lang, profile=p) for lang in ("hmn", "blt") for p in ("compat", "tiny")]

    @flow
    def fan_out() -> list[str]:
        return produce.execute_as_tasks(render, run, jobs)

    assert fan_out() == ["hmn-compat", "hmn-tiny", "blt-compat", "blt-tiny"]
    assert gauge.most == worker_slots
    # Steps that are not concurrent run without a slot (ingest, align: one job each).
    assert produce.TASKS["ingest"].fn is next(s for s in PLAN if s.name == "ingest").run
