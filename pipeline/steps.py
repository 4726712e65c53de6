"""The main path as plain functions: one step per stage, each cached on its inputs' hashes.

``flows/produce.py`` wraps these steps as Prefect tasks; :func:`produce` runs them in order
with no Prefect at all. A step whose inputs did not change is skipped and says so.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pysubs2

from pipeline.core.cache import StageCache, make_key
from pipeline.core.config import Settings
from pipeline.core.errors import ModelMissingError
from pipeline.core.languages import Language, Registry, load_registry
from pipeline.core.model_files import asr_model_path
from pipeline.core.storage import atomic_write_json, atomic_write_text, sha256_file
from pipeline.core.types import Alignment, Cue, Ingested, Transcript, ms_to_s, s_to_ms
from pipeline.ingest import IngestOptions, ingest
from pipeline.publish.manifest import ManifestEntry, write_manifest
from pipeline.render.encode import RenderedFile, RenderJob, RenderOptions, normalise_audio, render
from pipeline.render.profiles import get_profile
from pipeline.speech.align import AlignOptions, align, choose_aligner
from pipeline.speech.align.report import deviation_report
from pipeline.speech.segment import SegmentOptions, fit_lines, segment
from pipeline.speech.subtitles import write_subtitles
from pipeline.speech.transcribe import TranscribeOptions, build_prompt, transcribe
from pipeline.translate.drafts import translate_cues
from pipeline.translate.glossary import do_not_translate, load_glossary
from pipeline.translate.mt import MTEngine, MTOptions, mt_model_path
from pipeline.translate.tm import TranslationMemory
from pipeline.translate.xliff import XliffUnit, write_xliff

__all__ = [
    "ProduceOptions",
    "ProduceResult",
    "Reporter",
    "produce",
    "step_align",
    "step_audio",
    "step_ingest",
    "step_manifest",
    "step_render",
    "step_review_gate",
    "step_subtitles",
    "step_transcribe",
    "step_translate",
]

log = logging.getLogger("caunoi.produce")

#: Called with (stage, skipped, detail) after every step; the CLI and flows print it.
Reporter = Callable[[str, bool, str], None]


def _log_report(stage: str, skipped: bool, detail: str) -> None:
    log.info("%s: %s%s", stage, "skipped (unchanged) " if skipped else "", detail)


@dataclass(frozen=True)
class ProduceOptions:
    settings: Settings
    # Target languages (None = the lesson's list).
    languages: tuple[str, ...] | None = None
    # Render profiles (None = the lesson's list, else settings.profiles).
    profiles: tuple[str, ...] | None = None

    @classmethod
    def from_settings(cls, settings: Settings, languages: tuple[str, ...] | None = None,
                      profiles: tuple[str, ...] | None = None) -> ProduceOptions:
        return cls(settings=settings, languages=languages, profiles=profiles)

    @property
    def registry(self) -> Registry:
        return load_registry(self.settings.glossary_dir)


@dataclass
class ProduceResult:
    lesson_id: str
    out: Path
    manifest: Path
    files: list[Path] = field(default_factory=list)
    # Target languages still waiting for review, and those approved (rendered as final).
    pending_languages: list[str] = field(default_factory=list)
    approved_languages: list[str] = field(default_factory=list)

    @property
    def state(self) -> str:
        return "awaiting review" if self.pending_languages else "completed"


def step_ingest(lesson_dir: Path, opts: ProduceOptions,
                report: Reporter = _log_report) -> Ingested:
    s = opts.settings
    result = ingest(lesson_dir, opts.registry, IngestOptions(
        out_dir=s.out_dir, languages=opts.languages, profiles=opts.profiles,
        default_profiles=s.profiles, ffmpeg=s.ffmpeg))
    lesson = result.lesson
    report("ingest", result.audio_reused, f"{lesson.id}: {len(lesson.sentences)} câu, "
           f"{len(lesson.chapters)} chương, {result.media.duration_ms / 1000:.1f} s")
    return result


def _transcribe_options(ingested: Ingested, opts: ProduceOptions) -> TranscribeOptions:
    s = opts.settings
    return TranscribeOptions(
        backend=s.asr_backend, model=s.asr_model, model_dir=s.model_dir, device=s.device,
        compute_type=s.compute_type, beam_size=s.beam_size,
        prompt=build_prompt(ingested.lesson.title, _terms_in_script(ingested, s)))


def _terms_in_script(ingested: Ingested, settings: Settings) -> list[str]:
    """Do-not-translate names the script uses: they steer Whisper's spelling."""
    text = " ".join(x.text for x in ingested.lesson.sentences)
    return [n for n in do_not_translate(settings.glossary_dir) if n in text]


