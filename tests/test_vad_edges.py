"""Sentence edges snapped to the speech's own onsets and offsets (issue 29): the level in the
band the recording carries against the floor around each edge, so a brick-wall phone band
that saturates, a noisy room and sentences ±6 dB apart get the same rule."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from pipeline.core.config import PROJECT_ROOT
from pipeline.core.types import AlignedSentence
from pipeline.speech.align.audio import snap_sentences, snap_spans
from pipeline.speech.vad import EdgeOptions, clipped_share, snap_edges

sys.path.insert(0, str(PROJECT_ROOT / "scripts"))
from bench_lessons import sox, write_wav

RATE = 16_000
#: (start_ms, end_ms) of three "sentences".
TRUE = [(700, 2300), (2600, 4100), (5200, 6900)]


def _voice(ms: int, rng: np.random.Generator, gain_db: float) -> np.ndarray:
    """A buzz with formant-like peaks, its syllables rising and falling 4 times a second."""
    t = np.arange(ms * RATE // 1000) / RATE
    f0 = 120 + 20 * np.sin(2 * np.pi * 0.7 * t)
    phase = 2 * np.pi * np.cumsum(f0) / RATE
    x = sum(np.sin(k * phase) / k for k in range(1, 30))
    x = x * (0.35 + 0.65 * np.abs(np.sin(2 * np.pi * 2 * t)))
    x = x + rng.normal(0, 0.05, t.size)
    return np.asarray(x / np.abs(x).max() * 10 ** (gain_db / 20), dtype=np.float32)


def _phone_clip(tmp: Path) -> np.ndarray:
    """Three sentences ±6 dB apart in a noisy room, through a brick-wall 300–3400 Hz band,
    then 6 dB past full scale (saturated)."""
    rng = np.random.default_rng(3)
    x = np.zeros(8000 * RATE // 1000, dtype=np.float32)
    for (a, b), gain in zip(TRUE, (0.0, -6.0, 5.0), strict=True):
        x[a * 16: b * 16] += _voice(b - a, rng, gain) * 0.5
    x += rng.normal(0, 0.5 * 10 ** (-28 / 20), x.size).astype(np.float32)
    narrow = sox(x, tmp, "sinc", "300-3400", rate=RATE, out_rate=RATE)
    hot = narrow / np.abs(narrow).max() * 10 ** (6 / 20)
    return np.asarray(np.clip(hot, -1, 1), dtype=np.float32)


def test_clipped_share_sees_saturation(tmp_path: Path) -> None:
    clipped = _phone_clip(tmp_path)
    clean = _voice(2000, np.random.default_rng(0), 0.0)
    assert clipped_share(clipped) > 0.005
    assert clipped_share(clean) < 0.001
    assert clipped_share(np.zeros(10, dtype=np.float32)) == 0.0


def test_edges_of_a_clipping_phone_recording_are_found(tmp_path: Path) -> None:
    """Spans 100–200 ms off either way (the detector's loose edges) come back within two
    5 ms frames of the truth."""
    write_wav(tmp_path / "phone.wav", _phone_clip(tmp_path), RATE)
    loose = [(820, 2450), (2520, 4000), (5050, 7100)]
    got = snap_spans(tmp_path / "phone.wav", loose)
    for (a, b), (ta, tb) in zip(got, TRUE, strict=True):
        assert abs(a - ta) <= 20 and abs(b - tb) <= 20, (got, TRUE)


def test_edges_never_cross_a_neighbour() -> None:
    """Two spans with no pause between them: each keeps to its side of the other."""
    level = np.full(400, -60.0)
    level[100:300] = -10.0
    got = snap_edges([(500, 1000), (1000, 1500)], level, EdgeOptions(frame_ms=5))
    assert abs(got[0][0] - 500) <= 5 and abs(got[1][1] - 1500) <= 5, got
    assert got[0][1] == 1000 and got[1][0] == 1000, got


def test_quiet_span_keeps_its_edges() -> None:
    """No speech above the floor: nothing to snap to."""
    level = np.random.default_rng(0).normal(-50, 1, 1000)
    assert snap_edges([(1000, 2000)], level) == [(1000, 2000)]


def test_snap_sentences_leaves_skipped_ones(tmp_path: Path) -> None:
    write_wav(tmp_path / "phone.wav", _phone_clip(tmp_path), RATE)
    said = AlignedSentence(0, "", "một", 820, 2450, "matched", 0.9)
    skipped = AlignedSentence(1, "", "hai", 0, 0, "skipped", 0.8)
    adlib = AlignedSentence(None, "", "", 5050, 7100, "ad-lib", 0.5)
    out, adlibs = snap_sentences(tmp_path / "phone.wav", [said, skipped], [adlib])
    assert out[1] == skipped
    assert abs(out[0].start_ms - 700) <= 20 and abs(adlibs[0].end_ms - 6900) <= 20, (out, adlibs)


def test_short_sentence_takes_the_unmatched_speech_beside_it() -> None:
    """A sentence matched to 2 s of its expected 3 s takes the 0.8 s unit after a comma's
    pause; a complete sentence leaves a whole ad-lib after it alone."""
    from pipeline.speech.align.gaps import extend_runs

    units = [(0, 2000), (2200, 3000), (4000, 6000), (6300, 8800)]
    got = extend_runs([((0, 0), 0.1), ((2, 2), 0.1)], units, [3000, 2000])
    assert got == [((0, 1), 0.1), ((2, 2), 0.1)], got


def test_skip_decided_by_match_and_length() -> None:
    """Two neighbours whose templates match the same 3 s of speech equally: the one
    expected to last 3 s takes it, the one expected to last 1 s is the skipped one; a
    sentence matched to a fifth of its expected speech was not said."""
    from pipeline.speech.align.gaps import revise

    rng = np.random.default_rng(0)
    feats = [rng.normal(0, 1, (300, 12)).astype(np.float32)]
    pieces = [feats[0], feats[0]]
    found = (pieces, [(0, 3000)], feats, [1000, 3000])
    got = revise([((0, 0), 0.5), None], found, (0.0, 5.0, 0.5), 0.5, False)
    assert got[0] is None and got[1] is not None and got[1][0] == (0, 0), got
    kept = revise([None, ((0, 0), 0.5)], found, (0.0, 5.0, 0.5), 0.5, False)
    assert kept[0] is None and kept[1] is not None, kept
    short = revise([((0, 0), 0.5)], ([pieces[1]], [(0, 600)], feats, [3000]),
                   (0.0, 5.0, 0.5), 0.5, False)
    assert short == [None], short


def _under_bed(tmp: Path, bed: str) -> np.ndarray:
    """The three band-limited sentences over a loud bed: "music" (notes below 500 Hz,
    louder than the voice, in a room 45 dB down) or "line" (white noise 30 dB down)."""
    rng = np.random.default_rng(5)
    x = np.zeros(8000 * RATE // 1000, dtype=np.float32)
    for a, b in TRUE:
        x[a * 16: b * 16] += _voice(b - a, rng, 0.0) * 0.3
    x = sox(x, tmp, "sinc", "300-3400", rate=RATE, out_rate=RATE)
    t = np.arange(x.size) / RATE
    if bed == "music":
        notes = np.sin(2 * np.pi * 196 * t) + 0.7 * np.sin(2 * np.pi * 294 * t)
        x = x + (0.25 * notes * (0.6 + 0.4 * np.sin(2 * np.pi * 0.5 * t))).astype(np.float32)
    noise = 10 ** (-(45 if bed == "music" else 30) / 20)  # room tone, or the line's hiss
    x = x + rng.normal(0, 0.3 * noise, x.size).astype(np.float32)
    return np.asarray(x, dtype=np.float32)


def test_speech_band_background_tells_a_bed_from_a_line(tmp_path: Path) -> None:
    from pipeline.speech.align.audio import SPEECH_BAND_HZ, _speech_band_background
    from pipeline.speech.vad import band_db, frame_db

    heard = TRUE[:2]  # a VAD that missed the third sentence
    kinds = []
    for bed in ("music", "line"):
        x = _under_bed(tmp_path, bed)
        kinds.append(_speech_band_background(frame_db(x, RATE, 10),
                                             band_db(x, RATE, 10, SPEECH_BAND_HZ), heard))
    assert kinds == ["bed", "steady"], kinds


def test_speech_band_regions_hear_a_voice_over_a_louder_bed(tmp_path: Path) -> None:
    from pipeline.speech.align.audio import SPEECH_BAND_HZ
    from pipeline.speech.vad import band_regions, energy_regions

    def found(regions: list[tuple[int, int]]) -> bool:
        return len(regions) == len(TRUE) and all(
            abs(a - ta) <= 60 and abs(b - tb) <= 60
            for (a, b), (ta, tb) in zip(regions, TRUE, strict=True))

    x = _under_bed(tmp_path, "music")
    assert not found(energy_regions(x, RATE))  # the whole band follows the bed
    got = band_regions(x, RATE, SPEECH_BAND_HZ)
    assert found(got), got
