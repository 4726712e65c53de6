"""Auto alignment with a transcript: the acoustic (DTW) alignment decides, the transcript is
evidence. Where confidently matched transcript words agree with the acoustic alignment, the
sentence keeps the acoustic times with a higher confidence; where a run of confidently
matched words contradicts it, or finds a sentence the acoustics called skipped, the
transcript's times win for that sentence only. A weak transcript changes nothing, so this is
never worse than the weights-free aligner on sentences the transcript does not know."""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace

from pipeline.core.types import AlignedSentence, Alignment, Ingested, Transcript
from pipeline.speech.align.base import Aligner, AlignOptions, place
from pipeline.speech.align.dtw import DTWAligner
from pipeline.speech.align.synth import espeak_available
from pipeline.speech.align.transcript import Evidence, sentence_evidence

__all__ = ["HybridAligner", "HybridOptions"]

log = logging.getLogger("caunoi.align.hybrid")


@dataclass(frozen=True)
class HybridOptions:
    # Confident transcript evidence for a sentence: at least this many anchored syllables
    # (in runs of two or more), this share of the sentence matched, this word probability.
    min_anchors: int = 4
    min_share: float = 0.5
    min_probability: float = 0.4
    # Acoustic and transcript spans agree when they overlap this share of the shorter one.
    agree_overlap: float = 0.5
    # Weight of the acoustic confidence in the combined one.
    acoustic_weight: float = 0.6


def _overlap(a: AlignedSentence, ev: Evidence) -> float:
    inter = min(a.end_ms, ev.end_ms) - max(a.start_ms, ev.start_ms)
    shorter = max(1, min(a.end_ms - a.start_ms, ev.end_ms - ev.start_ms))
    return max(0, inter) / shorter


class HybridAligner(Aligner):
    name = "hybrid"

    def __init__(self, options: HybridOptions | None = None) -> None:
        self.options = options or HybridOptions()

    def can_run(self, transcript: Transcript | None) -> bool:
        return transcript is not None and bool(transcript.words) and espeak_available()

    def _strong(self, ev: Evidence | None) -> bool:
        o = self.options
        return (ev is not None and ev.anchors >= o.min_anchors and ev.share >= o.min_share
                and ev.probability >= o.min_probability)

    def _merge(self, d: AlignedSentence, ev: Evidence | None) -> tuple[AlignedSentence, str]:
        """One sentence from both sources; the second value says which decided."""
        o = self.options
        tr_conf = ev.confidence if ev is not None else 0.0
        if not self._strong(ev) or ev is None:
            if d.status == "skipped":
                return d, "dtw"
            conf = o.acoustic_weight * d.confidence + (1 - o.acoustic_weight) * tr_conf
            return replace(d, confidence=conf), "dtw"
        if d.status == "matched" and _overlap(d, ev) >= o.agree_overlap:
            conf = min(1.0, o.acoustic_weight * d.confidence + (1 - o.acoustic_weight)
                       * tr_conf + 0.2)
            return replace(d, confidence=conf), "both"
        # The acoustics lost this sentence (elsewhere, or skipped): the transcript places it.
        return replace(d, start_ms=ev.start_ms, end_ms=max(ev.end_ms, ev.start_ms + 1),
                       status="matched", confidence=(1 - o.acoustic_weight) * tr_conf), \
            "transcript"

    def align(self, ingested: Ingested, transcript: Transcript | None,
              opts: AlignOptions) -> Alignment:
        acoustic = DTWAligner().align(ingested, None, opts)
        if transcript is None or not transcript.words:
            return acoustic
        evidence, heard = sentence_evidence(ingested, transcript)
        by_index = {s.index: s for s in acoustic.sentences if s.index is not None}
        out: list[AlignedSentence] = []
        decided: list[str] = []
        for s, ev in zip(ingested.lesson.sentences, evidence, strict=True):
            merged, source = self._merge(by_index[s.index], ev)
            out.append(merged)
            decided.append(source)
        out = _untangle(out, decided, [by_index[s.index] for s in ingested.lesson.sentences])
        log.info("hybrid: %d sentences confirmed by the transcript, %d placed by it",
                 decided.count("both"), decided.count("transcript"))
        # Acoustic ad-libs no placed sentence covers, with what the transcript heard there.
        adlibs = [replace(a, text=" ".join(h[0] for h in heard if a.start_ms <= h[1] < a.end_ms))
                  for a in acoustic.sentences if a.status == "ad-lib"
                  and not any(s.status == "matched" and s.start_ms < a.end_ms
                              and a.start_ms < s.end_ms for s in out)]
        return Alignment(aligner=self.name, sentences=tuple(place(out, adlibs)))


def _untangle(out: list[AlignedSentence], decided: list[str],
              acoustic: list[AlignedSentence]) -> list[AlignedSentence]:
    """Keep script order: a transcript-placed sentence out of order with its acoustic
    neighbours falls back to the acoustic result; overlaps are clipped at the midpoint."""
    fixed = list(out)
    for k, src in enumerate(decided):
        if src != "transcript":
            continue
        prev = [s for s in fixed[:k] if s.status == "matched"]
        nxt = [s for s in fixed[k + 1:] if s.status == "matched"]
        s = fixed[k]
        if (prev and s.end_ms <= prev[-1].start_ms) or (nxt and s.start_ms >= nxt[0].end_ms):
            decided[k] = "dtw-order"
            fixed[k] = acoustic[k]
    for k in range(1, len(fixed)):
        a, b = fixed[k - 1], fixed[k]
        if a.status == "matched" and b.status == "matched" and b.start_ms < a.end_ms:
            mid = (max(a.start_ms, b.start_ms) + min(a.end_ms, b.end_ms)) // 2
            fixed[k - 1] = replace(a, end_ms=max(a.start_ms + 1, mid))
            fixed[k] = replace(b, start_ms=min(mid, b.end_ms - 1))
    return fixed