def step_transcribe(ingested: Ingested, opts: ProduceOptions,
                    report: Reporter = _log_report) -> Transcript | None:
    """Transcribe, or return None (said once) when no ASR model is installed."""
    t_opts = _transcribe_options(ingested, opts)
    try:
        model_path = asr_model_path(t_opts.model_dir, t_opts.backend, t_opts.model)
    except ModelMissingError as e:
        report("transcribe", False, f"{e} → dùng bộ căn chỉnh không cần mô hình")
        return None
    out = opts.settings.lesson_out(ingested.lesson.id)
    path, cache = out / "transcript.json", StageCache(out)
    stat = model_path.stat()
    key = make_key("transcribe", audio=ingested.audio_sha256, model=str(model_path),
                   model_size=stat.st_size, model_mtime=int(stat.st_mtime),
                   opts={k: str(v) for k, v in asdict(t_opts).items() if k != "model_dir"})
    if cache.is_fresh("transcribe", key):
        report("transcribe", True, str(path))
        return Transcript.from_json(json.loads(path.read_text(encoding="utf-8")))
    transcript = transcribe(ingested.audio_wav, t_opts, audio_sha256=ingested.audio_sha256)
    atomic_write_json(path, transcript.to_json())
    cache.record("transcribe", key, [path])
    report("transcribe", False, f"{path} ({len(transcript.segments)} đoạn)")
    return transcript


def step_align(ingested: Ingested, transcript: Transcript | None, opts: ProduceOptions,
               report: Reporter = _log_report) -> Alignment:
    out = opts.settings.lesson_out(ingested.lesson.id)
    path, cache = out / "alignment.json", StageCache(out)
    aligner = choose_aligner(opts.settings.aligner, transcript, ingested).name
    key = make_key("align", sentences=[asdict(x) for x in ingested.lesson.sentences],
                   audio=ingested.audio_sha256, aligner=aligner,
                   transcript=transcript.to_json() if transcript else None)
    if cache.is_fresh("align", key):
        report("align", True, str(path))
        return Alignment.from_json(json.loads(path.read_text(encoding="utf-8")), aligner)
    alignment = align(ingested, transcript, AlignOptions(aligner=aligner))
    atomic_write_json(path, alignment.to_json())
    report_path = out / "alignment-report.md"
    atomic_write_text(report_path, deviation_report(ingested.lesson, alignment,
                                                    transcript=transcript))
    cache.record("align", key, [path, report_path])
    counts = {k: sum(s.status == k for s in alignment.sentences)
              for k in ("matched", "skipped", "ad-lib")}
    report("align", False, f"{path} ({aligner}: {counts['matched']} khớp, "
           f"{counts['skipped']} bỏ qua, {counts['ad-lib']} ngoài kịch bản; "
           f"báo cáo: {report_path.name})")
    return alignment


