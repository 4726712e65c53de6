"""Whisper's answers about script sentences on spans of a recording, as contrasts.

Every answer compares texts on the same audio: a sentence's own text against its
neighbours' (the same model, the same voice, the same band: what the model is unsure of
on a phone band cancels out). A text's score is its mean log-probability per word forced
onto the audio less its *prior*, the same text forced onto a window holding no speech:
Whisper's decoder favours some texts whatever it hears (common words, short sentences; on
a phone band it may prefer a neighbour's text on a sentence's own audio), and what the
audio adds is what tells the texts apart. Used by :mod:`pipeline.speech.align.ear_check`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pipeline.core.types import AlignedSentence
from pipeline.core.vi_numbers import spoken_form
from pipeline.speech.align.ear import RATE, WINDOW_S, Ear, EarWord

__all__ = ["Heard", "Listener", "score"]


def score(words: list[EarWord]) -> float:
    probs = [w.probability for w in words if any(c.isalnum() for c in w.text)]
    return float(np.mean(np.log(np.clip(probs, 1e-6, 1.0)))) if probs else -99.0


def _rivals(k: int, n: int, unheard: frozenset[int] = frozenset()) -> list[int]:
    """The two nearest sentences, passing over those in ``unheard``."""
    near = [j for d in range(1, n) for j in (k - d, k + d) if 0 <= j < n and j not in unheard]
    return near[:2]


@dataclass(frozen=True)
class Heard:
    """A sentence's text scored on a span: its margin over the best neighbour's text, its
    own score, its forced words, where the scored window starts (ms) and the raw scores of
    the neighbours' texts (by sentence)."""

    contrast: float
    own: float
    words: list[EarWord]
    origin_ms: int
    rivals: tuple[tuple[int, float], ...] = ()


class Listener:
    """Contrast scores of script sentences on spans of the recording (``prior``: each
    text's score less its score on silence; see the module docstring)."""

    def __init__(self, ear: Ear, samples: np.ndarray, texts: list[str], pad_ms: int,
                 prior: bool = True, wav: Path | None = None) -> None:
        self.ear, self.samples, self.pad = ear, samples, pad_ms
        #: The recording ``samples`` were read from (its levels are kept: levels.py).
        self.wav = wav
        self.tokens = [ear.tokens(spoken_form(t)) for t in texts]
        self.calls = 0
        self._sure_heard: list[Heard] | None = None
        self._prior: list[float] | None = None if prior else [0.0] * len(texts)

    @property
    def total_ms(self) -> int:
        return int(1000 * self.samples.size / RATE)

    def prior(self, k: int) -> float:
        """Text ``k``'s score on two seconds of silence (asked once for every text)."""
        if self._prior is None:
            forced = self.ear.words_many(np.zeros(2 * RATE, dtype=np.float32), self.tokens)
            self.calls += 1
            self._prior = [score(f) for f in forced]
        return self._prior[k]

    def contrast(self, k: int, a_ms: int, b_ms: int,
                 unheard: frozenset[int] = frozenset()) -> Heard:
        """Sentence ``k``'s text against its neighbours' on [a, b] (padded, ≤ 30 s); the
        sentences in ``unheard`` (skipped too, their speech may be on [a, b]) are no rivals."""
        a = max(0, a_ms - self.pad)
        b = min(a + WINDOW_S * 1000, b_ms + self.pad, self.total_ms)
        window = self.samples[a * RATE // 1000: b * RATE // 1000]
        if window.size < RATE // 4:
            return Heard(-99.0, -99.0, [], a)
        rivals = _rivals(k, len(self.tokens), unheard)
        forced = self.ear.words_many(window, [self.tokens[k], *(self.tokens[j] for j in rivals)])
        self.calls += 1
        own = score(forced[0])
        raw = tuple((j, score(f)) for j, f in zip(rivals, forced[1:], strict=True))
        best = max((s - self.prior(j) for j, s in raw), default=-99.0)
        return Heard(own - self.prior(k) - best, own, forced[0], a, raw)

    def _sure(self, sentences: list[AlignedSentence], n: int) -> list[Heard]:
        if self._sure_heard is None:
            sure = sorted((s for s in sentences if s.status == "matched"),
                          key=lambda s: -s.confidence)[:n]
            self._sure_heard = [self.contrast(sentences.index(s), s.start_ms, s.end_ms)
                                for s in sure]
        return self._sure_heard

    def typical(self, sentences: list[AlignedSentence], n: int = 2) -> float:
        """The own score of the lesson's surest sentences where the acoustics put them:
        what this model gives this narrator's spoken sentences (asked once)."""
        heard = self._sure(sentences, n)
        return float(np.median([h.own for h in heard])) if heard else -99.0

    def typical_contrast(self, sentences: list[AlignedSentence], n: int = 2) -> float:
        """The contrast of the lesson's surest sentences where the acoustics put them: how
        clearly this model tells this narrator's sentences from their neighbours."""
        heard = self._sure(sentences, n)
        return float(np.median([h.contrast for h in heard])) if heard else 0.0
