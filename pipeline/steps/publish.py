"""Step manifest: every file the run produced, with its review state."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path
from typing import Any

from pipeline.core.config import Settings
from pipeline.core.errors import CaunoiError
from pipeline.core.i18n import t
from pipeline.publish.finals import (
    OUTDATED,
    Kept,
    final_basis,
    kept_finals,
    record_finals,
    set_aside_stale,
)
from pipeline.publish.manifest import ManifestEntry, review_state, write_manifest
from pipeline.render.encode import RenderedFile
from pipeline.render.profiles import PROFILES
from pipeline.steps.plan import Job, LessonRun, need
from pipeline.steps.voice import SUBTITLE_EXTS, dub_files
from pipeline.voice.outputs import AudioOutputOptions
from pipeline.voice.types import DubResult

__all__ = ["has_review_store", "interface_words", "manifest_step", "remove_withdrawn_finals",
           "subtitle_files"]

log = logging.getLogger("caunoi.publish")

_DATA_FILES = ("alignment.json", "alignment-report.md", "transcript.json")


def subtitle_files(run: LessonRun) -> dict[str, list[Path]]:
    """Subtitle and translation files per language: source, drafts, approved finals."""
    files = {run.registry.source.code: list(need(run.source, "manifest", "subtitles").files)}
    for code, result in run.translations.items():
        files[code] = list(result.files)
    gate = run.gate
    for code, paths in (gate.subtitles.items() if gate else ()):
        files[code] = [*files.get(code, []), *paths]
    return files


def remove_withdrawn_finals(out: Path, finals: set[str], languages: list[str]) -> list[Path]:
    """Delete the final videos/audio of languages that are no longer approved (a script
    edit withdrew their approval), and their outdated copies: a stale final must not be
    shown or published as the language's video. Drafts and finals of ``finals`` stay."""
    stems = {f"{code}-{name}" for code in languages if code not in finals for name in PROFILES}
    removed = []
    for folder in ("video", "audio", f"{OUTDATED}/video", f"{OUTDATED}/audio"):
        for p in sorted((out / folder).glob("*")) if (out / folder).is_dir() else ():
            if p.is_file() and p.name.split(".", 1)[0] in stems:
                p.unlink()
                removed.append(p)
    return removed


def voices_of(dubbed: DubResult) -> tuple[dict[str, Any], ...]:
    """A dub's voices for the manifest: each speaker (with its source and consent) and the
    sentences they spoke."""
    voices: dict[tuple[str, str, bool], list[int]] = {}
    consents = dubbed.consents or (False,) * len(dubbed.speakers)
    for p, speaker, source, consent in zip(dubbed.plan.sentences, dubbed.speakers,
                                           dubbed.sources, consents, strict=False):
        voices.setdefault((speaker, source, consent), []).append(p.number)
    return tuple({"speaker": speaker, "source": source, "consent": consent,
                  "sentences": numbers} for (speaker, source, consent), numbers in voices.items())


def audio_encoding(r: RenderedFile, dubbed: bool) -> str:
    """The audio profile's files, in words: the audio-only dub's lighter settings or the
    profile's own."""
    if r.profile != "audio":
        return ""
    light = AudioOutputOptions()
    if r.path.suffix == ".mp3":
        return (f"MP3 {light.mp3_kbps} kb/s ABR {light.mp3_rate // 1000} kHz mono (audio-only "
                "dub)" if dubbed else "MP3 32 kb/s 22.05 kHz mono")
    return (f"Opus {light.opus_kbps} kb/s voip mono (audio-only dub)" if dubbed
            else "Opus 16 kb/s voip mono")