def step_subtitles(ingested: Ingested, alignment: Alignment, lang: Language,
                   opts: ProduceOptions, report: Reporter = _log_report) -> list[Path]:
    out = opts.settings.lesson_out(ingested.lesson.id)
    cache, stage = StageCache(out), f"subtitles-{lang.code}"
    key = make_key(stage, alignment=alignment.to_json(), lang=asdict(lang),
                   protected=do_not_translate(opts.settings.glossary_dir))
    paths = [out / "subtitles" / f"{lang.code}.{ext}"
             for ext in ("srt", "vtt", "ass", "cues.json")]
    if cache.is_fresh(stage, key):
        report(stage, True, str(paths[0].parent))
        return paths
    transcript_path = out / "transcript.json"
    words = tuple(Transcript.from_json(json.loads(transcript_path.read_text(encoding="utf-8")))
                  .words) if transcript_path.is_file() and alignment.aligner == "transcript" else ()
    cues = segment(alignment, lang, SegmentOptions(
        protected=do_not_translate(opts.settings.glossary_dir), words=words))
    written = write_subtitles(cues, lang, out / "subtitles")
    # The cues with their sentence numbers: the translate stage's input.
    cues_path = out / "subtitles" / f"{lang.code}.cues.json"
    atomic_write_json(cues_path, [cue_to_json(c) for c in cues])
    written.append(cues_path)
    cache.record(stage, key, written)
    report(stage, False, f"{len(cues)} phụ đề → {paths[0].parent}")
    return written


def _mt_options(settings: Settings) -> MTOptions:
    return MTOptions(backend=settings.mt_backend, model_dir=settings.model_dir,
                     models=(("madlad", settings.mt_madlad_model),
                             ("nllb", settings.mt_nllb_model)),
                     device=settings.device, compute_type=settings.compute_type,
                     batch_size=settings.mt_batch_size)


def step_translate(ingested: Ingested, lang: Language, opts: ProduceOptions,
                   report: Reporter = _log_report) -> list[Path]:
    """Translate the source cues into ``lang``: drafts, subtitles, and an XLIFF work package
    when no machine translation was possible."""
    s = opts.settings
    out = s.lesson_out(ingested.lesson.id)
    source = opts.registry.source
    cues_path = out / "subtitles" / f"{source.code}.cues.json"
    glossary = load_glossary(s.glossary_dir, lang.code)
    dnt = do_not_translate(s.glossary_dir)
    tm = TranslationMemory(s.tm_path, lang.code)
    mt = _mt_options(s)
    model_state = ""
    if lang.has_mt:
        try:
            path = mt_model_path(mt, lang.mt)
            model_state = f"{path}:{int(path.stat().st_mtime)}"
        except ModelMissingError as e:
            model_state = f"missing:{e.context['path']}"
    cache, stage = StageCache(out), f"translate-{lang.code}"
    key = make_key(stage, cues=sha256_file(cues_path), lang=asdict(lang), glossary=asdict(glossary),
                   dnt=dnt, tm=sha256_file(tm.path) if tm.path.is_file() else "",
                   mt=asdict(mt), model=model_state)
    if cache.is_fresh(stage, key):
        report(stage, True, str(out / "translations" / f"{lang.code}.json"))
        return [out / p for p in json.loads(
            (out / ".state" / f"{stage}.meta.json").read_text(encoding="utf-8"))["files"]]
    cues = [cue_from_json(c) for c in json.loads(cues_path.read_text(encoding="utf-8"))]
    engine = MTEngine(mt) if lang.has_mt else None
    translation = translate_cues(cues, lang, glossary, dnt, tm, engine)
    files = [out / "translations" / f"{lang.code}.json"]
    atomic_write_json(files[0], translation.to_json())
    drafts = [c.as_cue() for c in translation.cues if c.target]
    if drafts:
        files += write_subtitles(drafts, lang, out / "subtitles", stem=f"{lang.code}-draft")
    empty = sum(not c.target for c in translation.cues)
    if empty:
        xlf = out / "translations" / f"{lang.code}.xlf"
        write_xliff(xlf, [XliffUnit(f"c{c.cue}", c.source, c.target, (
            f"câu {c.sentence + 1}, {ms_to_s(c.start_ms)}–{ms_to_s(c.end_ms)} s",
            f"origin: {c.origin}")) for c in translation.cues], source.code, lang.code)
        files.append(xlf)
    atomic_write_json(out / ".state" / f"{stage}.meta.json",
                      {"files": [str(f.relative_to(out)) for f in files]})
    cache.record(stage, key, files)
    flagged = sum(bool(c.checks) for c in translation.cues)
    detail = (f"{len(translation.cues) - empty} bản nháp, {empty} chờ người dịch"
              f"{' (XLIFF)' if empty else ''}, {flagged} cảnh báo QA")
    if translation.note:
        detail += f" — {translation.note}"
    report(stage, False, detail)
    return files


