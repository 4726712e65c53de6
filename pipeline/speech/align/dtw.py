"""Weights-free aligner: synthesise the script with espeak-ng, match MFCCs to the narration
with banded DTW, then snap sentence boundaries into pauses.

Silence is cut out of the recording before matching (the synthesis has no pauses), so long
pauses while the screen changes cost nothing. A sentence the DTW path squeezes into almost
no narration time was not spoken: status ``skipped``.
"""

from __future__ import annotations

import itertools
import logging
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from pipeline.core.errors import AlignmentError
from pipeline.core.text import syllable_count
from pipeline.core.types import AlignedSentence, Alignment, Ingested, Sentence, Transcript
from pipeline.speech.align.audio import (
    snap_sentences,
    speech_band,
    wav_features,
    wav_regions,
)
from pipeline.speech.align.base import Aligner, AlignOptions, place
from pipeline.speech.align.evidence import ConfidenceOptions, confidence, evidence
from pipeline.speech.align.features import (
    FRAME_HOP_MS,
    banded_dtw,
    dtw_cost,
    speech_normalised,
)
from pipeline.speech.align.gaps import (
    Found,
    Hearing,
    below_floor,
    rescue,
    revise,
    shift_run,
    speech_frames,
    true_runs,
)
from pipeline.speech.align.resplit import resplit
from pipeline.speech.align.runs import LengthPrior, RunLimits, assign_runs, trim_blips
from pipeline.speech.align.synth import espeak_available
from pipeline.speech.align.templates import Choice, best_template, local_distances
from pipeline.speech.align.tighten import Tighten, tighten
from pipeline.speech.vad import VadOptions

__all__ = ["DTWAligner", "DTWOptions"]

log = logging.getLogger("caunoi.align.dtw")


@dataclass(frozen=True)
class DTWOptions:
    # espeak-ng voices tried for the synthesis (the closest to the narrator wins), and speed.
    voices: tuple[str, ...] = ("vi", "vi+f4")
    # Vocal-tract-length warps tried for the templates once the voice is chosen (a narrator
    # whose voice sits a third or fourth above or below the synthesis: formants move too).
    warps: tuple[float, ...] = (1.0, 0.84, 1.19)
    # Regional accents tried last, at the chosen voice height (see templates.py; (): off).
    accents: tuple[str, ...] = ("vi-vn-x-central", "vi-vn-x-south")
    wpm: int = 150
    # Features over the band the recording carries (see speech_band) instead of band_hz.
    own_band: bool = False
    # Frequency band of the features (Hz), the same for the narration and the synthesis.
    band_hz: tuple[float, float] = (60.0, 7600.0)
    # Band half-width as a share of the narration's speech frames, and its bounds (frames).
    band_share: float = 0.15
    min_band: int = 500
    max_band: int = 2500
    # Speech kept around each detected region (frames of 10 ms).
    pad_frames: int = 3
    # Cost of leaving a speech frame unmatched, between the typical matching distance (0)
    # and the distance of unrelated frames (1).
    garbage_share: float = 0.5
    # Extra cost of a non-diagonal DTW step, relative to (unrelated - matching) distance.
    step_penalty: float = 0.25
    # A match below this confidence is no match: the sentence counts as skipped...
    min_confidence: float = 0.12
    # ... unless its speech is as long as it needs, within this |log(speech / expected)|
    # (see gaps.below_floor; 0: the template alone decides). 0.3: 1.35 times, what 99 % of
    # right placements on the diagnosis lessons are within.
    keep_misfit: float = 0.3
    # Unmatched speech at least this long is reported as an ad-lib.
    min_adlib_ms: int = 300
    # Unmatched speech this close before a sentence may be its first, abandoned attempt.
    restart_gap_ms: int = 800
    # A rough sentence start this far inside a speech region splits it.
    min_split_ms: int = 300
    # Search window around the rough position, and longest run, in speech units.
    window_units: int = 6
    # A skipped sentence is matched again with its neighbour when the neighbour took this
    # many times its expected length of speech (pauses not counted).
    unskip_ratio: float = 1.6
    # ... and kept only when both then have at least this share of their expected length.
    unskip_least: float = 0.4
    max_units: int = 6
    # Sentence and ad-lib edges moved onto the speech's own onsets and offsets.
    snap: bool = True
    # Sentences short of their expected speech take the unmatched speech beside them (off:
    # on the 15 tuning lessons p95 413 -> 338 ms but one band-music ad-lib absorbed).
    extend: bool = False
    # A skipped sentence beside a matched one takes its speech when its template and
    # expected length fit that speech better (weight of the length misfit, 0: never).
    skip_duration_weight: float = 0.5
    # A sentence matched to less than this share of its expected speech is skipped (0: off).
    min_run_share: float = 0.45
    # Recording features normalised over its speech frames only (pauses, music and noise
    # pull a whole-recording mean away from the voice; off: over the whole recording).
    speech_cmvn: bool = False
    # Cepstra kept (1..cepstra): fewer describe a smoother spectral envelope, less tied to
    # where a particular voice's formants sit.
    cepstra: int = 12
    # Weight of a run's length misfit in the unit assignment (see runs.LengthPrior; 0: off).
    # 1: a run twice the expected length costs about as much per frame as speech left
    # unmatched (0.49 vs 0.5 of the unrelated-minus-typical distance).
    length_weight: float = 1.0
    # How the confidence weighs the template fit, the contrast and the speech length.
    confidence: ConfidenceOptions = field(default_factory=ConfidenceOptions)
    # A sentence that took far more speech than it could hold keeps its own part (tighten).
    tighten: Tighten = field(default_factory=Tighten)
    # What a skipped sentence's own unmatched speech must show to be it (gaps.rescue).
    hearing: Hearing = field(default_factory=Hearing)
    # The speech detector's options.
    vad: VadOptions = field(default_factory=VadOptions)


