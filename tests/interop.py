"""Checks of exported files by tools that are not the ones that wrote them (issue 32): the
OASIS XLIFF 2.0 core schema (lxml), a TBX core-structure check written from ISO 30042,
webvtt-py, srt, and the H.264 sequence header read straight from the bytes."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

SCHEMAS = Path(__file__).parent / "data" / "schemas"
XLIFF_NS = "{urn:oasis:names:tc:xliff:document:2.0}"


def xliff_schema() -> Any:
    """The OASIS XLIFF 2.0 core schema, its ``xml.xsd`` import pointed at the local copy
    (no network)."""
    from lxml import etree

    doc = etree.parse(str(SCHEMAS / "xliff_core_2.0.xsd"))
    for imp in doc.getroot().iter("{http://www.w3.org/2001/XMLSchema}import"):
        if imp.get("namespace") == "http://www.w3.org/XML/1998/namespace":
            imp.set("schemaLocation", (SCHEMAS / "xml.xsd").as_uri())
    return etree.XMLSchema(doc)


def xliff_errors(path: Path) -> list[str]:
    """Every schema error of ``path`` (empty: valid XLIFF 2.0 core)."""
    from lxml import etree

    schema = xliff_schema()
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    ok = schema.validate(etree.parse(str(path), parser))
    return [] if ok else [f"{e.line}: {e.message}" for e in schema.error_log]


def xliff_units_by_elementtree(path: Path) -> dict[str, dict[str, Any]]:
    """unit id -> source, target, state, notes, read with the standard library only."""
    units = {}
    for unit in ET.parse(path).getroot().iter(f"{XLIFF_NS}unit"):
        seg = unit.find(f"{XLIFF_NS}segment")
        assert seg is not None
        target = seg.find(f"{XLIFF_NS}target")
        units[unit.attrib["id"]] = {
            "source": "".join(seg.find(f"{XLIFF_NS}source").itertext()),  # type: ignore[union-attr]
            "target": "".join(target.itertext()) if target is not None else None,
            "state": seg.get("state", "initial"), "sub_state": seg.get("subState"),
            "notes": [n.text for n in unit.iterfind(f"{XLIFF_NS}notes/{XLIFF_NS}note")]}
    return units
