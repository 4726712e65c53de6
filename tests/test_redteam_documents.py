"""Hostile .docx/.odt scripts (red team, issue 31's new surface): declared XML entities,
an XML part that unpacks far beyond any real script, and a long Word document that must
not cost seconds per thousand paragraphs. Each is refused with one plain sentence."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from pipeline.core.documents import MAX_XML_PART, ScriptDocumentError, read_script_document
from tests.test_script_documents import VI, _docx, _odt

W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
ODT = ('xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
     'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"')
XXE = '<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>'


def _rewrite(src: Path, dst: Path, member: str, data: bytes) -> Path:
    with zipfile.ZipFile(src) as zi, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zo:
        for info in zi.infolist():
            zo.writestr(info.filename, data if info.filename == member else zi.read(info))
    return dst


def _hostile(tmp_path: Path, kind: str, xml: bytes) -> Path:
    if kind == "docx":
        base = _docx(tmp_path / "base.docx", VI[0], VI[1:])
        return _rewrite(base, tmp_path / "script.docx", "word/document.xml", xml)
    base = _odt(tmp_path / "base.odt", VI[0], VI[1:])
    return _rewrite(base, tmp_path / "script.odt", "content.xml", xml)


def _body(kind: str, inner: str) -> bytes:
    if kind == "docx":
        return (f'<w:document {W}><w:body><w:p><w:r><w:t>{inner}</w:t></w:r></w:p>'
                "</w:body></w:document>").encode()
    return (f"<office:document-content {ODT}><office:body><office:text><text:p>{inner}"
            "</text:p></office:text></office:body></office:document-content>").encode()


@pytest.mark.parametrize("kind", ["docx", "odt"])
def test_external_entity_is_refused_not_read_as_nothing(tmp_path: Path, kind: str) -> None:
    """On main a .docx's ``&x;`` became an empty line silently (python-docx leaves the
    entity unresolved); now both kinds are refused before parsing, in one sentence."""
    path = _hostile(tmp_path, kind, XXE.encode() + _body(kind, "Xin chào &x;"))
    with pytest.raises(ScriptDocumentError) as e:
        read_script_document(path)
    message = e.value.message("en")
    assert "entities" in message and "\n" not in message and "root:" not in message


@pytest.mark.parametrize("kind", ["docx", "odt"])
def test_text_part_beyond_any_script_is_refused(tmp_path: Path, kind: str) -> None:
    """A few hundred KB that unpack to 9 MB of paragraphs (on main: parsed, about 15 s
    and 300 MB for an .odt, minutes for a .docx)."""
    para = "Xin chào bà con." + ("</w:t></w:r></w:p><w:p><w:r><w:t>" if kind == "docx"
                                 else "</text:p><text:p>")
    body = _body(kind, para * (MAX_XML_PART // len(para.encode()) + 10))
    with pytest.raises(ScriptDocumentError) as e:
        read_script_document(_hostile(tmp_path, kind, body))
    assert "MB" in e.value.message("en")


def test_word_styles_are_looked_up_once(tmp_path: Path,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """python-docx's ``Paragraph.style`` scans the styles on every paragraph (3 ms each:
    1 MB of short paragraphs took 78 s on main); headings are still chapters without it."""
    import docx.text.paragraph

    def slow(_self: object) -> None:
        raise AssertionError("Paragraph.style called per paragraph")

    path = _docx(tmp_path / "script.docx", VI[0], VI[1:])
    monkeypatch.setattr(docx.text.paragraph.Paragraph, "style", property(slow))
    assert read_script_document(path).text.split("\n") == [f"# {VI[0]}", *VI[1:]]
