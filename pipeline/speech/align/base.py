"""The aligner plugin interface and its options."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, ClassVar

from pipeline.core.types import AlignedSentence, Alignment, Ingested, Transcript

if TYPE_CHECKING:
    from pipeline.speech.transcribe import TranscribeOptions

__all__ = ["AlignOptions", "Aligner", "merge_adlibs", "place"]


@dataclass(frozen=True)
class AlignOptions:
    # Aligner name, or "auto".
    aligner: str = "auto"
    # Sentences below this confidence are listed in the deviation report.
    low_confidence: float = 0.5
    # The Whisper model (backend, model, threads) when one is installed: the "whisper"
    # aligner forces the script onto the recording with it (None: no second ear).
    asr: TranscribeOptions | None = None


class Aligner(ABC):
    """How to add an aligner: subclass, set ``name``, implement ``align``, register it in
    ``pipeline.speech.align.ALIGNERS`` (and ``AUTO_ORDER`` if "auto" may pick it)."""

    name: ClassVar[str]

    def can_run(self, transcript: Transcript | None) -> bool:
        """Whether this aligner has what it needs (a transcript, a binary...)."""
        return True

    @abstractmethod
    def align(self, ingested: Ingested, transcript: Transcript | None,
              opts: AlignOptions) -> Alignment: ...


def merge_adlibs(sentences: list[AlignedSentence],
                 adlibs: list[AlignedSentence]) -> list[AlignedSentence]:
    """Insert ad-lib entries (speech not in the script) among the script sentences by time,
    trimming each to the gap it falls in; script sentences keep their order."""
    out = list(sentences)
    for ad in sorted(adlibs, key=lambda a: a.start_ms):
        pos = 0
        while pos < len(out) and (out[pos].start_ms < ad.start_ms
                                  or (out[pos].status == "skipped" and out[pos].start_ms
                                  <= ad.start_ms)):
            pos += 1
        prev_end = max((s.end_ms for s in out[:pos]), default=0)
        next_start = out[pos].start_ms if pos < len(out) else ad.end_ms
        start, end = max(ad.start_ms, prev_end), min(ad.end_ms, next_start)
        if end - start >= 300:
            out.insert(pos, AlignedSentence(None, ad.chapter or (out[pos - 1].chapter if pos
                                                                 else ""),
                                            ad.text, start, end, "ad-lib", ad.confidence))
    return out


def place(sentences: list[AlignedSentence],
          adlibs: list[AlignedSentence]) -> list[AlignedSentence]:
    """Put skipped sentences, zero-length, where they would have been said; add ad-libs."""
    fixed: list[AlignedSentence] = []
    cursor = 0
    for s in sentences:
        if s.status == "skipped":
            fixed.append(replace(s, start_ms=cursor, end_ms=cursor))
        else:
            fixed.append(s)
            cursor = s.end_ms
    return merge_adlibs(fixed, adlibs)
