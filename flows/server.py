"""Server mode flows: ``produce_lesson_reviewed`` (its runs suspend at the review gate and
resume when a reviewer approves a language: Prefect's suspend/resume with run input),
``render_approved`` (one approved language of a lesson) and ``publish_lesson``.

    caunoi flows server                        # PostgreSQL, Prefect server, pool, deployments
    caunoi worker                              # runs them (any number, any machine)
    caunoi flows run LESSON_DIR [--languages]  # starts a run; it suspends while reviews wait
    caunoi review serve                        # approving a language resumes the run

(``caunoi flows serve`` serves the produce deployment from one process, without a pool.)

Deployments take a lesson id: the worker stages the lesson in from the shared storage
(``Settings.storage_url``, see ``pipeline.core.shared``) and its outputs out, so workers never
need the web app's disk (``lesson_dir`` still runs a local folder, for the CLI).

A resumed run starts the flow again from the top; every stage is cached on its inputs, so
only what the new approval changed (the language's render) does any work.
"""

from __future__ import annotations

import errno
import json
import os
from dataclasses import replace
from pathlib import Path
from typing import Any
from uuid import UUID

from prefect import flow, get_run_logger
from prefect.client.schemas.objects import State
from prefect.context import FlowRunContext
from prefect.flow_runs import resume_flow_run, suspend_flow_run
from prefect.input import RunInput
from prefect.states import Failed

from flows.lease import mark_disk_full
from flows.produce import AFTER_STEP, produce_lesson
from pipeline.core.config import Settings, load_settings
from pipeline.core.errors import DiskFullError
from pipeline.core.shared import SharedStorage, Staged
from pipeline.core.storage import atomic_write_json
from pipeline.publish.paths import check_lesson_id
from pipeline.steps import ProduceResult

__all__ = ["DEPLOYMENT", "ReviewDone", "produce_lesson_reviewed", "publish_lesson",
           "render_approved", "resume_for_lesson"]

DEPLOYMENT = "produce_lesson_reviewed/produce"
#: The waiting run of a lesson, inside its output folder (read by the review app).
WAITING = ".state/flow-run.json"
#: Longest a run waits for reviewers before it fails (seconds).
REVIEW_TIMEOUT = 30 * 24 * 3600
# A run is never retried on the worker it failed on: ``flows.lease`` schedules runs lost to
# a dead worker, a full disk or an unreachable database or store again, for any worker.


class ReviewDone(RunInput):
    """What the review app sends when a language of the lesson is approved."""

    language: str


def _waiting_file(out_dir: Path, lesson_id: str) -> Path:
    return out_dir / lesson_id / WAITING


def _workspace(settings: Settings, lesson_id: str,
               lesson_dir: str) -> tuple[SharedStorage, Staged, Settings, Path]:
    """Where this run reads and writes: a lesson id is staged in from the shared storage
    (``storage_url``; the local ``lessons_dir`` when none); a folder is used as it is."""
    store = SharedStorage(settings)
    if store.remote and not settings.database_url:
        get_run_logger().warning("storage_url is set but database_url is not: the review "
                                 "store is a SQLite file on this worker, not shared")
    if lesson_id:
        staged = store.stage_in(check_lesson_id(lesson_id, "lesson_id"))
        src = staged.lesson_dir
    elif lesson_dir:
        staged, src = Staged(Path(lesson_dir), settings.out_dir), Path(lesson_dir)
    else:
        raise ValueError("produce needs lesson_id or lesson_dir")
    return store, staged, replace(settings, out_dir=staged.out_dir), src


def _summary(result: ProduceResult) -> dict[str, object]:
    return {"lesson": result.lesson_id, "approved": result.approved_languages,
            "pending": result.pending_languages, "manifest": str(result.manifest)}


@flow(name="produce_lesson_reviewed", persist_result=True, validate_parameters=True, retries=0)
def produce_lesson_reviewed(lesson_id: str = "", lesson_dir: str = "", out_dir: str = "",
                            languages: list[str] | None = None,
                            profiles: list[str] | None = None,
                            max_rounds: int = 50) -> dict[str, object] | State[Any]:
    """Produce a lesson (by id from the shared storage, or a local folder); while languages
    wait for review, suspend until one is approved. A full disk fails the run at once (no
    retry on this machine): ``flows.lease`` schedules it again, and this worker pauses."""
    settings = load_settings(out_dir=out_dir or None)
    try:
        return _produce_reviewed(settings, lesson_id, lesson_dir, languages, profiles,
                                 max_rounds)
    except Exception as e:
        full = _disk_full(e)
        if full is None:
            raise
        mark_disk_full(settings.work_dir, lesson_id, str(full))
        return Failed(message=f"DiskFullError: {full}")


