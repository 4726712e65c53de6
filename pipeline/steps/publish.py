"""Step manifest: every file the run produced, with its review state."""

from __future__ import annotations

from pathlib import Path

from pipeline.publish.manifest import ManifestEntry, review_state, write_manifest
from pipeline.render.profiles import PROFILES
from pipeline.steps.plan import Job, LessonRun, need

__all__ = ["manifest_step", "remove_withdrawn_finals", "subtitle_files"]

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
    edit withdrew their approval): a stale final must not be shown or published as the
    language's video. Drafts and finals of ``finals`` stay."""
    stems = {f"{code}-{name}" for code in languages if code not in finals for name in PROFILES}
    removed = []
    for folder in ("video", "audio"):
        for p in sorted((out / folder).glob("*")) if (out / folder).is_dir() else ():
            if p.is_file() and p.name.split(".", 1)[0] in stems:
                p.unlink()
                removed.append(p)
    return removed


def manifest_step(run: LessonRun, job: Job) -> Path:
    ingested = need(run.ingested, "manifest", "ingest")
    out, source = run.out, run.registry.source.code
    approved = run.gate.approved if run.gate else {}
    remove_withdrawn_finals(out, {source, *approved}, list(run.registry.languages))
    entries = [ManifestEntry(path=out / name, kind="data") for name in _DATA_FILES
               if (out / name).is_file()]
    for code, paths in subtitle_files(run).items():
        for p in paths:
            state, by = review_state(code, p, source, approved)
            entries.append(ManifestEntry(
                path=p, kind="subtitle" if p.suffix in (".srt", ".vtt", ".ass") else "data",
                language=code, review_state=state, approver=by))
    for r in run.rendered:
        state, by = ("draft", "") if r.draft else review_state(r.language, r.path, source,
                                                               approved)
        entries.append(ManifestEntry(
            path=r.path, kind="video" if r.path.parent.name == "video" else "audio",
            language=r.language, profile=r.profile, codecs=r.codecs, duration_ms=r.duration_ms,
            review_state=state, approver=by, quality=r.quality))
    path = write_manifest(out, ingested.lesson, entries, source=source,
                          title_card_s=run.settings.title_card_s)
    run.report("manifest", False, str(path))
    return path
