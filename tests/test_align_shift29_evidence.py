"""Issue 29 (shift29): the DTW aligner's confidence is honest (a sentence on its neighbour's
speech, or on far more speech than it needs, stays below the ear's 0.5), a sentence takes
about its expected length of speech, and a weak template fit alone does not skip a sentence
whose speech is there."""

from __future__ import annotations

import numpy as np

from pipeline.speech.align.evidence import ConfidenceOptions, Evidence, confidence, evidence
from pipeline.speech.align.features import dtw_cost
from pipeline.speech.align.gaps import below_floor
from pipeline.speech.align.runs import LengthPrior, RunLimits, assign_runs
from tests.align_features import SynthFeatures

F = SynthFeatures(29, noise=0.3)
_templates, _noisy = F.templates, F.noisy


def _scale(pieces: list[np.ndarray]) -> tuple[float, float]:
    """(unrelated minus typical distance, step penalty), as the aligner measures them."""
    good = dtw_cost(pieces[0], _noisy(pieces[0]), 0.0)
    unrelated = dtw_cost(pieces[0], pieces[1], 0.0)
    return unrelated - good, 0.25 * (unrelated - good)


def test_a_sentence_on_its_neighbours_speech_gets_low_confidence() -> None:
    pieces = _templates(3)
    scale = _scale(pieces)
    right = _noisy(pieces[1])
    wrong = _noisy(pieces[0])  # sentence 1 placed on sentence 0's speech
    ev_right = evidence(pieces, 1, right, dtw_cost(pieces[1], right, scale[1]), 600, 600,
                        scale)
    ev_wrong = evidence(pieces, 1, wrong, dtw_cost(pieces[1], wrong, scale[1]), 600, 600,
                        scale)
    assert ev_right.contrast > 0.3
    assert ev_wrong.contrast < 0
    o = ConfidenceOptions()
    # Even with a perfect template fit, the contrast decides.
    assert confidence(1.0, ev_right, o) >= 0.5
    assert confidence(1.0, ev_wrong, o) < 0.5


def test_a_sentence_with_far_more_speech_than_it_needs_gets_low_confidence() -> None:
    o = ConfidenceOptions()
    assert confidence(1.0, Evidence(1.0, float(np.log(1.05))), o) == 1.0
    assert confidence(1.0, Evidence(1.0, float(np.log(2.0))), o) < 0.5
    assert confidence(1.0, Evidence(1.0, float(np.log(0.5))), o) < 0.5
    # Switched off, only the template fit counts (the aligner before issue 29's shift29).
    off = ConfidenceOptions(contrast_full=0.0, length_free=0.0, length_zero=0.0)
    assert confidence(0.9, Evidence(-1.0, 3.0), off) == 0.9


def test_the_length_prior_keeps_an_adlib_out_of_a_sentence() -> None:
    """Sentence 0, then a unit of speech that sounds like its last syllable drawn out (a
    hesitation, "ừ..."), then sentence 1: the match alone lets sentence 0 take that unit
    too (every extra frame fits its last template frames); the length prior leaves it
    unclaimed, an ad-lib."""
    pieces = _templates(2)
    units = [_noisy(pieces[0]), _noisy(np.tile(pieces[0][-10:], (6, 1))), _noisy(pieces[1])]
    scale, _ = _scale(pieces)
    penalty = 0.0
    good = dtw_cost(pieces[0], units[0], penalty)
    garbage = good + 0.25 * scale
    plain = assign_runs(pieces, units, [0, 2], (garbage, penalty), RunLimits())
    prior = assign_runs(pieces, units, [0, 2], (garbage, penalty), RunLimits(),
                        length=LengthPrior(1.0, scale, 1.0))
    assert prior[0] is not None and prior[0][0] == (0, 0)
    assert prior[1] is not None and prior[1][0] == (2, 2)
    assert plain[0] is not None and plain[0][0] == (0, 1)


def test_a_weak_fit_with_the_right_length_is_not_a_skip() -> None:
    pieces = _templates(3)
    scale, penalty = _scale(pieces)
    units = [(0, 600), (700, 1300), (1400, 2000)]
    feats = [_noisy(pieces[0]), _noisy(pieces[1], 1.0), _noisy(pieces[2])]
    costs = [dtw_cost(p, f, penalty) for p, f in zip(pieces, feats, strict=True)]
    floor = costs[1] - 0.01  # sentence 1's fit is just worse than the floor
    garbage = costs[1] + 0.05
    runs = [((k, k), c) for k, c in enumerate(costs)]
    found = (pieces, units, feats, [600, 600, 600])
    kept = below_floor(list(runs), found, (floor, garbage, scale, penalty), 0.3)
    assert kept[1] == runs[1]
    # The template alone (keep_misfit 0, the old rule) skips it.
    assert below_floor(list(runs), found, (floor, garbage, scale, penalty), 0.0)[1] is None
    # So does a length that does not fit (twice the expected speech).
    longer = (pieces, units, feats, [600, 300, 600])
    assert below_floor(list(runs), longer, (floor, garbage, scale, penalty), 0.3)[1] is None
