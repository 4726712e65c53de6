"""The analysis WAV read block by block for the aligners: features and speech regions
without ever holding a decoded float32 copy of the whole recording (memory: one block).

Speech regions: Silero VAD misses speech that sounds unlike its training data (a synthetic or
telephone-band voice through a codec); a sentence must never be called skipped because the
detector did not hear it. When the background between words is steady (room tone, line
noise), the energy detector is reliable, and its regions are added to Silero's; when Silero
finds much less speech than the script needs, they are added too (music beds included: the
aligner then leaves unmatched stretches as ad-libs rather than losing sentences). The energy
regions' edges are pulled in to where the speech band (1–3.4 kHz) is loud: a music note or a
reverberation tail as loud as the voice but below that band no longer extends a region.

The speech band is also a detector of its own (issue 29): when the background is steady in
that band though not over the whole band (a phone line, a clipping phone microphone), the
band's energy regions are added; when the whole band is moreover far louder than the speech
band between words (a music bed or rumble below a band-limited narrator), only the band's
regions count: the whole-band level there is the bed's. Where the speech band is a detector,
its pauses are the pauses (:func:`split_quiet`): Silero hears a music bed as speech and a
reverberant phone's low tail keeps the whole band up, so both bridge the pause between a
sentence and an ad-lib. Over a bed below the speech band, sentence starts are placed on the
level above it (:func:`bed_below`, :func:`snap_spans`).

Every level these need is computed once per recording (:mod:`.levels`: one decoding pass
for what is not held yet, one spectrum for several bands), and the speech regions once per
recording, script length and options: the ear and the forced aligner ask again for free."""

from __future__ import annotations

import logging
import wave
from dataclasses import replace
from pathlib import Path

import numpy as np

from pipeline.core.types import AlignedSentence
from pipeline.speech.align.features import BAND_HZ, mfcc_stream
from pipeline.speech.align.levels import BLOCK_SECONDS, WavLevels, levels_of, wav_blocks
from pipeline.speech.vad import (
    EdgeOptions,
    VadOptions,
    level_regions,
    level_speech_regions,
    loud_frames,
    snap_edges,
)

__all__ = ["BLOCK_SECONDS", "EDGE_BAND_HZ", "bed_below", "snap_sentences", "snap_spans",
           "speech_band", "split_quiet", "wav_blocks", "wav_features", "wav_regions"]

log = logging.getLogger("caunoi.align.audio")

#: Speech regions found by Silero below this share of the script's least speech time: the
#: energy detector's regions are added.
MIN_HEARD_SHARE = 0.8
#: A fast narration of the script (ms per syllable: 5 syllables a second).
FAST_MS_PER_SYLLABLE = 200
#: Background steadier than this (dB, p90-p10 outside speech): energy regions are trusted.
STEADY_DB = 6.0
#: The speech band (Hz): upper formants and consonants, above the notes of a music bed, where
#: a room's reverberation dies first, inside a telephone's band.
SPEECH_BAND_HZ = (1000.0, 3400.0)
#: A background this much louder (dB, 10th percentiles) over the whole band than in the speech
#: band is a bed below the band (measured: music beds 18–34 dB, telephone lines 3–6 dB).
BED_BELOW_DB = 10.0
#: An energy region's edge is pulled in to the speech band's first/last loud frame, plus
#: this much (a word's voiced ending has little of the band).
BAND_REACH_MS = 100


def _trim_to_band(regions: list[tuple[int, int]], band: np.ndarray, opts: VadOptions,
                  reach_ms: int = BAND_REACH_MS) -> list[tuple[int, int]]:
    """Energy regions without their edges where only the whole-band level is up (a music
    note, a reverberation tail): each edge pulled in to ``reach_ms`` from the first/last
    frame loud in the speech band (``band``: its level per ``opts.frame_ms`` frame);
    regions without such a frame are kept as they are."""
    if not regions:
        return regions
    step = opts.frame_ms
    up = loud_frames(band, opts)
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


def wav_rate(path: Path) -> int:
    with wave.open(str(path), "rb") as w:
        return int(w.getframerate())


def wav_features(path: Path, band: tuple[float, float] = BAND_HZ,
                 warp: float = 1.0) -> np.ndarray:
    """MFCC features of the whole WAV (one row per 10 ms), computed block by block, through
    filters warped by ``warp`` (see :func:`features._mel_filters`)."""
    return mfcc_stream((b for b, _ in wav_blocks(path)), wav_rate(path), band, warp)


