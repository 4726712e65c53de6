"""Cầu Nối pipeline: plain functions, one module per stage, no Prefect anywhere in here.

Stages, in data-flow order: ``ingest`` → ``transcribe`` → ``align`` → ``segment`` →
``subtitles`` → ``render`` → ``publish``. ``pipeline.produce`` runs them in order.
"""

from pipeline.errors import CaunoiError

__all__ = ["CaunoiError", "__version__"]
__version__ = "0.1.0"
