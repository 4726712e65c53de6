"""TBX (ISO 30042, TBX-Basic dialect, the ``martif`` form most terminology tools read) export
and import of a language's term list.

The core structure: ``termEntry`` = entry-level notes, then one ``langSet`` per language,
nothing after them; ``langSet`` = ``tig``s; ``tig`` = ``term``, its ``termNote``s, then its
notes. An untranslated term is an entry with only its Vietnamese ``langSet``, never an empty
``<term>``. Import accepts exactly that shape (what export writes, and what other tools write
for a two-language glossary) and refuses anything else with one sentence naming the entry.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pipeline.core.errors import CaunoiError, ConfigError, LessonConfigError
from pipeline.core.storage import atomic_path
from pipeline.translate.glossary import (
    Glossary,
    Term,
    _clean_term_text,
    _write_checked,
    load_glossary,
)
from pipeline.translate.xliff import refuse_doctype

__all__ = ["TbxRefusedError", "export_tbx", "import_tbx"]

_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
_DOCTYPE = '<!DOCTYPE martif SYSTEM "TBXBasiccoreStructV02.dtd">'
#: TBX-Basic's picklist for partOfSpeech; other values of the CSV are written as "other".
_POS = ("noun", "verb", "adjective", "adverb", "properNoun", "other")
#: The TBX-Basic data categories that may precede a langSet (entry level) or follow a term.
_AUX = ("descrip", "descripGrp", "admin", "adminGrp", "transacGrp", "note", "ref", "xref")


class TbxRefusedError(CaunoiError):
    """A TBX file that is not the shape this tool writes (``detail`` names the entry)."""

    key = "errors.tbx_refused"
    exit_code = 2


def _sub(parent: Any, tag: str, text: str = "", **attrs: str) -> Any:
    from lxml import etree

    el = etree.SubElement(parent, tag, **attrs)
    if text:
        el.text = text
    return el


def _lang_set(entry: Any, lang: str, term: str) -> Any:
    ls = _sub(entry, "langSet")
    ls.set(_XML_LANG, lang)
    tig = _sub(ls, "tig")
    _sub(tig, "term", term)
    return tig


def _entry(body: Any, n: int, t: Term, lang: str) -> None:
    entry = _sub(body, "termEntry", id=f"c{n}")
    if t.note:
        _sub(entry, "note", t.note)
    tig = _lang_set(entry, "vi", t.vi)
    if t.pos:
        _sub(tig, "termNote", t.pos if t.pos in _POS else "other", type="partOfSpeech")
    if t.target:  # an untranslated term has no target langSet at all
        target = _lang_set(entry, lang, t.target)
        if t.source:
            _sub(target, "admin", t.source, type="source")
        _sub(target, "note", f"status: {t.status}")


def export_tbx(glossary: Glossary, dst: Path) -> int:
    """Write the glossary as TBX-Basic; returns the number of terms (entries)."""
    from lxml import etree

    root = etree.Element("martif", type="TBX-Basic")
    root.set(_XML_LANG, "vi")
    desc = _sub(_sub(root, "martifHeader"), "fileDesc")
    _sub(_sub(desc, "sourceDesc"), "p", f"Cầu Nối glossary, {glossary.lang}")
    _sub(_sub(root.find("martifHeader"), "encodingDesc"), "p", "TBXBasicXCSV02.xcs",
         type="XCSURI")
    body = _sub(_sub(root, "text"), "body")
    for n, t in enumerate(glossary.terms, start=1):
        _entry(body, n, t, glossary.lang)
    data = etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True,
                          doctype=_DOCTYPE)
    with atomic_path(dst) as part:
        part.write_bytes(data)
    return len(glossary.terms)


def _elements(parent: Any) -> list[Any]:
    """Child elements (comments and processing instructions left out)."""
    return [k for k in parent if isinstance(k.tag, str)]


def _refuse(src: Path, where: str, what: str) -> TbxRefusedError:
    return TbxRefusedError(path=str(src), detail=f"{where}: {what}")


def _check_tig(src: Path, where: str, tig: Any) -> str:
    kids = [k.tag for k in _elements(tig)]
    if not kids or kids[0] != "term" or kids.count("term") != 1:
        raise _refuse(src, where, "a <tig> must start with exactly one <term>")
    rest = kids[1:]
    notes = [k for k in rest if k != "termNote"]
    if rest[:len(rest) - len(notes)] != ["termNote"] * (len(rest) - len(notes)) or any(
            k not in _AUX for k in notes):
        raise _refuse(src, where, "inside <tig>, only <termNote>s then notes may follow "
                                  "the <term>")
    text = "".join(tig[0].itertext()).strip()
    if not text:
        raise _refuse(src, where, "an empty <term>")
    return text


def _read_entry(src: Path, entry: Any, lang: str) -> tuple[str, str]:
    """(Vietnamese term, target term or "") of one termEntry, checked."""
    where = f"termEntry '{entry.get('id') or '?'}'"
    kids = _elements(entry)
    first = next((i for i, k in enumerate(kids) if k.tag == "langSet"), len(kids))
    if any(k.tag not in _AUX for k in kids[:first]) or any(k.tag != "langSet"
                                                          for k in kids[first:]):
        raise _refuse(src, where, "nothing but notes may come before the <langSet>s, and "
                                  "nothing after them")
    terms: dict[str, str] = {}
    for ls in kids[first:]:
        code = str(ls.get(_XML_LANG) or ls.get("lang") or "")
        tigs = [k for k in _elements(ls) if k.tag in ("tig", "ntig")]
        if code not in ("vi", lang) or code in terms:
            raise _refuse(src, where, f"langSet '{code}' (expected one 'vi' and at most one "
                                      f"'{lang}')")
        if len(tigs) != 1 or tigs[0].tag != "tig" or any(
                k.tag not in _AUX and k.tag not in ("tig", "ntig") for k in _elements(ls)):
            raise _refuse(src, where, f"langSet '{code}' must hold exactly one <tig>")
        terms[code] = _check_tig(src, where, tigs[0])
    if "vi" not in terms:
        raise _refuse(src, where, "no Vietnamese <langSet>")
    return terms["vi"], terms.get(lang, "")


def _parse(src: Path) -> Any:
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    try:
        tree = etree.parse(str(src), parser)
    except (OSError, etree.XMLSyntaxError) as e:
        raise LessonConfigError(path=str(src), detail=f"not a readable TBX file ({e})") from e
    refuse_doctype(tree, src)
    root = tree.getroot()
    if root.tag != "martif" or root.find("text/body") is None:
        raise _refuse(src, "the file", "not TBX (no <martif><text><body>)")
    return root


def import_tbx(src: Path, glossary_dir: Path, lang: str, source: str) -> int:
    """Merge TBX terms into ``<lang>.csv`` as *proposed* entries credited to ``source``.

    Existing rows win; returns the number of terms added. Nothing is written unless every
    entry has the shape :func:`export_tbx` writes.

    Raises:
        ConfigError: no ``source`` named.
        LessonConfigError: not readable XML.
        TbxRefusedError: naming the first entry of another shape.
        GlossaryRefusedError: a term with control characters, or an invalid result.
    """
    if not source.strip():
        raise ConfigError(path=str(src), detail="name the source of these terms (--source)")
    body = _elements(_parse(src).find("text/body"))
    if any(e.tag != "termEntry" for e in body):
        raise _refuse(src, "<body>", "only <termEntry> elements may be in it")
    pairs = [_read_entry(src, e, lang) for e in body]
    path = glossary_dir / f"{lang}.csv"
    current = list(load_glossary(glossary_dir, lang).terms)
    known = {t.vi.lower() for t in current}
    added = 0
    for vi_raw, target_raw in pairs:
        vi, target = _clean_term_text(vi_raw, src), _clean_term_text(target_raw, src)
        if not vi or vi.lower() in known:
            continue
        current.append(Term(vi, target, "", "", "proposed", source.strip() if target else ""))
        known.add(vi.lower())
        added += 1
    _write_checked(path, current)
    return added
