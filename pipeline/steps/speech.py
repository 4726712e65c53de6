"""Steps ingest → audio → transcribe → align → subtitles (source language)."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

from pipeline.core.cache import StageCache, make_key
from pipeline.core.errors import ModelMissingError
from pipeline.core.i18n import t
from pipeline.core.limits import Limits
from pipeline.core.storage import atomic_write_json, atomic_write_text
from pipeline.core.types import Alignment, Cue, Ingested, Transcript
from pipeline.ingest import IngestOptions, ingest
from pipeline.render.encode import normalise_audio
from pipeline.speech.align import AlignOptions, align, choose_aligner
from pipeline.speech.align.report import deviation_report
from pipeline.speech.segment import SegmentOptions, segment
from pipeline.speech.subtitles import write_subtitles
from pipeline.steps.options import render_options, transcribe_options
from pipeline.steps.plan import Job, LessonRun, SubtitlesResult, need
from pipeline.translate.glossary import do_not_translate

__all__ = ["align_step", "audio_step", "ingest_step", "subtitles_step", "transcribe_step"]


def ingest_step(run: LessonRun, job: Job) -> Ingested:
    s = run.settings
    result = ingest(run.lesson_dir, run.registry, IngestOptions(
        out_dir=s.out_dir, languages=run.opts.languages, profiles=run.opts.profiles,
        default_profiles=s.profiles, ffmpeg=s.ffmpeg, limits=Limits.from_settings(s)))
    lesson = result.lesson
    run.report("ingest", result.audio_reused, t(
        "step.ingest", lesson=lesson.id, sentences=len(lesson.sentences),
        chapters=len(lesson.chapters), seconds=result.media.duration_ms / 1000))
    return result


def audio_step(run: LessonRun, job: Job) -> Path:
    """The narration normalised for phone speakers, shared by every language and profile."""
    ingested = need(run.ingested, "audio", "ingest")
    out, r = run.out, render_options(run.settings)
    dst, cache = out / "work" / "audio-normalised.wav", StageCache(out)
    key = make_key("audio", recording=ingested.lesson.hashes["recording"],
                   loudness=r.loudness, true_peak=r.true_peak)
    if cache.is_fresh("audio", key):
        run.report("audio", True, str(dst))
        return dst
    normalise_audio(ingested.lesson.recording, dst, r)
    cache.record("audio", key, [dst])
    run.report("audio", False, t("step.audio", path=dst, loudness=r.loudness))
    return dst


def _terms_in_script(run: LessonRun, ingested: Ingested) -> list[str]:
    """Do-not-translate names the script uses: they steer Whisper's spelling."""
    text = " ".join(x.text for x in ingested.lesson.sentences)
    return [n for n in do_not_translate(run.settings.glossary_dir) if n in text]


def transcribe_step(run: LessonRun, job: Job) -> Transcript | None:
    """Transcribe, or return None (said once) when no ASR model is installed."""
    from pipeline.speech.transcribe import asr_model_path, transcribe

    ingested = need(run.ingested, "transcribe", "ingest")
    opts = transcribe_options(run.settings, ingested.lesson.title,
                              _terms_in_script(run, ingested))
    try:
        model_path = asr_model_path(opts.model_dir, opts.backend, opts.model)
    except ModelMissingError as e:
        run.report("transcribe", False, t("step.no_asr_model", error=e))
        return None
    out = run.out
    path, cache = out / "transcript.json", StageCache(out)
    stat = model_path.stat()
    key = make_key("transcribe", audio=ingested.audio_sha256, model=str(model_path),
                   model_size=stat.st_size, model_mtime=int(stat.st_mtime),
                   opts={k: str(v) for k, v in asdict(opts).items() if k != "model_dir"})
    if cache.is_fresh("transcribe", key):
        run.report("transcribe", True, str(path))
        return Transcript.from_json(json.loads(path.read_text(encoding="utf-8")))
    transcript = transcribe(ingested.audio_wav, opts, audio_sha256=ingested.audio_sha256)
    atomic_write_json(path, transcript.to_json())
    cache.record("transcribe", key, [path])
    run.report("transcribe", False, t("step.transcribed", path=path,
                                      n=len(transcript.segments)))
    return transcript


def align_step(run: LessonRun, job: Job) -> Alignment:
    ingested = need(run.ingested, "align", "ingest")
    out, transcript = run.out, run.transcript
    path, cache = out / "alignment.json", StageCache(out)
    asr = transcribe_options(run.settings)
    aligner = choose_aligner(run.settings.aligner, transcript, ingested,
                             AlignOptions(asr=asr)).name
    key = make_key("align", sentences=[asdict(x) for x in ingested.lesson.sentences],
                   audio=ingested.audio_sha256, aligner=aligner,
                   transcript=transcript.to_json() if transcript else None,
                   ear=f"{asr.backend}:{asr.model}" if aligner == "whisper" else None)
    if cache.is_fresh("align", key):
        run.report("align", True, str(path))
        return Alignment.from_json(json.loads(path.read_text(encoding="utf-8")), aligner)
    alignment = align(ingested, transcript, AlignOptions(aligner=aligner, asr=asr))
    atomic_write_json(path, alignment.to_json())
    report_path = out / "alignment-report.md"
    atomic_write_text(report_path, deviation_report(ingested.lesson, alignment,
                                                    transcript=transcript))
    cache.record("align", key, [path, report_path])
    counts = {k: sum(s.status == k for s in alignment.sentences)
              for k in ("matched", "skipped", "ad-lib")}
    run.report("align", False, t(
        "step.aligned", path=path, aligner=aligner, matched=counts["matched"],
        skipped=counts["skipped"], adlib=counts["ad-lib"], report=report_path.name))
    return alignment


def subtitles_step(run: LessonRun, job: Job) -> SubtitlesResult:
    """Cut the aligned sentences into source-language cues and write SRT/VTT/ASS."""
    alignment = need(run.alignment, "subtitles", "align")
    lang, out = run.registry.source, run.out
    protected = do_not_translate(run.settings.glossary_dir)
    cache, stage = StageCache(out), f"subtitles-{lang.code}"
    key = make_key(stage, alignment=alignment.to_json(), lang=asdict(lang), protected=protected)
    folder = out / "subtitles"
    cues_path = folder / f"{lang.code}.cues.json"
    files = tuple(folder / f"{lang.code}.{ext}" for ext in ("srt", "vtt", "ass", "cues.json"))
    if cache.is_fresh(stage, key):
        run.report(stage, True, str(folder))
        cues = tuple(Cue.from_json(c) for c in json.loads(cues_path.read_text(encoding="utf-8")))
        return SubtitlesResult(cues, files)
    words = (tuple(run.transcript.words)
             if run.transcript is not None and alignment.aligner == "transcript" else ())
    cue_list = segment(alignment, lang, SegmentOptions(protected=protected, words=words))
    written = write_subtitles(cue_list, lang, folder)
    # The cues with their sentence numbers, for people and for resuming a run.
    atomic_write_json(cues_path, [c.to_json() for c in cue_list])
    written.append(cues_path)
    cache.record(stage, key, written)
    run.report(stage, False, t("step.subtitles", n=len(cue_list), path=folder))
    return SubtitlesResult(tuple(cue_list), tuple(written))
