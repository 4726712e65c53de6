"""Cầu Nối pipeline: plain functions, one package per stage, no Prefect anywhere in here.

Stages, in data-flow order (``pipeline.steps`` holds the one step plan every runner iterates):
``ingest`` → ``speech`` (transcribe, align, segment, subtitles) → ``translate`` → ``review`` →
``render`` → ``publish``; ``core`` holds what they share.
"""

from pipeline.core.errors import CaunoiError

__all__ = ["CaunoiError", "__version__"]
__version__ = "0.1.0"
