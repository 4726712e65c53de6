"""Watches one pass of ``bench_cluster.py``: which worker namespace runs which flow run,
when to inject each fault, when the runs it touched completed."""

from __future__ import annotations

import threading
import time
from typing import Any
from uuid import UUID

from cluster_nodes import Worker

DB_DOWN_S = 10.0
STORE_DOWN_S = 30.0
WORKER_BACK_S = 20.0


class Monitor:
    def __init__(self, cluster: Any, label: str, workers: list[Worker], runs: dict[str, str],
                 faults: list[str]) -> None:
        self.cluster, self.label, self.workers, self.runs = cluster, label, workers, runs
        self.lesson_of = {rid: lid for lid, rid in runs.items()}
        self.pending = [f for f in faults if f != "disk-full"]
        self.faults: list[dict[str, Any]] = []
        self.seen: dict[str, set[str]] = {w.name: set() for w in workers}
        self.states: dict[str, Any] = {}
        self.done_at: dict[str, float] = {}
        self.disk_full = "disk-full" in faults

    # --- observing ---

    def _observe(self, client: Any) -> None:
        for w in self.workers:
            self.seen[w.name] |= w.flow_runs() & set(self.lesson_of)
        for rid in self.runs.values():
            try:
                self.states[rid] = client.read_flow_run(UUID(rid))
            except Exception:
                continue
            st = self.states[rid].state
            if st is not None and st.type.value == "COMPLETED":
                self.done_at.setdefault(rid, time.time())

    def _rendering(self, client: Any) -> tuple[Worker, str] | None:
        from prefect.client.schemas.filters import (
            FlowRunFilter,
            FlowRunFilterId,
            FlowRunFilterParentFlowRunId,
        )

        for w in self.workers:
            if w.proc is None or w.proc.poll() is not None:
                continue
            for rid in w.flow_runs() & set(self.lesson_of):
                # The steps are task runs of the produce_lesson subflow run.
                ids = [UUID(rid)] + [s.id for s in client.read_flow_runs(
                    flow_run_filter=FlowRunFilter(parent_flow_run_id=(
                        FlowRunFilterParentFlowRunId(any_=[UUID(rid)]))))]
                tasks = client.read_task_runs(flow_run_filter=FlowRunFilter(
                    id=FlowRunFilterId(any_=ids)))
                if any(t.name.startswith("render") and t.state and t.state.type.value ==
                       "RUNNING" for t in tasks):
                    return w, rid
        return None

    def _running(self) -> list[str]:
        """Runs executing in a live worker's namespace now, not touched by earlier faults."""
        touched = {r for f in self.faults for r in f["runs"]}
        live = set().union(*(w.flow_runs() for w in self.workers))
        return [rid for rid, fr in self.states.items() if rid in live and rid not in touched
                and fr.state is not None and fr.state.type.value == "RUNNING"]

    def _on_store(self, rid: str) -> list[str]:
        """The outputs of a run's lesson on the store now (checkpoints of finished steps)."""
        import fsspec

        fs = fsspec.filesystem("s3", client_kwargs={"endpoint_url": self.cluster.env[
            "CAUNOI_S3_ENDPOINT"]}, skip_instance_cache=True)
        base = f"caunoi/{self.label}/output/{self.lesson_of[rid]}"
        return sorted(p[len(base) + 1:] for p in fs.find(base)) if fs.isdir(base) else []

    # --- faults ---

    def _inject(self, client: Any) -> None:
        kind = self.pending[0]
        now = time.time()
        if kind == "kill-worker":
            found = self._rendering(client)
            if found is None:
                return
            w, rid = found
            killed = w.kill()
            self.faults.append({"kind": kind, "injected_at": now, "worker": w.name,
                                "processes_killed": killed, "runs": [rid],
                                "checkpointed_on_store": self._on_store(rid)})
            threading.Timer(WORKER_BACK_S, w.start).start()  # the machine comes back
        elif kind in ("restart-db", "store-outage"):
            running = self._running()
            if not running or (self.faults and now - self.faults[-1]["injected_at"] < 20):
                return
            fault: dict[str, Any] = {"kind": kind, "injected_at": now, "runs": running}
            if kind == "restart-db":
                self.cluster.pg.stop("fast")
                fault["web_login_status_while_down"] = self.cluster.web_login_status()
                time.sleep(DB_DOWN_S)
                self.cluster.pg.start()
                fault |= {"down_s": DB_DOWN_S,
                          "web_login_status_after": self.cluster.web_login_status()}
            else:
                assert self.cluster.gate is not None
                self.cluster.gate.close()
                threading.Timer(STORE_DOWN_S, self.cluster.gate.open).start()
                fault["down_s"] = STORE_DOWN_S
            self.faults.append(fault)
        self.pending.pop(0)

    def run(self, timeout_s: float) -> None:
        from prefect.client.orchestration import get_client

        deadline = time.monotonic() + timeout_s
        with get_client(sync_client=True) as client:
            while time.monotonic() < deadline and len(self.done_at) < len(self.runs):
                try:
                    self._observe(client)
                    if self.pending and len(self.done_at) < len(self.runs):
                        self._inject(client)
                except Exception as e:
                    print(f"(monitor: {e!s:.100})", flush=True)
                time.sleep(2)
            self._disk_full_faults(client)
            self._crash_times(client)

    def _crash_times(self, client: Any) -> None:
        """For a killed worker: when its run was found Crashed (no heartbeats) and put back."""
        for f in self.faults:
            if f["kind"] != "kill-worker":
                continue
            try:
                history = client.read_flow_run_states(UUID(f["runs"][0]))
            except Exception:
                continue
            for s in history:
                key = {"CRASHED": "crashed_after_s", "SCHEDULED": "scheduled_again_after_s"}
                name = key.get(s.type.value)
                if name and s.timestamp.timestamp() > f["injected_at"]:
                    f.setdefault(name, round(s.timestamp.timestamp() - f["injected_at"], 1))

    def _disk_full_faults(self, client: Any) -> None:
        """The run(s) that failed for a full disk, and when they completed anyway."""
        if not self.disk_full:
            return
        for rid in self.runs.values():
            try:
                history = client.read_flow_run_states(UUID(rid))
            except Exception:
                continue
            full = [s for s in history if s.type.value == "FAILED"
                    and "disk" in (s.message or "").lower()]
            if full:
                self.faults.append({"kind": "disk-full", "injected_at":
                                    full[0].timestamp.timestamp(), "runs": [rid],
                                    "message": full[0].message})
        if not any(f["kind"] == "disk-full" for f in self.faults):
            self.faults.append({"kind": "disk-full", "injected_at": None, "runs": [],
                                "note": "no run failed for a full disk"})

    # --- the report ---

    def report(self) -> dict[str, Any]:
        for f in self.faults:
            f["lessons"] = [self.lesson_of[r] for r in f["runs"]]
            ends = [self.done_at.get(r) for r in f["runs"]]
            f["recovered"] = bool(f["runs"]) and all(e is not None for e in ends)
            f["recovered_s"] = round(max(e for e in ends if e) - f["injected_at"], 1) \
                if f["recovered"] else None
        runs = {}
        for lid, rid in self.runs.items():
            fr = self.states.get(rid)
            runs[lid] = {"run_id": rid, "state": fr.state.name if fr and fr.state else None,
                         "run_count": fr.run_count if fr else None,
                         "workers": [w for w, s in self.seen.items() if rid in s]}
        return {"submitted": len(self.runs), "completed": len(self.done_at),
                "lost": len(self.runs) - len(self.done_at), "runs": runs,
                "workers": [{"name": w.name, "mntns": w.mntns, "disk_mb": w.disk_mb or None,
                             "runs": sorted(self.lesson_of[r] for r in self.seen[w.name])}
                            for w in self.workers],
                "faults": self.faults}
