"""XLIFF 2.0 work packages for translators who work offline or in their own CAT tools.

Files are written to validate against the OASIS XLIFF 2.0 core schema (tests check them
with ``tests/data/schemas/xliff_core_2.0.xsd``): unit ids are ``xs:NMTOKEN``s, notes sit in
the unit's ``<notes>`` (the only place the core allows them), ``xml:space`` is on the unit
(never on ``<segment>``), and every segment carries the standard ``state``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline.core.errors import LessonConfigError
from pipeline.core.ids import LESSON_ID_PATTERN
from pipeline.core.storage import atomic_path

__all__ = ["STATES", "WORK_PACKAGE_VERSION", "XliffUnit", "parse_unit_id", "read_xliff",
           "refuse_doctype", "unit_id", "write_xliff"]

_NS = "urn:oasis:names:tc:xliff:document:2.0"
_Q = f"{{{_NS}}}"
_XML_SPACE = "{http://www.w3.org/XML/1998/namespace}space"
#: The segment states of XLIFF 2.0, in order.
STATES = ("initial", "translated", "reviewed", "final")

#: The version a cue's translation has when the review store first holds it: a work
#: package written by the translate step (before review) names its cues at this version.
WORK_PACKAGE_VERSION = 1

# ``<lesson>:<cue key>:v<version>`` (NMTOKEN characters only); ``<lesson>/<cue key>/v<n>``
# is the form files written before XLIFF validation used, still read back.
_ID = re.compile(rf"^(?P<lesson>{LESSON_ID_PATTERN})(?P<sep>[:/])"
                 r"(?:c(?P<idx>\d{1,6})|(?P<key>[0-9a-f]{16}-\d{1,4}\.\d{1,3}"
                 # the review's units: the title, a chapter heading, an interface word
                 r"|title|chapter\.[0-9a-f]{16}|ui\.[a-z0-9_]{1,40}))"
                 r"(?P=sep)v(?P<version>\d{1,9})$")


def unit_id(lesson_id: str, cue_key: str, version: int = WORK_PACKAGE_VERSION) -> str:
    """A unit's id, the same in the translate step's work package and in ``caunoi review
    export``, which ``caunoi review import`` reads back: ``<lesson>:<cue key>:v<version>``
    (``cue_key``: the cue's stable id, or ``c<position>`` for cues without one), an
    ``xs:NMTOKEN`` as XLIFF 2.0 requires. An import of a unit whose version is no longer
    current is reported as a conflict."""
    return f"{lesson_id}:{cue_key}:v{version}"


@dataclass(frozen=True)
class UnitRef:
    """What a unit id names: the lesson, the cue (stable key, or position) and the version."""

    lesson: str
    key: str
    idx: str
    version: int


def parse_unit_id(value: str) -> UnitRef | None:
    """The lesson, cue and version named by a unit id of :func:`unit_id` (or of the older
    ``<lesson>/<cue key>/v<version>`` form); None for any other id."""
    m = _ID.match(value)
    if m is None:
        return None
    return UnitRef(m["lesson"], m["key"] or "", m["idx"] or "", int(m["version"]))


@dataclass(frozen=True)
class XliffUnit:
    id: str
    source: str
    target: str = ""
    notes: tuple[str, ...] = ()
    final: bool = False
    # XLIFF 2.0 segment state: initial, translated, reviewed, final ("" = not given).
    state: str = ""
    # A finer state of our own workflow, written as ``caunoi:<value>`` (e.g. rejected).
    sub_state: str = ""


def _unit_element(u: XliffUnit, category: str) -> Any:
    from lxml import etree

    unit = etree.Element(f"{_Q}unit", id=u.id)
    unit.set(_XML_SPACE, "preserve")  # line breaks inside a cue are part of its text
    if u.notes:
        notes = etree.SubElement(unit, f"{_Q}notes")
        for text in u.notes:
            etree.SubElement(notes, f"{_Q}note", category=category).text = text
    segment = etree.SubElement(unit, f"{_Q}segment")
    # A segment without a target is in its initial state, whatever it was asked to say.
    state = u.state if u.target else "initial"
    if state:
        segment.set("state", state)
    if u.sub_state:
        segment.set("subState", f"caunoi:{u.sub_state}")
    etree.SubElement(segment, f"{_Q}source").text = u.source
    if u.target:
        etree.SubElement(segment, f"{_Q}target").text = u.target
    return unit


def write_xliff(path: Path, units: list[XliffUnit], source_lang: str, target_lang: str,
                original: str = "") -> None:
    """Write ``units`` as one XLIFF 2.0 ``<file>`` (``canResegment="no"``: a cue is one
    segment, so a CAT tool hands back one target per cue)."""
    from lxml import etree

    root = etree.Element(f"{_Q}xliff", nsmap={None: _NS}, version="2.0",
                         srcLang=source_lang, trgLang=target_lang)
    file = etree.SubElement(root, f"{_Q}file", id="f1", canResegment="no")
    if original:
        file.set("original", original)
    for u in units:
        file.append(_unit_element(u, "caunoi"))
    data = etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)


def _text(element: Any) -> str:
    return "".join(element.itertext()) if element is not None else ""


def _read_unit(unit: Any) -> XliffUnit:
    """One unit: its segments' and ignorables' sources and targets joined in order (a CAT
    tool may split a segment), the first segment's state, the notes of the unit."""
    parts = [p for p in unit if p.tag in (f"{_Q}segment", f"{_Q}ignorable")]
    segments = [p for p in parts if p.tag == f"{_Q}segment"]
    state = str(segments[0].get("state") or "") if segments else ""
    sub = str(segments[0].get("subState") or "") if segments else ""
    notes = tuple(_text(n) for n in unit.iterfind(f"{_Q}notes/{_Q}note"))
    return XliffUnit(id=str(unit.get("id") or ""),
                     source="".join(_text(p.find(f"{_Q}source")) for p in parts),
                     target="".join(_text(p.find(f"{_Q}target")) for p in parts),
                     notes=notes, state=state, final=state == "final",
                     sub_state=sub.removeprefix("caunoi:"))


def refuse_doctype(tree: Any, path: Path) -> None:
    """Entity declarations (a DOCTYPE's internal subset, where an external entity would be
    declared) are refused before any text is read, so an entity can never become an empty
    translation; a bare ``<!DOCTYPE martif SYSTEM "…">`` (TBX) stays readable, its DTD is
    never loaded."""
    dtd = tree.docinfo.internalDTD
    if dtd is not None and any(True for _ in dtd.iterentities()):
        raise LessonConfigError(path=str(path),
                                detail="it declares entities (a DOCTYPE with an internal "
                                       "subset), which are not accepted")


def read_xliff(path: Path) -> tuple[str, list[XliffUnit]]:
    """Return (target language, units) of an XLIFF 2.0 file.

    Raises:
        LessonConfigError: the file is not readable XLIFF 2.0.
    """
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    try:
        tree = etree.parse(str(path), parser)
    except (OSError, etree.XMLSyntaxError) as e:
        raise LessonConfigError(path=str(path), detail=f"not a readable XLIFF 2.0 file ({e})") \
            from e
    refuse_doctype(tree, path)
    root = tree.getroot()
    if root.tag != f"{_Q}xliff" or not str(root.get("version", "")).startswith("2."):
        raise LessonConfigError(path=str(path), detail="not an XLIFF 2.0 file (no <xliff "
                                                       f"version=\"2.x\" xmlns=\"{_NS}\">)")
    units = [_read_unit(u) for u in root.iter(f"{_Q}unit")]
    return str(root.get("trgLang") or ""), units
