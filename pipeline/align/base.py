"""The aligner plugin interface and its options."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import ClassVar

from pipeline.types import Alignment, Ingested, Transcript

__all__ = ["AlignOptions", "Aligner"]


@dataclass(frozen=True)
class AlignOptions:
    # Aligner name, or "auto".
    aligner: str = "auto"
    # Sentences below this confidence are listed in the deviation report.
    low_confidence: float = 0.5


class Aligner(ABC):
    """How to add an aligner: subclass, set ``name``, implement ``align``, register it in
    ``pipeline.align.ALIGNERS`` (and ``AUTO_ORDER`` if "auto" may pick it)."""

    name: ClassVar[str]

    def can_run(self, transcript: Transcript | None) -> bool:
        """Whether this aligner has what it needs (a transcript, a binary...)."""
        return True

    @abstractmethod
    def align(self, ingested: Ingested, transcript: Transcript | None,
              opts: AlignOptions) -> Alignment: ...
