"""Issue 29 (dtw31): a sentence whose run of speech units took far more speech than it could
hold keeps only its own part, and the rest is left unmatched (an ad-lib).

When the speech detector misses the short pause between a sentence and an ad-lib (a
clipping phone's noise fills it), both are one speech unit and the run DP gave the sentence
all of it: the ad-lib was lost (shift-phone-10101: sentence 1 took 3815-8530 ms, its speech
is 3803-6522, the ad-lib 6953-9415). :func:`tighten.tighten` cuts a run longer than 1.45
times the sentence's expected speech to the head or tail its template fits best."""

from __future__ import annotations

import numpy as np

from pipeline.speech.align.gaps import Run
from pipeline.speech.align.tighten import Tighten, tighten
from tests.align_features import SynthFeatures

F = SynthFeatures(3131)


def _found(pieces: list[np.ndarray], feats: list[np.ndarray]
           ) -> tuple[list[np.ndarray], list[tuple[int, int]], list[np.ndarray], list[int]]:
    """Templates, units (ms, 10 ms frames, 150 ms apart), features, expected speech."""
    units, t = [], 0
    for f in feats:
        units.append((t, t + 10 * f.shape[0]))
        t += 10 * f.shape[0] + 150
    return pieces, units, list(feats), [10 * p.shape[0] for p in pieces]


def _run(found: tuple[list[np.ndarray], list[tuple[int, int]], list[np.ndarray], list[int]],
         runs: list[Run | None], t: Tighten | None = None) -> list[Run | None]:
    return tighten(list(runs), found, F.costs(found[0])[2], t or Tighten())


def test_an_adlib_after_a_sentence_in_its_unit_is_cut_off() -> None:
    pieces = F.templates(4)
    adlib = F.templates(1, 50)[0]
    feats = [F.noisy(pieces[0]), F.noisy(np.concatenate([pieces[1], adlib])),
             F.noisy(pieces[2]), F.noisy(pieces[3])]
    found = _found(pieces, feats)
    runs: list[Run | None] = [((0, 0), 0.0), ((1, 1), 0.0), ((2, 2), 0.0), ((3, 3), 0.0)]
    out = _run(found, runs)
    units = found[1]
    assert len(units) == 5  # the shared unit was cut in two
    (a, b), _ = out[1]  # type: ignore[misc]
    assert (a, b) == (1, 1)
    assert abs(units[1][1] - (units[1][0] + 600)) <= 100  # where the ad-lib starts
    assert [r[0] for r in out if r is not None] == [(0, 0), (1, 1), (3, 3), (4, 4)]


def test_an_adlib_before_a_sentence_in_its_unit_is_cut_off() -> None:
    pieces = F.templates(3)
    adlib = F.templates(1, 50)[0]
    feats = [F.noisy(pieces[0]), F.noisy(np.concatenate([adlib, pieces[1]])),
             F.noisy(pieces[2])]
    found = _found(pieces, feats)
    out = _run(found, [((0, 0), 0.0), ((1, 1), 0.0), ((2, 2), 0.0)])
    units = found[1]
    (a, b), _ = out[1]  # type: ignore[misc]
    assert (a, b) == (2, 2) and len(units) == 4
    assert abs(units[2][0] - (units[1][0] + 500)) <= 100


def test_a_run_about_as_long_as_the_sentence_is_left_alone() -> None:
    pieces = F.templates(3)
    # 1.3 times the expected length (a slow sentence), under the 1.45 of a stretched one.
    slow = np.repeat(pieces[1], 13, axis=0)[:: 10]
    feats = [F.noisy(pieces[0]), F.noisy(slow), F.noisy(pieces[2])]
    found = _found(pieces, feats)
    runs: list[Run | None] = [((0, 0), 0.0), ((1, 1), 0.0), ((2, 2), 0.0)]
    assert _run(found, runs) == runs and len(found[1]) == 3


def test_off_leaves_a_stretched_run() -> None:
    pieces = F.templates(2)
    feats = [F.noisy(np.concatenate([pieces[0], F.templates(1, 50)[0]])), F.noisy(pieces[1])]
    found = _found(pieces, feats)
    runs: list[Run | None] = [((0, 0), 0.0), ((1, 1), 0.0)]
    assert _run(found, runs, Tighten(stretched=0)) == runs


def test_a_stretched_run_its_template_fits_whole_is_left_alone() -> None:
    # The sentence said slowly throughout (1.8 times its template): no head or tail of its
    # expected length fits better than the whole, nothing is cut.
    pieces = F.templates(2)
    slow = np.repeat(pieces[0], 18, axis=0)[:: 10]
    feats = [F.noisy(slow, 0.2), F.noisy(pieces[1])]
    found = _found(pieces, feats)
    runs: list[Run | None] = [((0, 0), 0.0), ((1, 1), 0.0)]
    assert _run(found, runs) == runs
