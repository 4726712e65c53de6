"""Steps ingest → audio → transcribe → align → subtitles (source language)."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

from pipeline.core.errors import ModelMissingError
from pipeline.core.i18n import t
from pipeline.core.storage import atomic_write_json, atomic_write_text, read_json
from pipeline.core.types import Alignment, Cue, Ingested, Transcript
from pipeline.ingest import ingest
from pipeline.render.encode import normalise_audio
from pipeline.speech.align import AlignOptions, align, choose_aligner
from pipeline.speech.align.report import deviation_report
from pipeline.steps.options import ingest_options, render_options, transcribe_options
from pipeline.steps.plan import Job, LessonRun, Made, SubtitlesResult, cached_step, need
from pipeline.subtitles.formats import write_subtitles
from pipeline.subtitles.segment import SegmentOptions, segment
from pipeline.translate.glossary import do_not_translate

__all__ = ["align_step", "audio_step", "ingest_step", "subtitles_step", "transcribe_step"]


def ingest_step(run: LessonRun, job: Job) -> Ingested:
    result = ingest(run.lesson_dir, run.registry, ingest_options(
        run.settings, run.opts.languages, run.opts.profiles, needs_picture=run.opts.renders))
    lesson = result.lesson
    run.report("ingest", result.audio_reused, t(
        "step.ingest", lesson=lesson.id, sentences=len(lesson.sentences),
        chapters=len(lesson.chapters), seconds=result.media.duration_ms / 1000))
    return result


def audio_step(run: LessonRun, job: Job) -> Path:
    """The narration normalised for phone speakers, shared by every language and profile."""
    ingested = need(run.ingested, "audio", "ingest")
    r = render_options(run.settings)
    dst = run.out / "work" / "audio-normalised.wav"

    def make() -> Made[Path]:
        normalise_audio(ingested.lesson.recording, dst, r)
        return Made(dst, [dst], t("step.audio", path=dst, loudness=r.loudness))

    key = {"recording": ingested.lesson.hashes["recording"], "loudness": r.loudness,
           "true_peak": r.true_peak}
    return cached_step(run, "audio", key, dst, lambda: dst, make)


def _terms_in_script(run: LessonRun, ingested: Ingested) -> list[str]:
    """Do-not-translate names the script uses: they steer Whisper's spelling."""
    text = " ".join(x.text for x in ingested.lesson.sentences)
    return [n for n in do_not_translate(run.settings.glossary_dir) if n in text]


#: Aligners that read the free transcript. With a script, every other one (auto included:
#: Whisper base's Vietnamese transcript did not resemble the script on any benchmark lesson,
#: and transcribing cost more than aligning) uses the model, if at all, as the second ear,
#: so the transcription is not spent.
READS_TRANSCRIPT = ("transcript", "hybrid")


def transcribe_step(run: LessonRun, job: Job) -> Transcript | None:
    """Transcribe, or return None (said once) when no ASR model is installed or no aligner
    of this run reads the transcript (lessons without a script are drafted by
    ``caunoi draft-script``, which transcribes)."""
    from pipeline.speech.transcribe import asr_model_path, transcribe

    ingested = need(run.ingested, "transcribe", "ingest")
    opts = transcribe_options(run.settings, ingested.lesson.title,
                              _terms_in_script(run, ingested))
    try:
        model_path = asr_model_path(opts.model_dir, opts.backend, opts.model)
    except ModelMissingError as e:
        run.report("transcribe", False, t("step.no_asr_model", error=e))
        return None
    if ingested.lesson.sentences and run.settings.aligner not in READS_TRANSCRIPT:
        run.report("transcribe", False, t("step.transcript_not_needed",
                                          aligner=run.settings.aligner))
        return None
    path, stat = run.out / "transcript.json", model_path.stat()

    def make() -> Made[Transcript]:
        transcript = transcribe(ingested.audio_wav, opts, audio_sha256=ingested.audio_sha256)
        atomic_write_json(path, transcript.to_json())
        return Made(transcript, [path], t("step.transcribed", path=path,
                                          n=len(transcript.segments)))

    key = {"audio": ingested.audio_sha256, "model": str(model_path),
           "model_size": stat.st_size, "model_mtime": int(stat.st_mtime),
           "opts": {k: str(v) for k, v in asdict(opts).items() if k != "model_dir"}}
    return cached_step(run, "transcribe", key, path,
                       lambda: Transcript.from_json(read_json(path)), make)


def align_step(run: LessonRun, job: Job) -> Alignment:
    ingested = need(run.ingested, "align", "ingest")
    out, transcript = run.out, run.transcript
    path, report_path = out / "alignment.json", out / "alignment-report.md"
    asr = transcribe_options(run.settings)
    aligner = choose_aligner(run.settings.aligner, transcript, ingested,
                             AlignOptions(asr=asr)).name

    def make() -> Made[Alignment]:
        alignment = align(ingested, transcript, AlignOptions(aligner=aligner, asr=asr))
        atomic_write_json(path, alignment.to_json())
        atomic_write_text(report_path, deviation_report(ingested.lesson, alignment,
                                                        transcript=transcript))
        counts = {k: sum(s.status == k for s in alignment.sentences)
                  for k in ("matched", "skipped", "ad-lib")}
        return Made(alignment, [path, report_path], t(
            "step.aligned", path=path, aligner=aligner, matched=counts["matched"],
            skipped=counts["skipped"], adlib=counts["ad-lib"], report=report_path.name))

    key: dict[str, object] = {
        "sentences": [asdict(x) for x in ingested.lesson.sentences],
        "audio": ingested.audio_sha256, "aligner": aligner,
        "transcript": transcript.to_json() if transcript else None}
    if aligner in ("whisper", "ear"):  # the second ear's model is an input too
        key["ear"] = f"{asr.backend}:{asr.model}"
    return cached_step(run, "align", key, path,
                       lambda: Alignment.from_json(read_json(path), aligner), make)


def subtitles_step(run: LessonRun, job: Job) -> SubtitlesResult:
    """Cut the aligned sentences into source-language cues and write SRT/VTT/ASS."""
    alignment = need(run.alignment, "subtitles", "align")
    lang, folder = run.registry.source, run.out / "subtitles"
    protected = do_not_translate(run.settings.glossary_dir)
    cues_path = folder / f"{lang.code}.cues.json"
    files = tuple(folder / f"{lang.code}.{ext}" for ext in ("srt", "vtt", "ass", "cues.json"))

    def make() -> Made[SubtitlesResult]:
        words = (tuple(run.transcript.words)
                 if run.transcript is not None and alignment.aligner == "transcript" else ())
        cue_list = segment(alignment, lang, SegmentOptions(protected=protected, words=words))
        written = write_subtitles(cue_list, lang, folder)
        # The cues with their sentence numbers, for people and for resuming a run.
        atomic_write_json(cues_path, [c.to_json() for c in cue_list])
        written.append(cues_path)
        return Made(SubtitlesResult(tuple(cue_list), tuple(written)), written,
                    t("step.subtitles", n=len(cue_list), path=folder))

    def load() -> SubtitlesResult:
        return SubtitlesResult(tuple(Cue.from_json(c) for c in read_json(cues_path)), files)

    key = {"alignment": alignment.to_json(), "lang": asdict(lang), "protected": protected}
    return cached_step(run, f"subtitles-{lang.code}", key, folder, load, make)
