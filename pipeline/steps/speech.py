"""Steps ingest → audio → transcribe → align → subtitles (source language)."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

from pipeline.core.cache import StageCache, make_key
from pipeline.core.errors import ModelMissingError
from pipeline.core.i18n import t
from pipeline.core.storage import atomic_write_json, atomic_write_text, read_json
from pipeline.core.types import Alignment, Cue, Ingested, Transcript
from pipeline.ingest import ingest
from pipeline.render.encode import normalise_audio
from pipeline.speech.align import AUTO_ORDER, AlignOptions, align, choose_aligner
from pipeline.speech.align.report import deviation_report
from pipeline.speech.transcribe import TranscribeOptions
from pipeline.steps import messages as _messages  # noqa: F401  (registers "steps.*")
from pipeline.steps.options import (
    ingest_options,
    render_options,
    state_file,
    transcribe_options,
)
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


def _align_key(ingested: Ingested, transcript: Transcript | None, aligner: str,
               asr: TranscribeOptions) -> dict[str, object]:
    key: dict[str, object] = {
        "sentences": [asdict(x) for x in ingested.lesson.sentences],
        "audio": ingested.audio_sha256, "aligner": aligner,
        "transcript": transcript.to_json() if transcript else None}
    if aligner in ("whisper", "ear"):  # the second ear's model is an input too
        key["ear"] = f"{asr.backend}:{asr.model}"
    return key


def _kept_aligner(run: LessonRun, ingested: Ingested, transcript: Transcript | None,
                  chosen: str, asr: TranscribeOptions) -> str:
    """The aligner of the alignment on disk when ``auto`` now chooses ``chosen`` only because
    the installed models changed ("" when there is none to keep, or a re-alignment was asked
    for). The script and the recording are unchanged, so its times are still right, and the
    subtitles, approvals and finals built on them stay as they are (issue 31's follow-up:
    a model installed on the server re-aligned a lesson and an approved final went stale)."""
    if run.settings.aligner != "auto" or run.opts.realign:
        return ""
    cache = StageCache(run.out)
    if cache.is_fresh("align", make_key("align", **_align_key(ingested, transcript, chosen,
                                                               asr))):
        return ""
    return next((name for name in AUTO_ORDER if name != chosen and cache.is_fresh(
        "align", make_key("align", **_align_key(ingested, transcript, name, asr)))), "")


def align_step(run: LessonRun, job: Job) -> Alignment:
    """Align the script to the narration, or keep the alignment of an unchanged script and
    recording when ``auto`` would only choose another aligner because a model appeared or
    went (said in the report and in ``.state/align.meta.json`` for the portal; ``realign``
    asks for the aligner ``auto`` chooses now)."""
    ingested = need(run.ingested, "align", "ingest")
    out, transcript = run.out, run.transcript
    path, report_path = out / "alignment.json", out / "alignment-report.md"
    asr = transcribe_options(run.settings)
    aligner = choose_aligner(run.settings.aligner, transcript, ingested,
                             AlignOptions(asr=asr)).name
    kept = _kept_aligner(run, ingested, transcript, aligner, asr)
    if kept:
        better = aligner if AUTO_ORDER.index(aligner) < AUTO_ORDER.index(kept) else ""
        atomic_write_json(state_file(out, "align"), {"aligner": kept, "better": better})
        run.report("align", True, t("steps.align_kept" if better else "steps.align_kept_same",
                                    path=path, used=kept, better=better))
        return Alignment.from_json(read_json(path), kept)

    def make() -> Made[Alignment]:
        alignment = align(ingested, transcript, AlignOptions(aligner=aligner, asr=asr))
        atomic_write_json(path, alignment.to_json())
        atomic_write_text(report_path, deviation_report(ingested.lesson, alignment,
                                                        transcript=transcript))
        atomic_write_json(state_file(out, "align"), {"aligner": aligner, "better": ""})
        counts = {k: sum(s.status == k for s in alignment.sentences)
                  for k in ("matched", "skipped", "ad-lib")}
        return Made(alignment, [path, report_path], t(
            "step.aligned", path=path, aligner=aligner, matched=counts["matched"],
            skipped=counts["skipped"], adlib=counts["ad-lib"], report=report_path.name))

    return cached_step(run, "align", _align_key(ingested, transcript, aligner, asr), path,
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
