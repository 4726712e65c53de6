"""Step review: drafts into the review store; which languages are approved."""

from __future__ import annotations

from pipeline.core.i18n import t
from pipeline.review.gate import GateResult, review_gate
from pipeline.review.store import ReviewStore
from pipeline.steps.plan import Job, LessonRun, need
from pipeline.translate.glossary import do_not_translate

__all__ = ["review_step"]


def review_step(run: LessonRun, job: Job) -> GateResult:
    """Load the drafts into the review store (human edits are kept) and say which target
    languages are approved. Nothing renders as final before its language is approved."""
    ingested = need(run.ingested, "review", "ingest")
    targets = run.targets()
    if not targets:
        return GateResult()
    source = need(run.source, "review", "subtitles")
    gate = review_gate(
        ReviewStore(run.settings.review_url), ingested.lesson.id, ingested.lesson.title,
        source.cues, {code: r.translation for code, r in run.translations.items()},
        targets, run.out / "subtitles", do_not_translate(run.settings.glossary_dir))
    run.report("review", False, t("step.review", approved=", ".join(gate.approved) or "-",
                                  waiting=", ".join(gate.awaiting) or "-"))
    return gate
