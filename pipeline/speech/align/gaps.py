"""Sentences an aligner found no evidence for: skipped only when the audio has no speech for
them. A run of such sentences between two placed neighbours takes the speech in the gap, in
proportion to syllables, when that speech is long enough to be them."""

from __future__ import annotations

import logging
from dataclasses import replace

import numpy as np

from pipeline.core.text import syllable_count
from pipeline.core.types import AlignedSentence, Ingested
from pipeline.speech.align.audio import wav_regions
from pipeline.speech.align.evidence import evidence
from pipeline.speech.align.features import FRAME_HOP_MS, dtw_cost

log = logging.getLogger("caunoi.align.gaps")

__all__ = ["below_floor", "extend_runs", "fill_gaps", "revise",
           "speech_frames", "spread", "true_runs"]

#: Speech in a gap shorter than this share of what the sentences need: they were not said.
MIN_SPEECH_SHARE = 0.5
#: Confidence of a sentence placed by syllable share only.
SPREAD_CONFIDENCE = 0.3


def spread(weights: list[int], regions: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Cut the speech in ``regions`` into consecutive spans in proportion to ``weights``."""
    total = sum(b - a for a, b in regions)
    cum = np.concatenate(([0.0], np.cumsum(weights) / max(1, sum(weights)) * total))

    def at(speech_ms: float, end: bool) -> int:
        acc = 0.0
        for a, b in regions:
            if speech_ms < acc + (b - a) or (end and speech_ms <= acc + (b - a)):
                return int(a + speech_ms - acc)
            acc += b - a
        return regions[-1][1]

    return [(at(cum[k], False), at(cum[k + 1], True)) for k in range(len(weights))]


def _ms_per_syllable(sentences: list[AlignedSentence]) -> float:
    rates = [(s.end_ms - s.start_ms) / max(1, syllable_count(s.text)) for s in sentences
             if s.status == "matched" and s.end_ms > s.start_ms]
    return float(np.median(rates)) if rates else 220.0


def fill_gaps(sentences: list[AlignedSentence], ingested: Ingested,
              regions: list[tuple[int, int]] | None = None) -> list[AlignedSentence]:
    """Give runs of ``skipped`` script sentences the speech between their placed neighbours
    when there is enough of it; the rest stay skipped."""
    if regions is None:
        regions = wav_regions(ingested.audio_wav, sum(syllable_count(s.text)
                                                      for s in ingested.lesson.sentences))
    pace = _ms_per_syllable(sentences)
    out = list(sentences)
    k = 0
    while k < len(out):
        if out[k].status != "skipped" or out[k].index is None:
            k += 1
            continue
        end = k
        while end < len(out) and out[end].status == "skipped":
            end += 1
        lo = max((s.end_ms for s in out[:k] if s.status == "matched"), default=0)
        hi = min((s.start_ms for s in out[end:] if s.status == "matched"),
                 default=regions[-1][1] if regions else 0)
        gap = [(max(a, lo), min(b, hi)) for a, b in regions if b > lo and a < hi]
        weights = [max(1, syllable_count(s.text)) for s in out[k:end]]
        speech = sum(b - a for a, b in gap)
        if gap and speech >= MIN_SPEECH_SHARE * pace * sum(weights):
            for j, (a, b) in zip(range(k, end), spread(weights, gap), strict=True):
                out[j] = replace(out[j], start_ms=a, end_ms=max(b, a + 1), status="matched",
                                 confidence=SPREAD_CONFIDENCE)
        k = end
    return out


#: Speech left unmatched right after (or before) a sentence joins it when the pause between
#: them is at most this long (a comma's pause: a narrator's sentences may run closer)...
JOIN_GAP_MS = 400
#: ... the sentence has less than this share of its expected speech without it ...
JOIN_SHORT = 0.85
#: ... and no more than this share with it (a whole ad-lib after a complete sentence stays).
JOIN_FILL = 1.1

Run = tuple[tuple[int, int], float]

#: A sentence matched to less than this share of its expected speech was not said (its
#: template matched an ad-lib or a scrap of a neighbour): skipped, the speech an ad-lib.
MIN_RUN_SHARE = 0.45


def extend_runs(assignment: list[Run | None], units: list[tuple[int, int]],
                expected_ms: list[int]) -> list[Run | None]:
    """Sentences (runs of speech ``units``) that got clearly less speech than expected take
    the unmatched units next to them, while those fit the expected length: a template
    match that lost a sentence's last words after a comma (a clipped phone, a shifted
    voice) leaves them unclaimed, and they would be reported as an ad-lib."""
    used = {u for r in assignment if r is not None for u in range(r[0][0], r[0][1] + 1)}
    out = list(assignment)

    def free(u: int) -> bool:
        return 0 <= u < len(units) and u not in used

    for k, r in enumerate(out):
        if r is None:
            continue
        (a, b), cost = r
        speech = sum(units[u][1] - units[u][0] for u in range(a, b + 1))
        want = expected_ms[k]
        for step in (1, -1):
            while speech < JOIN_SHORT * want:
                u, near = (b + 1, b) if step == 1 else (a - 1, a)
                if not free(u) or (abs(units[u][0] - units[near][1]) > JOIN_GAP_MS and abs(
                        units[near][0] - units[u][1]) > JOIN_GAP_MS):
                    break
                size = units[u][1] - units[u][0]
                if speech + size > JOIN_FILL * want:
                    break
                used.add(u)
                speech += size
                a, b = (a, u) if step == 1 else (u, b)
        out[k] = ((a, b), cost)
    return out


def true_runs(mask: np.ndarray, min_len: int) -> list[tuple[int, int]]:
    """(first, last) index of every run of True at least ``min_len`` long."""
    edges = np.flatnonzero(np.diff(np.concatenate(([0], mask.astype(np.int8), [0]))))
    return [(int(a), int(b) - 1) for a, b in zip(edges[::2], edges[1::2], strict=True)
            if b - a >= min_len]


def speech_frames(regions: list[tuple[int, int]], n_frames: int, pad: int) -> np.ndarray:
    mask = np.zeros(n_frames, dtype=bool)
    for a, b in regions:
        mask[max(0, a // FRAME_HOP_MS - pad): min(n_frames, b // FRAME_HOP_MS + pad)] = True
    return np.flatnonzero(mask)


def revise(assignment: list[Run | None],
           found: tuple[list[np.ndarray], list[tuple[int, int]], list[np.ndarray], list[int]],
           costs: tuple[float, float, float], weight: float, extend: bool,
           min_share: float = MIN_RUN_SHARE) -> list[Run | None]:
    """The template match's runs, checked against the speech: a skipped sentence next to a
    matched one takes that one's speech when it fits better (:func:`recheck_skips`), then
    (``extend``) short sentences take the unmatched speech beside them (:func:`extend_runs`);
    a sentence with under ``min_share`` of its expected speech is skipped.
    ``found``: templates, units, unit features, expected speech (ms) per sentence."""
    if weight > 0:
        assignment = recheck_skips(assignment, found, costs, weight)
    units, expected_ms = found[1], found[3]
    assignment = [None if r is not None and sum(
        e - s for s, e in units[r[0][0]: r[0][1] + 1]) < min_share * expected_ms[k] else r
        for k, r in enumerate(assignment)]
    return extend_runs(assignment, found[1], found[3]) if extend else assignment


def recheck_skips(assignment: list[Run | None],
                  found: tuple[list[np.ndarray], list[tuple[int, int]], list[np.ndarray],
                               list[int]],
                  costs: tuple[float, float, float], weight: float) -> list[Run | None]:
    """Which of two neighbours was skipped, decided by both the template match and the
    speech's length: when the features barely tell two sentences apart (a clipped phone, a
    band-limited voice over music) the match alone skips the shorter template. Each of the
    pair is scored on the matched speech as its match cost (0 = typical match, 1 =
    unrelated speech) plus ``weight`` × |log(speech / its expected speech)|; the better
    one takes the speech, the other is skipped."""
    pieces, units, unit_feats, expected_ms = found
    good, unrelated, penalty = costs
    out = list(assignment)
    for k in range(len(out)):
        for j in (k - 1, k + 1):
            if out[k] is not None or not 0 <= j < len(out) or out[j] is None:
                continue
            (a, b), _ = out[j]  # type: ignore[misc]
            seg = np.concatenate(unit_feats[a: b + 1])
            speech = sum(e - s for s, e in units[a: b + 1])
            fit = [(dtw_cost(pieces[x], seg, penalty) - good) / max(unrelated - good, 1e-6)
                   + weight * abs(float(np.log(max(speech, 1) / max(expected_ms[x], 1))))
                   for x in (k, j)]
            if fit[0] < fit[1]:
                cost_k = dtw_cost(pieces[k], seg, penalty)
                out[k], out[j] = ((a, b), cost_k), None
                log.info("sentence %d takes the speech of %d (%d ms), %d skipped", k, j,
                         speech, j)
    return out


def below_floor(assignment: list[Run | None],
                found: tuple[list[np.ndarray], list[tuple[int, int]], list[np.ndarray],
                             list[int]],
                costs: tuple[float, float, float, float], keep_misfit: float
                ) -> list[Run | None]:
    """Runs whose template fits worse than ``floor`` are dropped (the sentence is skipped)
    unless the speech says otherwise: a run that still fits better than leaving the speech
    unmatched (``garbage``), is as long as the sentence needs (|log(speech / expected)| ≤
    ``keep_misfit``) and fits the sentence's own template better than its neighbours'
    (or both neighbours have speech of their own) is kept: a voice far from the synthesis
    fits every template badly, so a skip must be heard in both the template and the
    length (``keep_misfit`` 0: the template alone decides).
    ``costs``: floor, garbage, unrelated minus typical distance, DTW step penalty."""
    pieces, units, unit_feats, expected_ms = found
    floor, garbage, scale, penalty = costs
    out: list[Run | None] = []
    for k, r in enumerate(assignment):
        if r is None or r[1] <= floor:
            out.append(r)
            continue
        (a, b), cost = r
        speech = sum(e - s for s, e in units[a: b + 1])
        ev = evidence(pieces, k, np.concatenate(unit_feats[a: b + 1]), cost, speech,
                      expected_ms[k], (scale, penalty))
        # A neighbour placed on speech of its own does not claim this speech.
        claimed = all(assignment[j] is not None for j in (k - 1, k + 1)
                      if 0 <= j < len(assignment))
        keep = (keep_misfit > 0 and cost < garbage and abs(ev.log_length) <= keep_misfit
                and (ev.contrast > 0 or claimed))
        if keep:
            log.info("sentence %d kept: weak template fit %.2f, length fits (%.2f)", k,
                     cost, ev.log_length)
        out.append(r if keep else None)
    return out

