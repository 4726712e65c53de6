"""A skipped sentence whose start (or end) its neighbour's run swallowed.

When a neighbour's run of speech units took the head of a sentence's speech in the same
speech region (or a sentence's template took its neighbour's speech and left its own as an
ad-lib), the speech left free beside that run is too short to be the sentence, so
:func:`gaps.rescue` cannot place it. The neighbour's run plus the free speech beside it, when
together about as long as the two sentences need, is split again between the two templates
in script order (one boundary, chosen by two open-end DTWs), and the split is kept only on
the grounds rescue asks of the skipped sentence (:func:`gaps.heard`) and when the neighbour
still fits its new part at least as well as before (see :func:`_judge`): on issue 29's
six sets a sentence not said took an ad-lib and the head of its placed neighbour's speech,
which left that neighbour a worse fit and 27 % short (shift-up-9700).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from pipeline.speech.align.evidence import ConfidenceOptions
from pipeline.speech.align.features import FRAME_HOP_MS, dtw_cost, dtw_open_end, dtw_open_start
from pipeline.speech.align.gaps import Found, Hearing, Run, cut_frames, heard

log = logging.getLogger("caunoi.align.resplit")

__all__ = ["resplit"]

#: A neighbour's length misfit |log(speech / expected)| that costs it nothing
#: (evidence.ConfidenceOptions.length_free: 95 % of right placements are within 0.1): its new
#: part may be up to this far from what it needs even when its old run fitted closer.
LENGTH_FREE = ConfidenceOptions().length_free


@dataclass(frozen=True)
class _Split:
    contrast: float  # the skipped sentence's contrast on its part (gaps.heard)
    k: int  # the skipped sentence
    j: int  # its neighbour
    stretch: tuple[int, int]  # units (first, last): the neighbour's run and free units
    frame: int  # the boundary, in frames of the stretch's features
    costs: tuple[float, float]  # mean distance of the first and the second part


def resplit(assignment: list[Run | None], found: Found, costs: tuple[float, float, float],
            hearing: Hearing) -> list[Run | None]:
    """Skipped sentences placed by splitting a neighbour's run plus the free speech beside it
    (see the module docstring). ``costs``: garbage, unrelated minus typical distance, DTW
    step penalty; ``units`` and ``unit_feats`` in ``found`` may be cut in place."""
    if not hearing.resplit or hearing.misfit <= 0:
        return assignment
    out = list(assignment)
    for k in range(len(out)):
        if out[k] is not None:
            continue
        best: _Split | None = None
        for j in _neighbours(out, k):
            (a, b), _ = out[j]  # type: ignore[misc]
            old = (sum(e - s for s, e in found[1][a: b + 1]),
                   dtw_cost(found[0][j], np.concatenate(found[2][a: b + 1]), costs[2]))
            for stretch in _stretches(out, j, len(found[1])):
                split = _split(k, j, stretch, old, found, costs, hearing)
                if split is not None and (best is None or split.contrast > best.contrast):
                    best = split
        if best is not None:
            _apply(out, best, found)
    return out


def _neighbours(out: list[Run | None], k: int) -> list[int]:
    """The nearest placed sentence before ``k`` and after it (those between are skipped)."""
    before = [j for j in range(k) if out[j] is not None]
    after = [j for j in range(k + 1, len(out)) if out[j] is not None]
    return before[-1:] + after[:1]


def _stretches(out: list[Run | None], j: int, n_units: int) -> Iterator[tuple[int, int]]:
    """Run ``j`` with 1, 2, ... of the free units right after it, then right before it."""
    used = {u for r in out if r is not None for u in range(r[0][0], r[0][1] + 1)}
    run = out[j]
    assert run is not None
    (a, b), _ = run
    c = b + 1
    while c < n_units and c not in used:
        yield a, c
        c += 1
    c = a - 1
    while c >= 0 and c not in used:
        yield c, b
        c -= 1


def _split(k: int, j: int, stretch: tuple[int, int], old: tuple[int, float], found: Found,
           costs: tuple[float, float, float], hearing: Hearing) -> _Split | None:
    """The best split between sentences ``k`` and ``j`` (in script order) of ``stretch``
    when the stretch fits both: the boundary the two templates' open-end DTWs agree on best,
    or a pause between two units (a voice far from the synthesis may blur the first), each
    judged by :func:`_judge`; ``old``: the speech (ms) of ``j``'s run before and its
    template's mean distance there."""
    pieces, units, unit_feats, expected_ms = found
    lo, hi = stretch
    speech = sum(e - s for s, e in units[lo: hi + 1])
    if abs(np.log(max(speech, 1) / max(expected_ms[k] + expected_ms[j], 1))) > hearing.misfit:
        return None
    first, second = (k, j) if k < j else (j, k)
    seg = np.concatenate(unit_feats[lo: hi + 1])
    m = seg.shape[0]
    want = [expected_ms[first] // FRAME_HOP_MS, expected_ms[second] // FRAME_HOP_MS]
    least = max(1, int(want[0] * np.exp(-hearing.misfit)),
                m - int(want[1] * np.exp(hearing.misfit)))
    most = min(m - 1, int(want[0] * np.exp(hearing.misfit)),
               m - max(1, int(want[1] * np.exp(-hearing.misfit))))
    if least > most:
        return None
    head = dtw_open_end(pieces[first], seg, costs[2])
    tail = dtw_open_start(pieces[second], seg, costs[2])
    ts = np.arange(least, most + 1)
    total = ts * head[ts - 1] + (m - ts) * tail[m - ts - 1]
    edges = np.cumsum([f.shape[0] for f in unit_feats[lo: hi]]).tolist()
    best: _Split | None = None
    for t in dict.fromkeys([int(ts[int(np.argmin(total))]),
                            *(e for e in edges if least <= e <= most)]):
        split = _judge((k, j), (stretch, t), seg, old, found, costs, hearing)
        if split is not None and (best is None or split.contrast > best.contrast):
            best = split
    return best


def _judge(pair: tuple[int, int], cut: tuple[tuple[int, int], int], seg: np.ndarray,
           old: tuple[int, float], found: Found, costs: tuple[float, float, float],
           hearing: Hearing
           ) -> _Split | None:
    """Skipped sentence ``k`` and neighbour ``j`` (``pair``) split at frame ``t`` of the
    stretch's features ``seg`` (``cut``: stretch, t), when both parts pass: the neighbour's
    template fits its new part better than unrelated speech, better than ``k``'s template
    and no worse than its old run (``old``: speech ms, distance), and its length fits as
    well as before or within :data:`LENGTH_FREE` (never break a neighbour placed right)."""
    (k, j), (stretch, t) = pair, cut
    pieces, _, _, expected_ms = found
    garbage, _, penalty = costs
    first, second = sorted(pair)
    parts = {first: seg[:t], second: seg[t:]}
    hear = heard(k, parts[k], found, costs, hearing)
    if hear is None:
        return None
    cost_j = dtw_cost(pieces[j], parts[j], penalty)
    length = (float(np.log(max(old[0], 1) / max(expected_ms[j], 1))),
              float(np.log(max(parts[j].shape[0] * FRAME_HOP_MS, 1) / max(expected_ms[j], 1))))
    kept = (cost_j < garbage and cost_j <= old[1]
            and cost_j < dtw_cost(pieces[k], parts[j], penalty)
            and abs(length[1]) <= min(hearing.misfit, max(abs(length[0]), LENGTH_FREE)))
    log.debug("resplit %d|%d units %d-%d at %d/%d: contrast %.3f, neighbour cost %.3f -> "
              "%.3f (garbage %.3f), length %.3f -> %.3f, %s", first, second, *stretch, t,
              seg.shape[0], hear[0], old[1], cost_j, garbage, length[0], length[1],
              "kept" if kept else "refused")
    if not kept:
        return None
    cost = {k: hear[1], j: cost_j}
    return _Split(hear[0], k, j, stretch, t, (cost[first], cost[second]))


def _apply(out: list[Run | None], split: _Split, found: Found) -> None:
    """Cut the stretch's units at the boundary (in place) and give both sentences their part."""
    units, unit_feats = found[1], found[2]
    lo, hi = split.stretch
    n = len(units)
    _, last = cut_frames(units, unit_feats, lo, (0, split.frame), out)
    hi += len(units) - n
    first, second = sorted((split.k, split.j))
    out[first] = ((lo, last), split.costs[0])
    out[second] = ((last + 1, hi), split.costs[1])
    log.info("sentence %d placed by splitting %d's run with the free speech beside it "
             "(units %d-%d | %d-%d, contrast %.2f)", split.k, split.j, lo, last, last + 1, hi,
             split.contrast)