def _disk_full(e: BaseException) -> DiskFullError | None:
    """The full-disk error behind ``e`` (raised here, or by a tool that ran out of space)."""
    if isinstance(e, DiskFullError):
        return e
    if isinstance(e, OSError) and e.errno in (errno.ENOSPC, errno.EDQUOT):
        return DiskFullError(path=e.filename or "?")
    if "No space left on device" in str(e):
        return DiskFullError(path=getattr(e, "filename", None) or "?")
    return None


def _checkpoint(store: SharedStorage, staged: Staged, lesson_id: str) -> Any:
    """After each step, the outputs so far go to the store (only what changed)."""
    def after(step: str) -> None:
        if step != "manifest":  # the manifest goes with the final stage-out
            store.stage_out(staged, lesson_id, final=False)
    return after


def _produce_reviewed(settings: Settings, lesson_id: str, lesson_dir: str,
                      languages: list[str] | None, profiles: list[str] | None,
                      max_rounds: int) -> dict[str, object]:
    store, staged, settings, src = _workspace(settings, lesson_id, lesson_dir)
    logger = get_run_logger()
    result = None
    for _ in range(max_rounds):
        token = AFTER_STEP.set(_checkpoint(store, staged, lesson_id) if lesson_id else None)
        try:
            result = produce_lesson(src, settings, tuple(languages) if languages else None,
                                    tuple(profiles) if profiles else None)
        finally:
            AFTER_STEP.reset(token)
        if not result.pending_languages:
            break
        ctx = FlowRunContext.get()
        run_id = str(ctx.flow_run.id) if ctx and ctx.flow_run else ""
        atomic_write_json(_waiting_file(settings.out_dir, result.lesson_id),
                          {"flow_run_id": run_id, "pending": result.pending_languages})
        store.stage_out(staged, result.lesson_id)  # drafts and the waiting run, for the app
        logger.info("suspending until a review is approved: %s",
                    ", ".join(result.pending_languages))
        key = "review-" + ",".join(sorted(result.approved_languages))
        done = suspend_flow_run(wait_for_input=ReviewDone, key=key, timeout=REVIEW_TIMEOUT)
        logger.info("resumed: %s approved", done.language if done else "?")
        if lesson_id:  # resumed, perhaps on another worker: fetch the lesson again
            store, staged, settings, src = _workspace(settings, lesson_id, "")
    assert result is not None
    _waiting_file(settings.out_dir, result.lesson_id).unlink(missing_ok=True)
    store.remove_output(result.lesson_id, WAITING)
    store.stage_out(staged, result.lesson_id)
    return _summary(result)


@flow(name="render_approved", persist_result=True, validate_parameters=True, retries=0)
def render_approved(language: str, lesson_id: str = "", lesson_dir: str = "",
                    out_dir: str = "", profiles: list[str] | None = None) -> dict[str, object]:
    """Render the finals of a newly approved language: the run covers every language of
    the lesson, so every other stage and every fresh final is skipped, and an approved
    language whose final went stale is rendered again rather than left out of the
    manifest."""
    store, staged, settings, src = _workspace(load_settings(out_dir=out_dir or None),
                                              lesson_id, lesson_dir)
    result = produce_lesson(src, settings, None, tuple(profiles) if profiles else None)
    store.stage_out(staged, result.lesson_id)
    return _summary(result)


@flow(name="publish_lesson", persist_result=True, validate_parameters=True)
def publish_lesson(lesson_id: str, target: str = "", out_dir: str = "",
                   languages: list[str] | None = None, hls: bool = False) -> dict[str, object]:
    """Publish a lesson's approved finals to a folder or fsspec URL (S3, ...)."""
    from pipeline.publish.targets import publish
    from pipeline.steps.options import publish_options

    store, _, settings, _ = _workspace(load_settings(out_dir=out_dir or None), lesson_id, "")
    # Default target: beside the outputs (the shared storage's when there is one).
    dst = target or (f"{store.url}/published" if store.remote
                     else str(settings.out_dir / "published"))
    opts = publish_options(settings, dst, languages=tuple(languages or ()), hls=hls)
    result = publish(settings.lesson_out(lesson_id), dst, opts)
    return {"lesson": lesson_id, "target": dst, "files": len(result.files),
            "skipped": len(result.skipped)}


def resume_for_lesson(where: Path | Settings, lesson_id: str, language: str) -> bool:
    """Resume the suspended run of a lesson, if one waits (called when a language is
    approved). ``where``: the output folder, or the settings (then the shared storage is
    read). Returns whether a run was resumed."""
    if not os.environ.get("PREFECT_API_URL"):
        return False
    if isinstance(where, Settings):
        raw = SharedStorage(where).read_output(lesson_id, WAITING)
    else:
        path = _waiting_file(where, lesson_id)
        raw = path.read_bytes() if path.is_file() else None
    if raw is None:
        return False
    run_id = json.loads(raw).get("flow_run_id")
    if not run_id:
        return False
    resume_flow_run(UUID(run_id), run_input=ReviewDone(language=language).model_dump())
    return True
