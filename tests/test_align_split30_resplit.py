"""Issue 29 (split30): a sentence is not reported skipped because its neighbour's run of
speech units swallowed its start (or end) in the same speech region.

The free speech left beside the neighbour's run is then too short to be the sentence, so
:func:`gaps.rescue` leaves it skipped (shift-phone-9801 s2, band-music-10000 s11).
:func:`resplit.resplit` splits the neighbour's run plus the free speech beside it between
the two templates when together they are about as long as the two sentences need, and keeps
the split only on rescue's grounds and when the neighbour still fits its part."""

from __future__ import annotations

import numpy as np

from pipeline.speech.align.gaps import Hearing, Run, rescue
from pipeline.speech.align.resplit import resplit
from tests.align_features import SynthFeatures

F = SynthFeatures(3030)
_templates, _noisy, _costs = F.templates, F.noisy, F.costs


def _units(feats: list[np.ndarray]) -> list[tuple[int, int]]:
    """Units (ms, 10 ms frames) of the features, 150 ms apart."""
    units, t = [], 0
    for f in feats:
        units.append((t, t + 10 * f.shape[0]))
        t += 10 * f.shape[0] + 150
    return units


def _hear(pieces: list[np.ndarray], feats: list[np.ndarray], runs: list[Run | None],
          hearing: Hearing | None = None
          ) -> tuple[list[Run | None], list[Run | None], list[tuple[int, int]]]:
    """The runs after :func:`rescue` (main's path), then after :func:`resplit`; the units
    after any cut."""
    units = _units(feats)
    expected_ms = [10 * p.shape[0] for p in pieces]
    found = (pieces, units, list(feats), expected_ms)
    rescued = rescue(list(runs), found, _costs(pieces), hearing or Hearing())
    return rescued, resplit(list(rescued), found, _costs(pieces), hearing or Hearing()), units


def test_a_sentence_whose_start_the_previous_run_swallowed_is_placed() -> None:
    pieces = _templates(4)
    # Sentence 2's first 40 frames share a region with sentence 1; its last 20 are alone.
    feats = [_noisy(pieces[0]), _noisy(np.concatenate([pieces[1], pieces[2][:40]])),
             _noisy(pieces[2][40:]), _noisy(pieces[3])]
    runs: list[Run | None] = [((0, 0), 0.0), ((1, 1), 0.0), None, ((3, 3), 0.0)]
    rescued, split, units = _hear(pieces, feats, runs)
    assert rescued[2] is None  # the free 200 ms are too short for rescue (the cause)
    assert split[2] is not None and split[1] is not None
    (a1, b1), _ = split[1]
    (a2, b2), _ = split[2]
    start = units[1][0] + 600  # where sentence 2 starts inside the shared region
    assert units[a1][0] == units[1][0] and abs(units[b1][1] - start) <= 60
    assert a2 == b1 + 1 and abs(units[a2][0] - start) <= 60 and units[b2][1] == units[-2][1]
    assert split[3] is not None and split[3][0] == (b2 + 1, b2 + 1)


def test_a_sentence_whose_speech_the_next_template_took_is_placed() -> None:
    """Sentence 2's template took sentence 1's speech; its own was left unmatched."""
    pieces = _templates(4)
    feats = [_noisy(p) for p in pieces]
    runs: list[Run | None] = [((0, 0), 0.0), None, ((1, 1), 0.0), ((3, 3), 0.0)]
    rescued, split, _ = _hear(pieces, feats, runs)
    assert rescued[1] is None
    assert split[1] is not None and split[1][0] == (1, 1)
    assert split[2] is not None and split[2][0] == (2, 2)


def test_a_sentence_not_said_stays_skipped_when_an_adlib_follows_its_neighbour() -> None:
    """Sentence 2 was not said; sentence 1 ran on into an ad-lib as long as sentence 2."""
    pieces = _templates(4)
    adlib = _templates(1)[0]
    feats = [_noisy(pieces[0]), _noisy(np.concatenate([pieces[1], adlib[:40]])),
             _noisy(adlib[40:]), _noisy(pieces[3])]
    runs: list[Run | None] = [((0, 0), 0.0), ((1, 1), 0.0), None, ((3, 3), 0.0)]
    rescued, split, _ = _hear(pieces, feats, runs)
    assert split[2] is None
    assert split == rescued


def test_the_split_is_off_with_resplit_false() -> None:
    pieces = _templates(4)
    feats = [_noisy(pieces[0]), _noisy(np.concatenate([pieces[1], pieces[2][:40]])),
             _noisy(pieces[2][40:]), _noisy(pieces[3])]
    runs: list[Run | None] = [((0, 0), 0.0), ((1, 1), 0.0), None, ((3, 3), 0.0)]
    rescued, split, _ = _hear(pieces, feats, runs, Hearing(resplit=False))
    assert split == rescued and split[2] is None


def test_no_split_leaves_the_neighbour_on_speech_its_template_does_not_fit() -> None:
    """Sentence 2's speech is there, but what sentence 1 would keep is unrelated speech: the
    neighbour is never left on speech it does not fit."""
    pieces = _templates(4)
    other = _templates(1)[0]
    feats = [_noisy(pieces[0]), _noisy(np.concatenate([other, pieces[2][:40]])),
             _noisy(pieces[2][40:]), _noisy(pieces[3])]
    runs: list[Run | None] = [((0, 0), 0.0), ((1, 1), 0.0), None, ((3, 3), 0.0)]
    rescued, split, _ = _hear(pieces, feats, runs)
    assert split == rescued and split[2] is None and split[1] == ((1, 1), 0.0)


def test_a_neighbour_placed_right_keeps_its_speech() -> None:
    """Sentence 2 was not said; a fragment like its start (a restart) sits before sentence
    3, placed right. Sentence 2's template fits the fragment plus sentence 3's head, but
    sentence 3 would fit its shortened part worse than its whole speech: no split
    (shift-up-9700: a sentence not said took an ad-lib and its neighbour's head)."""
    pieces = _templates(4)
    feats = [_noisy(pieces[0]), _noisy(pieces[1]), _noisy(pieces[2][:34]), _noisy(pieces[3])]
    runs: list[Run | None] = [((0, 0), 0.0), ((1, 1), 0.0), None, ((3, 3), 0.0)]
    rescued, split, _ = _hear(pieces, feats, runs)
    assert split == rescued and split[2] is None and split[3] == ((3, 3), 0.0)
