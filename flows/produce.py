"""``produce_lesson``: ingest → transcribe → align → subtitles → translate → render → manifest.

Each task calls one ``pipeline.steps`` step. Stages cache themselves on content hashes, so
Prefect's own result caching is off; retries apply to transient errors, never to bad input.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NONE
from prefect.states import Completed

from pipeline.core.config import Settings
from pipeline.core.errors import CaunoiError
from pipeline.core.languages import Language
from pipeline.core.types import Alignment, Ingested, Transcript
from pipeline.render.encode import RenderedFile
from pipeline.steps import (
    GateResult,
    ProduceOptions,
    ProduceResult,
    draft_languages,
    finish,
    step_align,
    step_audio,
    step_ingest,
    step_manifest,
    step_render,
    step_review_gate,
    step_subtitles,
    step_transcribe,
    step_translate,
)

__all__ = ["produce_lesson"]


def _report(stage: str, skipped: bool, detail: str) -> None:
    get_run_logger().info("%s: %s%s", stage, "bỏ qua (không đổi) " if skipped else "", detail)


def _transient(task: Any, task_run: Any, state: Any) -> bool:
    """Retry only errors that are not the user's input (those will fail again)."""
    try:
        state.result()
    except CaunoiError as e:
        return e.exit_code not in (2, 3, 4)
    except Exception:
        return True
    return False


_TASK: dict[str, Any] = {"cache_policy": NONE, "persist_result": False,
                         "retry_condition_fn": _transient}


@task(name="ingest", **_TASK)
def ingest_task(lesson_dir: Path, opts: ProduceOptions) -> Ingested:
    return step_ingest(lesson_dir, opts, _report)


@task(name="audio", **_TASK)
def audio_task(ingested: Ingested, opts: ProduceOptions) -> Path:
    return step_audio(ingested, opts, _report)


@task(name="transcribe", retries=1, retry_delay_seconds=5, **_TASK)
def transcribe_task(ingested: Ingested, opts: ProduceOptions) -> Transcript | None:
    return step_transcribe(ingested, opts, _report)


@task(name="align", **_TASK)
def align_task(ingested: Ingested, transcript: Transcript | None,
               opts: ProduceOptions) -> Alignment:
    return step_align(ingested, transcript, opts, _report)


@task(name="subtitles", **_TASK)
def subtitles_task(ingested: Ingested, alignment: Alignment, lang: Language,
                   opts: ProduceOptions) -> list[Path]:
    return step_subtitles(ingested, alignment, lang, opts, _report)


@task(name="translate", **_TASK)
def translate_task(ingested: Ingested, lang: Language, opts: ProduceOptions) -> list[Path]:
    return step_translate(ingested, lang, opts, _report)


@task(name="review_gate", **_TASK)
def review_gate_task(ingested: Ingested, opts: ProduceOptions) -> GateResult:
    return step_review_gate(ingested, opts, _report)


@task(name="render", retries=2, retry_delay_seconds=[5, 30], **_TASK)
def render_task(ingested: Ingested, lang: Language, profile: str,
                opts: ProduceOptions, draft: bool = False) -> RenderedFile:
    return step_render(ingested, lang, profile, opts, _report, draft=draft)


@task(name="manifest", **_TASK)
def manifest_task(ingested: Ingested, subtitles: dict[str, list[Path]],
                  rendered: list[RenderedFile], opts: ProduceOptions, gate: GateResult) -> Path:
    return step_manifest(ingested, subtitles, rendered, opts, _report, gate)


@flow(name="produce_lesson", log_prints=False, validate_parameters=False)
def produce_lesson(lesson_dir: Path, settings: Settings,
                   languages: tuple[str, ...] | None = None,
                   profiles: tuple[str, ...] | None = None) -> ProduceResult:
    """Produce one lesson; the same steps as ``pipeline.steps.produce``."""
    opts = ProduceOptions.from_settings(settings, languages, profiles)
    ingested = ingest_task(lesson_dir, opts)
    audio_task(ingested, opts)
    transcript = transcribe_task(ingested, opts)
    alignment = align_task(ingested, transcript, opts)
    source = opts.registry.source
    subtitles = {source.code: subtitles_task(ingested, alignment, source, opts)}
    for code in ingested.lesson.languages[1:]:
        subtitles[code] = translate_task(ingested, opts.registry.get(code), opts)
    gate = review_gate_task(ingested, opts)
    futures = [render_task.submit(ingested, opts.registry.get(code), p, opts)
               for code in [source.code, *gate.approved] for p in ingested.lesson.profiles]
    futures += [render_task.submit(ingested, opts.registry.get(code),
                                   ingested.lesson.profiles[0], opts, draft=True)
                for code in draft_languages(ingested, gate, opts)]
    rendered = [f.result() for f in futures]
    subtitles = gate.merged(subtitles)
    manifest = manifest_task(ingested, subtitles, rendered, opts, gate)
    result = finish(ingested, manifest, subtitles, rendered, opts, gate)
    if result.pending_languages:
        # Embedded mode: the run ends here, in state "Awaiting review"; a later
        # `caunoi produce` continues from the review store for the languages approved by then.
        waiting = ", ".join(result.pending_languages)
        get_run_logger().info("chờ duyệt (awaiting review): %s", waiting)
        return Completed(name="Awaiting review", message=f"awaiting review: {waiting}",
                         data=result)  # type: ignore[return-value]
    return result
