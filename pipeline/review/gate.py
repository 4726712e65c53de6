"""The review gate: load a lesson's drafts into the review store and say which target
languages are approved. Nothing renders as final before its language is approved."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.core.languages import Language
from pipeline.core.types import Cue
from pipeline.review.store import ReviewStore
from pipeline.review.units import TITLE_KEY, UnitSync, chapter_key, lesson_units
from pipeline.subtitles.formats import write_subtitles
from pipeline.subtitles.segment import fit_lines
from pipeline.translate.drafts import Translation
from pipeline.voice.types import Recording

__all__ = ["GateResult", "approval_basis", "review_gate"]


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
    # language -> the approved lesson title, for the approved languages.
    titles: dict[str, str] = field(default_factory=dict)
    # language -> {Vietnamese chapter heading -> approved heading}, approved languages.
    chapters: dict[str, dict[str, str]] = field(default_factory=dict)
    # language -> what its finals are made from in the store (:func:`approval_basis`), for
    # the approved languages and the ``also`` languages of :func:`review_gate` approved now.
    bases: dict[str, str] = field(default_factory=dict)


def review_gate(store: ReviewStore, lesson_id: str, title: str, cues: Sequence[Cue],
                translations: dict[str, Translation], targets: Sequence[Language],
                subtitles_dir: Path, protected: tuple[str, ...], chapters: Sequence[str] = (),
                titles: Mapping[str, str] | None = None,
                also: Sequence[str] = ()) -> GateResult:
    """Sync cues and drafts into ``store`` by stable cue id (human edits are kept; a cue
    whose source changed goes back to review and withdraws its language's approval), and
    the lesson's title and chapter headings as units reviewed like cues; then write the
    final subtitles of every language still approved from the reviewed text, and give its
    approved title and headings.

    Args:
        cues: the source-language cues of the lesson.
        translations: the machine/TM drafts per target language code.
        targets: the lesson's target languages.
        subtitles_dir: where approved subtitles are written.
        protected: do-not-translate names (never broken across lines).
        chapters: the lesson's chapter headings (``Lesson.chapters``).
        titles: the content team's titles per language code (drafts, not approved).
        also: languages outside this run (``--languages``) whose finals are on disk: only
            their approval basis is read (``bases``; absent when not approved now).
    """
    store.sync_lesson(lesson_id, title, list(cues), {
        code: list(tr.cues) for code, tr in translations.items()})
    UnitSync(store.cue_sync).sync_units(
        lesson_id, lesson_units(title, chapters), [lang.code for lang in targets],
        ("title", "chapter"), {code: {TITLE_KEY: text} for code, text in (titles or {}).items()
                               if text.strip()})
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
        units = {u.key: u.text for u in store.units(lesson_id, lang.code)}
        gate.titles[lang.code] = units[TITLE_KEY]
        # Keyed by the headings as the lesson gives them (the units hold them normalised).
        gate.chapters[lang.code] = {h: units[chapter_key(h)] for h in chapters if h.strip()}
    for code in [*gate.approved, *(c for c in also if c not in gate.approved)]:
        basis = approval_basis(store, lesson_id, code, cues)
        if basis:
            gate.bases[code] = basis
    return gate


def approval_basis(store: ReviewStore, lesson_id: str, lang: str,
                   cues: Sequence[Cue] | None = None) -> str:
    """What a language's finals are made from in the store, as one string: its standing
    approval (which, by whom, when: an edit withdraws it and a new approval is another)
    and its approved voice recordings. "" when the language is not approved now.
    ``cues``: the lesson's source cues (None: the store's, as the last run synced them)."""
    approval = store.approval(lesson_id, lang)
    if approval is None:
        return ""
    if cues is None:
        cues = [Cue(v.idx, v.sentence, v.start_ms, v.end_ms, (v.source,), v.key)
                for v in store.cues(lesson_id, lang)]
    voices = ";".join(f"{r.number}:{r.sha256}" for r in _complete_voices(store, lesson_id,
                                                                          lang, cues))
    return f"{approval.id}|{approval.approved_by}|{approval.approved_at.isoformat()}|{voices}"


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
