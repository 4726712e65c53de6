"""Leases on flow runs: a run whose machine died, or whose disk filled up, runs again
elsewhere instead of staying "Running" for ever.

- Every flow run sends a heartbeat event every :data:`HEARTBEAT_S` seconds
  (``PREFECT_FLOWS_HEARTBEAT_FREQUENCY``, set for workers by ``flows.deploy.prefect_env``).
- An automation on the server (:func:`ensure_zombie_automation`, Prefect's "detect zombie
  flows" recipe) marks a run that sent no heartbeat for :data:`ZOMBIE_AFTER_S` seconds
  Crashed: the lease ran out (the worker lost power, was killed, lost its network).
- :func:`requeue_lost` (run in a loop by ``caunoi flows server``: :func:`watch`) puts the
  Crashed runs of the project's deployments, and runs that failed because a worker's disk
  was full, back to Scheduled, at most :data:`MAX_RUNS` times in all. The next worker stages
  the lesson in with the outputs already on the store: cached steps are not done again.
"""

from __future__ import annotations

import json
import logging
import shutil
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

__all__ = ["DISK_PAUSE_S", "HEARTBEAT_S", "MAX_RUNS", "ZOMBIE_AFTER_S",
           "disk_pause_left", "ensure_zombie_automation", "lost_reason", "mark_disk_full",
           "requeue_lost", "watch"]

log = logging.getLogger("caunoi.lease")

#: Seconds between a flow run's heartbeats (Prefect's minimum is 30).
HEARTBEAT_S = 30
#: A Running run without a heartbeat for this long is Crashed (three missed heartbeats).
ZOMBIE_AFTER_S = 90
#: A run is started at most this many times (the first run and two more).
MAX_RUNS = 3
#: Name of the server automation.
AUTOMATION = "caunoi: crash runs without heartbeats"
#: A worker whose disk filled takes no run for this long (or until the marker is deleted).
DISK_PAUSE_S = 600
#: The marker, in the worker's ``work_dir``.
DISK_FULL_MARKER = ".disk-full.json"
#: A run failed by a full disk is scheduled again this late: its worker pauses first.
DISK_REQUEUE_DELAY_S = 20
#: Failures that are the machine's or the network's, not the lesson's: another run (on
#: another worker, a little later) may succeed. Reason → words of the failed state's message.
MACHINE_FAULTS: dict[str, tuple[str, ...]] = {
    "disk full": ("DiskFullError", "No space left on device"),
    "database unreachable": ("OperationalError", "connection refused",
                             "terminating connection"),
    "store unreachable": ("Could not connect to the endpoint", "EndpointConnectionError")}


def lost_reason(state_type: str, message: str) -> str | None:
    """Why a finished run should run again elsewhere (``None``: it should not)."""
    if state_type == "CRASHED":
        return "crashed"
    if state_type == "FAILED":
        return next((reason for reason, words in MACHINE_FAULTS.items()
                     if any(w in (message or "") for w in words)), None)
    return None


def ensure_zombie_automation(client: Any) -> None:
    """Create the automation that marks runs without heartbeats Crashed (once)."""
    from prefect.client.schemas.objects import StateType
    from prefect.events.actions import ChangeFlowRunState
    from prefect.events.schemas.automations import AutomationCore, EventTrigger, Posture
    from prefect.events.schemas.events import ResourceSpecification

    if client.read_automations_by_name(AUTOMATION):
        return
    client.create_automation(AutomationCore(
        name=AUTOMATION,
        trigger=EventTrigger(
            after={"prefect.flow-run.heartbeat"},
            expect={"prefect.flow-run.heartbeat", "prefect.flow-run.Completed",
                    "prefect.flow-run.Failed", "prefect.flow-run.Cancelled",
                    "prefect.flow-run.Crashed"},
            match=ResourceSpecification({"prefect.resource.id": ["prefect.flow-run.*"]}),
            for_each={"prefect.resource.id"}, posture=Posture.Proactive, threshold=1,
            within=timedelta(seconds=ZOMBIE_AFTER_S)),
        actions=[ChangeFlowRunState(
            state=StateType.CRASHED, name="Crashed", force=False,
            message=f"no heartbeat for {ZOMBIE_AFTER_S} s: the worker is gone")]))


def requeue_lost(client: Any, max_runs: int = MAX_RUNS) -> list[str]:
    """Schedule again the lost runs of deployments (see :func:`lost_reason`) that ran fewer
    than ``max_runs`` times; returns their ids."""
    from prefect.client.schemas.filters import (
        FlowRunFilter,
        FlowRunFilterDeploymentId,
        FlowRunFilterState,
        FlowRunFilterStateType,
    )
    from prefect.client.schemas.objects import StateType
    from prefect.states import AwaitingRetry

    runs = client.read_flow_runs(flow_run_filter=FlowRunFilter(
        state=FlowRunFilterState(type=FlowRunFilterStateType(
            any_=[StateType.CRASHED, StateType.FAILED])),
        deployment_id=FlowRunFilterDeploymentId(is_null_=False)), limit=200)
    again = []
    for run in runs:
        state = run.state
        kind = str(getattr(state.type, "value", state.type)) if state else ""
        reason = lost_reason(kind, state.message or "" if state else "")
        if reason is None or run.run_count >= max_runs:
            continue
        delay = DISK_REQUEUE_DELAY_S if reason == "disk full" else 0
        client.set_flow_run_state(run.id, AwaitingRetry(
            scheduled_time=datetime.now(UTC) + timedelta(seconds=delay),
            message=f"run again after a lost worker ({reason}; run {run.run_count + 1} of "
                    f"at most {max_runs})"), force=True)
        log.warning("flow run %s (%s) %s: scheduled again", run.name, run.id, reason)
        again.append(str(run.id))
    return again


def mark_disk_full(work_dir: Path, lesson_id: str, sentence: str) -> None:
    """This machine's disk filled during a run: drop the lesson's local copies (the store
    keeps the inputs and every output staged out so far) and pause this worker
    (:func:`disk_pause_left`)."""
    log.error("%s", sentence)
    if lesson_id:
        for path in (work_dir / "lessons" / lesson_id, work_dir / "output" / lesson_id):
            shutil.rmtree(path, ignore_errors=True)
        for record in (work_dir / ".staged").glob(f"{lesson_id}.*.json"):
            record.unlink(missing_ok=True)
    try:
        (work_dir / DISK_FULL_MARKER).write_text(json.dumps(
            {"lesson": lesson_id, "error": sentence}, ensure_ascii=False), encoding="utf-8")
    except OSError as e:  # still full: the worker sees the free space instead
        log.error("disk-full marker not written: %s", e)


def disk_pause_left(work_dir: Path, now: float | None = None) -> float:
    """Seconds this worker should still take no runs after its disk filled (0: none)."""
    marker = work_dir / DISK_FULL_MARKER
    try:
        left = marker.stat().st_mtime + DISK_PAUSE_S - (time.time() if now is None else now)
    except OSError:
        return 0.0
    if left <= 0:
        marker.unlink(missing_ok=True)
    return max(left, 0.0)


def watch(api_url: str, stop: threading.Event, every_s: float = 10.0) -> None:
    """Until ``stop`` is set: every ``every_s`` seconds, requeue lost runs (errors of an
    unreachable server are logged and tried again)."""
    from prefect.client.orchestration import get_client
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with temporary_settings(updates={PREFECT_API_URL: api_url}):
        while not stop.wait(every_s):
            try:
                with get_client(sync_client=True) as client:
                    requeue_lost(client)
            except Exception as e:
                log.warning("lost runs not checked: %s", e)
