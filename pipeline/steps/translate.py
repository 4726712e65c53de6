"""Step translate: the source cues into each target language (drafts + XLIFF work package)."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

from pipeline.core.errors import ModelMissingError
from pipeline.core.i18n import t
from pipeline.core.languages import Language
from pipeline.core.storage import atomic_write_json, read_json, sha256_text
from pipeline.core.types import Cue, ms_to_s
from pipeline.steps.options import mt_options, state_file
from pipeline.steps.plan import Job, LessonRun, Made, TranslateResult, cached_step, need
from pipeline.subtitles.formats import write_subtitles
from pipeline.translate.drafts import Translation, translate_cues
from pipeline.translate.glossary import do_not_translate, load_glossary
from pipeline.translate.mt import MTEngine, MTOptions, mt_model_path
from pipeline.translate.tm import TranslationMemory
from pipeline.translate.xliff import XliffUnit, unit_id, write_xliff

__all__ = ["translate_jobs", "translate_step"]


def translate_jobs(run: LessonRun) -> list[Job]:
    return [Job(lang=lang.code) for lang in run.targets()]


def _model_state(mt: MTOptions, lang: Language) -> str:
    """Which MT model would translate ``lang`` (part of the cache key)."""
    if not lang.has_mt:
        return ""
    try:
        path = mt_model_path(mt, lang.mt)
    except ModelMissingError as e:
        return f"missing:{e.context['path']}"
    return f"{path}:{int(path.stat().st_mtime)}"


def translate_step(run: LessonRun, job: Job) -> TranslateResult:
    """Translate the source cues into ``job.lang``: drafts, draft subtitles, and an XLIFF
    work package when no machine translation was possible."""
    cues = need(run.source, "translate", "subtitles").cues
    lang, out, s = run.language(job.lang), run.out, run.settings
    glossary = load_glossary(s.glossary_dir, lang.code)
    dnt = do_not_translate(s.glossary_dir)
    tm = TranslationMemory(s.tm_path, lang.code)
    mt, stage = mt_options(s), f"translate-{lang.code}"
    json_path = out / "translations" / f"{lang.code}.json"

    def make() -> Made[TranslateResult]:
        engine = MTEngine(mt) if lang.has_mt else None
        translation = translate_cues(list(cues), lang, glossary, dnt, tm, engine)
        files = _write_translation(translation, lang, run.registry.source.code, json_path,
                                   need(run.ingested, "translate", "ingest").lesson.id)
        atomic_write_json(state_file(out, stage), {"files": [str(f.relative_to(out))
                                                             for f in files]})
        return Made(TranslateResult(translation, tuple(files)), files, _detail(translation))

    def load() -> TranslateResult:
        files = read_json(state_file(out, stage))["files"]
        return TranslateResult(Translation.from_json(read_json(json_path)),
                               tuple(out / p for p in files))

    key = {"cues": sha256_text(json.dumps([c.to_json() for c in cues])), "lang": asdict(lang),
           "glossary": asdict(glossary), "dnt": dnt, "tm": tm.fingerprint(), "mt": asdict(mt),
           "model": _model_state(mt, lang)}
    return cached_step(run, stage, key, json_path, load, make)


def _write_translation(translation: Translation, lang: Language, source: str,
                       json_path: Path, lesson_id: str) -> list[Path]:
    """translations/<lang>.json, draft subtitles, and the XLIFF for a human translator."""
    atomic_write_json(json_path, translation.to_json())
    files = [json_path]
    drafts: list[Cue] = [c.as_cue() for c in translation.cues if c.target]
    if drafts:
        files += write_subtitles(drafts, lang, json_path.parent.parent / "subtitles",
                                 stem=f"{lang.code}-draft")
    if any(not c.target for c in translation.cues):
        xlf = json_path.with_suffix(".xlf")
        # Unit ids as `caunoi review export` writes them, so `review import` takes it back.
        write_xliff(xlf, [XliffUnit(unit_id(lesson_id, c.cue_id or f"c{c.cue}"), c.source,
                                    c.target, (
            f"câu {c.sentence + 1}, {ms_to_s(c.start_ms)}–{ms_to_s(c.end_ms)} s",
            f"origin: {c.origin}"), state="translated" if c.target else "initial")
            for c in translation.cues], source, lang.code, original=lesson_id)
        files.append(xlf)
    return files


def _detail(translation: Translation) -> str:
    empty = sum(not c.target for c in translation.cues)
    detail = t("step.translated", drafts=len(translation.cues) - empty, waiting=empty,
               xliff=" (XLIFF)" if empty else "",
               flagged=sum(bool(c.checks) for c in translation.cues))
    if translation.note:
        detail += f" — {translation.note}"
    return detail