class DTWAligner(Aligner):
    name = "dtw"

    def __init__(self, options: DTWOptions | None = None) -> None:
        self.options = options or DTWOptions()

    def can_run(self, transcript: Transcript | None) -> bool:
        return espeak_available()

    def align(self, ingested: Ingested, transcript: Transcript | None,
              opts: AlignOptions) -> Alignment:
        o = self.options
        sentences = ingested.lesson.sentences
        regions = _regions(ingested, o.vad)
        o = replace(o, band_hz=_feature_band(ingested.audio_wav, regions, o))
        feats = wav_features(ingested.audio_wav, o.band_hz)
        keep = speech_frames(regions, feats.shape[0], o.pad_frames)
        feats = (speech_normalised(feats, keep) if o.speech_cmvn else feats)[:, : o.cepstra]
        rec = feats[keep]
        band = int(min(o.max_band, max(o.min_band, o.band_share * rec.shape[0])))
        chosen = best_template([s.text for s in sentences], rec, band, Choice(
            o.voices, o.warps, o.accents, o.wpm, o.band_hz, o.cepstra))
        pieces, synth, path_i, path_j = chosen.pieces, chosen.synth, chosen.path_i, chosen.path_j
        bounds = [0, *np.cumsum([p.shape[0] for p in pieces]).tolist()]
        good = float(np.median(local_distances(synth, rec, path_i, path_j)))
        rng = np.random.default_rng(0)
        pairs = rng.integers(0, rec.shape[0], (2, 4000))
        unrelated = float(np.median(np.linalg.norm(rec[pairs[0]] - rec[pairs[1]], axis=1)))
        garbage = good + o.garbage_share * (unrelated - good)
        penalty = o.step_penalty * (unrelated - good)
        rough = [int(keep[min(int(path_j[np.searchsorted(path_i, b)]), keep.size - 1)])
                 * FRAME_HOP_MS for b in bounds[:-1]]
        log.info("dtw: voice %s, band %s Hz, %d synth × %d speech frames, band %d, "
                 "match %.2f, unrelated %.2f", chosen.name, o.band_hz, synth.shape[0], rec.shape[0],
                 band, good, unrelated)
        # Pass 2: sentences take whole runs of speech units; units left over are ad-libs.
        tempo = rec.shape[0] / max(1, synth.shape[0])
        expected_ms = [int(p.shape[0] * tempo * FRAME_HOP_MS) for p in pieces]
        units = _units(regions, rough, expected_ms, o.min_split_ms)
        unit_feats = [feats[a // FRAME_HOP_MS: max(a // FRAME_HOP_MS + 1, b // FRAME_HOP_MS)]
                      for a, b in units]
        found: Found = (pieces, units, unit_feats, expected_ms)  # units may be cut in place
        expected = [int(np.searchsorted([u[1] for u in units], t)) for t in rough]
        prior = LengthPrior(tempo, unrelated - good, o.length_weight) if o.length_weight else None
        assignment = assign_runs(pieces, unit_feats, expected, (garbage, penalty),
                                 RunLimits(o.window_units, o.max_units), length=prior)
        # A match below min_confidence is no better than unrelated speech: not this sentence.
        floor = garbage - o.min_confidence * (garbage - good)
        log.debug("dtw runs %s, floor %.3f, units %s", assignment, floor, units)
        assignment = below_floor(assignment, found, (floor, garbage, unrelated - good, penalty),
                                 o.keep_misfit)
        assignment = _unskip(assignment, pieces, units, unit_feats, expected_ms,
                             (garbage, penalty, unrelated), o)
        assignment = revise(assignment, found, (good, unrelated, penalty),
                            o.skip_duration_weight, o.extend, o.min_run_share)
        assignment = rescue(assignment, found, (garbage, unrelated - good, penalty), o.hearing)
        assignment = resplit(assignment, found, (garbage, unrelated - good, penalty), o.hearing)
        assignment = tighten(assignment, found, penalty, o.tighten)
        out, used = _placed(list(sentences), assignment, found,
                            (good, garbage, unrelated, penalty), o)
        spare = true_runs(np.array([u not in used for u in range(len(units))]), 1)
        out, spare = _absorb_restarts(out, spare, units, unit_feats, pieces, tempo,
                                      (good + garbage) / 2, penalty, o)
        adlibs = [AlignedSentence(None, "", "", units[a][0], units[b][1], "ad-lib", 0.5)
                  for a, b in spare if units[b][1] - units[a][0] >= o.min_adlib_ms]
        out, adlibs = snap_sentences(ingested.audio_wav, out, adlibs) if o.snap else (out, adlibs)
        return Alignment(aligner=self.name, sentences=tuple(place(out, adlibs)))


def _placed(sentences: list[Sentence], assignment: list[tuple[tuple[int, int], float] | None],
            found: Found,
            costs: tuple[float, float, float, float], o: DTWOptions
            ) -> tuple[list[AlignedSentence], set[int]]:
    """The script sentences at their runs (skipped without one), each with its confidence
    (:func:`evidence.confidence`), and the units they use. ``found``: templates, units,
    unit features, expected speech (ms); ``costs``: typical match distance, garbage,
    unrelated distance, DTW step penalty."""
    pieces, units, unit_feats, expected_ms = found
    good, garbage, unrelated, penalty = costs
    out: list[AlignedSentence] = []
    used: set[int] = set()
    for k, (s, run) in enumerate(zip(sentences, assignment, strict=True)):
        if run is None:
            out.append(AlignedSentence(s.index, s.chapter, s.text, 0, 0, "skipped", 0.8))
            continue
        (a, b), cost = run
        a, b = trim_blips(a, b, units, o.min_adlib_ms)
        fit = float(np.clip((garbage - cost) / max(garbage - good, 1e-6), 0.0, 1.0))
        ev = evidence(pieces, k, np.concatenate(unit_feats[a: b + 1]), cost,
                      sum(y - x for x, y in units[a: b + 1]), expected_ms[k],
                      (unrelated - good, penalty))
        conf = confidence(fit, ev, o.confidence)
        log.debug("dtw evidence %d fit %.3f contrast %.3f length %.3f", k, fit,
                  ev.contrast, ev.log_length)
        used.update(range(a, b + 1))
        out.append(AlignedSentence(s.index, s.chapter, s.text, units[a][0], units[b][1],
                                   "matched", conf))
    return out, used


def _regions(ingested: Ingested, vad: VadOptions) -> list[tuple[int, int]]:
    """Speech regions of the recording (AlignmentError when there are none)."""
    syllables = sum(syllable_count(s.text) for s in ingested.lesson.sentences)
    regions = wav_regions(ingested.audio_wav, syllables, vad)
    if not regions:
        raise AlignmentError(path=str(ingested.lesson.recording), detail="no speech found")
    return regions


def _feature_band(wav: Path, regions: list[tuple[int, int]], o: DTWOptions
                  ) -> tuple[float, float]:
    """``o.band_hz``, or with ``o.own_band`` the band the recording carries (it helped the
    clipping phones of issue 29 but cost tests/test_align_mixed.py a false skip: off)."""
    return speech_band(wav, regions, o.band_hz) if o.own_band else o.band_hz


def _unskip(assignment: list[tuple[tuple[int, int], float] | None], pieces: list[np.ndarray],
            units: list[tuple[int, int]], unit_feats: list[np.ndarray], expected_ms: list[int],
            costs: tuple[float, float, float], o: DTWOptions
            ) -> list[tuple[tuple[int, int], float] | None]:
    """A sentence is skipped only when the audio has no speech for it. A skipped sentence
    next to a matched one that took far more speech than it needs (music or a reverberant
    room blurred the match) is matched again together with its neighbour over the speech
    between the matched sentences around the pair, skipping neither (if need be after
    cutting a unit where one DTW of the pair passes from one to the other); kept when both
    then match better than unrelated speech does (``costs``: garbage, step penalty, the
    distance of unrelated frames). ``units`` and ``unit_feats`` may be cut in place."""
    out = list(assignment)
    for k in range(len(out)):
        for j in (k + 1, k - 1):
            if out[k] is not None or not 0 <= j < len(out) or out[j] is None:
                continue
            own = out[j][0]  # type: ignore[index]
            speech = sum(b - a for a, b in units[own[0]: own[1] + 1])
            if speech < o.unskip_ratio * expected_ms[j]:
                continue
            pair = (min(k, j), max(k, j))
            used = [r[0] for r in out if r is not None]
            lo = max([b + 1 for a, b in used if b < own[0]], default=0)
            hi = min([a for a, b in used if a > own[1]], default=len(units)) - 1
            found = _pair(pair, (lo, hi), pieces, units, unit_feats, expected_ms, costs, o)
            if found is None:
                cut = _split_at_path(units, unit_feats, (lo, hi), pieces[pair[0]],
                                     pieces[pair[1]], o.min_split_ms)
                if cut is None:
                    continue
                out = [None if r is None else (shift_run(r[0], cut), r[1]) for r in out]
                found = _pair(pair, (lo, hi + 1), pieces, units, unit_feats, expected_ms,
                              costs, o)
            if found is not None:
                out[pair[0]], out[pair[1]] = found
                log.info("dtw: sentence %d matched with its neighbour %d", k, j)
    return out


def _pair(pair: tuple[int, int], window: tuple[int, int], pieces: list[np.ndarray],
          units: list[tuple[int, int]], unit_feats: list[np.ndarray], expected_ms: list[int],
          costs: tuple[float, float, float], o: DTWOptions
          ) -> tuple[tuple[tuple[int, int], float], tuple[tuple[int, int], float]] | None:
    """Both sentences of ``pair`` matched over the units of ``window``, neither skipped;
    None when either matches no better than unrelated speech or gets less than
    ``unskip_least`` of its expected length (see :func:`_unskip`)."""
    (lo, hi), (garbage, penalty, limit) = window, costs
    wide = RunLimits(hi - lo + 1, hi - lo + 1)
    runs = assign_runs([pieces[pair[0]], pieces[pair[1]]], unit_feats[lo: hi + 1], [0, 0],
                       (garbage, penalty), wide, skip=garbage * 1e6)
    got = []
    for n, r in zip(pair, runs, strict=True):
        if r is None:
            return None
        (a, b), cost = (r[0][0] + lo, r[0][1] + lo), r[1]
        if cost >= limit or units[b][1] - units[a][0] < o.unskip_least * expected_ms[n]:
            return None
        got.append(((a, b), cost))
    return got[0], got[1]


def _split_at_path(units: list[tuple[int, int]], unit_feats: list[np.ndarray],
                   window: tuple[int, int], head: np.ndarray, tail: np.ndarray,
                   min_split_ms: int) -> int | None:
    """Cut the unit of ``window`` where one DTW of the two sentences (``head`` then
    ``tail``) over the window's speech passes from the first to the second, when that is
    well inside a unit (in place). Returns the index of the unit cut, or None."""
    lo, hi = window
    seg = np.concatenate(unit_feats[lo: hi + 1])
    synth = np.concatenate([head, tail])
    pi, pj = banded_dtw(synth, seg, max(synth.shape[0], seg.shape[0]))
    cut = int(pj[min(int(np.searchsorted(pi, head.shape[0])), pj.size - 1)])
    offsets = np.cumsum([0] + [f.shape[0] for f in unit_feats[lo: hi + 1]])
    u = lo + int(np.searchsorted(offsets, cut, side="right")) - 1
    frame = cut - int(offsets[u - lo])
    t = units[u][0] + frame * FRAME_HOP_MS
    if not units[u][0] + min_split_ms <= t <= units[u][1] - min_split_ms:
        return None
    units[u: u + 1] = [(units[u][0], t), (t, units[u][1])]
    unit_feats[u: u + 1] = [unit_feats[u][:frame], unit_feats[u][frame:]]
    return u


def _absorb_restarts(out: list[AlignedSentence], spare: list[tuple[int, int]],
                     units: list[tuple[int, int]], unit_feats: list[np.ndarray],
                     pieces: list[np.ndarray], tempo: float, threshold: float, penalty: float,
                     o: DTWOptions) -> tuple[list[AlignedSentence], list[tuple[int, int]]]:
    """A narrator who starts a sentence, stops and starts again leaves the first attempt
    unmatched just before the sentence. Speech left over right before a matched sentence
    (pause ≤ ``restart_gap_ms``, shorter than the sentence) that matches the sentence's
    beginning as well as matched speech does is that sentence's start, not an ad-lib."""
    keep = []
    starts = {s.start_ms: k for k, s in enumerate(out) if s.status == "matched"}
    for a, b in spare:
        nxt = next((u for u in range(b + 1, len(units)) if units[u][0] in starts), None)
        k = starts.get(units[nxt][0]) if nxt == b + 1 else None
        if k is None or units[b + 1][0] - units[b][1] > o.restart_gap_ms:
            keep.append((a, b))
            continue
        s = out[k]
        seg = np.concatenate(unit_feats[a: b + 1])
        head = pieces[k][: max(2, int(seg.shape[0] / max(tempo, 1e-3) * 1.2))]
        if (units[b][1] - units[a][0] < 0.6 * (s.end_ms - s.start_ms)
                and dtw_cost(head, seg, penalty) < threshold):
            out[k] = replace(s, start_ms=units[a][0])
        else:
            keep.append((a, b))
    return out, keep


def _units(regions: list[tuple[int, int]], rough: list[int], expected_ms: list[int],
           min_split_ms: int) -> list[tuple[int, int]]:
    """Speech regions, further cut where the rough DTW puts a sentence start well inside a
    region too long for one sentence (two sentences said without a pause)."""
    units = []
    for a, b in regions:
        first = int(np.argmin([abs(t - a) for t in rough]))
        # ... or holds a sentence start with speech before it and most of the sentence's
        # expected speech after it (a region running on from a sentence cut by a pause).
        clear = [t for k, t in enumerate(rough) if k
                 and a + max(1000, 0.3 * expected_ms[k - 1]) <= t
                 and t + max(1000, 0.8 * expected_ms[k]) <= b]
        if b - a < 1.5 * expected_ms[first] and not clear:
            units.append((a, b))
            continue
        cuts = [t for t in rough if a + min_split_ms <= t <= b - min_split_ms]
        edges = [a, *cuts, b]
        units += [(x, y) for x, y in itertools.pairwise(edges) if y > x]
    return units
