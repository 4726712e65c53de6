"""Speech/silence detection on the analysis WAV.

Silero VAD (the ONNX model that ships inside the faster-whisper package, so nothing is
downloaded) tells speech from music and noise; an energy detector is the fallback when
faster-whisper is not installed, and refines Silero's edges to the 20 ms frame.

:func:`wav_speech_regions` reads the WAV block by block (Silero's recurrent state carried
from block to block, frame levels kept as one small array): its memory does not grow with
the recording beyond a few bytes per 10 ms frame (~7 MB for 2 h)."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pipeline.core.media import iter_wav_blocks, wav_info

log = logging.getLogger("caunoi.vad")

__all__ = ["EdgeOptions", "VadOptions", "band_db", "band_dbs", "band_regions", "clipped_share",
           "energy_regions", "level_regions", "level_speech_regions", "loud_frames",
           "silero_probs", "silero_regions", "snap_edges", "speech_regions", "wav_frame_db",
           "wav_speech_regions"]

#: Silero's window (samples at 16 kHz) and the samples of context it sees before each one.
_WINDOW, _CONTEXT = 512, 64
#: Windows per block handed to Silero (32 s of audio: ~10 MB of buffers; faster-whisper
#: hands it 10,000 windows at once, ten times the memory for the same result).
_SILERO_BATCH = 1_000


@dataclass(frozen=True)
class VadOptions:
    # Analysis frame length.
    frame_ms: int = 20
    # Pauses shorter than this do not split speech.
    min_silence_ms: int = 200
    # Bursts shorter than this are ignored (clicks).
    min_speech_ms: int = 120
    # Threshold position between the noise floor and the speech level (0..1).
    threshold: float = 0.3
    # Absolute floor: quieter frames are always silence.
    min_dbfs: float = -55.0
    # "silero" (falls back to "energy" if unavailable) or "energy".
    method: str = "silero"
    # Silero speech probability threshold.
    silero_threshold: float = 0.5
    # Background steadier than this (dB, p90-p10 between speech) lets the energy detector
    # sharpen Silero's edges; music or changing noise does not.
    stationary_db: float = 6.0
    # The speech band's own energy as a second detector (see align.audio.wav_regions).
    band_detector: bool = True
    # ... and, where it is the detector, its pauses at least this long (ms) split the
    # regions (align.audio.split_quiet; 0: never). Off: on the sample lesson a split at a
    # comma left a sentence too short for its length prior (a spoken sentence skipped).
    split_quiet_ms: int = 0


def frame_db(samples: np.ndarray, rate: int, frame_ms: int) -> np.ndarray:
    """RMS level per frame in dBFS (computed a block of frames at a time: no float64 copy of
    the whole recording)."""
    step = max(1, rate * frame_ms // 1000) * 4096
    return _blocks_db((samples[k: k + step] for k in range(0, samples.size, step)), rate,
                      frame_ms)


def _blocks_db(blocks: Iterable[np.ndarray], rate: int, frame_ms: int) -> np.ndarray:
    """RMS level per frame in dBFS over consecutive sample blocks (a frame may straddle
    two blocks: the remainder is carried)."""
    hop = max(1, rate * frame_ms // 1000)
    parts: list[np.ndarray] = []
    carry = np.zeros(0, dtype=np.float32)
    for block in blocks:
        data = np.concatenate([carry, block]) if carry.size else block
        n = data.size // hop
        if n:
            frames = data[: n * hop].reshape(n, hop).astype(np.float64)
            rms = np.sqrt(np.mean(frames**2, axis=1))
            parts.append(20 * np.log10(np.maximum(rms, 1e-6)))
        carry = data[n * hop:]
    return np.concatenate(parts) if parts else np.zeros(0)


def band_db(samples: np.ndarray, rate: int, frame_ms: int,
            band: tuple[float, float]) -> np.ndarray:
    """Level per frame (the frames of :func:`frame_db`) in dBFS of the ``band`` (Hz) only."""
    return band_dbs(samples, rate, frame_ms, [band])[0]


def band_dbs(samples: np.ndarray, rate: int, frame_ms: int,
             bands: list[tuple[float, float]]) -> list[np.ndarray]:
    """:func:`band_db` of each of ``bands`` from one spectrum per frame, 4096 frames at a time."""
    hop = max(1, rate * frame_ms // 1000)
    n = samples.size // hop
    freqs = np.fft.rfftfreq(hop, 1 / rate)
    keeps = [(freqs >= lo) & (freqs <= hi) for lo, hi in bands]
    window = np.hanning(hop)
    parts: list[list[np.ndarray]] = [[] for _ in bands]
    for k in range(0, n, 4096):
        frames = samples[k * hop: min(n, k + 4096) * hop].reshape(-1, hop) * window
        spectrum = np.fft.rfft(frames, axis=1)
        for keep, out in zip(keeps, parts, strict=True):
            power = np.abs(spectrum[:, keep]) ** 2
            # Scaled like frame_db: the band's share of the mean square of the samples.
            ms = 2 * power.sum(axis=1) / (hop * np.sum(window**2))
            out.append(10 * np.log10(np.maximum(ms, 1e-12)))
    return [np.concatenate(p) if p else np.zeros(0) for p in parts]


def loud_frames(db: np.ndarray, opts: VadOptions) -> np.ndarray:
    """Frames louder than the energy detector's threshold: ``opts.threshold`` of the way from
    the recording's own floor (10th percentile) to its speech level (95th), at least
    ``opts.min_dbfs``."""
    floor, peak = np.percentile(db, 10), np.percentile(db, 95)
    return np.asarray(db > max(opts.min_dbfs, floor + opts.threshold * (peak - floor)))


def wav_frame_db(wav: Path, frame_ms: int) -> np.ndarray:
    """:func:`frame_db` of a 16-bit WAV, read block by block."""
    rate, _ = wav_info(wav)
    return _blocks_db(iter_wav_blocks(wav), rate, frame_ms)


def speech_regions(samples: np.ndarray, rate: int,
                   opts: VadOptions = VadOptions()) -> list[tuple[int, int]]:
    """Return (start_ms, end_ms) of speech regions, in order."""
    if opts.method == "silero" and rate == 16_000:
        regions = silero_regions(samples, opts)
        if regions is not None:
            return refine_edges(regions, samples, rate, opts)
    return energy_regions(samples, rate, opts)


def wav_speech_regions(wav: Path, opts: VadOptions = VadOptions()) -> list[tuple[int, int]]:
    """:func:`speech_regions` of a 16-bit WAV, read block by block (bounded memory)."""
    rate, _ = wav_info(wav)
    if opts.method == "silero" and rate == 16_000:
        probs = _silero_probs(iter_wav_blocks(wav, _WINDOW * _SILERO_BATCH))
        if probs is not None:
            regions = _silero_segments(probs, opts)
            return _refine_db(regions, wav_frame_db(wav, 10), opts)
    return level_regions(wav_frame_db(wav, opts.frame_ms), opts)


def refine_edges(regions: list[tuple[int, int]], samples: np.ndarray, rate: int,
                 opts: VadOptions, window_ms: int = 200) -> list[tuple[int, int]]:
    """Move each region's edges to where the signal crosses the energy threshold nearby
    (Silero's edges are about 30-60 ms loose); keep them when nothing crosses."""
    return _refine_db(regions, frame_db(samples, rate, 10), opts, window_ms)


def _refine_db(regions: list[tuple[int, int]], db: np.ndarray, opts: VadOptions,
               window_ms: int = 200) -> list[tuple[int, int]]:
    step = 10
    if db.size == 0:
        return regions
    between = np.ones(db.size, dtype=bool)
    for a, b in regions:
        between[max(0, a // step - 20): b // step + 20] = False
    if between.sum() >= 50:
        spread = np.percentile(db[between], 90) - np.percentile(db[between], 10)
        if spread > opts.stationary_db:
            return regions  # music or changing noise between the words: keep Silero's edges
    floor, peak = np.percentile(db, 10), np.percentile(db, 95)
    loud = db > max(opts.min_dbfs, floor + opts.threshold * (peak - floor))
    w = window_ms // step
    out: list[tuple[int, int]] = []
    for a, b in regions:
        fa, fb = a // step, b // step
        lo, hi = max(0, fa - w), min(loud.size, fa + w)
        on = np.flatnonzero(loud[lo:hi])
        start = (lo + int(on[0])) * step if on.size else a
        lo, hi = max(0, fb - w), min(loud.size, fb + w)
        off = np.flatnonzero(loud[lo:hi])
        end = (lo + int(off[-1]) + 1) * step if off.size else b
        if out and start < out[-1][1]:
            start = out[-1][1]
        if end > start:
            out.append((start, end))
    return out


def silero_regions(samples: np.ndarray, opts: VadOptions) -> list[tuple[int, int]] | None:
    """Speech regions from Silero VAD at 16 kHz; None when faster-whisper is missing."""
    return None if (probs := silero_probs(samples)) is None else _silero_segments(probs, opts)


def silero_probs(samples: np.ndarray) -> tuple[np.ndarray, int] | None:
    """:func:`_silero_probs` of 16 kHz ``samples`` fed :data:`_SILERO_BATCH` windows at a
    time (:func:`level_speech_regions` turns them into regions)."""
    step = _WINDOW * _SILERO_BATCH
    return _silero_probs(samples[k: k + step] for k in range(0, samples.size, step))


def level_speech_regions(probs: tuple[np.ndarray, int] | None, level_10ms: np.ndarray,
                         level: np.ndarray, opts: VadOptions) -> list[tuple[int, int]]:
    """:func:`speech_regions` from :func:`silero_probs` (None: the energy detector), and
    :func:`frame_db` at 10 ms (to refine Silero's edges) and ``opts.frame_ms`` (energy)."""
    if probs is not None:
        return _refine_db(_silero_segments(probs, opts), level_10ms, opts)
    return level_regions(level, opts)


def _silero_probs(blocks: Iterable[np.ndarray]) -> tuple[np.ndarray, int] | None:
    """Silero's speech probability per 512-sample window, fed block by block with its
    recurrent state and context carried across blocks (as faster-whisper feeds it in
    batches); also the number of samples. None when faster-whisper is missing."""
    try:
        from faster_whisper.vad import get_vad_model
    except ImportError:
        log.info("faster-whisper not installed: energy-based VAD")
        return None
    session = get_vad_model().session
    h = np.zeros((1, 1, 128), dtype=np.float32)
    c = np.zeros((1, 1, 128), dtype=np.float32)
    context = np.zeros(_CONTEXT, dtype=np.float32)
    out: list[np.ndarray] = []
    total = 0
    for block in blocks:
        total += block.size
        if block.size % _WINDOW:  # the last block: zero-padded to whole windows
            block = np.pad(block, (0, _WINDOW - block.size % _WINDOW))
        windows = block.astype(np.float32, copy=False).reshape(-1, _WINDOW)
        before = np.vstack([context[None, :], windows[:-1, -_CONTEXT:]])
        batch = np.concatenate([before, windows], axis=1)
        probs, h, c = session.run(None, {"input": batch, "h": h, "c": c})
        out.append(np.asarray(probs, dtype=np.float32).reshape(-1))
        context = windows[-1, -_CONTEXT:].copy()
    return (np.concatenate(out) if out else np.zeros(0, dtype=np.float32)), total


def _silero_segments(found: tuple[np.ndarray, int],
                     opts: VadOptions) -> list[tuple[int, int]]:
    """faster-whisper's ``get_speech_timestamps`` state machine over the probabilities, for
    our settings (no padding, no longest-speech cut), as (start_ms, end_ms)."""
    probs, n_samples = found
    on, off = opts.silero_threshold, max(opts.silero_threshold - 0.15, 0.01)
    min_silence, min_speech = opts.min_silence_ms * 16, opts.min_speech_ms * 16
    speeches: list[tuple[int, int]] = []
    triggered, start, temp_end = False, 0, 0
    for i, p in enumerate(probs.tolist()):
        pos = _WINDOW * i
        if p >= on:
            temp_end = 0
            if not triggered:
                triggered, start = True, pos
            continue
        if p < off and triggered:
            temp_end = temp_end or pos
            if pos - temp_end < min_silence:
                continue
            if temp_end - start > min_speech:
                speeches.append((start, temp_end))
            triggered, temp_end = False, 0
    if triggered and n_samples - start > min_speech:
        speeches.append((start, n_samples))
    return [(a // 16, b // 16) for a, b in speeches]


def energy_regions(samples: np.ndarray, rate: int,
                   opts: VadOptions = VadOptions()) -> list[tuple[int, int]]:
    """Speech regions from frame energy against the recording's own noise floor."""
    return level_regions(frame_db(samples, rate, opts.frame_ms), opts)


def band_regions(samples: np.ndarray, rate: int, band: tuple[float, float],
                 opts: VadOptions = VadOptions()) -> list[tuple[int, int]]:
    """:func:`energy_regions` on the level of ``band`` (Hz) only: a band-limited narrator
    over a music bed whose notes lie below the band, or a room's rumble, is heard where the
    whole-band level is dominated by the bed."""
    return level_regions(band_db(samples, rate, opts.frame_ms, band), opts)


def level_regions(db: np.ndarray, opts: VadOptions) -> list[tuple[int, int]]:
    """Regions of a level ``db`` (one value per ``opts.frame_ms`` frame) louder than
    :func:`loud_frames`' threshold, pauses under ``opts.min_silence_ms`` bridged and bursts
    under ``opts.min_speech_ms`` dropped."""
    if db.size == 0:
        return []
    voiced = loud_frames(db, opts)
    regions: list[list[int]] = []
    start = None
    for i, v in enumerate(np.append(voiced, False)):
        if v and start is None:
            start = i
        elif not v and start is not None:
            regions.append([start * opts.frame_ms, i * opts.frame_ms])
            start = None
    merged: list[list[int]] = []
    for r in regions:
        if merged and r[0] - merged[-1][1] < opts.min_silence_ms:
            merged[-1][1] = r[1]
        else:
            merged.append(r)
    return [(a, b) for a, b in merged if b - a >= opts.min_speech_ms]


@dataclass(frozen=True)
class EdgeOptions:
    # Level frames (ms): fine enough to place an edge within a frame or two.
    frame_ms: int = 5
    # An onset: the level climbs this share of the way from the local floor to the span's
    # speech level (low: a soft consonant is speech already).
    onset_share: float = 0.2
    # An offset: the level falls below this share of the way (higher than the onset's: a
    # reverberant room's tail is not the narrator's speech).
    offset_share: float = 0.45
    # The local floor is the quietest stretch this far around each edge.
    floor_window_ms: int = 400
    # Below this speech-to-floor range (dB) the edges are left where they are.
    min_range_db: float = 10.0
    # An edge moves at most this far.
    reach_ms: int = 300
    # An onset/offset must hold this long (frames) above the threshold.
    hold_frames: int = 4
    # Frames whose power is averaged for the level (longer than a low voice's pitch period).
    smooth_frames: int = 3
    # Over a bed below the speech band (music notes, rumble), edges are placed on the level
    # above it (see align.audio.snap_spans): the bed's notes are not the narrator's onset.
    above_bed: bool = True


def clipped_share(samples: np.ndarray, near: float = 0.99) -> float:
    """Share of the samples within ``near`` of the recording's largest magnitude: a
    saturated microphone (flat-topped waves) gives percent-level shares, clean speech next
    to none."""
    if samples.size == 0:
        return 0.0
    top = float(np.abs(samples).max())
    if top <= 0:
        return 0.0
    return float(np.mean(np.abs(samples) >= near * top))


def snap_edges(spans: list[tuple[int, int]], level: np.ndarray,
               opts: EdgeOptions = EdgeOptions()) -> list[tuple[int, int]]:
    """Move each (start_ms, end_ms) span's edges to where its speech starts and stops in
    ``level`` (dB per ``opts.frame_ms`` frame, e.g. :func:`band_db` over the band the
    recording carries): thresholds between the floor found around each edge and the span's
    speech level, so a quiet or loud sentence, a noisy room or a saturated phone get the
    same rule. Spans are consecutive (in time order); an edge never crosses a neighbour's."""
    fr = opts.frame_ms
    # Power averaged over a few frames: a 5 ms frame may fall between two pitch pulses.
    k = max(1, min(opts.smooth_frames, level.size))
    level = 10 * np.log10(np.convolve(10 ** (level / 10), np.ones(k) / k, mode="same") + 1e-12)
    sm = np.convolve(level, np.ones(3) / 3, mode="same") if level.size >= 3 else level
    out: list[tuple[int, int]] = []
    for k, (start, end) in enumerate(spans):
        fs, fe = start // fr, min(end // fr, level.size)
        if fe - fs < 2 * opts.hold_frames:
            out.append((start, end))
            continue
        lo = max(out[-1][1] // fr if out else 0, fs - opts.reach_ms // fr)
        hi = min(spans[k + 1][0] // fr if k + 1 < len(spans) else level.size,
                 fe + opts.reach_ms // fr)
        w = opts.floor_window_ms // fr
        floor = float(min(sm[max(0, fs - w): fs + 10].min(), sm[max(0, fe - 10): fe + w].min()))
        peak = float(np.percentile(level[fs:fe], 90))
        if peak - floor < opts.min_range_db:
            out.append((start, end))
            continue
        a = _onset(level, fs, (lo, min(fe, fs + opts.reach_ms // fr)),
                   floor + opts.onset_share * (peak - floor), opts.hold_frames)
        b = _offset(level, fe, (max(a + 1, fe - opts.reach_ms // fr), hi),
                    floor + opts.offset_share * (peak - floor), opts.hold_frames)
        out.append((a * fr, b * fr) if b > a else (start, end))
    return out


def _onset(level: np.ndarray, f: int, limits: tuple[int, int], thr: float,
           hold: int) -> int:
    """Frame where speech starts near ``f``: back while louder than ``thr``, or forward to
    the first ``hold`` frames all louder."""
    lo, hi = limits
    if level[f] > thr:
        while f - 1 >= lo and level[f - 1] > thr:
            f -= 1
        return f
    g = f
    while g < hi and not bool((level[g: g + hold] > thr).all()):
        g += 1
    return g if g < hi else f


def _offset(level: np.ndarray, f: int, limits: tuple[int, int], thr: float,
            hold: int) -> int:
    """Frame after which speech stops near ``f`` (exclusive), the mirror of :func:`_onset`."""
    lo, hi = limits
    if level[f - 1] > thr:
        while f < hi and level[f] > thr:
            f += 1
        return f
    g = f
    while g > lo and not bool((level[max(0, g - hold): g] > thr).all()):
        g -= 1
    return g if g > lo else f
