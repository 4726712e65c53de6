"""A sentence whose run took far more speech than it could hold keeps only its own part.

When the speech detector misses the short pause between a sentence and an ad-lib beside it
(a clipping phone's noise fills it), the two share a speech unit and the run DP gives the
sentence the whole unit: the ad-lib is lost and one edge of the sentence is seconds off. The
ear has the same rule with the model (a stretched sentence heard from its start to an end
inside its span is placed there); this is its counterpart with the templates only. A run
longer than ``stretched`` times the sentence's expected speech is cut to the head or the
tail of about its expected length where an open-end DTW of its template ends (the spans
:func:`gaps.rescue` tries), when its template fits that part better than the whole run; the
rest is left unmatched (an ad-lib when long enough).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

from pipeline.speech.align.features import FRAME_HOP_MS, dtw_cost
from pipeline.speech.align.gaps import Found, Hearing, Run, candidate_spans, cut_frames

__all__ = ["Tighten", "tighten"]

log = logging.getLogger("caunoi.align.tighten")


@dataclass(frozen=True)
class Tighten:
    # A run longer than this times its expected speech is stretched (the ear's rule, see
    # ear_check's stretched: 99 % of right placements are within 1.35 times;
    # 0: off, main's behaviour before dtw31).
    stretched: float = 1.45
    # The part kept is within this |log(length / expected)| (gaps.Hearing.misfit) and leaves
    # at least min_rest_ms beside it (the shortest ad-lib reported).
    misfit: float = 0.3
    min_rest_ms: int = 300


def tighten(assignment: list[Run | None], found: Found, penalty: float, t: Tighten
            ) -> list[Run | None]:
    """Stretched runs cut to the head or tail their template fits best (see the module
    docstring). ``found``: templates, units, unit features, expected ms per sentence (units
    and features may be cut in place); ``penalty``: the DTW step penalty."""
    if t.stretched <= 0:
        return assignment
    pieces, units, unit_feats, expected_ms = found
    out = list(assignment)
    hearing = Hearing(misfit=t.misfit, min_rest_ms=t.min_rest_ms)
    for k in range(len(out)):
        r = out[k]
        if r is None:
            continue
        (a, b), _ = r
        speech = sum(y - x for x, y in units[a: b + 1])
        if speech <= t.stretched * expected_ms[k]:
            continue
        seg = np.concatenate(unit_feats[a: b + 1])
        tries = [(dtw_cost(pieces[k], seg[x:y], penalty), (x, y)) for x, y in
                 candidate_spans(pieces[k], seg, expected_ms[k] // FRAME_HOP_MS, penalty, hearing)]
        cost, span = min(tries)
        if span == (0, seg.shape[0]):
            continue
        first, last = cut_frames(units, unit_feats, a, span, out)
        out[k] = ((first, last), cost)
        log.info("sentence %d stretched (%d ms for %d expected): cut to units %d-%d "
                 "(cost %.3f, whole %.3f)", k, speech, expected_ms[k], first, last, cost,
                 tries[0][0])
    return out
