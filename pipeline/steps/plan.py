"""The step plan's machinery: a step, the run it fills, and the plain runner.

A :class:`Step` names one stage, lists its units of work (``jobs``: one, or one per language
or per language × profile), runs a unit (``run``: reads typed results of earlier steps from
the :class:`LessonRun`, returns a typed result, caches itself on its inputs' hashes and
reports one line) and stores the results back into the run (``store``). Runners differ
only in how they execute a step's jobs: :func:`execute_inline` here, Prefect tasks in
``flows/produce.py``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, TypeVar

from pipeline.core.config import Settings
from pipeline.core.errors import CaunoiError
from pipeline.core.i18n import t
from pipeline.core.languages import Language, Registry, load_registry
from pipeline.core.types import Alignment, Cue, Ingested, Transcript
from pipeline.render.encode import RenderedFile
from pipeline.review.gate import GateResult
from pipeline.translate.drafts import Translation

__all__ = [
    "Executor",
    "Job",
    "LessonRun",
    "ProduceOptions",
    "ProduceResult",
    "Reporter",
    "Step",
    "StepOrderError",
    "execute_inline",
    "need",
    "run_plan",
]

log = logging.getLogger("caunoi.steps")

R = TypeVar("R")
T = TypeVar("T")

#: Called with (stage, skipped, detail) after every unit of work; the CLI and flows print it.
Reporter = Callable[[str, bool, str], None]


def log_report(stage: str, skipped: bool, detail: str) -> None:
    log.info("%s: %s%s", stage, t("step.skipped_unchanged") + " " if skipped else "", detail)


class StepOrderError(CaunoiError):
    """A step ran before the step whose result it needs (a bug in a plan, not bad input)."""

    key = "errors.step_order"


@dataclass(frozen=True)
class ProduceOptions:
    settings: Settings
    # Target languages (None = the lesson's list).
    languages: tuple[str, ...] | None = None
    # Render profiles (None = the lesson's list, else settings.profiles).
    profiles: tuple[str, ...] | None = None
    # The run goes on to render (False: align/translate's prefix runs).
    renders: bool = True

    @property
    def registry(self) -> Registry:
        return load_registry(self.settings.glossary_dir)


@dataclass(frozen=True)
class Job:
    """One unit of a step's work: the whole lesson, a language, or a language × profile."""

    lang: str = ""
    profile: str = ""
    draft: bool = False

    @property
    def label(self) -> str:
        parts = [p for p in (self.lang, self.profile, "draft" if self.draft else "") if p]
        return "-".join(parts)


@dataclass(frozen=True)
class SubtitlesResult:
    cues: tuple[Cue, ...]
    files: tuple[Path, ...]


@dataclass(frozen=True)
class TranslateResult:
    translation: Translation
    files: tuple[Path, ...]


@dataclass
class LessonRun:
    """Everything one run of the plan knows, filled step by step with typed results."""

    lesson_dir: Path
    opts: ProduceOptions
    report: Reporter = log_report
    ingested: Ingested | None = None
    audio: Path | None = None
    transcript: Transcript | None = None
    alignment: Alignment | None = None
    # Source-language cues and subtitle files.
    source: SubtitlesResult | None = None
    translations: dict[str, TranslateResult] = field(default_factory=dict)
    gate: GateResult | None = None
    rendered: list[RenderedFile] = field(default_factory=list)
    manifest: Path | None = None

    @property
    def settings(self) -> Settings:
        return self.opts.settings

    @property
    def registry(self) -> Registry:
        return self.opts.registry

    @property
    def out(self) -> Path:
        """This lesson's output folder (known once ingest has run)."""
        return self.settings.lesson_out(need(self.ingested, "out", "ingest").lesson.id)

    def language(self, code: str) -> Language:
        return self.registry.get(code)

    def targets(self) -> list[Language]:
        """The lesson's target languages (every language but the source)."""
        lesson = need(self.ingested, "targets", "ingest").lesson
        source = self.registry.source.code
        return [self.language(c) for c in lesson.languages if c != source]


def need(value: T | None, step: str, needs: str) -> T:
    """``value``, or StepOrderError when the step that makes it has not run."""
    if value is None:
        raise StepOrderError(step=step, needs=needs)
    return value


def _one_job(run: LessonRun) -> list[Job]:
    return [Job()]


@dataclass(frozen=True)
class Step(Generic[R]):
    """One stage of the plan."""

    name: str
    # One unit of work: reads the run, returns a typed result.
    run: Callable[[LessonRun, Job], R]
    # Puts the results of every job (in job order) into the run.
    store: Callable[[LessonRun, list[R]], None]
    # The units of work (default: one for the whole lesson).
    jobs: Callable[[LessonRun], list[Job]] = _one_job
    # Jobs may run at the same time (languages × profiles).
    concurrent: bool = False
    # Retries on transient errors (never on bad input).
    retries: int = 0


#: Runs a step's jobs and returns their results in job order.
Executor = Callable[[Step[Any], LessonRun, list[Job]], list[Any]]


def execute_inline(step: Step[Any], run: LessonRun, jobs: list[Job]) -> list[Any]:
    return [step.run(run, job) for job in jobs]


def run_plan(run: LessonRun, plan: Sequence[Step[Any]], execute: Executor = execute_inline,
             until: str | None = None) -> LessonRun:
    """Run ``plan`` in order (up to and including step ``until``), filling ``run``."""
    for step in plan:
        step.store(run, execute(step, run, step.jobs(run)))
        if step.name == until:
            break
    return run


@dataclass
class ProduceResult:
    lesson_id: str
    out: Path
    manifest: Path
    files: list[Path] = field(default_factory=list)
    # Target languages still waiting for review, and those approved (rendered as final).
    pending_languages: list[str] = field(default_factory=list)
    approved_languages: list[str] = field(default_factory=list)

    @property
    def state(self) -> str:
        return "awaiting review" if self.pending_languages else "completed"
