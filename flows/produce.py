"""``produce_lesson``: the one step plan (``pipeline.steps.PLAN``) run as Prefect tasks.

Each step becomes a task; a step's jobs (languages, languages × profiles) run as concurrent
task runs when the step allows it, each holding one of the machine's CPU slots
(``Settings.machine_slots``, shared by every flow run on the machine). Stages cache
themselves on content hashes, so Prefect's own result caching is off; retries apply to
transient errors, never to bad input.
"""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from pathlib import Path
from typing import Any, cast

from prefect import Task, flow, get_run_logger, task
from prefect.cache_policies import NONE
from prefect.states import Completed

from flows.env import quiet_console_tracebacks
from flows.slots import machine_slot
from pipeline.core.config import Settings
from pipeline.core.errors import CaunoiError
from pipeline.core.i18n import t
from pipeline.steps import (
    PLAN,
    Job,
    LessonRun,
    ProduceOptions,
    ProduceResult,
    Step,
    result_of,
    run_plan,
)

__all__ = ["AFTER_STEP", "execute_as_tasks", "produce_lesson"]

#: Called with the step's name after each step of a run (server mode: a checkpoint of the
#: outputs to the shared store, so a run whose worker dies resumes there, on another worker,
#: from the last finished step instead of from zero).
AFTER_STEP: ContextVar[Callable[[str], None] | None] = ContextVar("caunoi_after_step",
                                                                  default=None)


def _report(stage: str, skipped: bool, detail: str) -> None:
    mark = t("step.skipped_unchanged") + " " if skipped else ""
    get_run_logger().info("%s: %s%s", stage, mark, detail)


def _transient(task: Any, task_run: Any, state: Any) -> bool:
    """Retry only errors that are not the user's input (those will fail again)."""
    try:
        state.result()
    except CaunoiError as e:
        # Bad input, missing model, full disk, or an interrupt: a retry would fail again.
        return e.exit_code not in (2, 3, 4, 130, 143)
    except Exception:
        return True
    return False


def _in_machine_slot(step: Step[Any]) -> Any:
    """The step's job, run while holding one of the machine's CPU slots."""

    def run(run: LessonRun, job: Job) -> Any:
        with machine_slot(run.settings.machine_slots):
            return step.run(run, job)

    return run


def _as_task(step: Step[Any]) -> Task[Any, Any]:
    delays: list[float] = [5.0, 30.0][:step.retries]
    make = task(name=step.name, cache_policy=NONE, persist_result=False,
                retries=step.retries, retry_delay_seconds=delays or 0.0,
                retry_condition_fn=_transient)
    # Concurrent steps (renders: CPU-bound encodes) share the machine's slots with every
    # other flow run on it, so two runs of a worker never oversubscribe the cores.
    return make(_in_machine_slot(step) if step.concurrent else step.run)


# Prefect logs failing tasks with their traceback; the terminal shows the sentence only.
quiet_console_tracebacks()

#: One Prefect task per step of the plan, built once.
TASKS: dict[str, Task[Any, Any]] = {step.name: _as_task(step) for step in PLAN}


def execute_as_tasks(step: Step[Any], run: LessonRun, jobs: list[Job]) -> list[Any]:
    """The Prefect runner: each job a task run; concurrent steps submit them all first.

    Two limits: at most ``job_slots`` task runs of this flow run are submitted at once, and
    each holds one of the machine's ``machine_slots`` while it works (``flows.slots``)."""
    tk = TASKS[step.name]
    if not step.concurrent or len(jobs) < 2:
        results = [tk(run, j) for j in jobs]
    else:
        slots, results = run.settings.job_slots, []
        for i in range(0, len(jobs), slots):
            futures = [tk.with_options(task_run_name=f"{step.name}-{j.label}").submit(run, j)
                       for j in jobs[i:i + slots]]
            results += [f.result() for f in futures]
    after = AFTER_STEP.get()
    if after is not None:
        after(step.name)
    return results


@flow(name="produce_lesson", log_prints=False, validate_parameters=False)
def produce_lesson(lesson_dir: Path, settings: Settings,
                   languages: tuple[str, ...] | None = None,
                   profiles: tuple[str, ...] | None = None,
                   realign: bool = False) -> ProduceResult:
    """Produce one lesson: the same plan as ``pipeline.steps.produce``."""
    run = LessonRun(lesson_dir, ProduceOptions(settings, languages, profiles,
                                               realign=realign), _report)
    result = result_of(run_plan(run, PLAN, execute_as_tasks))
    if result.pending_languages:
        # Embedded mode: the run ends here, in state "Awaiting review"; a later
        # `caunoi produce` continues from the review store for the languages approved by then.
        waiting = ", ".join(result.pending_languages)
        get_run_logger().info(t("step.awaiting", langs=waiting))
        # Prefect gives the caller the state's data, so callers still get a ProduceResult.
        return cast(ProduceResult, Completed(name="Awaiting review",
                                             message=f"awaiting review: {waiting}", data=result))
    return result