@dataclass
class GateResult:
    approved: dict[str, str] = field(default_factory=dict)  # language -> approver
    awaiting: list[str] = field(default_factory=list)
    # Final subtitles written for the approved languages.
    subtitles: dict[str, list[Path]] = field(default_factory=dict)

    def merged(self, subtitles: dict[str, list[Path]]) -> dict[str, list[Path]]:
        """``subtitles`` plus the approved languages' final subtitles (a new dict)."""
        out = {code: list(paths) for code, paths in subtitles.items()}
        for code, paths in self.subtitles.items():
            out[code] = [*out.get(code, []), *paths]
        return out


def step_review_gate(ingested: Ingested, opts: ProduceOptions,
                     report: Reporter = _log_report) -> GateResult:
    """Load the drafts into the review store (human edits are kept) and say which target
    languages are approved. Nothing renders as final before its language is approved."""
    from pipeline.review.store import ReviewStore

    s = opts.settings
    out = s.lesson_out(ingested.lesson.id)
    source = opts.registry.source.code
    targets = [c for c in ingested.lesson.languages if c != source]
    gate = GateResult()
    if not targets:
        return gate
    cues = json.loads((out / "subtitles" / f"{source}.cues.json").read_text(encoding="utf-8"))
    store = ReviewStore(s.review_url)
    translations = {code: json.loads((out / "translations" / f"{code}.json").read_text(
        encoding="utf-8"))["cues"] for code in targets}
    store.sync_lesson(
        ingested.lesson.id, ingested.lesson.title,
        [{"index": c["index"], "sentence": c["sentence"], "start_ms": s_to_ms(c["start"]),
          "end_ms": s_to_ms(c["end"]), "source": " ".join(c["lines"])} for c in cues],
        translations)
    for code in targets:
        approval = store.approval(ingested.lesson.id, code)
        if approval is not None:
            gate.approved[code] = approval.approved_by
            gate.subtitles[code] = _write_approved(store, ingested, opts.registry.get(code),
                                                   out, s.glossary_dir)
        else:
            gate.awaiting.append(code)
    report("review", False, f"đã duyệt: {', '.join(gate.approved) or '-'}; "
           f"chờ duyệt: {', '.join(gate.awaiting) or '-'} (caunoi review serve)")
    return gate


def draft_languages(ingested: Ingested, gate: GateResult, opts: ProduceOptions) -> list[str]:
    """Languages waiting for review that have draft subtitles to preview."""
    if not opts.settings.draft_previews:
        return []
    out = opts.settings.lesson_out(ingested.lesson.id)
    return [c for c in gate.awaiting if (out / "subtitles" / f"{c}-draft.ass").is_file()]


def _write_approved(store: Any, ingested: Ingested, lang: Language, out: Path,
                    glossary_dir: Path) -> list[Path]:
    """Final subtitles of an approved language, from the reviewed text in the store."""
    protected = do_not_translate(glossary_dir)
    cues = [Cue(v.idx, v.sentence, v.start_ms, v.end_ms, fit_lines(v.text, lang, protected))
            for v in store.cues(ingested.lesson.id, lang.code) if v.text]
    return write_subtitles(cues, lang, out / "subtitles")


def _render_options(settings: Settings) -> RenderOptions:
    return RenderOptions(ffmpeg=settings.ffmpeg, burn_subtitles=settings.burn_subtitles,
                         quality_gates=settings.quality_gates)


def step_audio(ingested: Ingested, opts: ProduceOptions,
               report: Reporter = _log_report) -> Path:
    """The narration normalised for phone speakers, shared by every language and profile."""
    out = opts.settings.lesson_out(ingested.lesson.id)
    dst = out / "work" / "audio-normalised.wav"
    r = _render_options(opts.settings)
    cache = StageCache(out)
    key = make_key("audio", recording=ingested.lesson.hashes["recording"],
                   loudness=r.loudness, true_peak=r.true_peak)
    if cache.is_fresh("audio", key):
        report("audio", True, str(dst))
        return dst
    normalise_audio(ingested.lesson.recording, dst, r)
    cache.record("audio", key, [dst])
    report("audio", False, f"{dst} ({r.loudness:g} LUFS)")
    return dst


