"""Settings → each stage's options, in one place (stages never read Settings themselves)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from pipeline.core.config import Settings
from pipeline.core.errors import ConfigError
from pipeline.core.languages import load_registry
from pipeline.core.limits import Limits
from pipeline.ingest import IngestOptions
from pipeline.publish.options import PublishOptions
from pipeline.render.encode import RenderOptions
from pipeline.speech.transcribe import TranscribeOptions, build_prompt
from pipeline.translate.mt import MTOptions
from pipeline.voice.plan import DubOptions, Narration, verify_options

__all__ = [
    "dub_options",
    "ingest_options",
    "mt_options",
    "publish_options",
    "render_options",
    "transcribe_options",
]


def ingest_options(settings: Settings, languages: tuple[str, ...] | None = None,
                   profiles: tuple[str, ...] | None = None,
                   needs_picture: bool = False) -> IngestOptions:
    """Ingest options (also for checking a lesson without producing it); ``languages`` and
    ``profiles`` replace the lesson's lists when given; ``needs_picture``: the run renders,
    so a video profile needs a recording with a picture."""
    return IngestOptions(out_dir=settings.out_dir, languages=languages, profiles=profiles,
                         default_profiles=settings.profiles, ffmpeg=settings.ffmpeg,
                         limits=Limits.from_settings(settings), needs_picture=needs_picture)


def transcribe_options(settings: Settings, title: str = "",
                       terms: list[str] | None = None) -> TranscribeOptions:
    """ASR options; the lesson title and names it uses steer Whisper's spelling."""
    opts = TranscribeOptions(
        backend=settings.asr_backend, model=settings.asr_model, model_dir=settings.model_dir,
        device=settings.device, compute_type=settings.compute_type,
        beam_size=settings.beam_size, cpu_threads=settings.asr_threads,
        prompt=build_prompt(title, terms or []))
    return opts if settings.asr_fallback else replace(opts, temperatures=(0.0,))


def mt_options(settings: Settings) -> MTOptions:
    return MTOptions(backend=settings.mt_backend, model_dir=settings.model_dir,
                     models=(("madlad", settings.mt_madlad_model),
                             ("nllb", settings.mt_nllb_model)),
                     device=settings.device, compute_type=settings.compute_type,
                     batch_size=settings.mt_batch_size)


def render_options(settings: Settings) -> RenderOptions:
    return RenderOptions(ffmpeg=settings.ffmpeg, burn_subtitles=settings.burn_subtitles,
                         quality_gates=settings.quality_gates,
                         title_card_s=settings.title_card_s)


def dub_options(settings: Settings) -> DubOptions:
    """The dub's options; contradictions (a duck under 20 dB, an unknown narration mode) are
    refused here, naming the setting's values."""
    narration: Narration = "remove" if settings.dub_narration == "remove" else "duck"
    opts = DubOptions(target_lufs=settings.dub_target_lufs, max_stretch=settings.dub_max_stretch,
                      stretcher=settings.dub_stretcher, narration=narration,
                      duck_db=settings.dub_duck_db, ffmpeg=settings.ffmpeg)
    if settings.dub_narration not in ("duck", "remove"):
        raise ConfigError(path="dub_narration",
                          detail=f"{settings.dub_narration!r} (duck or remove)")
    return verify_options(opts)


def publish_options(settings: Settings, target: str = "", **changes: Any) -> PublishOptions:
    """Registry, title card, target options, UI language and protected folders (the output
    root and the current folder) from ``settings``; ``changes`` override fields."""
    base = PublishOptions(registry=load_registry(settings.glossary_dir),
                          title_card_s=settings.title_card_s,
                          storage_options=settings.storage_options(target) if target else {},
                          protected=(settings.out_dir, Path.cwd()), ui_lang=settings.ui_lang)
    return replace(base, **changes)


def state_file(out: Path, stage: str) -> Path:
    """Where a step keeps what it needs to resume (beside the stage cache records)."""
    return out / ".state" / f"{stage}.meta.json"