def manifest_step(run: LessonRun, job: Job) -> Path:
    ingested = need(run.ingested, "manifest", "ingest")
    out, source = run.out, run.registry.source.code
    approved = run.gate.approved if run.gate else {}
    bases = {code: final_basis(ingested.lesson, basis)
             for code, basis in (run.gate.bases if run.gate else {}).items()}
    # A run of some languages only (--languages) decided the approval of those only: the
    # finals of every other language are not this run's to remove (those it listed before
    # are listed again while still valid: pipeline.publish.finals).
    judged = list(ingested.lesson.languages) if run.opts.languages else list(
        run.registry.languages)
    remove_withdrawn_finals(out, {source, *approved}, judged)
    kept = kept_finals(out, bases, ingested.lesson.languages) if run.opts.languages else Kept()
    entries = [ManifestEntry(path=out / name, kind="data") for name in _DATA_FILES
               if (out / name).is_file()]
    for code, paths in subtitle_files(run).items():
        for p in paths:
            state, by = review_state(code, p, source, approved)
            entries.append(ManifestEntry(
                path=p, kind="subtitle" if p.suffix in (".srt", ".vtt", ".ass") else "data",
                language=code, review_state=state, approver=by))
    dubs = run.dubs
    for code in dubs:
        files = dub_files(out, code)
        entries += [ManifestEntry(path=files[k], kind="data", language=code,
                                  review_state="approved", approver=approved.get(code, ""))
                    for k in ("json", *SUBTITLE_EXTS) if files[k].is_file()]
    for r in run.rendered:
        state, by = ("draft", "") if r.draft else review_state(r.language, r.path, source,
                                                               approved)
        dubbed = None if r.draft else dubs.get(r.language)
        entries.append(ManifestEntry(
            path=r.path, kind="video" if r.path.parent.name == "video" else "audio",
            language=r.language, profile=r.profile, codecs=r.codecs, duration_ms=r.duration_ms,
            review_state=state, approver=by, quality=r.quality,
            audio_lang=r.language if dubbed else source,
            voices=voices_of(dubbed) if dubbed else (),
            audio_encoding=audio_encoding(r, dubbed is not None)))
    titles = {**dict(kept.titles), **(run.gate.titles if run.gate else {})}
    entries += kept.entries
    others = [c for c in run.registry.languages if c != source
              and c not in ingested.lesson.languages] if run.opts.languages else []
    moved = set_aside_stale(out, [e for e in entries if e.kind in ("video", "audio")], others,
                            PROFILES)
    record_finals(out, entries, bases, titles)
    lesson = replace(ingested.lesson, languages=(*ingested.lesson.languages, *(
        c for c in kept.languages if c not in ingested.lesson.languages)))
    path = write_manifest(out, lesson, entries, source=source,
                          title_card_s=run.settings.title_card_s, approved_titles=titles)
    run.report("manifest", False, t("steps.finals_outdated", path=path, folder=OUTDATED,
                                    files=", ".join(p.name for p in moved)) if moved
               else str(path))
    return path


#: The first bytes of every SQLite database file.
_SQLITE_HEADER = b"SQLite format 3\x00"


def has_review_store(settings: Settings) -> bool:
    """A review store to read: a database URL, or a SQLite file that is one (a bundle never
    creates a store, nor opens a file that is not a database)."""
    if settings.database_url:
        return True
    try:
        with (settings.out_dir / "review.sqlite3").open("rb") as f:
            return f.read(len(_SQLITE_HEADER)) == _SQLITE_HEADER
    except OSError:
        return False


def interface_words(settings: Settings, languages: Iterable[str]) -> dict[str, dict[str, str]]:
    """The bundle page's approved words per language (language -> key -> text) from the
    review store, for ``PublishOptions.interface``. None when there is no store, or when the
    store cannot be read (logged: the page then shows its icons, and the bundle is still
    made)."""
    if not has_review_store(settings):
        return {}
    from sqlalchemy.exc import SQLAlchemyError

    from pipeline.review.interface import approved_interface
    from pipeline.review.store import ReviewStore

    try:
        store = ReviewStore(settings.review_url)
        words = {code: approved_interface(store, code) for code in languages}
    except (SQLAlchemyError, CaunoiError) as e:
        log.warning("bundle words not read from the review store (icons instead): %s", e)
        return {}
    return {code: w for code, w in words.items() if w}