def _chapters(out: Path) -> tuple[tuple[int, str], ...]:
    alignment = json.loads((out / "alignment.json").read_text(encoding="utf-8"))
    starts: dict[str, int] = {}
    for a in alignment:
        if a["status"] == "matched" and a["chapter"] and a["chapter"] not in starts:
            starts[a["chapter"]] = s_to_ms(a["start"])
    return tuple((ms, heading) for heading, ms in starts.items())


def _cue_times(out: Path, opts: ProduceOptions) -> tuple[float, ...]:
    """Mid-cue moments of the source subtitles: every language and profile of a lesson is
    checked at the same frames."""
    cues = json.loads((out / "subtitles" / f"{opts.registry.source.code}.cues.json")
                      .read_text(encoding="utf-8"))
    return tuple((c["start"] + c["end"]) / 2 for c in cues)


def step_render(ingested: Ingested, lang: Language, profile_name: str, opts: ProduceOptions,
                report: Reporter = _log_report, draft: bool = False) -> RenderedFile:
    """Render one language in one profile (a watermarked preview when ``draft``)."""
    out = opts.settings.lesson_out(ingested.lesson.id)
    profile = get_profile(profile_name)
    stem = f"{lang.code}-draft" if draft else lang.code
    ass = out / "subtitles" / f"{stem}.ass"
    folder = "video" if profile.has_video else "audio"
    suffix = "-draft" if draft else ""
    dst = out / folder / f"{lang.code}-{profile.name}{suffix}.{profile.ext}"
    cache, stage = StageCache(out), f"render-{lang.code}-{profile.name}{suffix}"
    r_opts = _render_options(opts.settings)
    audio = step_audio(ingested, opts, lambda *_: None)
    subs = pysubs2.load(str(ass), encoding="utf-8") if ass.is_file() else None
    job = RenderJob(
        recording=ingested.lesson.recording, audio=audio, language=lang.code, font=lang.font,
        profile=profile, dst=dst, ass=ass if subs is not None else None,
        srt=out / "subtitles" / f"{stem}.srt" if subs is not None else None,
        title_vi=ingested.lesson.title, title_target=ingested.lesson.titles.get(lang.code, ""),
        language_label="" if lang.source else f"{lang.name_native} · {lang.name_vi}",
        chapters=_chapters(out),
        cue_times=_cue_times(out, opts) if subs else (), draft=draft)
    key = make_key(stage, recording=ingested.lesson.hashes["recording"],
                   audio=sha256_file(audio), ass=sha256_file(ass) if ass.is_file() else "",
                   profile=asdict(profile), opts=asdict(r_opts),
                   job={k: str(v) for k, v in asdict(job).items() if k not in ("audio", "dst")})
    if cache.is_fresh(stage, key):
        report(stage, True, str(dst))
        record = json.loads((out / ".state" / f"{stage}.meta.json").read_text(encoding="utf-8"))
        return RenderedFile(path=dst, language=lang.code, profile=profile.name,
                            duration_ms=record["duration_ms"], codecs=tuple(record["codecs"]),
                            quality=record.get("quality", {}), draft=draft)
    started = time.monotonic()
    rendered = render(job, r_opts)
    atomic_write_json(out / ".state" / f"{stage}.meta.json",
                      {"duration_ms": rendered.duration_ms, "codecs": list(rendered.codecs),
                       "quality": rendered.quality})
    cache.record(stage, key, [dst])
    size = dst.stat().st_size
    kb_min = size / 1024 / max(rendered.duration_ms / 60000, 1e-9)
    q = rendered.quality
    ocr = q.get("ocr_diacritics") if q else None
    gates = (f", SSIM {q['ssim']:.3f}" + (f", OCR dấu {ocr:.0%}" if ocr is not None else "")
             if q else "")
    report(stage, False, f"{dst} ({size / 1024:.0f} KB, {kb_min:.0f} KB/phút, "
                         f"{time.monotonic() - started:.1f} s{gates})")
    return rendered


