"""Frames as a viewer sees them: the picture shown at a moment of a (variable frame rate)
video, with the rotation metadata applied, and the choice of a content moment for the
poster (not the title card, not a chapter banner)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

__all__ = ["content_frame_time", "frames_at", "outside_banners"]


def _upright(img: np.ndarray, rotation: int) -> np.ndarray:
    """Apply a display rotation (degrees counter-clockwise) to an RGB array."""
    return np.ascontiguousarray(np.rot90(img, k=(rotation // 90) % 4))


def frames_at(path: Path, times_s: Sequence[float]) -> list[np.ndarray]:
    """RGB frames shown at ``times_s`` (seconds, sorted or not): for each moment the last
    frame whose time is at or before it, as a player shows a still screen of a variable
    frame rate video (seeking with ffmpeg would give the *next* frame instead)."""
    import av

    out: dict[float, np.ndarray] = {}
    with av.open(str(path)) as c:
        stream = c.streams.video[0]
        base = float(stream.time_base or 1e-6)
        for t in sorted(set(times_s)):
            c.seek(int(max(0.0, t - 0.05) / base), stream=stream, backward=True,
                   any_frame=False)
            shown = None
            for frame in c.decode(stream):
                if shown is not None and frame.time is not None and frame.time > t + 1e-6:
                    break
                shown = frame
            if shown is None:
                raise ValueError(f"{path}: no picture at {t:.3f} s")
            rotation = round(float(getattr(shown, "rotation", 0) or 0))
            out[t] = _upright(shown.to_ndarray(format="rgb24"), rotation)
    return [out[t] for t in times_s]


def outside_banners(t: float, chapters: Sequence[tuple[int, str]], banner_s: float) -> bool:
    """Whether moment ``t`` (source timeline, seconds) is clear of every chapter banner
    (``chapters``: start ms, heading; each shows ``banner_s``), with 0.2 s to spare."""
    return all(not (ms / 1000 - 0.2 <= t <= ms / 1000 + banner_s + 0.2) for ms, _ in chapters)


def content_frame_time(duration_s: float, title_s: float, cue_times_s: Sequence[float] = (),
                       chapters: Sequence[tuple[int, str]] = (), banner_s: float = 3.0,
                       at: float = 0.35) -> float:
    """A moment of a rendered video (its own timeline) that shows the recording itself:
    after the title card, outside every chapter banner, preferably mid-cue about ``at``
    of the way in. Publishing uses it for the poster/thumbnail.

    Args:
        duration_s: the recording's duration (source timeline).
        title_s: the title card's length (the render's offset).
        cue_times_s: mid-cue moments on the source timeline.
        chapters: (start ms, heading) of each chapter banner.
        banner_s: how long a banner shows.
        at: preferred position as a share of the recording.
    """
    goal = duration_s * at
    candidates = [t for t in cue_times_s
                  if 0 < t < duration_s and outside_banners(t, chapters, banner_s)]
    if not candidates:
        candidates = [t for t in np.linspace(0.5, max(0.5, duration_s - 0.5), 41)
                      if outside_banners(float(t), chapters, banner_s)] or [duration_s / 2]
    best = min(candidates, key=lambda t: abs(t - goal))
    return title_s + float(best)
