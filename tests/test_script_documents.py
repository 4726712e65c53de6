"""Scripts as teams write them: Word, LibreOffice, legacy encodings, numbered lines."""

from __future__ import annotations

import shutil
import unicodedata
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from pipeline.core.config import Settings
from pipeline.core.documents import (
    ScriptDocumentError,
    ScriptUnreadableError,
    read_script_document,
    strip_numbering,
)
from pipeline.core.languages import Registry
from pipeline.ingest import IngestOptions, load_lesson

TONES = "\u0300\u0301\u0303\u0309\u0323"
VI = ["Thanh toán bằng mã QR", "Mở ứng dụng ngân hàng trên điện thoại.",
      "Chọn mục quét mã và đưa camera vào mã QR.", "Nhập số tiền 125.000 đồng rồi bấm xác nhận."]


def _docx(path: Path, heading: str, lines: list[str]) -> Path:
    import docx

    doc = docx.Document()
    doc.add_heading(heading, level=1)
    for line in lines:
        doc.add_paragraph(line)
    doc.add_paragraph("")
    doc.save(str(path))
    return path


def _odt(path: Path, heading: str, lines: list[str]) -> Path:
    from odf import text
    from odf.opendocument import OpenDocumentText

    doc = OpenDocumentText()
    doc.text.addElement(text.H(outlinelevel=1, text=heading))
    for line in lines:
        doc.text.addElement(text.P(text=line))
    doc.save(str(path))
    return path


def test_word_headings_become_chapters(tmp_path: Path) -> None:
    doc = read_script_document(_docx(tmp_path / "script.docx", VI[0], VI[1:]))
    assert doc.kind == "docx"
    assert doc.text.split("\n") == [f"# {VI[0]}", *VI[1:]]


def test_libreoffice_headings_become_chapters(tmp_path: Path) -> None:
    doc = read_script_document(_odt(tmp_path / "script.odt", VI[0], VI[1:]))
    assert doc.text.split("\n") == [f"# {VI[0]}", *VI[1:]]


def _cp1258(text: str) -> bytes:
    """Windows-1258 as Vietnamese Windows wrote it: vowel letters precomposed, tone marks
    as separate combining characters."""
    out = b""
    for ch in text:
        try:
            out += ch.encode("cp1258")
        except UnicodeEncodeError:
            parts = unicodedata.normalize("NFD", ch)
            base = unicodedata.normalize("NFC", "".join(c for c in parts if c not in TONES))
            out += (base + "".join(c for c in parts if c in TONES)).encode("cp1258")
    return out


@pytest.mark.parametrize("encoding", ["cp1258", "utf-16", "utf-8-sig"])
def test_text_in_common_encodings(tmp_path: Path, encoding: str) -> None:
    path = tmp_path / "script.txt"
    text = "\n".join(VI)
    path.write_bytes(_cp1258(text) if encoding == "cp1258" else text.encode(encoding))
    doc = read_script_document(path)
    assert doc.text.split("\n") == VI
    assert doc.encoding == {"cp1258": "cp1258", "utf-16": "utf-16"}.get(encoding, "utf-8")


def test_unreadable_encoding_says_what_to_do(tmp_path: Path) -> None:
    """TCVN3 (ABC) bytes are not Vietnamese in any code page Python knows: refused plainly."""
    path = tmp_path / "script.md"
    path.write_bytes(b"Thanh to\xb8n b\xb1ng m\xb7 QR\nM\xe7 \xf8ng d\xf4ng ng\xa9n h\xb5ng\n")
    with pytest.raises(ScriptUnreadableError) as e:
        read_script_document(path)
    assert "UTF-8" in e.value.message("en") and "script.md" in e.value.message("en")


def test_numbered_lines_lose_their_numbers() -> None:
    text = "# Mở đầu\n1. Xin chào các bạn.\n2) Hôm nay học quét mã.\nCâu 3: Bấm nút xanh.\n"
    stripped, n = strip_numbering(text)
    assert n == 3
    assert stripped.split("\n")[1:4] == ["Xin chào các bạn.", "Hôm nay học quét mã.",
                                        "Bấm nút xanh."]


@pytest.mark.parametrize("text", [
    "3 bước để trả tiền.\nBấm nút xanh.\n",          # one line starts with a number
    "2. Hai.\n1. Một.\n",                             # numbers that do not rise
    "Nhập 125.000 đồng.\n6. Mã OTP.\n",               # a single numbered line
])
def test_numbers_that_are_words_stay(text: str) -> None:
    assert strip_numbering(text) == (text, 0)


def test_broken_and_bomb_documents_refused(tmp_path: Path) -> None:
    broken = tmp_path / "script.docx"
    broken.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(ScriptDocumentError):
        read_script_document(broken)
    bomb = tmp_path / "bomb.docx"
    with (zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as z,
          z.open("word/document.xml", "w", force_zip64=True) as f):
        for _ in range(300):
            f.write(b"\0" * 2**20)
    with pytest.raises(ScriptDocumentError) as e:
        read_script_document(bomb)
    assert "MB" in e.value.message("en")


def test_lesson_with_a_word_script(lesson_copy: Callable[[str], Path], registry: Registry,
                                   settings: Settings, tmp_path: Path) -> None:
    lesson_dir = lesson_copy("word-script")
    text = (lesson_dir / "script.md").read_text(encoding="utf-8").split("\n")
    heading = next(line[2:] for line in text if line.startswith("# "))
    lines = [f"{i}. {line}" for i, line in
             enumerate((x for x in text if x and not x.startswith("#")), start=1)]
    (lesson_dir / "script.md").unlink()
    _docx(lesson_dir / "script.docx", heading, lines)
    lesson = load_lesson(lesson_dir, registry, IngestOptions(out_dir=settings.out_dir))
    assert lesson.chapters[0] == heading
    assert lesson.script_numbers_removed == len(lesson.sentences) == len(lines)
    assert [s.text for s in lesson.sentences] == [line.split(". ", 1)[1] for line in lines]
    shutil.rmtree(lesson_dir)
