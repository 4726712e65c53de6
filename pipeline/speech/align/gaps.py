"""Sentences an aligner found no evidence for: skipped only when the audio has no speech for
them. A run of such sentences between two placed neighbours takes the speech in the gap, in
proportion to syllables, when that speech is long enough to be them."""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace

import numpy as np

from pipeline.core.text import syllable_count
from pipeline.core.types import AlignedSentence, Ingested
from pipeline.speech.align.audio import wav_regions
from pipeline.speech.align.evidence import evidence
from pipeline.speech.align.features import FRAME_HOP_MS, dtw_cost, dtw_open_end, dtw_open_start

log = logging.getLogger("caunoi.align.gaps")

__all__ = ["Found", "Hearing", "below_floor", "candidate_spans", "cut_frames", "extend_runs",
           "fill_gaps", "heard", "rescue", "revise", "shift_run", "speech_frames", "spread",
           "true_runs"]

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
#: (templates, speech units, unit features, expected ms per sentence) as the DTW found them.
Found = tuple[list[np.ndarray], list[tuple[int, int]], list[np.ndarray], list[int]]

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
           found: Found,
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
                  found: Found,
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
                found: Found,
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



@dataclass(frozen=True)
class Hearing:
    """What a skipped sentence's own speech must show (see :func:`rescue`): what
    :func:`below_floor` asks of a weak match it keeps, a template fit better than unrelated
    speech and a length that fits; and its template fitting better than any other's."""
    # Its template fits that speech better than every other sentence's template by more than
    # this (in units of the unrelated-minus-typical distance). On issue 29's six sets (90
    # lessons), of 23 tries of a sentence not said on the unmatched speech beside it, one fit
    # better than unrelated speech with a length that fit and beat its neighbours' templates
    # (+0.10, shift-phone-9802, an ad-lib), but not every template.
    contrast: float = 0.0
    # The speech is within this |log(speech / expected)| of what the sentence needs (the
    # DTW aligner's keep_misfit: 1.35 times; 0: rescue off).
    misfit: float = 0.3
    # Shortest piece left beside it when a unit is cut (ms: the shortest ad-lib reported).
    min_rest_ms: int = 300
    # A skipped sentence may also take the head or tail of a neighbour's run plus the free
    # speech beside it (resplit.resplit; False: main's behaviour before issue 29's split30).
    resplit: bool = True


def rescue(assignment: list[Run | None],
           found: Found,
           costs: tuple[float, float, float], hearing: Hearing) -> list[Run | None]:
    """Skipped sentences between placed neighbours, given the speech left unmatched between
    them when it sounds like them: a voice far from the synthesis (a shifted voice through a
    clipping phone) fits every template badly, so the template alone skips a sentence whose
    speech is right there. A sentence takes the whole unmatched speech, or (when a pause too
    short for the speech detector joined it to an ad-lib or the next sentence) its start or
    its end, cut where an open-end DTW of its template ends, when that speech is as long as
    the sentence needs and its template fits it better than unrelated speech and better
    than any other sentence's template does.
    ``costs``: garbage, unrelated minus typical distance, DTW step penalty; ``units`` and
    ``unit_feats`` may be cut in place."""
    if hearing.misfit <= 0:
        return assignment
    out = list(assignment)
    k = 0
    while k < len(out):
        if out[k] is not None:
            k += 1
            continue
        end = k
        while end < len(out) and out[end] is None:
            end += 1
        lo = max((r[0][1] + 1 for r in out[:k] if r is not None), default=0)
        hi = min((r[0][0] for r in out[end:] if r is not None), default=len(found[1])) - 1
        _hear(out, list(range(k, end)), (lo, hi), found, costs, hearing)
        k = end
    return out


def _hear(out: list[Run | None], ks: list[int], window: tuple[int, int],
          found: Found,
          costs: tuple[float, float, float], hearing: Hearing) -> None:
    """The best-heard of sentences ``ks`` placed in the free units ``window`` (whole, head
    or tail), then the sentences before and after it in what is left, recursively."""
    lo, hi = window
    if not ks or lo > hi:
        return
    pieces, units, unit_feats, expected_ms = found
    seg = np.concatenate(unit_feats[lo: hi + 1])
    best: tuple[float, int, int, int, float] | None = None
    for k in ks:
        want = expected_ms[k] // FRAME_HOP_MS
        for a, b in candidate_spans(pieces[k], seg, want, costs[2], hearing):
            got = heard(k, seg[a:b], found, costs, hearing)
            if got is not None and (best is None or got[0] > best[0]):
                best = (got[0], k, a, b, got[1])
    if best is None:
        return
    contrast, k, a, b = best[:4]
    first, last = cut_frames(units, unit_feats, lo, (a, b), out)
    out[k] = ((first, last), best[4])
    log.info("sentence %d heard in unmatched speech (units %d-%d, contrast %.2f)", k, first,
             last, contrast)
    right = [r[0][0] for r in out[k + 1:] if r is not None]
    _hear(out, [j for j in ks if j > k], (last + 1, (min(right) if right else len(units)) - 1),
          found, costs, hearing)
    _hear(out, [j for j in ks if j < k], (lo, first - 1), found, costs, hearing)


