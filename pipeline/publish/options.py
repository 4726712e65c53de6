"""Options of publishing (built from Settings by ``pipeline.steps.options.publish_options``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline.core.config import Settings
from pipeline.core.languages import Registry

__all__ = ["PublishOptions"]


@dataclass(frozen=True)
class PublishOptions:
    # Language registry: the source language and every language's own name.
    registry: Registry
    # Seconds of title card before the recording, for manifests that do not record it.
    title_card_s: float
    # Only these languages / profiles (empty = all published ones).
    languages: tuple[str, ...] = ()
    profiles: tuple[str, ...] = ()
    # Add an HLS ladder with WebVTT renditions.
    hls: bool = False
    # fsspec options of the target (e.g. an S3 endpoint).
    storage_options: dict[str, Any] = field(default_factory=dict)
    # Local folders never written to or replaced, nor their parents.
    protected: tuple[Path, ...] = ()
    # Replace a previous bundle of this tool (never anything else).
    force: bool = False
    # Language of the bundle page's frame (title, tagline; Settings.ui_lang).
    ui_lang: str = Settings.ui_lang
    # The bundle page's words per language: language -> interface key -> approved text
    # (pipeline.publish.interface; filled from the review store by the steps/CLI glue).
    interface: dict[str, dict[str, str]] = field(default_factory=dict)
