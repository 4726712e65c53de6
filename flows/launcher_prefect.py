"""Server mode's run launcher: Prefect deployment runs, states read through the Prefect API.

Runs are started with ``run_deployment(..., timeout=0)`` on the deployments of
``flows/deploy.py`` and tagged ``caunoi-lesson:<id>``, ``caunoi-kind:<kind>`` (and
``caunoi-lang:<code>``), so a lesson's runs are one filtered query. Per-step progress comes
from the task runs of the run and of its subflow runs (one task per step of the plan).
A bundle (``publish`` with ``bundle``) is made on the web app's machine by the embedded
launcher: it reads the finals from the shared output folder.

With shared storage (``storage_url``) the web app hands a lesson in before each run (only
what changed) and names it by id, so workers never need this machine's disk; what the
workers wrote is pulled back to ``out_dir`` when the pages ask for the lesson's runs.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from uuid import UUID

from flows.launcher import STEP_NAMES, EmbeddedLauncher
from flows.lease import lost_reason
from pipeline.core.config import Settings
from pipeline.core.i18n import t
from pipeline.core.runs import RUN_KINDS, RunInfo, RunKind, RunState
from pipeline.core.shared import SharedStorage
from pipeline.portal.run_messages import plain_messages

__all__ = ["DEPLOYMENT_OF", "PrefectLauncher", "run_info", "run_state", "step_states"]

#: Run kind -> deployment (flow name/deployment name, as flows/deploy.py creates them).
DEPLOYMENT_OF: dict[RunKind, str] = {
    "produce": "produce_lesson_reviewed/produce",
    "render": "render_approved/render-approved",
    "publish": "publish_lesson/publish",
}
log = logging.getLogger("caunoi.launcher")

_LESSON_TAG, _KIND_TAG, _LANG_TAG = "caunoi-lesson:", "caunoi-kind:", "caunoi-lang:"
_STATE: dict[str, RunState] = {
    "SCHEDULED": "queued", "PENDING": "queued", "RUNNING": "running", "PAUSED": "waiting",
    "COMPLETED": "done", "FAILED": "failed", "CRASHED": "failed", "CANCELLED": "cancelled",
    "CANCELLING": "cancelled"}
_STEP: dict[str, str] = {"SCHEDULED": "pending", "PENDING": "pending", "RUNNING": "running",
                         "COMPLETED": "done", "FAILED": "failed", "CRASHED": "failed",
                         "CANCELLED": "failed", "CANCELLING": "failed", "PAUSED": "running"}
#: What editors read of a run in each state (a failed run: see :func:`_failed_key`).
_SAY: dict[RunState, str] = {"queued": "portal.run_queued", "running": "portal.run_running",
                             "waiting": "portal.run_waiting", "done": "portal.run_done",
                             "cancelled": "portal.run_cancelled"}
_LOGGED: set[str] = set()  # failed runs whose state message is in the log already


def run_state(state_type: str | None) -> RunState:
    """A Prefect state type (``"RUNNING"``...) as a run state of the contract."""
    return _STATE.get((state_type or "").upper().rsplit(".", 1)[-1], "queued")


def _type_name(state: Any) -> str:
    kind = getattr(state, "type", None)
    return str(getattr(kind, "value", kind or ""))


def step_states(task_runs: Iterable[Any]) -> dict[str, str]:
    """Step name -> pending/running/done/failed from task runs. A step of several jobs
    (languages × profiles) is failed if one failed, done when all are, else running."""
    found: dict[str, list[str]] = {}
    by_length = sorted(STEP_NAMES, key=len, reverse=True)
    for tr in task_runs:
        name = str(getattr(tr, "name", ""))
        step = next((s for s in by_length if name == s or name.startswith(s + "-")), None)
        if step is not None:
            state = _STEP.get(_type_name(getattr(tr, "state", None)), "pending")
            found.setdefault(step, []).append(state)
    steps = dict.fromkeys(STEP_NAMES, "pending")
    for step, states in found.items():
        if "failed" in states:
            steps[step] = "failed"
        elif all(s == "done" for s in states):
            steps[step] = "done"
        elif any(s in ("running", "done") for s in states):
            steps[step] = "running"
    return steps


def _tag(tags: Iterable[str], prefix: str) -> str | None:
    return next((t[len(prefix):] for t in tags if t.startswith(prefix)), None)


def _failed_key(state_type: str, detail: str) -> str:
    """The sentence for editors of a failed run, from its Prefect state message."""
    if lost_reason(state_type, detail):  # flows.lease runs it again, on another worker
        return "portal.run_failed_machine"
    if "ModelMissingError" in detail:
        return "portal.run_failed_model"
    return "portal.run_failed"


def _said(run_id: str, run: RunState, state: Any) -> tuple[str, dict[str, str]]:
    """What a run says, from the catalogue (its key, and its text in each UI language):
    editors never read Prefect's state message (it can name a shell command, an exception
    or a server path). Administrators read its first line; the whole message goes to the
    log once per failed run."""
    detail = str(getattr(state, "message", "") or "")
    if run != "failed":
        waiting = str(getattr(state, "name", "")).lower() == "awaiting review"
        key = _SAY["waiting" if waiting else run]
        return key, plain_messages(key)
    if run_id not in _LOGGED:
        if len(_LOGGED) > 10_000:
            _LOGGED.clear()
        _LOGGED.add(run_id)
        log.warning("run %s failed: %s", run_id, detail or _type_name(state))
    key = _failed_key(_type_name(state).upper().rsplit(".", 1)[-1], detail)
    first = detail.strip().splitlines()[0][:300] if detail.strip() else ""
    return key, plain_messages(key, first)


def run_info(flow_run: Any, steps: dict[str, str] | None = None) -> RunInfo:
    """A Prefect flow run as the pages show it: its message is a catalogue sentence in each
    UI language (``messages``; Prefect's own message only under ``admin.<lang>``)."""
    tags = list(getattr(flow_run, "tags", []) or [])
    state = getattr(flow_run, "state", None)
    kind = _tag(tags, _KIND_TAG) or "produce"
    start, end = getattr(flow_run, "start_time", None), getattr(flow_run, "end_time", None)
    run = run_state(_type_name(state))
    steps = dict(steps or {})
    if run == "waiting" and steps.get("review") == "done":
        steps["review"] = "waiting"  # suspended until a language is approved
    key, said = _said(str(flow_run.id), run, state)
    return RunInfo(
        run_id=str(flow_run.id), kind=kind if kind in RUN_KINDS else "produce",
        lesson_id=_tag(tags, _LESSON_TAG) or "", state=run,
        language=_tag(tags, _LANG_TAG), steps=steps, messages=said,
        message=t(key),
        started_at=start.timestamp() if start else None,
        ended_at=end.timestamp() if end else None)


class PrefectLauncher:
    """Deployment runs on the Prefect server of ``PREFECT_API_URL``; any number of workers."""

    mode = "server"

    def __init__(self, settings: Settings, limit: int = 20) -> None:
        self.settings = settings
        self.limit = limit
        self._local = EmbeddedLauncher(settings)
        self.store = SharedStorage(settings)
        # A page must not hang for a minute while the store is away: two quick retries.
        self.store.backoff_s = (1.0, 2.0)
        self._pulled: dict[str, float] = {}

    def _pull(self, lesson_id: str) -> None:
        """With shared storage, what the workers wrote comes to this machine's ``out_dir``
        (the pages read it there); at most every few seconds per lesson."""
        if not self.store.remote or time.monotonic() - self._pulled.get(lesson_id, -1e9) < 5:
            return
        self._pulled[lesson_id] = time.monotonic()
        try:
            self.store.pull_outputs(lesson_id)
        except OSError as e:  # the store is away: the pages show what came last
            log.warning("%s: outputs not fetched from %s: %s", lesson_id, self.store.url, e)

    def _lesson_dir(self, lesson_id: str, params: dict[str, object]) -> str:
        given = params.get("lesson_dir")
        return str(given) if given else str((Path(self.settings.lessons_dir)
                                             / lesson_id).resolve())

    def _parameters(self, kind: RunKind, lesson_id: str, language: str | None,
                    params: dict[str, object]) -> dict[str, object]:
        out_dir = str(Path(self.settings.out_dir).resolve())
        if kind == "publish":
            return {"lesson_id": lesson_id, "out_dir": "" if self.store.remote else out_dir,
                    "target": str(params.get("target") or ""),
                    "languages": params.get("languages") or None,
                    "hls": bool(params.get("hls"))}
        if self.store.remote:
            # Workers on other machines read the lesson from the shared storage, not from
            # this machine's disk: hand it in (only what changed) and name it by id.
            self.store.put_lesson(Path(self._lesson_dir(lesson_id, params)), lesson_id)
            where: dict[str, object] = {"lesson_id": lesson_id}
        else:
            where = {"lesson_dir": self._lesson_dir(lesson_id, params), "out_dir": out_dir}
        found: dict[str, object] = {**where, "profiles": params.get("profiles") or None}
        if kind == "render":
            found["language"] = language
        else:
            found["languages"] = params.get("languages") or None
        return found

    def start(self, kind: RunKind, lesson_id: str, *, language: str | None = None,
              params: dict[str, object] | None = None) -> RunInfo:
        from prefect.deployments import run_deployment

        params = dict(params or {})
        if kind == "draft" or (kind == "publish" and params.get("bundle")):
            return self._local.start(kind, lesson_id, language=language, params=params)
        for run in self.runs(lesson_id):
            if not run.finished and run.kind == kind and run.language == language:
                return run
        tags = [_LESSON_TAG + lesson_id, _KIND_TAG + kind]
        if language:
            tags.append(_LANG_TAG + language)
        flow_run = run_deployment(DEPLOYMENT_OF[kind], timeout=0, tags=tags,
                                  parameters=self._parameters(kind, lesson_id, language,
                                                              params))
        return run_info(flow_run)

    def runs(self, lesson_id: str) -> list[RunInfo]:
        from prefect import get_client
        from prefect.client.schemas.filters import (
            FlowRunFilter,
            FlowRunFilterId,
            FlowRunFilterParentFlowRunId,
            FlowRunFilterTags,
        )
        from prefect.client.schemas.sorting import FlowRunSort

        self._pull(lesson_id)
        found: list[RunInfo] = []
        with get_client(sync_client=True) as client:
            flow_runs = client.read_flow_runs(
                flow_run_filter=FlowRunFilter(tags=FlowRunFilterTags(
                    all_=[_LESSON_TAG + lesson_id])),
                sort=FlowRunSort.EXPECTED_START_TIME_DESC, limit=self.limit)
            for i, fr in enumerate(flow_runs):
                if run_info(fr).kind == "publish":
                    found.append(run_info(fr))
                    continue
                ids: list[UUID] = [fr.id]
                if i < 3:  # progress of the recent runs only: one query each
                    ids += [s.id for s in client.read_flow_runs(flow_run_filter=FlowRunFilter(
                        parent_flow_run_id=FlowRunFilterParentFlowRunId(any_=[fr.id])))]
                    tasks = client.read_task_runs(flow_run_filter=FlowRunFilter(
                        id=FlowRunFilterId(any_=ids)))
                    found.append(run_info(fr, step_states(tasks)))
                else:
                    found.append(run_info(fr))
        local = self._local.runs(lesson_id)
        merged = found + local
        # Not started yet (queued) first, then the newest.
        merged.sort(key=lambda r: r.started_at or float("inf"), reverse=True)
        return merged
