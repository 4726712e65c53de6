"""XLIFF 2.0 work packages (translate-toolkit) for translators who work offline."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pipeline.core.errors import LessonConfigError
from pipeline.core.storage import atomic_path

__all__ = ["STATES", "WORK_PACKAGE_VERSION", "XliffUnit", "read_xliff", "unit_id",
           "write_xliff"]

_NS = "{urn:oasis:names:tc:xliff:document:2.0}"
#: The segment states of XLIFF 2.0, in order.
STATES = ("initial", "translated", "reviewed", "final")


#: The version a cue's translation has when the review store first holds it: a work
#: package written by the translate step (before review) names its cues at this version.
WORK_PACKAGE_VERSION = 1


def unit_id(lesson_id: str, cue_key: str, version: int = WORK_PACKAGE_VERSION) -> str:
    """A unit's id, the same in the translate step's work package and in ``caunoi review
    export``, which ``caunoi review import`` reads back: ``<lesson>/<cue key>/v<version>``
    (``cue_key``: the cue's stable id, or ``c<position>`` for cues without one). An import
    of a unit whose version is no longer current is reported as a conflict."""
    return f"{lesson_id}/{cue_key}/v{version}"


@dataclass(frozen=True)
class XliffUnit:
    id: str
    source: str
    target: str = ""
    notes: tuple[str, ...] = ()
    final: bool = False
    # XLIFF 2.0 segment state: initial, translated, reviewed, final ("" = not given).
    state: str = ""


def write_xliff(path: Path, units: list[XliffUnit], source_lang: str, target_lang: str) -> None:
    from translate.storage import xliff2

    store = xliff2.Xliff2File(sourcelanguage=source_lang, targetlanguage=target_lang)
    for u in units:
        unit = store.addsourceunit(u.source)
        unit.setid(u.id)
        if u.target:
            unit.target = u.target
        for note in u.notes:
            unit.addnote(note)
    data = _notes_to_units(bytes(store), {u.id: u.state for u in units if u.state})
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)


def _notes_to_units(data: bytes, states: dict[str, str]) -> bytes:
    """XLIFF 2.0 allows <notes> only as the first child of <unit>; translate-toolkit puts
    them in <segment>. Move them so strict tools accept the file, and set each segment's
    ``state``."""
    from lxml import etree

    root = etree.fromstring(data)
    for unit in root.iter(f"{_NS}unit"):
        state = states.get(str(unit.get("id")))
        segment = unit.find(f"{_NS}segment")
        if state and segment is not None:
            segment.set("state", state)
    for segment in root.iter(f"{_NS}segment"):
        notes = segment.find(f"{_NS}notes")
        if notes is not None:
            segment.remove(notes)
            segment.getparent().insert(0, notes)
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))


def read_xliff(path: Path) -> tuple[str, list[XliffUnit]]:
    """Return (target language, units) of an XLIFF 2.0 file.

    Raises:
        LessonConfigError: the file is not readable XLIFF 2.0.
    """
    from translate.storage import xliff2

    try:
        store = xliff2.Xliff2File.parsefile(str(path))
    except Exception as e:  # lxml raises several types for broken files
        raise LessonConfigError(path=str(path), detail=f"not a readable XLIFF 2.0 file ({e})") \
            from e
    states = _states(path)
    units = [XliffUnit(id=str(u.getid()), source=str(u.source or ""),
                       target=str(u.target or ""), state=states.get(str(u.getid()), ""),
                       final=states.get(str(u.getid())) == "final") for u in store.units]
    return str(store.gettargetlanguage() or ""), units


def _states(path: Path) -> dict[str, str]:
    """unit id -> its (first) segment's state attribute."""
    from lxml import etree

    states = {}
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    root = etree.parse(str(path), parser).getroot()
    for unit in root.iter(f"{_NS}unit"):
        segment = unit.find(f"{_NS}segment")
        if segment is not None and segment.get("state"):
            states[str(unit.get("id"))] = str(segment.get("state"))
    return states
