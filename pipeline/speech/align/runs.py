"""The DTW aligner's second pass: which run of speech units each script sentence takes."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pipeline.speech.align.features import dtw_cost

__all__ = ["LengthPrior", "RunLimits", "assign_runs", "trim_blips"]

Run = tuple[tuple[int, int], float]


@dataclass(frozen=True)
class RunLimits:
    # Search window around the expected unit of a sentence, and longest run, in units.
    window_units: int = 6
    max_units: int = 6


@dataclass(frozen=True)
class LengthPrior:
    """A sentence takes about its expected length of speech: a run whose length is off by
    more than ``free`` (|log(speech / expected)|) costs ``weight`` × the excess × ``scale``
    more per frame (``scale``: unrelated minus typical match distance)."""
    tempo: float
    scale: float
    weight: float
    free: float = 0.2

    def cost(self, syn_frames: int, seg_frames: int) -> float:
        misfit = abs(float(np.log(max(seg_frames, 1) / max(syn_frames * self.tempo, 1.0))))
        return self.weight * max(0.0, misfit - self.free) * self.scale


def assign_runs(sentences: list[np.ndarray], units: list[np.ndarray], expected: list[int],
                costs: tuple[float, float], limits: RunLimits, skip: float | None = None,
                length: LengthPrior | None = None) -> list[Run | None]:
    """Dynamic programme over (sentence, unit): each sentence takes a run of consecutive
    units, is skipped (cost ``skip``, by default ``garbage``, per synthesised frame), or
    units stay unmatched (``garbage`` per frame); ``costs``: (garbage, DTW step penalty).
    Returns per sentence ((first, last unit), mean cost) or None."""
    garbage, penalty = costs
    n, m = len(sentences), len(units)
    lens = [u.shape[0] for u in units]
    best = np.full((n + 1, m + 1), np.inf)
    choice: dict[tuple[int, int], tuple[str, int, float]] = {}
    best[0, 0] = 0.0
    for r in range(1, m + 1):
        best[0, r] = best[0, r - 1] + garbage * lens[r - 1]
        choice[(0, r)] = ("adlib", r - 1, 0.0)
    for k in range(1, n + 1):
        syn = sentences[k - 1]
        lo, hi = expected[k - 1] - limits.window_units, expected[k - 1] + limits.window_units
        for r in range(0, m + 1):
            cand = best[k - 1, r] + (garbage if skip is None else skip) * syn.shape[0]
            pick: tuple[str, int, float] = ("skip", r, 0.0)
            if r > 0 and best[k, r - 1] + garbage * lens[r - 1] < cand:
                cand = best[k, r - 1] + garbage * lens[r - 1]
                pick = ("adlib", r - 1, 0.0)
            if lo <= r - 1 <= hi:
                frames = 0
                for a in range(r - 1, max(-1, r - 1 - limits.max_units), -1):
                    frames += lens[a]
                    if frames > 3 * syn.shape[0] + 100 or best[k - 1, a] == np.inf:
                        break
                    seg = np.concatenate(units[a:r]) if r - a > 1 else units[a]
                    mean = dtw_cost(syn, seg, penalty)
                    extra = length.cost(syn.shape[0], frames) if length else 0.0
                    # Every frame, narrated or synthesised, costs once: matched at the mean
                    # distance, or left over at the garbage cost.
                    total = best[k - 1, a] + (mean + extra) * (syn.shape[0] + seg.shape[0])
                    if total < cand:
                        cand, pick = total, ("match", a, mean)
            best[k, r] = cand
            choice[(k, r)] = pick
    return _trace(choice, n, m)


def _trace(choice: dict[tuple[int, int], tuple[str, int, float]], n: int, m: int
           ) -> list[Run | None]:
    """The runs of the best path through ``choice``, from (n, m) back."""
    result: list[Run | None] = [None] * n
    k, r = n, m
    while k > 0 or r > 0:
        kind, a, mean = choice[(k, r)]
        if kind == "adlib":
            r = a
        elif kind == "skip":
            k -= 1
        else:
            result[k - 1] = ((a, r - 1), mean)
            k, r = k - 1, a
    return result


def trim_blips(a: int, b: int, units: list[tuple[int, int]], min_ms: int) -> tuple[int, int]:
    """Units a..b without the blips (shorter than ``min_ms``: a note, a knock) at either
    end."""
    while a < b and units[a][1] - units[a][0] < min_ms:
        a += 1
    while b > a and units[b][1] - units[b][0] < min_ms:
        b -= 1
    return a, b
