"""The review gate: load a lesson's drafts into the review store and say which target
languages are approved. Nothing renders as final before its language is approved."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.core.languages import Language
from pipeline.core.types import Cue
from pipeline.review.store import ReviewStore
from pipeline.subtitles.formats import write_subtitles
from pipeline.subtitles.segment import fit_lines
from pipeline.translate.drafts import Translation
from pipeline.voice.types import Recording

__all__ = ["GateResult", "review_gate"]


@dataclass
class GateResult:
    # language -> approver
    approved: dict[str, str] = field(default_factory=dict)
    awaiting: list[str] = field(default_factory=list)
    # Final subtitles written for the approved languages.
    subtitles: dict[str, list[Path]] = field(default_factory=dict)
    # language -> its approved voice recordings, one per narration sentence in order, for the
    # approved languages whose every sentence has one (not stale): those get a dub.
    voices: dict[str, tuple[Recording, ...]] = field(default_factory=dict)
    # language -> its approved title (approved languages only).
    titles: dict[str, str] = field(default_factory=dict)
    # language -> {source heading -> approved heading} (approved languages only).
    chapters: dict[str, dict[str, str]] = field(default_factory=dict)


def review_gate(store: ReviewStore, lesson_id: str, title: str, cues: Sequence[Cue],
                translations: dict[str, Translation], targets: Sequence[Language],
                subtitles_dir: Path, protected: tuple[str, ...]) -> GateResult:
    """Sync cues and drafts into ``store`` by stable cue id (human edits are kept; a cue
    whose source changed goes back to review and withdraws its language's approval), then
    write the final subtitles of every language still approved from the reviewed text.

    Args:
        cues: the source-language cues of the lesson.
        translations: the machine/TM drafts per target language code.
        targets: the lesson's target languages.
        subtitles_dir: where approved subtitles are written.
        protected: do-not-translate names (never broken across lines).
    """
    store.sync_lesson(lesson_id, title, list(cues), {
        code: list(tr.cues) for code, tr in translations.items()})
    gate = GateResult()
    for lang in targets:
        approval = store.approval(lesson_id, lang.code)
        if approval is None:
            gate.awaiting.append(lang.code)
            _withdraw_finals(subtitles_dir, lang.code)
            continue
        gate.approved[lang.code] = approval.approved_by
        final = [Cue(v.idx, v.sentence, v.start_ms, v.end_ms, fit_lines(v.text, lang, protected),
                     v.key)
                 for v in store.cues(lesson_id, lang.code) if v.text]
        gate.subtitles[lang.code] = write_subtitles(final, lang, subtitles_dir)
        voices = _complete_voices(store, lesson_id, lang.code, cues)
        if voices:
            gate.voices[lang.code] = voices
    return gate


def _complete_voices(store: ReviewStore, lesson_id: str, lang: str,
                     cues: Sequence[Cue]) -> tuple[Recording, ...]:
    """The approved recordings of ``lang`` when every narration sentence has one (the store
    leaves out stale ones), else none. Stores without recordings give none."""
    approved = getattr(store, "approved_recordings", None)
    if approved is None:
        return ()
    recordings: list[Recording] = sorted(approved(lesson_id, lang), key=lambda r: r.number)
    numbers = [r.number for r in recordings]
    spoken = {c.sentence_index + 1 for c in cues if c.sentence_index >= 0}
    return tuple(recordings) if len(set(numbers)) == len(numbers) and spoken <= set(
        numbers) else ()


def _withdraw_finals(subtitles_dir: Path, code: str) -> None:
    """Remove the final subtitles of a language that is no longer approved, so nothing
    picks up text approved for an earlier source."""
    for ext in ("srt", "vtt", "ass"):
        (subtitles_dir / f"{code}.{ext}").unlink(missing_ok=True)
