"""MFCC features and banded dynamic time warping (the method aeneas uses), numpy + numba."""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

import numba
import numpy as np

__all__ = ["FRAME_HOP_MS", "banded_dtw", "dtw_cost", "dtw_open_end", "dtw_open_start", "mfcc",
           "mfcc_stream", "speech_normalised"]

#: 10 ms hop: every frame index is 10 ms of audio.
FRAME_HOP_MS = 10
FRAME_LEN_MS = 25
N_MELS = 40
N_MFCC = 13


#: Default analysis band: speech only, so 16 kHz and 22.05 kHz audio give comparable features.
BAND_HZ = (60.0, 7600.0)


@lru_cache(maxsize=8)
def _mel_filters(rate: int, n_fft: int, n_mels: int,
                 band: tuple[float, float] = BAND_HZ, warp: float = 1.0) -> np.ndarray:
    """Triangular mel filters over ``band``, every edge moved by the factor ``warp``
    (vocal-tract-length warping: a voice whose formants sit ``warp`` times higher than
    another's gives the same filter outputs through warped filters)."""
    def hz_to_mel(f: np.ndarray | float) -> np.ndarray:
        return 2595.0 * np.log10(1.0 + np.asarray(f) / 700.0)

    def mel_to_hz(m: np.ndarray) -> np.ndarray:
        return 700.0 * (10 ** (m / 2595.0) - 1.0)

    mels = np.linspace(hz_to_mel(band[0]), hz_to_mel(band[1]), n_mels + 2)
    bins = np.minimum(np.floor((n_fft + 1) * mel_to_hz(mels) * warp / rate).astype(int),
                      n_fft // 2)
    fb = np.zeros((n_mels, n_fft // 2 + 1))
    for m in range(1, n_mels + 1):
        left, centre, right = bins[m - 1], bins[m], bins[m + 1]
        for k in range(left, centre):
            fb[m - 1, k] = (k - left) / max(1, centre - left)
        for k in range(centre, right):
            fb[m - 1, k] = (right - k) / max(1, right - centre)
    return fb


@lru_cache(maxsize=2)
def _dct_matrix(n_mels: int, n_mfcc: int) -> np.ndarray:
    n = np.arange(n_mels)
    k = np.arange(n_mfcc)[:, None]
    return np.asarray(np.cos(np.pi / n_mels * (n + 0.5) * k) * np.sqrt(2.0 / n_mels))


def _cepstra(x: np.ndarray, rate: int, band: tuple[float, float],
             warp: float = 1.0) -> np.ndarray:
    """Raw MFCCs 1..12 of every full frame of pre-emphasised ``x`` (frames every 10 ms)."""
    hop = rate * FRAME_HOP_MS // 1000
    win = rate * FRAME_LEN_MS // 1000
    n_fft = 1 << (win - 1).bit_length()
    n = 1 + (x.size - win) // hop
    if n <= 0:
        return np.zeros((0, N_MFCC - 1), dtype=np.float32)
    idx = np.arange(win)[None, :] + hop * np.arange(n)[:, None]
    frames = x[idx] * np.hamming(win).astype(np.float32)
    power = np.abs(np.fft.rfft(frames, n_fft)) ** 2
    mel = np.log(power @ _mel_filters(rate, n_fft, N_MELS, band, warp).T + 1e-8)
    cep = mel @ _dct_matrix(N_MELS, N_MFCC).T
    return np.asarray(cep[:, 1:], dtype=np.float32)


def _normalise(cep: np.ndarray) -> np.ndarray:
    return np.asarray((cep - cep.mean(axis=0)) / (cep.std(axis=0) + 1e-6), dtype=np.float32)


def mfcc(samples: np.ndarray, rate: int, band: tuple[float, float] = BAND_HZ,
         warp: float = 1.0) -> np.ndarray:
    """MFCCs 1..12 (c0 dropped: loudness) of the ``band`` (Hz), mean/variance normalised
    over the utterance, one row per 10 ms. A narrower common band (e.g. 300–3400 Hz, the
    telephone band) makes a phone recording and a full-band synthesis comparable."""
    win = rate * FRAME_LEN_MS // 1000
    x = np.append(samples[0], samples[1:] - 0.97 * samples[:-1]).astype(np.float32)
    if x.size < win:
        x = np.pad(x, (0, win - x.size))
    return _normalise(_cepstra(x, rate, band, warp))


def mfcc_stream(blocks: Iterable[np.ndarray], rate: int,
                band: tuple[float, float] = BAND_HZ, warp: float = 1.0) -> np.ndarray:
    """:func:`mfcc` of the concatenation of ``blocks``, holding one block at a time (the
    features themselves are small: 48 bytes per 10 ms)."""
    hop = rate * FRAME_HOP_MS // 1000
    win = rate * FRAME_LEN_MS // 1000
    parts: list[np.ndarray] = []
    carry = np.zeros(0, dtype=np.float32)
    last = np.float32(0.0)
    for block in blocks:
        if block.size == 0:
            continue
        pre = np.empty(block.size, dtype=np.float32)
        pre[0] = block[0] - 0.97 * last if parts or carry.size else block[0]
        pre[1:] = block[1:] - 0.97 * block[:-1]
        last = block[-1]
        x = np.concatenate((carry, pre))
        n = 1 + (x.size - win) // hop if x.size >= win else 0
        if n > 0:
            parts.append(_cepstra(x[: (n - 1) * hop + win], rate, band, warp))
        carry = x[n * hop:]
    if not parts:
        parts.append(_cepstra(np.pad(carry, (0, max(0, win - carry.size))), rate, band,
                              warp))
    return _normalise(np.concatenate(parts))


@numba.njit(cache=True, inline="always")
def _dist(a: np.ndarray, i: int, b: np.ndarray, j: int) -> np.float32:
    """Euclidean distance between frame i of ``a`` and frame j of ``b``."""
    d = np.float32(0.0)
    for f in range(a.shape[1]):
        diff = a[i, f] - b[j, f]
        d += diff * diff
    return np.float32(np.sqrt(d))


@numba.njit(cache=True)
def _dtw_band(a: np.ndarray, b: np.ndarray, band: int, open_row: np.ndarray, garbage: float,
              skip_from: np.ndarray, skip_cost: np.ndarray,
              penalty: float) -> tuple[np.ndarray, np.ndarray]:
    n, m = a.shape[0], b.shape[0]
    width = 2 * band + 1
    acc = np.full((n, width), np.inf, dtype=np.float32)
    # 0 diagonal, 1 from i-1, 2 from j-1, 3 jump from row skip_from[i], 4 jump from the start.
    move = np.zeros((n, width), dtype=np.int8)
    for i in range(n):
        centre = (i * (m - 1)) // max(1, n - 1)
        lo = max(0, centre - band)
        hi = min(m - 1, centre + band)
        prev_centre = ((i - 1) * (m - 1)) // max(1, n - 1) if i > 0 else 0
        for j in range(lo, hi + 1):
            k = j - centre + band
            d = _dist(a, i, b, j)
            if i == 0 and j == 0:
                acc[i, k] = d
                continue
            best = np.float32(np.inf)
            step = 0
            if i > 0:
                kd = j - 1 - prev_centre + band
                if j > 0 and 0 <= kd < width and acc[i - 1, kd] + d < best:
                    best, step = acc[i - 1, kd] + d, 0
                ku = j - prev_centre + band
                if 0 <= ku < width and acc[i - 1, ku] + d + penalty < best:
                    best, step = acc[i - 1, ku] + d + penalty, 1
            if j > 0 and k - 1 >= 0:
                # On an open row (between sentences) speech may go unmatched at a fixed cost.
                h = d + np.float32(penalty)
                if open_row[i]:
                    h = min(h, np.float32(garbage))
                if acc[i, k - 1] + h < best:
                    best, step = acc[i, k - 1] + h, 2
            if skip_from[i] >= 0:
                src = skip_from[i]
                src_centre = (src * (m - 1)) // max(1, n - 1)
                ks = j - src_centre + band
                if 0 <= ks < width and acc[src, ks] + skip_cost[i] < best:
                    best, step = acc[src, ks] + skip_cost[i], 3
            elif skip_cost[i] > 0:
                c = np.float32(garbage * j + skip_cost[i])
                if c < best:
                    best, step = c, 4
            acc[i, k] = best
            move[i, k] = step
    return _backtrack(move, skip_from, n, m, band)


@numba.njit(cache=True)
def _backtrack(move: np.ndarray, skip_from: np.ndarray, n: int, m: int,
               band: int) -> tuple[np.ndarray, np.ndarray]:
    """The warp path from the last cell back; rows passed by a jump get no path point."""
    path_i = np.empty(n + m, dtype=np.int64)
    path_j = np.empty(n + m, dtype=np.int64)
    i, j, p = n - 1, m - 1, 0
    while True:
        centre = (i * (m - 1)) // max(1, n - 1)
        step = move[i, j - centre + band]
        if step == 3:
            i = skip_from[i]
            continue
        if step == 4:
            break
        path_i[p], path_j[p] = i, j
        p += 1
        if i == 0 and j == 0:
            break
        if step == 0:
            i, j = i - 1, j - 1
        elif step == 1:
            i -= 1
        else:
            j -= 1
    return path_i[:p][::-1].copy(), path_j[:p][::-1].copy()


#: Largest DTW matrix (rows × band width) aligned at full resolution: 40 M cells ≈ 200 MB
#: (float32 costs + int8 moves). Longer lessons are aligned on frames pooled by a factor.
MAX_DTW_CELLS = 40_000_000


def banded_dtw(a: np.ndarray, b: np.ndarray, band: int,
               max_cells: int = MAX_DTW_CELLS) -> tuple[np.ndarray, np.ndarray]:
    """Warp path between feature sequences ``a`` (N×d) and ``b`` (M×d) within ``band`` frames
    of the straight line from (0, 0) to (N-1, M-1).

    Memory stays under ``max_cells`` × 5 bytes: when N × (2·band + 1) is larger, both
    sequences are averaged over k frames, aligned, and the path mapped back (k × index).

    Returns:
        Index arrays (i, j), ordered.
    """
    n, m = a.shape[0], b.shape[0]
    # The band must at least cover the slope between neighbouring rows.
    band = max(band, int(np.ceil(m / max(1, n))) + 2)
    k = 1
    while (n // k) * (2 * (band // k) + 1) > max_cells and n // k > 2:
        k += 1
    if k > 1:
        pi, pj = banded_dtw(_pool(a, k), _pool(b, k), max(band // k, 2), max_cells)
        return pi * k, pj * k
    rows = np.zeros(n, dtype=np.bool_)
    return _dtw_band(np.ascontiguousarray(a, dtype=np.float32),
                     np.ascontiguousarray(b, dtype=np.float32), band, rows, 0.0,
                     np.full(n, -1, dtype=np.int64), np.zeros(n, dtype=np.float32), 0.0)


def _pool(x: np.ndarray, k: int) -> np.ndarray:
    """Mean of every k consecutive rows (the last partial group dropped)."""
    n = (x.shape[0] // k) * k
    return np.asarray(x[:n].reshape(n // k, k, x.shape[1]).mean(axis=1), dtype=np.float32)


@numba.njit(cache=True)
def _dtw_table(a: np.ndarray, b: np.ndarray, penalty: float) -> tuple[np.ndarray, np.ndarray]:
    """Accumulated local distance and path length of the best warp from (0, 0) to every
    (i, j), non-diagonal steps costing ``penalty`` extra."""
    n, m = a.shape[0], b.shape[0]
    acc = np.empty((n, m), dtype=np.float32)
    steps = np.empty((n, m), dtype=np.int32)
    for i in range(n):
        for j in range(m):
            d = _dist(a, i, b, j)
            if i == 0 and j == 0:
                acc[i, j], steps[i, j] = d, 1
                continue
            best, s = np.float32(np.inf), 0
            if i > 0 and j > 0 and acc[i - 1, j - 1] + d < best:
                best, s = acc[i - 1, j - 1] + d, steps[i - 1, j - 1] + 1
            if i > 0 and acc[i - 1, j] + d + penalty < best:
                best, s = acc[i - 1, j] + d + penalty, steps[i - 1, j] + 1
            if j > 0 and acc[i, j - 1] + d + penalty < best:
                best, s = acc[i, j - 1] + d + penalty, steps[i, j - 1] + 1
            acc[i, j], steps[i, j] = best, s
    return acc, steps


@numba.njit(cache=True)
def dtw_cost(a: np.ndarray, b: np.ndarray, penalty: float) -> float:
    """Mean local distance along the best warp path between ``a`` and ``b`` (full DTW),
    non-diagonal steps costing ``penalty`` extra."""
    acc, steps = _dtw_table(a, b, penalty)
    return float(acc[-1, -1] / steps[-1, -1])


@numba.njit(cache=True)
def dtw_open_end(a: np.ndarray, b: np.ndarray, penalty: float) -> np.ndarray:
    """Mean local distance along the best warp path from (0, 0) to (last of ``a``, j) for
    every j: ``a`` matched whole against each prefix ``b[: j + 1]`` (an open-end DTW, the
    costs of :func:`dtw_cost`). Reversed inputs give the costs of every suffix."""
    acc, steps = _dtw_table(a, b, penalty)
    mean: np.ndarray = acc[-1] / steps[-1]
    return mean


def dtw_open_start(a: np.ndarray, b: np.ndarray, penalty: float) -> np.ndarray:
    """:func:`dtw_open_end` from the other end: element ``i`` is ``a`` matched whole against
    the last ``i + 1`` frames of ``b``."""
    return dtw_open_end(a[::-1].copy(), b[::-1].copy(), penalty)


def speech_normalised(feats: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """``feats`` mean/variance normalised over ``rows`` (the speech frames) instead of the
    whole recording: long pauses, music and room noise then no longer pull the mean away
    from the voice, and the recording's speech sits where each template's speech does
    (templates are normalised over their own speech)."""
    if rows.size < 2:
        return feats
    sel = feats[rows]
    return np.asarray((feats - sel.mean(axis=0)) / (sel.std(axis=0) + 1e-6), dtype=np.float32)
