"""Acoustic work done once (issue 29, once30): the speech regions, the bed test and the edge
snapping share one set of frame levels per recording, and their results are those of the
code that computed each level for itself, bit for bit.

``_Main`` below is main's acoustic path at dd8fe50 (``audio.wav_regions``, ``bed_below``,
``snap_spans`` and ``vad.band_db``), copied as it was and kept frozen here as the reference:
the new path must give exactly its outputs on the benchmark's conditions (a band-limited
narrator over a music bed, a clipping phone, a reverberant room, a quiet room, a recording
longer than one block, a stereo file, a file not at 16 kHz) under several options."""

from __future__ import annotations

import wave
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from pipeline.speech.align import audio, levels
from pipeline.speech.align.audio import (
    BED_BELOW_DB,
    EDGE_BAND_HZ,
    SPEECH_BAND_HZ,
    bed_below,
    snap_spans,
    wav_blocks,
    wav_regions,
)
from pipeline.speech.vad import (
    EdgeOptions,
    VadOptions,
    band_dbs,
    frame_db,
    level_regions,
    loud_frames,
    snap_edges,
    speech_regions,
)
from tests import test_align_band29_regions as band29
from tests import test_align_edges as edges

RATE = 16_000


class _Main:
    """main's acoustic path at dd8fe50, each level computed by its own caller."""

    @staticmethod
    def band_db(samples: np.ndarray, rate: int, frame_ms: int,
                band: tuple[float, float]) -> np.ndarray:
        hop = max(1, rate * frame_ms // 1000)
        n = samples.size // hop
        freqs = np.fft.rfftfreq(hop, 1 / rate)
        keep = (freqs >= band[0]) & (freqs <= band[1])
        window = np.hanning(hop)
        parts: list[np.ndarray] = []
        for k in range(0, n, 4096):
            frames = samples[k * hop: min(n, k + 4096) * hop].reshape(-1, hop) * window
            power = np.abs(np.fft.rfft(frames, axis=1)[:, keep]) ** 2
            ms = 2 * power.sum(axis=1) / (hop * np.sum(window**2))
            parts.append(10 * np.log10(np.maximum(ms, 1e-12)))
        return np.concatenate(parts) if parts else np.zeros(0)

    @classmethod
    def trim_to_band(cls, regions: list[tuple[int, int]], block: np.ndarray, rate: int,
                     opts: VadOptions, reach_ms: int = 100) -> list[tuple[int, int]]:
        if not regions:
            return regions
        step = opts.frame_ms
        up = loud_frames(cls.band_db(block, rate, step, SPEECH_BAND_HZ), opts)
        out = []
        for a, b in regions:
            on = np.flatnonzero(up[a // step: b // step])
            if on.size == 0:
                out.append((a, b))
                continue
            start = max(a, (a // step + int(on[0])) * step - reach_ms)
            end = min(b, (a // step + int(on[-1]) + 1) * step + reach_ms)
            out.append((start, end))
        return out

    @classmethod
    def wav_regions(cls, path: Path, syllables: int = 0,
                    opts: VadOptions | None = None) -> list[tuple[int, int]]:
        opts = opts or VadOptions()
        heard: list[tuple[int, int]] = []
        energy: list[tuple[int, int]] = []
        steady: list[bool] = []
        ups: list[np.ndarray] = []
        offset = 0
        for block, rate in wav_blocks(path):
            found = speech_regions(block, rate, opts)
            heard += [(a + offset, b + offset) for a, b in found]
            level = frame_db(block, rate, 10)
            whole = audio._steady(level, found, 10)
            band = (cls.band_db(block, rate, 10, SPEECH_BAND_HZ) if opts.band_detector
                    else level)
            kind = "" if whole or not opts.band_detector else audio._speech_band_background(
                level, band, found)
            own = (level_regions(cls.band_db(block, rate, opts.frame_ms, SPEECH_BAND_HZ), opts)
                   if kind else [])
            loud = own if kind == "bed" else own + cls.trim_to_band(
                level_regions(frame_db(block, rate, opts.frame_ms), opts), block, rate, opts)
            energy += [(a + offset, b + offset) for a, b in loud]
            steady.append(whole or bool(kind))
            ups.append(audio._band_up(band, opts, 10) if kind and opts.split_quiet_ms
                       else np.ones(level.size, dtype=bool))
            offset += block.size * 1000 // rate
        heard = audio._merge(heard, opts.min_silence_ms)
        energy = audio._merge(energy, opts.min_silence_ms)
        total = sum(b - a for a, b in heard)
        needed = audio.MIN_HEARD_SHARE * syllables * audio.FAST_MS_PER_SYLLABLE
        up = np.concatenate(ups) if ups else np.ones(0, dtype=bool)
        if opts.method != "energy" and (all(steady) or total < needed):
            heard = audio._merge(heard + energy, opts.min_silence_ms)
        return (audio.split_quiet(heard, up, 10, opts.split_quiet_ms) if opts.split_quiet_ms
                else heard)

    @classmethod
    def edge_level(cls, path: Path, fr: int, low: float) -> np.ndarray:
        parts = [cls.band_db(block, rate, fr, (low, min(EDGE_BAND_HZ[1], 0.45 * rate)))
                 for block, rate in wav_blocks(path)]
        return np.concatenate(parts) if parts else np.zeros(0)

    @classmethod
    def bed_below(cls, path: Path, frame_ms: int = 10) -> bool:
        whole, band = [], []
        for block, rate in wav_blocks(path):
            whole.append(frame_db(block, rate, frame_ms))
            band.append(cls.band_db(block, rate, frame_ms, SPEECH_BAND_HZ))
        if not whole:
            return False
        gap = np.percentile(np.concatenate(whole), 10) - np.percentile(np.concatenate(band), 10)
        return bool(gap >= BED_BELOW_DB)

    @classmethod
    def snap_spans(cls, path: Path, spans: list[tuple[int, int]],
                   opts: EdgeOptions | None = None) -> list[tuple[int, int]]:
        opts = opts or EdgeOptions()
        level = cls.edge_level(path, opts.frame_ms, EDGE_BAND_HZ[0])
        if not level.size:
            return spans
        out = snap_edges(spans, level, opts)
        if not (opts.above_bed and cls.bed_below(path)):
            return out
        starts = [a for a, _ in snap_edges(spans, cls.edge_level(path, opts.frame_ms,
                                                                 SPEECH_BAND_HZ[0]), opts)]
        nexts = [*starts[1:], None]
        return [(a, b if n is None else min(b, n)) if min(b, n or b) > a else (a0, b)
                for (a0, b), a, n in zip(out, starts, nexts, strict=True)]


def _write(path: Path, x: np.ndarray, rate: int = RATE, channels: int = 1) -> Path:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes((np.clip(x, -1, 1) * 32767).astype("<i2").tobytes())
    return path


def _sentences(rng: np.random.Generator, n: int, voice: float = 200.0) -> np.ndarray:
    """``n`` speech-like stretches of 1.5–3 s between pauses of 0.3–1.5 s (room tone)."""
    parts = [np.zeros(int(0.5 * RATE), dtype=np.float32)]
    for _ in range(n):
        parts.append(edges._speechlike(float(rng.uniform(1.5, 3.0)), rng, low_hz=voice))
        parts.append(np.zeros(int(rng.uniform(0.3, 1.5) * RATE), dtype=np.float32))
    x = np.concatenate(parts)
    return np.asarray(x + rng.normal(0, 3e-4, x.size), dtype=np.float32)


def _conditions(tmp: Path) -> Iterator[tuple[str, Path]]:
    """The benchmark's conditions, small: (name, WAV)."""
    rng = np.random.default_rng(29)
    x, _ = band29._over_bed(rng, 1.2)
    yield "band-music", _write(tmp / "band-music.wav", x)
    phone = _sentences(rng, 5, voice=300.0) * 4.0  # +12 dB into a clipping microphone
    yield "phone-clip", _write(tmp / "phone-clip.wav", np.clip(phone, -0.6, 0.6))
    dry = _sentences(rng, 5, voice=100.0)
    tail = rng.normal(0, 1, int(0.4 * RATE)) * np.exp(-np.arange(int(0.4 * RATE)) / 1600)
    yield "reverberant", _write(tmp / "reverberant.wav",
                                np.convolve(dry, tail * 0.05)[: dry.size])
    yield "quiet-room", _write(tmp / "quiet-room.wav", _sentences(rng, 4))
    long = _sentences(rng, 28)  # longer than one block of 60 s
    assert long.size > 61 * RATE, long.size / RATE
    yield "two-blocks", _write(tmp / "two-blocks.wav", long)
    stereo = np.stack([x, x * 0.5], axis=1).reshape(-1)
    yield "stereo", _write(tmp / "stereo.wav", stereo, channels=2)
    yield "8khz", _write(tmp / "8khz.wav", _sentences(rng, 3)[::2], rate=8_000)
    yield "silence", _write(tmp / "silence.wav", np.zeros(RATE, dtype=np.float32))


VAD = [VadOptions(), VadOptions(frame_ms=10), VadOptions(band_detector=False),
       VadOptions(method="energy"), VadOptions(split_quiet_ms=300)]
EDGES = [EdgeOptions(), EdgeOptions(above_bed=False), EdgeOptions(frame_ms=10)]


def test_one_pass_gives_main_s_outputs_bit_for_bit(tmp_path: Path) -> None:
    beds = {}
    for name, wav in _conditions(tmp_path):
        beds[name] = _Main.bed_below(wav)
        assert bed_below(wav) == beds[name], name
        for opts in VAD:
            for syllables in (0, 120):
                want = _Main.wav_regions(wav, syllables, opts)
                assert wav_regions(wav, syllables, opts) == want, (name, opts, syllables)
        heard = _Main.wav_regions(wav, 120)
        assert heard or name == "silence", name  # the comparisons below are not vacuous
        spans = [(a + 40, b - 40) for a, b in heard if b - a > 200]
        for edge in EDGES:
            levels.clear_levels()  # snapping first, before any speech detection
            assert snap_spans(wav, spans, edge) == _Main.snap_spans(wav, spans, edge), name
            assert snap_spans(wav, spans, edge) == _Main.snap_spans(wav, spans, edge), name
    # The conditions are those they are named for.
    assert beds["band-music"] and not beds["quiet-room"] and not beds["phone-clip"], beds


def test_several_bands_from_one_spectrum_equal_one_band_at_a_time() -> None:
    rng = np.random.default_rng(4)
    x = rng.normal(0, 0.1, 16_000 * 3 + 123).astype(np.float32)
    bands = [(300.0, 7000.0), (1000.0, 7000.0), SPEECH_BAND_HZ, (0.0, 8000.0)]
    for frame_ms in (5, 10, 20):
        got = band_dbs(x, RATE, frame_ms, bands)
        for band, db in zip(bands, got, strict=True):
            assert np.array_equal(db, _Main.band_db(x, RATE, frame_ms, band)), (frame_ms, band)


def _count_reads(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Samples read from WAV files (all readers go through ``wave.Wave_read.readframes``)."""
    read = [0]
    real = wave.Wave_read.readframes

    def counting(self: wave.Wave_read, n: int) -> bytes:
        data = real(self, n)
        read[0] += len(data) // (self.getsampwidth() * self.getnchannels())
        return data

    monkeypatch.setattr(wave.Wave_read, "readframes", counting)
    return read


def test_the_aligners_acoustic_questions_decode_the_recording_at_most_twice(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The DTW aligner's speech regions, the edge snapping with its bed test, and the
    regions the ear asks for again: main decoded a bed recording five times (regions twice,
    the edge level, the bed test, the level above the bed); now twice (the speech detector's
    levels, then the edge levels), and the second ``wav_regions`` is free."""
    rng = np.random.default_rng(5)
    x, _ = band29._over_bed(rng, 1.2)
    wav = _write(tmp_path / "bed.wav", x)
    levels.clear_levels()
    read = _count_reads(monkeypatch)
    first = wav_regions(wav, 60)
    spans = [(a + 40, b - 40) for a, b in first]
    snapped = snap_spans(wav, spans)
    assert wav_regions(wav, 60) == first
    assert read[0] <= 2 * x.size, read[0] / x.size
    assert snapped != spans  # the edges did move: the levels were there


def test_a_rewritten_recording_is_analysed_again(tmp_path: Path) -> None:
    rng = np.random.default_rng(6)
    wav = _write(tmp_path / "a.wav", _sentences(rng, 3))
    before = wav_regions(wav, 120)
    _write(tmp_path / "a.wav", _sentences(rng, 5))
    assert wav_regions(wav, 120) == _Main.wav_regions(wav, 120) != before
    # Callers get their own list: changing it changes nothing kept.
    got = wav_regions(wav, 120)
    got.clear()
    assert wav_regions(wav, 120) == _Main.wav_regions(wav, 120)
    assert replace(VadOptions()) == VadOptions()  # options are keys by value
