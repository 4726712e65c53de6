"""Step dub: each approved language whose every narration sentence has an approved voice
gets its dubbed sound track (``voice/<lang>.dub.wav`` + ``.dub.json``), the same mix
loudness-normalised as the finals' narration is (``voice/<lang>.mix.wav``, what render
uses) and its subtitles moved to dubbed time (``voice/<lang>.srt|vtt|ass``).

Cached on the dub's key (the recordings' hashes, the slots, the original track, the
options) and the approved subtitles: a language whose inputs did not change is skipped.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path

import pysubs2

from pipeline.core.storage import atomic_path, atomic_write_json, read_json, sha256_file
from pipeline.render.audio import normalise_audio
from pipeline.steps.options import dub_options, render_options
from pipeline.steps.plan import Job, LessonRun, Made, cached_step, need
from pipeline.voice.dub import dub, dub_key
from pipeline.voice.plan import sentence_slots
from pipeline.voice.timemap import TimeMap, move_spans
from pipeline.voice.types import DubResult, Recording

__all__ = ["dub_files", "dub_jobs", "dub_step", "publishable"]

log = logging.getLogger("caunoi.steps")

#: Subtitle formats moved to dubbed time (as the review gate writes them).
SUBTITLE_EXTS = ("srt", "vtt", "ass")


def publishable(recordings: tuple[Recording, ...], lang: str,
                allow_synthetic: tuple[str, ...]) -> bool:
    """A set of voices may be published: every one a person's, or the admin allowed
    synthetic voices for ``lang``."""
    return bool(recordings) and (lang in allow_synthetic
                                 or not any(r.synthetic for r in recordings))


def dub_jobs(run: LessonRun) -> list[Job]:
    """One job per approved language with a complete, publishable set of voices."""
    gate = need(run.gate, "dub", "review")
    jobs = []
    for code, recordings in gate.voices.items():
        if code not in gate.approved:
            continue
        if not publishable(recordings, code, run.settings.voice_allow_synthetic):
            log.warning("dub %s: synthetic voices are not allowed for this language; its "
                        "outputs keep the Vietnamese sound", code)
            continue
        jobs.append(Job(lang=code))
    return jobs


def dub_files(out: Path, lang: str) -> dict[str, Path]:
    """Where the dub step writes a language's files."""
    folder = out / "voice"
    files = {"wav": folder / f"{lang}.dub.wav", "json": folder / f"{lang}.dub.json",
             "mix": folder / f"{lang}.mix.wav"}
    return files | {ext: folder / f"{lang}.{ext}" for ext in SUBTITLE_EXTS}


@dataclass(frozen=True)
class _Span:
    start_ms: int
    end_ms: int


def move_subtitles(src: Path, dst: Path, tmap: TimeMap) -> Path:
    """``src`` (SRT, WebVTT or ASS) with every event moved to dubbed time."""
    subs = pysubs2.load(str(src), encoding="utf-8")
    moved = move_spans([_Span(e.start, e.end) for e in subs.events], tmap)
    for event, span in zip(subs.events, moved, strict=True):
        event.start, event.end = span.start_ms, span.end_ms
    with atomic_path(dst) as part:
        subs.save(str(part), format_=src.suffix.lstrip("."), encoding="utf-8")
    return dst


def dub_step(run: LessonRun, job: Job) -> DubResult:
    """Dub one language: mix, normalise, move its subtitles."""
    ingested = need(run.ingested, "dub", "ingest")
    gate = need(run.gate, "dub", "review")
    lesson, out = ingested.lesson, run.out
    recordings = gate.voices[job.lang]
    slots = sentence_slots(need(run.alignment, "dub", "align"), lesson.sentences,
                           ingested.media.duration_ms)
    opts, r_opts = dub_options(run.settings), render_options(run.settings)
    files = dub_files(out, job.lang)
    subtitles = {ext: out / "subtitles" / f"{job.lang}.{ext}" for ext in SUBTITLE_EXTS}
    key = {"dub": dub_key(slots, recordings, lesson.hashes["recording"], opts),
           "consent": [r.speaker_consent for r in recordings],
           "speakers": [r.credit for r in recordings],
           "loudness": [r_opts.loudness, r_opts.true_peak],
           "subtitles": {ext: sha256_file(p) for ext, p in subtitles.items() if p.is_file()}}

    def make() -> Made[DubResult]:
        started = time.monotonic()
        files["wav"].parent.mkdir(parents=True, exist_ok=True)
        result = dub(slots, recordings, lesson.recording, files["wav"], opts,
                     files_root=out / "voice")
        normalise_audio(files["wav"], files["mix"], r_opts.loudness, r_opts.true_peak,
                        r_opts.ffmpeg)
        moved = [move_subtitles(p, files[ext], result.plan.timemap)
                 for ext, p in subtitles.items() if p.is_file()]
        atomic_write_json(files["json"], result.to_json())
        held = result.plan.timemap.total_hold_ms
        return Made(result, [files["wav"], files["mix"], files["json"], *moved],
                    f"{files['wav']} ({len(recordings)} voices, {held} ms held, "
                    f"{time.monotonic() - started:.1f} s)")

    return cached_step(run, f"dub-{job.lang}", key, files["wav"],
                       lambda: DubResult.from_json(read_json(files["json"])), make)
