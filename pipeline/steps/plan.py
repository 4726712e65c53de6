"""The step plan's machinery: a step, the run it fills, and the plain runner.

A :class:`Step` names one stage, lists its units of work (``jobs``: one, or one per language
or per language × profile), runs a unit (``run``: reads typed results of earlier steps from
the :class:`LessonRun`, returns a typed result, caches itself on its inputs' hashes through
:func:`cached_step` and reports one line); the run keeps every step's results under the
step's name. Runners differ only in how they execute a step's jobs: :func:`execute_inline`
here, Prefect tasks in ``flows/produce.py``.

A new cached step is one function and one line in ``PLAN``::

    def words_step(run: LessonRun, job: Job) -> int:
        ingested = need(run.ingested, "words", "ingest")
        path = run.out / "words.json"

        def make() -> Made[int]:
            n = sum(len(s.text.split()) for s in ingested.lesson.sentences)
            atomic_write_json(path, n)
            return Made(n, [path], f"{n} words")

        return cached_step(run, "words", {"script": ingested.lesson.hashes["script.md"]}, path,
                           lambda: int(path.read_text()), make)

    Step("words", words_step),            # in PLAN; later steps read run.get("words", int)
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, TypeVar, cast

from pipeline.core.cache import StageCache, make_key
from pipeline.core.config import Settings
from pipeline.core.errors import CaunoiError
from pipeline.core.i18n import t
from pipeline.core.languages import Language, Registry, load_registry
from pipeline.core.types import Alignment, Cue, Ingested, Transcript
from pipeline.render.encode import RenderedFile
from pipeline.review.gate import GateResult
from pipeline.translate.drafts import Translation
from pipeline.voice.types import DubResult

__all__ = [
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
    # Align again with the aligner ``auto`` chooses now, even when the script and recording
    # did not change (by default their alignment is kept when only the installed models
    # changed); every approved language of the run is then rendered again.
    realign: bool = False

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
    # Every finished step's results (one per job, in job order), by step name.
    results: dict[str, list[Any]] = field(default_factory=dict)

    def get(self, step: str, kind: type[T]) -> T | None:
        """The result of the one-job step ``step`` (None before it ran, or when the step
        gave None)."""
        found = self.results.get(step)
        return _checked(step, found[0], kind) if found else None

    def all(self, step: str, kind: type[T]) -> list[T]:
        """The results of every job of ``step``, in job order (empty before it ran)."""
        return [cast(T, _checked(step, r, kind)) for r in self.results.get(step, [])]

    # Typed views of the plan's steps, for the steps and runners that read them.
    @property
    def ingested(self) -> Ingested | None:
        return self.get("ingest", Ingested)

    @property
    def audio(self) -> Path | None:
        return self.get("audio", Path)

    @property
    def transcript(self) -> Transcript | None:
        return self.get("transcribe", Transcript)

    @property
    def alignment(self) -> Alignment | None:
        return self.get("align", Alignment)

    @property
    def source(self) -> SubtitlesResult | None:
        """Source-language cues and subtitle files."""
        return self.get("subtitles", SubtitlesResult)

    @property
    def translations(self) -> dict[str, TranslateResult]:
        return {r.translation.lang: r for r in self.all("translate", TranslateResult)}

    @property
    def gate(self) -> GateResult | None:
        return self.get("review", GateResult)

    @property
    def dubs(self) -> dict[str, DubResult]:
        """Each dubbed language's dub (languages without one keep the Vietnamese sound)."""
        return {d.language: d for d in self.all("dub", DubResult)}

    @property
    def rendered(self) -> list[RenderedFile]:
        # A profile may give more than one file (the audio profile's MP3 beside its Opus).
        return [f for main in self.all("render", RenderedFile)
                for f in (main, *main.companions)]

    @property
    def manifest(self) -> Path | None:
        return self.get("manifest", Path)

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


def _checked(step: str, value: object, kind: type[T]) -> T | None:
    """``value`` if it is a ``kind`` (or None); a reader asking for the wrong type is a bug."""
    if value is None or isinstance(value, kind):
        return value
    raise TypeError(f"step {step!r} gave {type(value).__name__}, not {kind.__name__}")


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
    # The units of work (default: one for the whole lesson).
    jobs: Callable[[LessonRun], list[Job]] = _one_job
    # Jobs may run at the same time (languages × profiles).
    concurrent: bool = False
    # Retries on transient errors (never on bad input).
    retries: int = 0

    def store(self, run: LessonRun, results: list[R]) -> None:
        """Keep the results of every job (in job order) in the run, under the step's name."""
        run.results[self.name] = list(results)


@dataclass(frozen=True)
class Made(Generic[R]):
    """What a cached step's work gave: its result, every file it wrote (recorded with their
    sha256, checked before the next run skips) and its report line."""

    result: R
    files: list[Path]
    detail: str


def cached_step(run: LessonRun, stage: str, key: Mapping[str, Any], shown: Path,
                load: Callable[[], R], make: Callable[[], Made[R]]) -> R:
    """One unit of cached work: skipped when nothing it reads changed, else done and recorded.

    Args:
        stage: the stage record's name (``.state/<stage>.json``) and the report's label.
        key: everything the work reads (JSON-serialisable), hashed with ``stage``.
        shown: what the "skipped" report line names (the main output).
        load: the result, read back from the files of the run that made them.
        make: does the work, writes its files (atomically) and says what it did.
    """
    cache, digest = StageCache(run.out), make_key(stage, **key)
    if cache.is_fresh(stage, digest):
        run.report(stage, True, str(shown))
        return load()
    made = make()
    cache.record(stage, digest, made.files)
    run.report(stage, False, made.detail)
    return made.result


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
