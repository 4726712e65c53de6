"""Sentences the acoustic aligner matched that the second ear says were not said there (used
by :mod:`pipeline.speech.align.ear_check`, after it tried to place them elsewhere).

- **Heard by neither ear.** A questioned sentence the ear could not place elsewhere is
  skipped when its own text loses to a neighbour's where the acoustics put it (by
  ``skip_margin`` of the margin) and either the acoustics squeezed it (a skipped sentence
  put on a pause or a scrap) or the acoustics barely heard it there themselves (confidence
  below ``unheard``: their own template no better than a neighbour's or unrelated speech)
  and the ear heard its text ahead nowhere it forced it in the gap its neighbours leave (a
  sentence never said, put on an ad-lib of its own length).
- **Its place taken.** A questioned sentence left where it was, whose place mostly holds a
  sentence the ear placed, moves to where its own text is ahead (low confidence) when that
  is free, else it is skipped.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import TYPE_CHECKING

from pipeline.core.types import AlignedSentence

if TYPE_CHECKING:
    from pipeline.speech.align.ear_check import CheckOptions

__all__ = ["taken", "unheard"]

log = logging.getLogger("caunoi.align.ear")


def unheard(out: list[AlignedSentence], moved: list[bool], questioned: list[int],
            why: tuple[set[int], set[int]],
            ear: tuple[dict[int, float], dict[int, AlignedSentence], float],
            o: CheckOptions) -> None:
    """Skip the questioned sentences heard by neither ear (see the module docstring).
    ``why``: those the acoustics squeezed, those they barely heard; ``ear``: each one's
    contrast where the acoustics put it, where the ear heard its text ahead elsewhere, and
    the lesson's margin."""
    squeezed, barely = why
    here, alt, margin = ear
    for k in questioned:
        d = out[k]
        if moved[k] or here[k] > -o.skip_margin * margin:
            continue
        if k in squeezed or (k in barely and k not in alt):
            log.debug("sentence %s: heard by neither ear (%s): skipped", d.index,
                      "squeezed" if k in squeezed else "barely heard by the acoustics")
            out[k] = replace(d, status="skipped", confidence=o.confirmed)


def _overlaps(d: AlignedSentence, s: AlignedSentence) -> bool:
    return min(d.end_ms, s.end_ms) - max(d.start_ms, s.start_ms) > (d.end_ms - d.start_ms) / 2


def taken(out: list[AlignedSentence], moved: list[bool], questioned: list[int],
          alt: dict[int, AlignedSentence], o: CheckOptions) -> None:
    """A questioned sentence left where it was, whose place mostly holds a sentence the ear
    placed, was not said there: it moves to where its own text is ahead (low confidence,
    for a person to check) when that place is free, else it is skipped."""
    for j in questioned:
        d = out[j]
        if moved[j] or d.status != "matched":
            continue
        by = [s for k, s in enumerate(out) if moved[k] and _overlaps(d, s)]
        if not by:
            continue
        other = alt.get(j)
        if other is not None and not any(moved[k] and _overlaps(other, s)
                                         for k, s in enumerate(out)):
            log.debug("sentence %s: its place holds sentence %s: moved to %d", d.index,
                      by[0].index, other.start_ms)
            out[j], moved[j] = other, True
        else:
            log.debug("sentence %s: its place holds sentence %s: skipped", d.index,
                      by[0].index)
            out[j] = replace(d, status="skipped", confidence=o.confirmed)
