"""Step render: every final (source + approved languages × profiles) and draft preview."""

from __future__ import annotations

import time
from dataclasses import asdict, replace
from pathlib import Path

from pipeline.core.i18n import t
from pipeline.core.storage import atomic_write_json, read_json, sha256_file
from pipeline.core.types import Alignment, Lesson
from pipeline.render.encode import RenderedFile, RenderJob, render
from pipeline.render.profiles import get_profile
from pipeline.review.gate import GateResult
from pipeline.steps.options import render_options, state_file
from pipeline.steps.plan import Job, LessonRun, Made, cached_step, need
from pipeline.steps.voice import dub_files
from pipeline.voice.outputs import AudioOutputOptions
from pipeline.voice.picture import hold_filter
from pipeline.voice.timemap import move_chapters
from pipeline.voice.types import DubResult

__all__ = ["lesson_titles", "render_jobs", "render_step"]


def render_jobs(run: LessonRun) -> list[Job]:
    """Finals for the source and approved languages; one draft preview per language still
    waiting for review that has draft subtitles."""
    lesson = need(run.ingested, "render", "ingest").lesson
    gate = need(run.gate, "render", "review")
    finals = [run.registry.source.code, *gate.approved]
    jobs = [Job(lang=code, profile=p) for code in finals for p in lesson.profiles]
    if run.settings.draft_previews:
        jobs += [Job(lang=code, profile=lesson.profiles[0], draft=True)
                 for code in gate.awaiting
                 if (run.out / "subtitles" / f"{code}-draft.ass").is_file()]
    return jobs


def lesson_titles(lesson: Lesson, gate: GateResult | None) -> dict[str, str]:
    """Title per target language: the reviewed and approved one, else the one the content
    team wrote in lesson.toml (a reviewed title wins: it is what the language's reviewers
    accepted). Languages with neither are absent (their videos show the Vietnamese title)."""
    return {**lesson.titles, **(gate.titles if gate else {})}


#: Job fields in the render's cache key only when set, so adding them re-rendered nothing.
_ONLY_WHEN_SET = ("hold", "light_audio", "fallback_font")


def _chapters(alignment: Alignment,
              headings: dict[str, str] | None = None) -> tuple[tuple[int, str], ...]:
    """(start ms, heading) of each chapter: its first spoken sentence; the heading in the
    language's approved words when ``headings`` (source heading -> approved) has it."""
    starts: dict[str, int] = {}
    for a in alignment.sentences:
        if a.status == "matched" and a.chapter and a.chapter not in starts:
            starts[a.chapter] = a.start_ms
    words = headings or {}
    return tuple((ms, words.get(heading) or heading) for heading, ms in starts.items())


def _job(run: LessonRun, job: Job) -> RenderJob:
    ingested = need(run.ingested, "render", "ingest")
    gate = need(run.gate, "render", "review")
    lang, profile, out = run.language(job.lang), get_profile(job.profile), run.out
    stem = f"{lang.code}-draft" if job.draft else lang.code
    ass = out / "subtitles" / f"{stem}.ass"
    has_subs = ass.is_file()
    folder = "video" if profile.has_video else "audio"
    suffix = "-draft" if job.draft else ""
    # Every language and profile of a lesson is checked at the same mid-cue moments.
    cues = need(run.source, "render", "subtitles").cues
    base = RenderJob(
        recording=ingested.lesson.recording, audio=need(run.audio, "render", "audio"),
        language=lang.code, font=lang.font, fallback_font=lang.fallback_font, profile=profile,
        dst=out / folder / f"{lang.code}-{profile.name}{suffix}.{profile.ext}",
        ass=ass if has_subs else None,
        srt=out / "subtitles" / f"{stem}.srt" if has_subs else None,
        title_vi=ingested.lesson.title,
        title_target=lesson_titles(ingested.lesson, gate).get(lang.code, ""),
        language_label="" if lang.source else f"{lang.name_native} · {lang.name_vi}",
        # Headings are drawn as the title is: approved words of the language, else Vietnamese.
        chapters=_chapters(need(run.alignment, "render", "align"),
                           gate.chapters.get(lang.code)),
        cue_times=tuple((c.start_ms + c.end_ms) / 2000 for c in cues) if has_subs else (),
        draft=job.draft)
    dubbed = None if job.draft else run.dubs.get(lang.code)
    return base if dubbed is None else _dubbed(base, dubbed, dub_files(out, lang.code),
                                               ingested.media.duration_ms)