def candidate_spans(template: np.ndarray, seg: np.ndarray, expected: int, penalty: float,
                    hearing: Hearing) -> list[tuple[int, int]]:
    """Frame spans of ``seg`` a sentence may have taken: all of it, and the head and the
    tail that its template matches best (open-end DTW) among those of about its expected
    length (``expected`` frames) that leave at least ``min_rest_ms`` beside them."""
    spans = [(0, seg.shape[0])]
    rest = hearing.min_rest_ms // FRAME_HOP_MS
    least = max(1, int(expected * np.exp(-hearing.misfit)))
    most = min(seg.shape[0] - rest, int(expected * np.exp(hearing.misfit)))
    if least >= most:
        return spans
    ends = dtw_open_end(template, seg, penalty)
    spans.append((0, least + int(np.argmin(ends[least - 1: most]))))
    starts = dtw_open_start(template, seg, penalty)
    spans.append((seg.shape[0] - least - int(np.argmin(starts[least - 1: most])),
                  seg.shape[0]))
    return spans


def heard(k: int, part: np.ndarray,
           found: Found,
           costs: tuple[float, float, float], hearing: Hearing) -> tuple[float, float] | None:
    """(contrast, mean distance) of sentence ``k`` on the features ``part`` when its template
    fits better than unrelated speech, the length fits, and it fits better than every other
    sentence's template (contrast: by how much, in units of the unrelated-minus-typical
    distance); else None."""
    pieces, _, _, expected_ms = found
    garbage, scale, penalty = costs
    cost = dtw_cost(pieces[k], part, penalty)
    length = float(np.log(max(part.shape[0] * FRAME_HOP_MS, 1) / max(expected_ms[k], 1)))
    if cost >= garbage or abs(length) > hearing.misfit:
        return None
    # Against the neighbours first (cheap, and the likeliest confusion), then all others.
    contrast = evidence(pieces, k, part, cost, 0, 1, (scale, penalty)).contrast
    if contrast > hearing.contrast:
        others = [dtw_cost(p, part, penalty) for j, p in enumerate(pieces)
                  if abs(j - k) > 1]
        contrast = min([contrast, *((c - cost) / max(scale, 1e-6) for c in others)])
    log.debug("hear %d: %d frames, cost %.3f (garbage %.3f), contrast %.3f, length %.3f", k,
              part.shape[0], cost, garbage, contrast, length)
    return (contrast, cost) if contrast > hearing.contrast else None


#: A cut this close to a unit's edge (frames) is made at the edge.
SNAP_FRAMES = 15


def cut_frames(units: list[tuple[int, int]], unit_feats: list[np.ndarray], lo: int,
                span: tuple[int, int], out: list[Run | None]) -> tuple[int, int]:
    """Cut units from ``lo`` on so that frames ``span`` of their concatenation are whole
    units (in place; the runs in ``out`` follow). Returns the first and last unit."""
    edges = []
    for frame in span:
        offset, u = 0, lo
        while u < len(units) - 1 and offset + unit_feats[u].shape[0] <= frame:
            offset += unit_feats[u].shape[0]
            u += 1
        at = frame - offset
        if SNAP_FRAMES < at < unit_feats[u].shape[0] - SNAP_FRAMES:
            t = units[u][0] + at * FRAME_HOP_MS
            units[u: u + 1] = [(units[u][0], t), (t, units[u][1])]
            unit_feats[u: u + 1] = [unit_feats[u][:at], unit_feats[u][at:]]
            out[:] = [None if r is None else (shift_run(r[0], u), r[1]) for r in out]
            u, at = u + 1, 0
        edges.append(u if at <= SNAP_FRAMES else u + 1)
    return edges[0], edges[1] - 1


def shift_run(run: tuple[int, int], u: int) -> tuple[int, int]:
    """A run of unit indices after unit ``u`` was cut in two."""
    return (run[0] + (run[0] > u), run[1] + (run[1] >= u))