#: A speech band edge: where the long-term spectrum of the speech falls this far (dB) below
#: its level in the band's middle (a brick-wall phone band falls 60 dB and more).
BAND_EDGE_DB = 35.0


def speech_band(path: Path, regions: list[tuple[int, int]],
                widest: tuple[float, float]) -> tuple[float, float]:
    """The part of ``widest`` (Hz) the recording's speech actually has: a phone microphone
    or a band-limited channel leaves nothing below ~300 Hz or above ~3.4 kHz, and features
    over empty bands would compare only noise with the synthesis's full band."""
    n_fft, count, offset, rate = 512, 0, 0, 16_000
    power: np.ndarray | None = None
    for block, rate in wav_blocks(path):
        frames = []
        for a, b in regions:
            lo, hi = max(0, a * rate // 1000 - offset), min(block.size, b * rate // 1000 - offset)
            if hi - lo >= n_fft:
                seg = block[lo: lo + (hi - lo) // n_fft * n_fft]
                frames.append(seg.reshape(-1, n_fft))
        offset += block.size
        if frames:
            spec = np.abs(np.fft.rfft(np.concatenate(frames) * np.hanning(n_fft), axis=1)) ** 2
            power = spec.sum(axis=0) + (0.0 if power is None else power)
            count += spec.shape[0]
    if power is None or count < 20:
        return widest
    freqs = np.fft.rfftfreq(n_fft, 1 / rate)
    db = 10 * np.log10(np.convolve(power / count, np.ones(3) / 3, mode="same") + 1e-12)
    ref = float(np.median(db[(freqs >= 500) & (freqs <= 3000)]))
    live = np.flatnonzero(db >= ref - BAND_EDGE_DB)
    return max(widest[0], float(freqs[live[0]])), min(widest[1], float(freqs[live[-1]]))


def _merge(regions: list[tuple[int, int]], gap_ms: int) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for a, b in sorted(regions):
        if out and a - out[-1][1] < gap_ms:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out


def _steady(db: np.ndarray, regions: list[tuple[int, int]], step: int,
            upper: float = 90) -> bool:
    """Whether the level between ``regions`` stays within STEADY_DB (its ``upper``
    percentile against its 10th)."""
    between = np.ones(db.size, dtype=bool)
    for a, b in regions:
        between[max(0, a // step - 20): b // step + 20] = False
    if between.sum() < 50:
        return False
    spread = float(np.percentile(db[between], upper) - np.percentile(db[between], 10))
    return spread <= STEADY_DB


def _speech_band_background(level: np.ndarray, band: np.ndarray,
                            regions: list[tuple[int, int]]) -> str:
    """What the background between ``regions`` is in the speech band (``band``: its level;
    ``level``: the whole band's): "bed" when the speech band is steady and the whole band
    far louder (music or rumble below the speech band: only the speech band's energy finds
    the speech), "steady" when the speech band is steady (a phone line, a clipped phone:
    its energy regions are added), else "". Steady by its median, not its 90th percentile:
    speech the VAD missed lies between the regions too."""
    between = np.ones(band.size, dtype=bool)
    for a, b in regions:
        between[max(0, a // 10 - 20): b // 10 + 20] = False
    if between.sum() < 50 or not _steady(band, regions, 10, 50):
        return ""
    gap = np.percentile(level[between[: level.size]], 10) - np.percentile(band[between], 10)
    return "bed" if gap >= BED_BELOW_DB else "steady"


#: Each side of a cut at a quiet stretch keeps at least this much speech (ms, first to last
#: loud frame): a sentence or an ad-lib, not a clause's tail or one word. Cut into 0.2–1 s
#: pieces at its commas, a sentence is taken by its neighbour in the template match
#: (measured on band-music-9701).
MIN_PIECE_MS = 1000


def split_quiet(regions: list[tuple[int, int]], up: np.ndarray, step: int,
                min_quiet_ms: int, reach_ms: int = BAND_REACH_MS,
                min_piece_ms: int = MIN_PIECE_MS) -> list[tuple[int, int]]:
    """``regions`` cut where the speech band stays quiet (``up``: its loud frames of ``step``
    ms) for ``min_quiet_ms`` or longer between two loud frames: a pause that a reverberation
    tail, a music bed or Silero (which hears music as speech) bridged over the whole band.
    The longest pauses are cut first, and only while each side keeps ``min_piece_ms`` of
    speech. Each side keeps up to ``reach_ms`` of the pause (a quarter at most: a word's
    voiced ending has little of the band); outer edges are left as they are."""
    out: list[tuple[int, int]] = []
    for a, b in regions:
        fa = a // step
        on = np.flatnonzero(up[fa: min(b // step, up.size)])
        gaps = np.diff(on)
        cuts: list[int] = []
        for g in sorted(np.flatnonzero(gaps * step >= min_quiet_ms + step).tolist(),
                        key=lambda g: -int(gaps[g])):
            left = max((c + 1 for c in cuts if c < g), default=0)
            right = min((c for c in cuts if c > g), default=on.size - 1)
            if min(on[g] - on[left], on[right] - on[g + 1]) * step >= min_piece_ms:
                cuts.append(g)
        start = a
        for g in sorted(cuts):
            q0, q1 = (fa + int(on[g]) + 1) * step, (fa + int(on[g + 1])) * step
            r = min(reach_ms, (q1 - q0) // 4)
            out.append((start, q0 + r))
            start = q1 - r
        out.append((start, b))
    return out


def _band_up(band: np.ndarray, opts: VadOptions, step: int) -> np.ndarray:
    """Frames (``step`` ms) inside the speech band's own energy regions (:func:`level_regions`:
    pauses under ``opts.min_silence_ms`` bridged, bursts under ``opts.min_speech_ms``
    dropped, so neither a plosive's closure nor a click decides a cut)."""
    up = np.zeros(band.size, dtype=bool)
    for a, b in level_regions(band, replace(opts, frame_ms=step)):
        up[a // step: b // step] = True
    return up


def wav_regions(path: Path, syllables: int = 0,
                opts: VadOptions | None = None) -> list[tuple[int, int]]:
    """Speech regions (start_ms, end_ms) of the WAV, detected block by block (see the module
    docstring); ``syllables``: how many the script has (0: unknown). Found once per
    recording, syllables and options (:func:`levels.levels_of`): the aligners that check
    the acoustic one ask again for free."""
    opts = opts or VadOptions()
    levels = levels_of(path)
    found = levels.regions.get((syllables, opts))
    if found is None:
        found = levels.regions[(syllables, opts)] = tuple(_regions(levels, syllables, opts))
    return list(found)


def _regions(levels: WavLevels, syllables: int,
             opts: VadOptions) -> list[tuple[int, int]]:
    f, speech = opts.frame_ms, (opts.frame_ms, *SPEECH_BAND_HZ)
    band_10 = (10, *SPEECH_BAND_HZ) if opts.band_detector else None
    (level_10s, level_fs), bands, probs = levels.get(
        (10, f), (speech,) if band_10 is None else (band_10, speech), opts.method == "silero")
    band_10s, band_fs = (level_10s, bands[0]) if band_10 is None else bands
    heard: list[tuple[int, int]] = []
    energy: list[tuple[int, int]] = []
    steady: list[bool] = []
    ups: list[np.ndarray] = []
    for (offset, _), level, band, level_f, band_f, p in zip(
            levels.blocks or [], level_10s, band_10s, level_fs, band_fs, probs, strict=True):
        found = level_speech_regions(p, level, level_f, opts)
        heard += [(a + offset, b + offset) for a, b in found]
        whole = _steady(level, found, 10)
        kind = "" if whole or not opts.band_detector else _speech_band_background(
            level, band, found)
        own = level_regions(band_f, opts) if kind else []
        loud = own if kind == "bed" else own + _trim_to_band(
            level_regions(level_f, opts), band_f, opts)
        energy += [(a + offset, b + offset) for a, b in loud]
        steady.append(whole or bool(kind))
        # Where the speech band is the detector, its pauses are the pauses (see split_quiet).
        ups.append(_band_up(band, opts, 10) if kind and opts.split_quiet_ms
                   else np.ones(level.size, dtype=bool))
    heard = _merge(heard, opts.min_silence_ms)
    energy = _merge(energy, opts.min_silence_ms)
    total = sum(b - a for a, b in heard)
    needed = MIN_HEARD_SHARE * syllables * FAST_MS_PER_SYLLABLE
    up = np.concatenate(ups) if ups else np.ones(0, dtype=bool)
    if opts.method != "energy" and (all(steady) or total < needed):
        log.info("speech regions: %.1f s heard by the VAD (%.1f s needed), steady background "
                 "%s: energy regions added", total / 1000, needed / 1000, all(steady))
        heard = _merge(heard + energy, opts.min_silence_ms)
    return split_quiet(heard, up, 10, opts.split_quiet_ms) if opts.split_quiet_ms else heard


#: Band of the level the edges are placed on: above a room's rumble and a music bed's bass,
#: with the fricatives that open many sentences (a phone recording just has nothing above
#: 3.4 kHz).
EDGE_BAND_HZ = (300.0, 7000.0)


def _joined(parts: list[np.ndarray]) -> np.ndarray:
    return np.concatenate(parts) if parts else np.zeros(0)


def bed_below(path: Path, frame_ms: int = 10) -> bool:
    """Whether the recording's quiet level (10th percentile: its pauses) is far louder over
    the whole band than in the speech band (:data:`BED_BELOW_DB`): a music bed or a rumble
    lies below the speech band, and a level that includes it marks the bed's notes, not the
    narrator's onsets."""
    return _bed_below(levels_of(path), frame_ms)


def _bed_below(levels: WavLevels, frame_ms: int) -> bool:
    (whole,), (band,), _ = levels.get((frame_ms,), ((frame_ms, *SPEECH_BAND_HZ),))
    if not whole:
        return False
    gap = np.percentile(_joined(whole), 10) - np.percentile(_joined(band), 10)
    return bool(gap >= BED_BELOW_DB)


def snap_spans(path: Path, spans: list[tuple[int, int]],
               opts: EdgeOptions | None = None) -> list[tuple[int, int]]:
    """:func:`pipeline.speech.vad.snap_edges` of consecutive (start_ms, end_ms) spans on the
    WAV's level in :data:`EDGE_BAND_HZ` (read block by block: 5 ms frames, 1.6 KB a
    second). When a bed lies below the speech band (:func:`bed_below`), the starts are
    placed on the level from the speech band up (a note of the bed just before the voice
    is not its onset; consonants and the voice's rise carry the band), the ends still on
    the wider band (a voiced ending, a nasal, has little above 1 kHz). The levels come in
    one pass with the bed test's (:func:`levels.levels_of`; the speech detector's pass
    usually holds those already)."""
    opts = opts or EdgeOptions()
    levels = levels_of(path)
    top = min(EDGE_BAND_HZ[1], 0.45 * wav_rate(path))
    edge = (opts.frame_ms, EDGE_BAND_HZ[0], top)
    above = (opts.frame_ms, SPEECH_BAND_HZ[0], top)
    bed_levels, bed_bands = (10,), ((10, *SPEECH_BAND_HZ),)
    if opts.above_bed and not levels.has(bed_levels, bed_bands):
        # The bed test and both edge levels in one pass (one spectrum per frame for both).
        levels.get(bed_levels, (*bed_bands, edge, above))
    bed = opts.above_bed and _bed_below(levels, 10)  # held now: nothing decoded
    found = [_joined(parts) for parts in levels.get((), (edge, above) if bed else (edge,))[1]]
    levels.drop((edge, above))  # 1.6 KB a second each, asked for once per alignment
    if not found[0].size:
        return spans
    out = snap_edges(spans, found[0], opts)
    if not bed:
        return out
    starts = [a for a, _ in snap_edges(spans, found[1], opts)]
    nexts = [*starts[1:], None]
    return [(a, b if n is None else min(b, n)) if min(b, n or b) > a else (a0, b)
            for (a0, b), a, n in zip(out, starts, nexts, strict=True)]


def snap_sentences(path: Path, sentences: list[AlignedSentence],
                   adlibs: list[AlignedSentence], opts: EdgeOptions | None = None
                   ) -> tuple[list[AlignedSentence], list[AlignedSentence]]:
    """``sentences`` and ``adlibs`` with the edges of the matched sentences and ad-libs
    snapped to the speech (:func:`snap_spans`); skipped ones unchanged, order kept."""
    both = _snapped(path, sentences + adlibs, opts)
    return both[: len(sentences)], both[len(sentences):]


def _snapped(path: Path, sentences: list[AlignedSentence],
             opts: EdgeOptions | None) -> list[AlignedSentence]:
    placed = sorted((k for k, s in enumerate(sentences) if s.status != "skipped"),
                    key=lambda k: sentences[k].start_ms)
    spans = snap_spans(path, [(sentences[k].start_ms, sentences[k].end_ms) for k in placed],
                       opts)
    out = list(sentences)
    for k, (a, b) in zip(placed, spans, strict=True):
        out[k] = replace(out[k], start_ms=a, end_ms=b)
    return out
