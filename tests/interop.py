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


#: The TBX core structure (ISO 30042:2008, the ``martif`` form TBX-Basic uses), written from
#: the standard's content models as a DTD: no TBX DTD or schema ships in a package this
#: project can install. Entry-level information comes before the langSets and nothing after
#: them; a tig is one term, its termNotes, then its notes.
TBX_CORE_DTD = """
<!ENTITY % auxInfo "(descrip | descripGrp | admin | adminGrp | transacGrp | note | ref | xref)*">
<!ELEMENT martif (martifHeader, text)>
<!ATTLIST martif type CDATA #REQUIRED xml:lang CDATA #REQUIRED>
<!ELEMENT martifHeader (fileDesc, encodingDesc?, revisionDesc?)>
<!ELEMENT fileDesc (titleStmt?, publicationStmt?, sourceDesc+)>
<!ELEMENT titleStmt ANY>
<!ELEMENT publicationStmt ANY>
<!ELEMENT revisionDesc ANY>
<!ELEMENT sourceDesc (p+)>
<!ELEMENT encodingDesc (p+)>
<!ELEMENT p (#PCDATA)>
<!ATTLIST p type CDATA #IMPLIED>
<!ELEMENT text (body, back?)>
<!ELEMENT back ANY>
<!ELEMENT body (termEntry+)>
<!ELEMENT termEntry (%auxInfo;, langSet+)>
<!ATTLIST termEntry id ID #IMPLIED>
<!ELEMENT langSet (%auxInfo;, (tig | ntig)+)>
<!ATTLIST langSet xml:lang CDATA #REQUIRED>
<!ELEMENT tig (term, termNote*, %auxInfo;)>
<!ELEMENT ntig ANY>
<!ELEMENT term (#PCDATA)>
<!ELEMENT termNote (#PCDATA)>
<!ATTLIST termNote type CDATA #REQUIRED>
<!ELEMENT note (#PCDATA)>
<!ELEMENT descrip (#PCDATA)>
<!ATTLIST descrip type CDATA #REQUIRED>
<!ELEMENT admin (#PCDATA)>
<!ATTLIST admin type CDATA #REQUIRED>
<!ELEMENT descripGrp ANY>
<!ELEMENT adminGrp ANY>
<!ELEMENT transacGrp ANY>
<!ELEMENT ref ANY>
<!ELEMENT xref ANY>
"""
#: TBX-Basic's picklist for partOfSpeech.
TBX_BASIC_POS = ("noun", "verb", "adjective", "adverb", "properNoun", "other")


def tbx_errors(path: Path) -> list[str]:
    """Core-structure errors (the DTD above, lxml) and TBX-Basic rules: dialect named, every
    term non-empty, every langSet with a language, partOfSpeech from the picklist."""
    import io

    from lxml import etree

    dtd = etree.DTD(io.StringIO(TBX_CORE_DTD))
    doc = etree.parse(str(path), etree.XMLParser(resolve_entities=False, no_network=True,
                                                 load_dtd=False))
    errors = [] if dtd.validate(doc) else [f"{e.line}: {e.message}" for e in dtd.error_log]
    root = doc.getroot()
    if root.get("type") != "TBX-Basic":
        errors.append(f"martif type is {root.get('type')!r}, not 'TBX-Basic'")
    for term in root.iter("term"):
        if not "".join(term.itertext()).strip():
            errors.append(f"{term.sourceline}: empty <term>")
    for note in root.iter("termNote"):
        if note.get("type") == "partOfSpeech" and note.text not in TBX_BASIC_POS:
            errors.append(f"{note.sourceline}: partOfSpeech {note.text!r} not in the picklist")
    return errors


def avc1_by_ffmpeg(path: Path) -> str:
    """``avc1.PPCCLL`` of the first H.264 sequence parameter set in ``path``, as ffmpeg's
    own bitstream reader (the ``trace_headers`` filter) decodes it: profile_idc, the
    constraint_set0..5 flags, level_idc."""
    import re
    import subprocess

    import imageio_ffmpeg

    run = subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-loglevel", "trace",
                          "-i", str(path), "-map", "0:v:0", "-c", "copy", "-bsf:v",
                          "trace_headers", "-frames:v", "1", "-f", "null", "-"],
                         capture_output=True, text=True, check=True)
    fields: dict[str, int] = {}
    for name, value in re.findall(r"\]\s+\d+\s+(profile_idc|constraint_set\d_flag|level_idc)"
                                  r"\s+[01]+ = (\d+)", run.stderr):
        fields.setdefault(name, int(value))
    flags = sum(fields[f"constraint_set{i}_flag"] << (7 - i) for i in range(6))
    return f"avc1.{fields['profile_idc']:02X}{flags:02X}{fields['level_idc']:02X}"


def mp4_top_boxes(path: Path) -> list[str]:
    """The top-level box types of an MP4, read from its bytes."""
    data, pos, boxes = path.read_bytes(), 0, []
    while pos + 8 <= len(data):
        size = int.from_bytes(data[pos:pos + 4], "big")
        boxes.append(data[pos + 4:pos + 8].decode("latin-1"))
        if size == 1:
            size = int.from_bytes(data[pos + 8:pos + 16], "big")
        if size < 8:
            break
        pos += size
    return boxes


def vtt_cues(path: Path) -> list[tuple[float, float, str]]:
    """(start s, end s, text) of a WebVTT file, read by webvtt-py (raises on a bad file)."""
    import webvtt

    return [(_seconds(c.start), _seconds(c.end), c.text) for c in webvtt.read(str(path))]


def _seconds(stamp: str) -> float:
    h, m, s = stamp.split(":")
    return int(h) * 3600 + int(m) * 60 + float(s)


def srt_cues(path: Path) -> list[tuple[float, float, str]]:
    """(start s, end s, text) of an SRT file, read by ``srt`` (raises on a bad file)."""
    import srt

    return [(s.start.total_seconds(), s.end.total_seconds(), s.content)
            for s in srt.parse(path.read_text(encoding="utf-8"), ignore_errors=False)]
