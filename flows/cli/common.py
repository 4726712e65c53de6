"""What every subcommand shares: messages, comma lists, the step reporter, lesson ids."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from pipeline.core.config import Settings, load_settings
from pipeline.core.i18n import t

if TYPE_CHECKING:
    from pipeline.review.store import ReviewStore

__all__ = ["csv_list", "lesson_id", "load_cli_settings", "msg", "print_report", "review_store"]


def msg(key: str, **kw: object) -> str:
    """A CLI message in the chosen UI language."""
    return t(f"cli.{key}", **kw)


def csv_list(value: str | None) -> tuple[str, ...] | None:
    """``"vi, hmn"`` → ``("vi", "hmn")``; None stays None (not given)."""
    if value is None:
        return None
    return tuple(v.strip() for v in value.split(",") if v.strip())


def load_cli_settings(args: argparse.Namespace) -> Settings:
    """Settings from caunoi.toml / CAUNOI_* with the command line's overrides."""
    return load_settings(args.config, out_dir=getattr(args, "out", None),
                         aligner=getattr(args, "aligner", None),
                         asr_backend=getattr(args, "asr_backend", None),
                         mt_backend=getattr(args, "mt_backend", None),
                         ui_lang="en" if args.en else None)


def print_report(stage: str, skipped: bool, detail: str) -> None:
    mark = f"[{msg('skipped')}] " if skipped else ""
    print(f"  • {stage}: {mark}{detail}", flush=True)


def lesson_id(value: str) -> str:
    """A lesson id given directly, or read from a lesson folder."""
    from pipeline.ingest import lesson_id_of

    path = Path(value)
    return lesson_id_of(path) if (path / "lesson.toml").is_file() else value


def review_store(settings: Settings) -> ReviewStore:
    """The review store of these settings (imported late: SQLAlchemy is slow to import)."""
    from pipeline.review.store import ReviewStore

    return ReviewStore(settings.review_url)
