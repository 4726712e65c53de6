"""Holding the picture where a voice needs more time than its slot: the ffmpeg video filter
that turns a time map's holds into frozen frames, for render to put in its filter graph.

Every frame after a hold point is moved later by the holds before it (``setpts``); the gap
that leaves is filled by the last frame before it, by the player (variable frame rate
output: the frame simply stays up longer, no bytes spent) or by ffmpeg's ``fps``/``-fps_mode
cfr`` (duplicated frames). A hold at the very end extends the last frame (``tpad``).
"""

from __future__ import annotations

from pipeline.voice.timemap import TimeMap

__all__ = ["hold_filter"]


def hold_filter(tmap: TimeMap, duration_ms: int) -> str:
    """The video filter (a comma chain, no pads) that holds the picture as ``tmap`` says;
    "null" when there is no hold. ``duration_ms`` is the original video's length."""
    inner = [(at, hold) for at, hold in tmap.holds if at < duration_ms]
    tail = sum(hold for at, hold in tmap.holds if at >= duration_ms)
    parts = []
    if inner:
        shift = "+".join(f"{hold / 1000:.3f}*gte(T,{at / 1000:.3f})" for at, hold in inner)
        parts.append(f"setpts='PTS+({shift})/TB'")
    if tail:
        parts.append(f"tpad=stop_mode=clone:stop_duration={tail / 1000:.3f}")
    return ",".join(parts) or "null"
