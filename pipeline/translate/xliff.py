"""XLIFF 2.0 work packages (translate-toolkit) for translators who work offline."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pipeline.core.errors import LessonConfigError
from pipeline.core.storage import atomic_path

__all__ = ["XliffUnit", "read_xliff", "write_xliff"]


@dataclass(frozen=True)
class XliffUnit:
    id: str
    source: str
    target: str = ""
    notes: tuple[str, ...] = ()
    final: bool = False


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
    data = _notes_to_units(bytes(store))
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)


def _notes_to_units(data: bytes) -> bytes:
    """XLIFF 2.0 allows <notes> only as the first child of <unit>; translate-toolkit puts
    them in <segment>. Move them so strict tools accept the file."""
    from lxml import etree

    ns = "{urn:oasis:names:tc:xliff:document:2.0}"
    root = etree.fromstring(data)
    for segment in root.iter(f"{ns}segment"):
        notes = segment.find(f"{ns}notes")
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
    units = [XliffUnit(id=str(u.getid()), source=str(u.source or ""),
                       target=str(u.target or "")) for u in store.units]
    return str(store.gettargetlanguage() or ""), units
