"""Transcript aligner: the script is the truth for the words, Whisper's word times give the
timing. Script and transcript syllables are aligned by dynamic programming (edit distance,
tone-less equality as a cheaper mismatch); a sentence takes the times of its matched words.
Transcript syllables left unmatched between sentences are ad-libs."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numba
import numpy as np

from pipeline.core.errors import AlignmentError
from pipeline.core.text import strip_tones, syllables
from pipeline.core.types import AlignedSentence, Alignment, Ingested, Transcript, Word
from pipeline.core.vi_numbers import spoken_form
from pipeline.speech.align.base import Aligner, AlignOptions, place
from pipeline.speech.align.gaps import fill_gaps

__all__ = ["Evidence", "TranscriptAligner", "TranscriptOptions", "align_tokens",
           "sentence_evidence"]

log = logging.getLogger("caunoi.align.transcript")

#: Costs of the edit-distance alignment.
TONELESS_COST = 0.4
SUBSTITUTE_COST = 1.0
GAP_COST = 0.7


@dataclass(frozen=True)
class TranscriptOptions:
    # A sentence with fewer matched syllables than this share was not spoken.
    min_matched: float = 0.3
    # Unmatched transcript speech of at least this many syllables is an ad-lib.
    min_adlib_syllables: int = 3
    # The transcript is usable when this share of its syllables occur in the script.
    min_vocabulary_overlap: float = 0.4


@numba.njit(cache=True)
def _nw(a: np.ndarray, a_tl: np.ndarray, b: np.ndarray, b_tl: np.ndarray) -> np.ndarray:
    n, m = a.size, b.size
    cost = np.zeros((n + 1, m + 1), dtype=np.float32)
    move = np.zeros((n + 1, m + 1), dtype=np.int8)
    for i in range(1, n + 1):
        cost[i, 0], move[i, 0] = i * GAP_COST, 1
    for j in range(1, m + 1):
        cost[0, j], move[0, j] = j * GAP_COST, 2
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            if a[i - 1] == b[j - 1]:
                sub = 0.0
            elif a_tl[i - 1] == b_tl[j - 1]:
                sub = TONELESS_COST
            else:
                sub = SUBSTITUTE_COST
            best, mv = cost[i - 1, j - 1] + sub, 0
            if cost[i - 1, j] + GAP_COST < best:
                best, mv = cost[i - 1, j] + GAP_COST, 1
            if cost[i, j - 1] + GAP_COST < best:
                best, mv = cost[i, j - 1] + GAP_COST, 2
            cost[i, j], move[i, j] = best, mv
    pair = np.full(n, -1, dtype=np.int64)
    i, j = n, m
    while i > 0 and j > 0:
        mv = move[i, j]
        if mv == 0:
            if a_tl[i - 1] == b_tl[j - 1]:
                pair[i - 1] = j - 1
            i, j = i - 1, j - 1
        elif mv == 1:
            i -= 1
        else:
            j -= 1
    return pair


def align_tokens(script: list[str], heard: list[str]) -> list[int | None]:
    """For each script syllable, the index of the heard syllable it matches (same letters,
    tones aside), or None."""
    vocab: dict[str, int] = {}

    def ids(tokens: list[str]) -> np.ndarray:
        return np.array([vocab.setdefault(t, len(vocab)) for t in tokens], dtype=np.int64)

    pair = _nw(ids(script), ids([strip_tones(t) for t in script]), ids(heard),
               ids([strip_tones(t) for t in heard]))
    return [int(p) if p >= 0 else None for p in pair]


def _heard_syllables(words: list[Word]) -> list[tuple[str, int, int, float]]:
    """Split transcript words into syllables, sharing each word's time evenly."""
    out = []
    for w in words:
        parts = syllables(spoken_form(w.text))
        span = max(1, w.end_ms - w.start_ms)
        for k, p in enumerate(parts):
            out.append((p, w.start_ms + span * k // len(parts),
                        w.start_ms + span * (k + 1) // len(parts), w.probability))
    return out


@dataclass(frozen=True)
class Evidence:
    """What the transcript says about one script sentence."""

    # Script syllables matched to heard ones (tones aside), and their share of the sentence.
    hits: int
    share: float
    # Matched syllables inside runs of at least two consecutive matches (anchors).
    anchors: int
    # Mean word probability of the matched syllables.
    probability: float
    # Heard times of the first and last matched syllable, and the heard indices.
    start_ms: int
    end_ms: int
    first: int
    last: int

    @property
    def confidence(self) -> float:
        return self.share * self.probability


def sentence_evidence(ingested: Ingested, transcript: Transcript,
                      ) -> tuple[list[Evidence | None], list[tuple[str, int, int, float]]]:
    """Per script sentence the transcript's evidence (None: no syllable matched), and the
    heard syllables (text, start, end, probability)."""
    heard = _heard_syllables(transcript.words)
    script: list[str] = []
    owner: list[int] = []
    for k, s in enumerate(ingested.lesson.sentences):
        toks = syllables(spoken_form(s.text))
        script += toks
        owner += [k] * len(toks)
    pairs = align_tokens(script, [h[0] for h in heard])
    out: list[Evidence | None] = []
    for k in range(len(ingested.lesson.sentences)):
        mine = [pairs[t] for t in range(len(script)) if owner[t] == k]
        hits = [p for p in mine if p is not None]
        if not hits:
            out.append(None)
            continue
        anchors = sum(1 for i, p in enumerate(mine) if p is not None and (
            (i > 0 and mine[i - 1] is not None) or (i + 1 < len(mine) and mine[i + 1] is not None)))
        lo, hi = min(hits), max(hits)
        out.append(Evidence(len(hits), len(hits) / max(1, len(mine)), anchors,
                            float(np.mean([heard[p][3] for p in hits])), heard[lo][1],
                            heard[hi][2], lo, hi))
    return out, heard


class TranscriptAligner(Aligner):
    name = "transcript"

    def __init__(self, options: TranscriptOptions | None = None) -> None:
        self.options = options or TranscriptOptions()

    def usable(self, ingested: Ingested, transcript: Transcript) -> bool:
        """Whether the transcript resembles the script (a wrong model gives noise)."""
        heard = [strip_tones(h[0]) for h in _heard_syllables(transcript.words)]
        if len(heard) < 3:
            return False
        vocab = {strip_tones(t) for s in ingested.lesson.sentences
                 for t in syllables(spoken_form(s.text))}
        return sum(h in vocab for h in heard) / len(heard) >= self.options.min_vocabulary_overlap

    def can_run(self, transcript: Transcript | None) -> bool:
        return transcript is not None and bool(transcript.words)

    def align(self, ingested: Ingested, transcript: Transcript | None,
              opts: AlignOptions) -> Alignment:
        if transcript is None or not transcript.words:
            raise AlignmentError(path=str(ingested.lesson.recording),
                                 detail="the transcript aligner needs a Whisper transcript "
                                        "(no ASR model installed?): use --aligner dtw")
        o = self.options
        evidence, heard = sentence_evidence(ingested, transcript)
        out: list[AlignedSentence] = []
        used: set[int] = set()
        for s, ev in zip(ingested.lesson.sentences, evidence, strict=True):
            if ev is None or ev.share < o.min_matched:
                # Little evidence is not absence: fill_gaps decides from the audio.
                out.append(AlignedSentence(s.index, s.chapter, s.text, 0, 0, "skipped",
                                           1.0 - (ev.share if ev else 0.0)))
                continue
            used.update(range(ev.first, ev.last + 1))
            out.append(AlignedSentence(s.index, s.chapter, s.text, ev.start_ms, ev.end_ms,
                                       "matched", ev.confidence))
        out = fill_gaps(out, ingested)
        adlibs = []
        run: list[int] = []
        for j in [*range(len(heard)), -1]:
            if j >= 0 and j not in used and not _inside(heard[j][1], out):
                run.append(j)
                continue
            if len(run) >= o.min_adlib_syllables:
                text = " ".join(heard[r][0] for r in run)
                adlibs.append(AlignedSentence(None, "", text, heard[run[0]][1],
                                              heard[run[-1]][2], "ad-lib", 0.5))
            run = []
        return Alignment(aligner=self.name, sentences=tuple(place(out, adlibs)))


def _inside(t: int, sentences: list[AlignedSentence]) -> bool:
    return any(s.status == "matched" and s.start_ms <= t < s.end_ms for s in sentences)
