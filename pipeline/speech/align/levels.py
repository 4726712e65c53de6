"""The analysis WAV's frame levels, computed once per recording (issue 29, acoustic work done
once): the speech detector (:func:`audio.wav_regions`), the bed test (:func:`audio.bed_below`)
and the edge snapping (:func:`audio.snap_spans`) ask for the same levels of the same WAV, and
the aligners that check the acoustic one (ear, forced) ask for the same speech regions again.

:func:`levels_of` keeps a :class:`WavLevels` per recording in a small cache keyed by the
file's path, size, modification time and inode, so the callers (in other modules, which
pass a path) need no change and a rewritten file is not served stale. A :class:`WavLevels`
decodes the WAV block by block (the blocks of :func:`wav_blocks`) only for the levels it
does not hold yet, all of them in the same pass, and keeps them per block: the values are
those each caller computed for itself before, bit for bit. Memory: a few bytes per frame,
about 2.5 KB per second of audio kept (~18 MB for 2 h) for at most :data:`CACHE_SIZE`
recordings; the edge snapping's 5 ms levels (1.6 KB a second each) are let go after use."""

from __future__ import annotations

import threading
import wave
from collections import OrderedDict
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from pipeline.speech.vad import VadOptions, band_db, band_dbs, frame_db, silero_probs

__all__ = ["BLOCK_SECONDS", "CACHE_SIZE", "Band", "Level", "WavLevels", "band_span",
           "clear_levels", "levels_of", "wav_blocks"]

#: Samples decoded at a time.
BLOCK_SECONDS = 60
#: Recordings whose levels are kept (a lesson's aligners run one after another on one WAV).
CACHE_SIZE = 2

#: A whole-band level: frame length (ms).
Level = int
#: A band's level: frame length (ms), lowest and highest frequency (Hz).
Band = tuple[int, float, float]
#: Silero's speech probabilities per block (None: faster-whisper missing or not 16 kHz).
Probs = tuple[np.ndarray, int] | None


def wav_blocks(path: Path, seconds: int = BLOCK_SECONDS) -> Iterator[tuple[np.ndarray, int]]:
    """(float32 mono samples in [-1, 1], rate) of consecutive blocks of a 16-bit PCM WAV."""
    with wave.open(str(path), "rb") as w:
        rate, channels = w.getframerate(), w.getnchannels()
        while block := w.readframes(rate * seconds):
            data = np.frombuffer(block, dtype="<i2").astype(np.float32)
            if channels > 1:
                data = data.reshape(-1, channels).mean(axis=1, dtype=np.float32)
            data *= np.float32(1 / 32768.0)
            yield data, rate


