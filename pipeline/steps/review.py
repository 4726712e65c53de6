"""Step review: drafts into the review store; which languages are approved."""

from __future__ import annotations

from pipeline.core.i18n import t
from pipeline.publish.finals import ledger_languages
from pipeline.publish.interface import INTERFACE_LESSON_ID, interface_source
from pipeline.review.gate import GateResult, review_gate
from pipeline.review.interface import sync_interface
from pipeline.review.store import ReviewStore
from pipeline.review.sync import ReservedLessonError
from pipeline.steps.plan import Job, LessonRun, need
from pipeline.translate.glossary import do_not_translate

__all__ = ["review_step"]


def review_step(run: LessonRun, job: Job) -> GateResult:
    """Load the drafts, the lesson's title and chapter headings into the review store
    (human edits are kept) and say which target languages are approved. Nothing renders as
    final before its language is approved. The offline bundle's interface words are kept
    in the store too, for the translators of the lesson's languages.

    Raises:
        ReservedLessonError: the lesson uses the id reserved for the interface words.
    """
    ingested = need(run.ingested, "review", "ingest")
    lesson = ingested.lesson
    if lesson.id == INTERFACE_LESSON_ID:
        raise ReservedLessonError(lesson=lesson.id)
    targets = run.targets()
    # A run of some languages (--languages): the others whose finals the manifest lists
    # are listed again while their approval stands (pipeline.publish.finals).
    also = [c for c in ledger_languages(run.out) if c not in lesson.languages
            ] if run.opts.languages else []
    if not targets and not also:
        return GateResult()
    source = need(run.source, "review", "subtitles")
    store = ReviewStore(run.settings.review_url)
    gate = review_gate(
        store, lesson.id, lesson.title, source.cues,
        {code: r.translation for code, r in run.translations.items()},
        targets, run.out / "subtitles", do_not_translate(run.settings.glossary_dir),
        chapters=lesson.chapters, titles=lesson.titles, also=also)
    sync_interface(store, interface_source(), [lang.code for lang in targets],
                   INTERFACE_LESSON_ID)
    run.report("review", False, t("step.review", approved=", ".join(gate.approved) or "-",
                                  waiting=", ".join(gate.awaiting) or "-"))
    return gate
