"""The one step plan: every runner (``caunoi produce --no-prefect``, the embedded Prefect
flow, the server deployment, ``caunoi align``/``translate``) iterates :data:`PLAN`.

    ingest → audio → transcribe → align → subtitles → translate (per language) →
    review → dub (per language with approved voices) →
    render (per language × profile, concurrent) → manifest

Each step reads the typed results of earlier steps from a :class:`LessonRun`, returns a
typed result, skips itself when its inputs' hashes did not change, and reports one line.
Files are written for people and for resuming, never read back between steps of a run.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pipeline.steps.plan import (
    Executor,
    Job,
    LessonRun,
    Made,
    ProduceOptions,
    ProduceResult,
    Reporter,
    Step,
    StepOrderError,
    cached_step,
    execute_inline,
    log_report,
    need,
    run_plan,
)
from pipeline.steps.publish import manifest_step, subtitle_files
from pipeline.steps.render import render_jobs, render_step
from pipeline.steps.review import review_step
from pipeline.steps.speech import (
    align_step,
    audio_step,
    ingest_step,
    subtitles_step,
    transcribe_step,
)
from pipeline.steps.translate import translate_jobs, translate_step
from pipeline.steps.voice import dub_jobs, dub_step

__all__ = [
    "PLAN",
    "Executor",
    "Job",
    "LessonRun",
    "Made",
    "ProduceOptions",
    "ProduceResult",
    "Reporter",
    "Step",
    "StepOrderError",
    "cached_step",
    "execute_inline",
    "produce",
    "result_of",
    "run_plan",
]


#: The stages in data-flow order (DESIGN.md). A new stage is a new Step here (its results
#: are kept under its name: ``run.get(name, Type)``); a cached one calls ``cached_step``.
PLAN: tuple[Step[Any], ...] = (
    Step("ingest", ingest_step),
    Step("audio", audio_step),
    Step("transcribe", transcribe_step, retries=1),
    Step("align", align_step),
    Step("subtitles", subtitles_step),
    Step("translate", translate_step, jobs=translate_jobs),
    Step("review", review_step),
    Step("dub", dub_step, jobs=dub_jobs, concurrent=True),
    Step("render", render_step, jobs=render_jobs, concurrent=True, retries=2),
    Step("manifest", manifest_step),
)


def result_of(run: LessonRun) -> ProduceResult:
    """What a finished run produced, and which languages still wait for review."""
    ingested = need(run.ingested, "result", "ingest")
    gate = need(run.gate, "result", "review")
    return ProduceResult(
        lesson_id=ingested.lesson.id, out=run.out,
        manifest=need(run.manifest, "result", "manifest"),
        files=[p for paths in subtitle_files(run).values() for p in paths]
        + [r.path for r in run.rendered],
        pending_languages=list(gate.awaiting), approved_languages=list(gate.approved))


def produce(lesson_dir: Path, opts: ProduceOptions, report: Reporter = log_report,
            execute: Executor = execute_inline,
            plan: Sequence[Step[Any]] = PLAN) -> ProduceResult:
    """Run the whole plan on one lesson (no Prefect unless ``execute`` brings it)."""
    run = run_plan(LessonRun(lesson_dir, opts, report), plan, execute)
    return result_of(run)
