"""Keeping Whisper honest on CPU models: decode per voice-activity chunk, and recognise the
output that is not a transcript (repetition loops, text that compresses too well).

Small Whisper models loop ("tình thật là một tình thật …" for 30 s) on band-limited or
reverberant speech and invent text in silence and music. Decoding each stretch of speech on
its own (no text carried across pauses) removes the silence they invent in; what still loops
is dropped here and reported as a span with no usable transcript."""

from __future__ import annotations

import zlib
from dataclasses import dataclass

from pipeline.core.text import syllables

__all__ = ["ChunkOptions", "compression_ratio", "is_loop", "loop_span", "plan_chunks"]


@dataclass(frozen=True)
class ChunkOptions:
    # Longest chunk handed to the decoder (Whisper's window is 30 s).
    max_chunk_ms: int = 28_000
    # A pause at least this long always ends a chunk: nothing is carried across it.
    split_pause_ms: int = 1_500
    # Audio kept around each speech region (VAD edges are tight; Whisper needs onsets).
    pad_ms: int = 200


def plan_chunks(regions: list[tuple[int, int]], duration_ms: int,
                o: ChunkOptions = ChunkOptions()) -> list[tuple[int, int]]:
    """Group speech regions into decoding chunks: consecutive regions join while the chunk
    stays under ``max_chunk_ms`` and the pause between them is short; a region longer than
    ``max_chunk_ms`` is cut into equal parts."""
    chunks: list[tuple[int, int]] = []
    for a, b in regions:
        a, b = max(0, a - o.pad_ms), min(duration_ms, b + o.pad_ms)
        if chunks and a - chunks[-1][1] < o.split_pause_ms and b - chunks[-1][0] <= o.max_chunk_ms:
            chunks[-1] = (chunks[-1][0], b)
            continue
        if chunks and a < chunks[-1][1]:
            a = chunks[-1][1]
        parts = max(1, -(-(b - a) // o.max_chunk_ms))
        step = (b - a) / parts
        chunks += [(int(a + k * step), int(a + (k + 1) * step)) for k in range(parts)]
    return [(a, b) for a, b in chunks if b > a]


def compression_ratio(text: str) -> float:
    """Bytes of the text over bytes of its zlib compression (Whisper's repetition measure)."""
    raw = text.encode("utf-8")
    return len(raw) / max(1, len(zlib.compress(raw)))


def loop_span(tokens: list[str], min_repeats: int = 3, max_n: int = 8) -> tuple[int, int]:
    """The longest run (first, end) of tokens made of one n-gram said ``min_repeats`` or more
    times in a row (n ≤ ``max_n``; a single token needs one repeat more); (0, 0) if none."""
    best = (0, 0)
    size = len(tokens)
    for n in range(1, max_n + 1):
        need = min_repeats + (1 if n == 1 else 0)
        for start in range(0, max(0, size - n * need + 1)):
            gram = tokens[start: start + n]
            reps = 1
            while tokens[start + reps * n: start + (reps + 1) * n] == gram:
                reps += 1
            if reps >= need and reps * n > best[1] - best[0]:
                best = (start, start + reps * n)
    return best


def is_loop(text: str, max_ratio: float = 2.4, max_share: float = 0.5) -> bool:
    """Whether a decoded text is a repetition loop rather than speech: it compresses better
    than ``max_ratio`` (and is long enough for that to mean something), or more than
    ``max_share`` of its syllables are one phrase repeated."""
    tokens = [t.lower() for t in syllables(text)]
    if len(text.encode("utf-8")) >= 60 and compression_ratio(text) > max_ratio:
        return True
    a, b = loop_span(tokens)
    return len(tokens) >= 6 and (b - a) > max_share * len(tokens)
