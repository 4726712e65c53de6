"""The time map of a dub: original (picture) time → dubbed time, monotone piecewise linear.

Where a voice is longer than its slot even after compression, the picture holds its frame and
everything after moves later: the map gets a vertical step (one original instant, a span of
dubbed time). Subtitles and chapters move through the map so they stay with the picture.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any, Literal, Protocol, TypeVar

from pipeline.core.types import ms_to_s, s_to_ms

__all__ = ["Side", "Span", "TimeMap", "move_chapters", "move_spans"]

#: At a hold an original instant has two dubbed times: before the hold ("early") and after
#: it ("late"). Cue ends take "late" (the sentence's subtitle stays up while the voice
#: finishes); starts take "late" too, so a cue that starts at a hold starts after it.
Side = Literal["early", "late"]


class Span(Protocol):
    @property
    def start_ms(self) -> int: ...

    @property
    def end_ms(self) -> int: ...


S = TypeVar("S", bound=Span)


@dataclass(frozen=True)
class TimeMap:
    """Breakpoints ``(original_ms, dubbed_ms)``, both non-decreasing, the first at (0, 0);
    linear between breakpoints, slope 1 after the last one. Two breakpoints with the same
    original time are a hold."""

    points: tuple[tuple[int, int], ...] = ((0, 0),)

    def __post_init__(self) -> None:
        if not self.points or self.points[0] != (0, 0):
            raise ValueError("a time map starts at (0, 0)")
        for (a0, b0), (a1, b1) in zip(self.points, self.points[1:], strict=False):
            if a1 < a0 or b1 < b0 or (a1, b1) == (a0, b0):
                raise ValueError(f"time map not increasing at {(a0, b0)} → {(a1, b1)}")

    @classmethod
    def from_holds(cls, holds: Iterable[tuple[int, int]]) -> TimeMap:
        """The map of a dub whose only changes are holds ``(original_ms, hold_ms)``."""
        points = [(0, 0)]
        shift = 0
        for at, hold in sorted(holds):
            if hold <= 0:
                continue
            if (at, at + shift) != points[-1]:
                points.append((at, at + shift))
            shift += hold
            points.append((at, at + shift))
        return cls(tuple(points))

    @property
    def holds(self) -> tuple[tuple[int, int], ...]:
        """``(original_ms, hold_ms)`` of every vertical step (where the picture freezes)."""
        return tuple((a0, b1 - b0) for (a0, b0), (a1, b1)
                     in zip(self.points, self.points[1:], strict=False) if a0 == a1)

    @property
    def total_hold_ms(self) -> int:
        return sum(h for _, h in self.holds)

    def to_dub(self, original_ms: int, side: Side = "late") -> int:
        """Dubbed time of an original instant (``side`` chooses at a hold)."""
        xs = [a for a, _ in self.points]
        i = (bisect_right(xs, original_ms) if side == "late" else bisect_left(xs, original_ms))
        if side == "early" and i < len(xs) and xs[i] == original_ms:
            return self.points[i][1]
        a0, b0 = self.points[max(i - 1, 0)]
        if i >= len(self.points):
            return b0 + (original_ms - a0)
        a1, b1 = self.points[i]
        if a1 == a0:
            return b1
        return b0 + round((original_ms - a0) * (b1 - b0) / (a1 - a0))

    def to_original(self, dubbed_ms: int) -> int:
        """Original instant shown at a dubbed time (during a hold: the held instant)."""
        ys = [b for _, b in self.points]
        i = bisect_right(ys, dubbed_ms)
        a0, b0 = self.points[max(i - 1, 0)]
        if i >= len(self.points):
            return a0 + (dubbed_ms - b0)
        a1, b1 = self.points[i]
        return a0 + round((dubbed_ms - b0) * (a1 - a0) / (b1 - b0))

    def to_json(self) -> dict[str, Any]:
        return {"points": [[ms_to_s(a), ms_to_s(b)] for a, b in self.points]}

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> TimeMap:
        return cls(tuple((s_to_ms(a), s_to_ms(b)) for a, b in d["points"]))


def move_spans(spans: Iterable[S], tmap: TimeMap) -> list[S]:
    """Cues, chapters or anything with ``start_ms``/``end_ms`` (a frozen dataclass), moved to
    dubbed time. Starts and ends both take the late side of a hold: a cue ending at a hold
    stays on screen through it, a cue starting there starts after it."""
    return [replace(s, start_ms=tmap.to_dub(s.start_ms),  # type: ignore[type-var]
                    end_ms=tmap.to_dub(s.end_ms)) for s in spans]


def move_chapters(chapters: Iterable[tuple[int, str]],
                  tmap: TimeMap) -> tuple[tuple[int, str], ...]:
    """Chapter marks ``(start_ms, heading)`` (as render takes them) moved to dubbed time."""
    return tuple((tmap.to_dub(start), heading) for start, heading in chapters)