def _dubbed(base: RenderJob, dubbed: DubResult, files: dict[str, Path],
            duration_ms: int) -> RenderJob:
    """The job of a dubbed language: the dub's normalised mix as its sound, its subtitles
    and chapter banners moved to dubbed time, the picture held where a voice needs it."""
    tmap = dubbed.plan.timemap
    return replace(
        base, audio=files["mix"],
        ass=files["ass"] if base.ass is not None and files["ass"].is_file() else base.ass,
        srt=files["srt"] if base.srt is not None and files["srt"].is_file() else base.srt,
        chapters=move_chapters(base.chapters, tmap),
        hold="" if not tmap.holds else hold_filter(tmap, duration_ms),
        light_audio=True)


def render_step(run: LessonRun, job: Job) -> RenderedFile:
    """Render one language in one profile (a watermarked preview when ``job.draft``)."""
    render_job, r_opts, out = _job(run, job), render_options(run.settings), run.out
    stage = f"render-{job.lang}-{job.profile}{'-draft' if job.draft else ''}"
    dst = render_job.dst

    def make() -> Made[RenderedFile]:
        started = time.monotonic()
        rendered = render(render_job, r_opts)
        atomic_write_json(state_file(out, stage), {
            "duration_ms": rendered.duration_ms, "codecs": list(rendered.codecs),
            "quality": rendered.quality,
            "companions": [{"path": str(c.path), "duration_ms": c.duration_ms,
                            "codecs": list(c.codecs)} for c in rendered.companions]})
        return Made(rendered, [dst, *(c.path for c in rendered.companions)],
                    _detail(rendered, time.monotonic() - started))

    def load() -> RenderedFile:
        record = read_json(state_file(out, stage))
        extra = tuple(RenderedFile(path=Path(c["path"]), language=job.lang, profile=job.profile,
                                   duration_ms=c["duration_ms"], codecs=tuple(c["codecs"]),
                                   draft=job.draft) for c in record.get("companions", []))
        return RenderedFile(path=dst, language=job.lang, profile=job.profile,
                            duration_ms=record["duration_ms"], codecs=tuple(record["codecs"]),
                            quality=record.get("quality", {}), draft=job.draft,
                            companions=extra)

    key = {"recording": need(run.ingested, stage, "ingest").lesson.hashes["recording"],
           "audio": sha256_file(render_job.audio),
           "ass": sha256_file(render_job.ass) if render_job.ass else "",
           "profile": asdict(render_job.profile), "opts": asdict(r_opts),
           # A dub's fields (and a fallback font) only when set: other renders keep their keys.
           "job": {k: str(v) for k, v in asdict(render_job).items()
                   if k not in ("audio", "dst") and (v or k not in _ONLY_WHEN_SET)}}
    if render_job.light_audio:  # a dubbed language's audio-only settings
        key["light_audio"] = asdict(AudioOutputOptions())
    return cached_step(run, stage, key, dst, load, make)


def _detail(rendered: RenderedFile, seconds: float) -> str:
    size = rendered.path.stat().st_size
    q = rendered.quality
    gates = ""
    if q and q.get("ssim") is not None:
        gates = t("step.gates", ssim=q["ssim"])
        if q.get("ocr_diacritics") is not None:
            gates += t("step.gates_ocr", ocr=q["ocr_diacritics"])
    return t("step.rendered", path=rendered.path, kb=size / 1024, seconds=seconds,
             kb_min=size / 1024 / max(rendered.duration_ms / 60000, 1e-9), gates=gates)
