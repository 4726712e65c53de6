"""Speech regions and edges of a band-limited narrator over a music bed, and of a phone
whose reverberant pauses keep the whole band up (issue 29, band-music and shift-phone
lessons): the speech band's own pauses cut the regions the whole-band detectors bridged,
and the edges are placed on the level above the bed."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np

from pipeline.speech.align.audio import bed_below, snap_spans, split_quiet, wav_regions
from pipeline.speech.vad import EdgeOptions, VadOptions
from tests import test_align_edges as edges
from tests.test_align_edges import _write

RATE = 16_000


def _speechlike(seconds: float, rng: np.random.Generator) -> np.ndarray:
    """A brick-wall narrator: speech-like noise in 300–3400 Hz."""
    return edges._speechlike(seconds, rng, low_hz=300.0, depth=0.45, rms=0.2)


def _bed(n: int, level_db: float, beat_s: float = 0.5) -> np.ndarray:
    """A music bed like the benchmark's: a drone and plucked notes, all below 420 Hz."""
    t = np.arange(n) / RATE
    out = 0.3 * np.sin(2 * np.pi * 110 * t)
    beat = int(beat_s * RATE)
    for k, start in enumerate(range(0, n, beat)):
        seg = t[: min(beat, n - start)]
        f = 220 * (1.0, 1.26, 1.5, 1.12, 1.33, 1.68)[k % 6]
        out[start: start + seg.size] += np.sin(2 * np.pi * f * seg) * np.exp(-seg * 4)
    out *= 10 ** (level_db / 20) / np.sqrt(np.mean(out**2))
    return np.asarray(out, dtype=np.float32)


def _over_bed(rng: np.random.Generator, pause_s: float) -> tuple[np.ndarray, list[int]]:
    """A 2.5 s sentence, a pause of ``pause_s``, a 2 s ad-lib, 1 s, a 2.5 s sentence, over a
    bed 16 dB below the voice (room tone 60 dB down); returns the samples and the speech's
    edges in ms."""
    parts, edges, pos = [], [], 0.0
    for piece, gap in ((2.5, pause_s), (2.0, 1.0), (2.5, 0.8)):
        parts += [_speechlike(piece, rng), np.zeros(int(gap * RATE), dtype=np.float32)]
        edges += [int(pos * 1000), int((pos + piece) * 1000)]
        pos += piece + gap
    lead = np.zeros(int(0.6 * RATE), dtype=np.float32)
    x = np.concatenate([lead, *parts])
    x = x + _bed(x.size, 20 * np.log10(0.2) - 16) + rng.normal(0, 2e-4, x.size).astype(
        np.float32)
    return x, [e + 600 for e in edges]


def test_split_quiet_cuts_long_band_pauses_between_utterances_only() -> None:
    """A region over loud-quiet-loud frames is cut in the quiet stretch when it is at least
    ``min_quiet_ms`` long and both sides hold ``min_piece_ms`` of speech; the cut keeps a
    quarter of the pause (at most ``reach_ms``) on each side."""
    up = np.zeros(600, dtype=bool)  # 10 ms frames: 6 s
    up[50:200] = True   # 0.5–2.0 s
    up[240:400] = True  # 2.4–4.0 s (a 400 ms pause before)
    up[415:560] = True  # 4.15–5.6 s (a 150 ms pause before)
    got = split_quiet([(500, 5600)], up, 10, 200)
    assert got == [(500, 2100), (2300, 5600)], got
    # Both sides must keep 1 s of speech: a 0.3 s word before the pause is not cut off.
    up[50:170] = False
    assert split_quiet([(1700, 5600)], up, 10, 200) == [(1700, 5600)]
    # No loud frame at all (a region the band did not hear): kept as it is.
    assert split_quiet([(100, 400)], np.zeros(60, dtype=bool), 10, 200) == [(100, 400)]


def test_pause_before_an_adlib_over_a_music_bed_splits_the_region(tmp_path: Path) -> None:
    """The 400 ms pause between a sentence and an ad-lib over a music bed, where one of the
    bed's low notes rings, is a gap between two regions (the whole band's detectors hear
    the note and bridge the pause)."""
    x, edges = _over_bed(np.random.default_rng(7), 0.4)
    at = edges[1] * RATE // 1000
    t = np.arange(int(0.45 * RATE)) / RATE
    x[at: at + t.size] += (0.15 * np.sin(2 * np.pi * 247 * t) * np.exp(-t * 2)).astype(
        np.float32)
    wav = _write(tmp_path / "bed.wav", x)
    pause = (edges[1] + 60, edges[2] - 60)

    def bridged(regions: list[tuple[int, int]]) -> bool:
        return any(a < pause[0] and b > pause[1] for a, b in regions)

    # The energy detector (Silero does not take this noise for a voice at all).
    # (split_quiet is off by default: see VadOptions.split_quiet_ms.)
    energy = replace(VadOptions(), method="energy")
    old = wav_regions(wav, syllables=30, opts=replace(energy, split_quiet_ms=0))
    new = wav_regions(wav, syllables=30, opts=replace(energy, split_quiet_ms=200))
    assert bridged(old), old  # what the whole-band detectors alone give
    assert not bridged(new), new
    # The speech itself is all still inside the regions.
    for a, b in zip(edges[::2], edges[1::2], strict=True):
        inside = sum(max(0, min(b, d) - max(a, c)) for c, d in new)
        assert inside >= 0.9 * (b - a), (a, b, new)


def test_bed_below_tells_music_from_room_tone(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    x, _ = _over_bed(rng, 0.6)
    assert bed_below(_write(tmp_path / "music.wav", x))
    room = np.concatenate([_speechlike(2.0, rng), np.zeros(RATE, dtype=np.float32)] * 3)
    room = room + rng.normal(0, 1e-3, room.size).astype(np.float32)
    assert not bed_below(_write(tmp_path / "room.wav", room))


def test_onset_over_a_bed_is_the_voice_not_the_note_before_it(tmp_path: Path) -> None:
    """A span whose start the aligner left 250 ms early, where a pluck of the bed starts
    150 ms before the voice: the snapped start is the voice's onset (on the level over the
    whole edge band it is the pluck's)."""
    rng = np.random.default_rng(2)
    x, edges = _over_bed(rng, 0.6)
    # Make sure a loud pluck starts 150 ms before the second utterance.
    at = (edges[2] - 150) * RATE // 1000
    t = np.arange(int(0.5 * RATE)) / RATE
    x[at: at + t.size] += (0.05 * np.sin(2 * np.pi * 330 * t) * np.exp(-t * 4)).astype(
        np.float32)
    wav = _write(tmp_path / "bed.wav", x)
    spans = [(edges[0] - 100, edges[1] + 100), (edges[2] - 250, edges[3] + 100),
             (edges[4] - 100, edges[5] + 100)]
    old = snap_spans(wav, spans, replace(EdgeOptions(), above_bed=False))
    new = snap_spans(wav, spans)
    assert abs(old[1][0] - edges[2]) > 60, (old, edges)  # on the note's onset
    for (a, b), (ta, tb) in zip(new, zip(edges[::2], edges[1::2], strict=True), strict=True):
        assert abs(a - ta) <= 30 and abs(b - tb) <= 120, (new, edges)
