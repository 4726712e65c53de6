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

import logging
import threading
from datetime import timedelta
from typing import Any

__all__ = ["HEARTBEAT_S", "MAX_RUNS", "ZOMBIE_AFTER_S", "ensure_zombie_automation",
           "lost_reason", "requeue_lost", "watch"]

log = logging.getLogger("caunoi.lease")

#: Seconds between a flow run's heartbeats (Prefect's minimum is 30).
HEARTBEAT_S = 30
#: A Running run without a heartbeat for this long is Crashed (three missed heartbeats).
ZOMBIE_AFTER_S = 90
#: A run is started at most this many times (the first run and two more).
MAX_RUNS = 3
#: Name of the server automation.
AUTOMATION = "caunoi: crash runs without heartbeats"
#: Failures that are the machine's, not the lesson's: another worker may succeed.
MACHINE_FAULTS = ("DiskFullError", "No space left on device")


def lost_reason(state_type: str, message: str) -> str | None:
    """Why a finished run should run again elsewhere (``None``: it should not)."""
    if state_type == "CRASHED":
        return "crashed"
    if state_type == "FAILED" and any(m in (message or "") for m in MACHINE_FAULTS):
        return "disk full"
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
        client.set_flow_run_state(run.id, AwaitingRetry(
            message=f"run again after a lost worker ({reason}; run {run.run_count + 1} of "
                    f"at most {max_runs})"), force=True)
        log.warning("flow run %s (%s) %s: scheduled again", run.name, run.id, reason)
        again.append(str(run.id))
    return again


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