def step_manifest(ingested: Ingested, subtitle_files: dict[str, list[Path]],
                  rendered: list[RenderedFile], opts: ProduceOptions,
                  report: Reporter = _log_report, gate: GateResult | None = None) -> Path:
    out = opts.settings.lesson_out(ingested.lesson.id)
    source = opts.registry.source.code
    entries = [ManifestEntry(path=out / name, kind="data")
               for name in ("alignment.json", "alignment-report.md", "transcript.json")
               if (out / name).is_file()]
    approved = gate.approved if gate else {}

    def state_of(code: str, path: Path) -> tuple[str, str]:
        if code == source:
            return "final", ""
        if code in approved and "-draft" not in path.name and path.parent.name != "translations":
            return "approved", approved[code]
        return "draft", ""

    for code, paths in subtitle_files.items():
        for p in paths:
            kind = "subtitle" if p.suffix in (".srt", ".vtt", ".ass") else "data"
            state, by = state_of(code, p)
            entries.append(ManifestEntry(path=p, kind=kind, language=code, review_state=state,
                                         approver=by))
    for r in rendered:
        state, by = state_of(r.language, r.path)
        entries.append(ManifestEntry(
            path=r.path, kind="video" if r.path.parent.name == "video" else "audio",
            language=r.language, profile=r.profile, codecs=r.codecs, duration_ms=r.duration_ms,
            review_state="draft" if r.draft else state, approver="" if r.draft else by,
            quality=r.quality))
    path = write_manifest(out, ingested.lesson, entries)
    report("manifest", False, str(path))
    return path


def produce(lesson_dir: Path, opts: ProduceOptions,
            report: Reporter = _log_report) -> ProduceResult:
    """Run every stage on one lesson without Prefect; the flow does the same with tasks."""
    ingested = step_ingest(lesson_dir, opts, report)
    step_audio(ingested, opts, report)
    transcript = step_transcribe(ingested, opts, report)
    alignment = step_align(ingested, transcript, opts, report)
    source = opts.registry.source
    subtitles = {source.code: step_subtitles(ingested, alignment, source, opts, report)}
    for code in ingested.lesson.languages[1:]:
        subtitles[code] = step_translate(ingested, opts.registry.get(code), opts, report)
    gate = step_review_gate(ingested, opts, report)
    rendered = []
    for code in [source.code, *gate.approved]:
        lang = opts.registry.get(code)
        rendered += [step_render(ingested, lang, p, opts, report)
                     for p in ingested.lesson.profiles]
    for code in draft_languages(ingested, gate, opts):
        rendered.append(step_render(ingested, opts.registry.get(code),
                                    ingested.lesson.profiles[0], opts, report, draft=True))
    subtitles = gate.merged(subtitles)
    manifest = step_manifest(ingested, subtitles, rendered, opts, report, gate)
    return finish(ingested, manifest, subtitles, rendered, opts, gate)


def finish(ingested: Ingested, manifest: Path, subtitles: dict[str, list[Path]],
           rendered: list[RenderedFile], opts: ProduceOptions,
           gate: GateResult | None = None) -> ProduceResult:
    source = opts.registry.source.code
    pending = gate.awaiting if gate else [c for c in ingested.lesson.languages if c != source]
    return ProduceResult(
        lesson_id=ingested.lesson.id, out=opts.settings.lesson_out(ingested.lesson.id),
        manifest=manifest,
        files=[p for paths in subtitles.values() for p in paths] + [r.path for r in rendered],
        pending_languages=list(pending),
        approved_languages=list(gate.approved) if gate else [])


def cue_to_json(cue: Cue) -> dict[str, object]:
    return {"index": cue.index, "sentence": cue.sentence_index, "start": ms_to_s(cue.start_ms),
            "end": ms_to_s(cue.end_ms), "lines": list(cue.lines)}


def cue_from_json(d: dict[str, Any]) -> Cue:
    return Cue(d["index"], d["sentence"], s_to_ms(d["start"]), s_to_ms(d["end"]),
               tuple(d["lines"]))
