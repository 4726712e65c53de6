"""Pass 1 of the weights-free aligner: the synthesis closest to the narrator.

One banded DTW over the whole lesson per candidate: the espeak-ng voice (a female narrator
matches a female voice better), then the vocal-tract-length warp of that voice, then the
regional accent said at that voice height. A southern narrator says "tin" and "giữ" the
way espeak-ng's southern voice does, not the northern one: with northern templates such a
sentence fits its own speech worse than its neighbours' templates and is reported skipped.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

from pipeline.speech.align.features import banded_dtw, mfcc
from pipeline.speech.align.synth import synthesize_all

__all__ = ["Choice", "Templates", "best_template", "local_distances"]

log = logging.getLogger("caunoi.align.templates")


@dataclass(frozen=True)
class Choice:
    """The candidates: ``voices`` at warp 1, then ``warps[1:]`` of the best voice, then each
    of ``accents`` with the best voice's variant (``+f4``) and warp."""
    voices: tuple[str, ...]
    warps: tuple[float, ...]
    accents: tuple[str, ...]
    wpm: int
    band_hz: tuple[float, float]
    cepstra: int


@dataclass(frozen=True)
class Templates:
    """The chosen synthesis: its name (``voice@warp``), one template per sentence, their
    concatenation and the DTW path (synthesis frames ``path_i`` to speech ``path_j``)."""
    name: str
    pieces: list[np.ndarray]
    synth: np.ndarray
    path_i: np.ndarray
    path_j: np.ndarray


def best_template(texts: list[str], rec: np.ndarray, band: int, c: Choice) -> Templates:
    """The candidate of ``c`` whose whole-lesson DTW path to ``rec`` has the lowest median
    local distance (templates through filters warped by 1/warp match a narrator whose
    formants sit ``warp`` times higher)."""
    best: tuple[float, str, float, Templates] | None = None

    def trial(voice: str, warp: float) -> None:
        nonlocal best
        pieces = [mfcc(*said, c.band_hz, 1 / warp)[:, : c.cepstra]
                  for said in synthesize_all(texts, voice, c.wpm)]
        synth = np.concatenate(pieces)
        path_i, path_j = banded_dtw(synth, rec, band)
        score = float(np.median(local_distances(synth, rec, path_i, path_j)))
        log.debug("template %s@%g: median distance %.4f", voice, warp, score)
        if best is None or score < best[0]:
            name = voice if warp == 1.0 else f"{voice}@{warp:g}"
            best = (score, voice, warp, Templates(name, pieces, synth, path_i, path_j))

    for voice in c.voices:
        trial(voice, c.warps[0])
    assert best is not None
    chosen = best[1]
    for warp in c.warps[1:]:
        trial(chosen, warp)
    variant = "".join(best[1].partition("+")[1:])
    for accent in c.accents:
        trial(accent + variant, best[2])
    return best[3]


def local_distances(a: np.ndarray, b: np.ndarray, pi: np.ndarray, pj: np.ndarray
                    ) -> np.ndarray:
    """Frame distances along a DTW path."""
    return np.asarray(np.linalg.norm(a[pi] - b[pj], axis=1))