class WavLevels:
    """Frame levels of one WAV, per block of :data:`BLOCK_SECONDS`, each computed on first
    demand (in one decoding pass with the others asked for at the same time) and kept; and
    the speech regions found from them (:attr:`regions`, keyed by the detector's inputs)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        #: (offset_ms, rate) of each block, known after the first pass.
        self.blocks: list[tuple[int, int]] | None = None
        self._levels: dict[Level, list[np.ndarray]] = {}
        self._bands: dict[Band, list[np.ndarray]] = {}
        self._probs: list[Probs] | None = None
        #: Speech regions by (script syllables, detector options), kept by audio.wav_regions.
        self.regions: dict[tuple[int, VadOptions], tuple[tuple[int, int], ...]] = {}
        self._lock = threading.Lock()
        #: Decoding passes made (for tests and benchmarks).
        self.passes = 0

    def has(self, levels: tuple[Level, ...] = (), bands: tuple[Band, ...] = ()) -> bool:
        """Whether all of these are held already (asking for them decodes nothing)."""
        return all(f in self._levels for f in levels) and all(b in self._bands for b in bands)

    def get(self, levels: tuple[Level, ...] = (), bands: tuple[Band, ...] = (),
            probs: bool = False) -> tuple[list[list[np.ndarray]], list[list[np.ndarray]],
                                          list[Probs]]:
        """Per block: :func:`vad.frame_db` at each of ``levels`` (frame ms), :func:`vad.band_db`
        of each of ``bands`` (frame ms, low Hz, high Hz) and, with ``probs``,
        :func:`vad.silero_probs` (None for a block not at 16 kHz); what is missing is
        computed in one pass over the WAV."""
        with self._lock:
            todo_l = tuple(f for f in dict.fromkeys(levels) if f not in self._levels)
            todo_b = tuple(b for b in dict.fromkeys(bands) if b not in self._bands)
            todo_p = probs and self._probs is None
            if todo_l or todo_b or todo_p or self.blocks is None:
                self._pass(todo_l, todo_b, todo_p)
            n = len(self.blocks or [])
            return ([self._levels[f] for f in levels], [self._bands[b] for b in bands],
                    self._probs if probs and self._probs is not None else [None] * n)

    def drop(self, bands: tuple[Band, ...]) -> None:
        """Let go of these levels (asked for again, they are computed again)."""
        with self._lock:
            for b in bands:
                self._bands.pop(b, None)

    def _pass(self, levels: tuple[Level, ...], bands: tuple[Band, ...], probs: bool) -> None:
        self.passes += 1
        blocks: list[tuple[int, int]] = []
        new_l: dict[Level, list[np.ndarray]] = {f: [] for f in levels}
        new_b: dict[Band, list[np.ndarray]] = {b: [] for b in bands}
        new_p: list[Probs] = []
        by_frame: dict[int, list[Band]] = {}
        for b in bands:
            by_frame.setdefault(b[0], []).append(b)
        offset = 0
        for block, rate in wav_blocks(self.path):
            blocks.append((offset, rate))
            for f in levels:
                new_l[f].append(frame_db(block, rate, f))
            for f, group in by_frame.items():
                for b, db in zip(group, band_dbs(block, rate, f, [(lo, hi) for _, lo, hi in group]),
                                 strict=True):
                    new_b[b].append(db)
            if probs:
                new_p.append(silero_probs(block) if rate == 16_000 else None)
            offset += block.size * 1000 // rate
        self.blocks = blocks
        self._levels.update(new_l)
        self._bands.update(new_b)
        if probs:
            self._probs = new_p


_CACHE: OrderedDict[tuple[str, int, int, int], WavLevels] = OrderedDict()
_CACHE_LOCK = threading.Lock()


def levels_of(path: Path) -> WavLevels:
    """The :class:`WavLevels` of ``path``, kept while the file's size, modification time and
    inode stay the same (at most :data:`CACHE_SIZE` recordings, the least recently asked
    dropped). A file rewritten in place to the same size within one tick of the file
    system's clock would look unchanged; the pipeline writes its WAVs to a ``.part`` file
    renamed into place (a new inode)."""
    st = path.stat()
    key = (str(path.resolve()), st.st_size, st.st_mtime_ns, st.st_ino)
    with _CACHE_LOCK:
        found = _CACHE.get(key)
        if found is None:
            found = _CACHE[key] = WavLevels(path)
        _CACHE.move_to_end(key)
        while len(_CACHE) > CACHE_SIZE:
            _CACHE.popitem(last=False)
        return found


def clear_levels() -> None:
    """Forget every recording's levels (benchmarks timing the first pass; tests)."""
    with _CACHE_LOCK:
        _CACHE.clear()


def band_span(band: Band, lo_ms: int, hi_ms: int, samples: np.ndarray, rate: int,
              path: Path | None = None) -> tuple[int, np.ndarray]:
    """The levels of ``band`` (:func:`vad.band_db`) of the frames wholly inside [lo, hi] ms,
    on the recording's own frame grid (frame ``k`` covers ``k`` to ``k + 1`` frame lengths),
    and where the first of them starts (ms). From the levels of ``path`` (kept:
    :func:`levels_of`) when it is given and decodes at ``rate`` in whole frames per block,
    else computed from ``samples`` (the whole recording at ``rate``): the same values."""
    frame = band[0]
    first, last = -(-max(0, lo_ms) // frame), max(0, hi_ms) // frame
    hop = rate * frame // 1000
    if path is not None:
        wav = levels_of(path)
        _, (blocks,), _ = wav.get(bands=(band,))
        if BLOCK_SECONDS * rate % hop == 0 and all(r == rate for _, r in wav.blocks or []):
            return first * frame, np.concatenate(blocks)[first: max(first, last)]
    seg = samples[first * hop: max(first, last) * hop]
    return first * frame, band_db(seg, rate, frame, band[1:])
