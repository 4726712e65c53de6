"""TBX that other tools accept (issue 32): the export follows the TBX core structure and the
TBX-Basic rules (checked by ``tests/interop.py``'s DTD written from ISO 30042, not by the
writer), untranslated terms have no target langSet (never an empty ``<term>``), translate-toolkit
and ElementTree read the same terms, and import refuses what export would not write.
English targets are ordinary English words for Vietnamese app terms, no minority-language text."""

from __future__ import annotations

import re
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from flows.cli import main
from pipeline.core.config import PROJECT_ROOT
from pipeline.core.languages import Registry
from pipeline.translate.glossary import Glossary, Term, load_glossary
from pipeline.translate.tbx import TbxRefusedError, export_tbx, import_tbx
from tests.interop import tbx_errors

XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
TERMS = (Term("mã QR", "QR code", "noun", "the square code", "approved", "test list"),
         Term("quét mã", "", "verb"),
         Term("ví điện tử", "e-wallet", "noun", "", "proposed", "test list"))


def _languages(tree: ET.ElementTree) -> list[list[str]]:
    return [[ls.attrib[XML_LANG] for ls in entry.iter("langSet")]
            for entry in tree.getroot().iter("termEntry")]


def test_export_follows_the_tbx_core_structure(tmp_path: Path, registry: Registry) -> None:
    path = tmp_path / "en.tbx"
    assert export_tbx(Glossary("en", TERMS), path) == 3
    assert tbx_errors(path) == []
    tree = ET.parse(path)
    assert _languages(tree) == [["vi", "en"], ["vi"], ["vi", "en"]]
    first = next(tree.getroot().iter("termEntry"))
    assert [k.tag for k in first] == ["note", "langSet", "langSet"]
    # Every shipped term list exports valid TBX, untranslated terms included.
    for code in ("hmn", "en", "th"):
        shipped = load_glossary(registry.path.parent, code)
        export_tbx(shipped, tmp_path / f"{code}.tbx")
        assert tbx_errors(tmp_path / f"{code}.tbx") == [], code
        entries = _languages(ET.parse(tmp_path / f"{code}.tbx"))
        assert len(entries) == len(shipped.terms)
        assert sum(langs == ["vi", code] for langs in entries) == sum(
            bool(t.target) for t in shipped.terms)


def test_translate_toolkit_reads_the_same_terms(tmp_path: Path) -> None:
    from translate.storage import tbx

    path = tmp_path / "en.tbx"
    export_tbx(Glossary("en", TERMS), path)
    store = tbx.tbxfile.parsefile(str(path))
    assert [(str(u.source), str(u.target or "")) for u in store.units] == [
        (t.vi, t.target) for t in TERMS]


def test_round_trip_and_refusals(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                 capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "en.tbx"
    export_tbx(Glossary("en", TERMS), path)
    out = tmp_path / "glossaries"
    out.mkdir()
    shutil.copy(PROJECT_ROOT / "glossaries" / "languages.toml", out)
    assert import_tbx(path, out, "en", "exported test file") == 3
    assert [(t.vi, t.target) for t in load_glossary(out, "en").terms] == [
        (t.vi, t.target) for t in TERMS]
    (out / "en.csv").unlink()
    text = path.read_text(encoding="utf-8")
    bad = {
        "note after langSet": re.sub(r"</langSet>(\s*)</termEntry>",
                                     r"</langSet><note>late</note>\1</termEntry>", text, count=1),
        "empty term": text.replace("<term>QR code</term>", "<term></term>"),
        "another language": text.replace('xml:lang="en"', 'xml:lang="th"', 1),
        "two terms": text.replace("<tig>", "<tig><term>x</term></tig><tig>", 1),
    }
    monkeypatch.setenv("CAUNOI_GLOSSARY_DIR", str(out))
    for name, body in bad.items():
        (tmp_path / "bad.tbx").write_text(body, encoding="utf-8")
        # Valid TBX that export would not write (another language, synonyms) is refused too.
        assert tbx_errors(tmp_path / "bad.tbx") or name in ("another language", "two terms")
        with pytest.raises(TbxRefusedError):
            import_tbx(tmp_path / "bad.tbx", out, "en", "test")
        code = main(["glossary", "import", str(tmp_path / "bad.tbx"), "--lang", "en",
                     "--source", "test"])
        err = capsys.readouterr().err.strip()
        assert code == 2 and len(err.splitlines()) == 1 and "termEntry 'c1'" in err, (name, err)
        assert not (out / "en.csv").exists()
