"""Script documents as content teams write them: Markdown/plain text in any common encoding,
Word (.docx) and LibreOffice (.odt), turned into ``script.md`` text.

Headings become chapters ('# '); every other non-empty paragraph is one narration line.
Numbered lines ("1. Xin chào…", "2) …", "Câu 3: …") are a list the writer typed, not words
the narrator says: the numbers are removed and the caller is told how many (a note), so they
never reach the subtitles or the number check of every translation.
"""

from __future__ import annotations

import codecs
import collections
import dataclasses
import itertools
import threading
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import regex

from pipeline.core.errors import CaunoiError, ScriptEmptyError, ScriptMissingError
from pipeline.core.limits import Limits, check_count, check_file_size, check_text
from pipeline.core.text import is_vietnamese_syllable, syllables
from pipeline.core.types import Sentence, sentence_ids

__all__ = ["SCRIPT_NAMES", "ScriptDocument", "ScriptDocumentError", "ScriptUnreadableError",
           "check_script_limits", "decode_text", "find_script", "load_script", "parse_script",
           "read_script_document", "strip_numbering"]

#: Script file names a lesson folder may hold, in the order they are looked for.
SCRIPT_NAMES = ("script.md", "script.txt", "script.docx", "script.odt")

# "1. ", "2) ", "3 - ", "Câu 4: ", "(5) " at the start of a line.
_NUMBERED = regex.compile(r"^\s*(?:(?:câu|bước|cau|buoc)\s+)?\(?(\d{1,3})\s*[.):\-–]\s+",
                          regex.IGNORECASE)
# Legacy 8-bit encodings a Vietnamese text file may be in (UTF-8 is tried first).
_LEGACY = ("cp1258",)
# A .docx/.odt script unpacks to at most this (a zip bomb is refused before parsing).
MAX_UNPACKED = 256 * 2**20
# ... and each XML part of it to at most this: the longest script the limits let through
# (3,000 lines of 1,000 characters) is 3 MB of text, and parsing XML costs 30-50x its size
# in memory (40 MB of odt paragraphs took 74 s and 1.4 GB); pictures may be bigger.
MAX_XML_PART = 8 * 2**20
# A decoding counts as Vietnamese when this share of its words are Vietnamese syllables.
_VI_SHARE = 0.6


class ScriptUnreadableError(CaunoiError):
    key = "errors.script_unreadable"
    exit_code = 2


class ScriptDocumentError(CaunoiError):
    key = "errors.script_document"
    exit_code = 2


@dataclass(frozen=True)
class ScriptDocument:
    """A script read from any supported file, as ``script.md`` text."""

    # script.md text: '# ' headings, one narration line per line (NFC, Unix newlines).
    text: str
    # The file's format: md, txt, docx, odt.
    kind: str
    # The encoding a text file was read in ("" for documents).
    encoding: str = ""
    # Narration lines whose leading list numbers were removed.
    numbers_removed: int = 0


def find_script(lesson_dir: Path) -> Path:
    """The lesson's script file (``script.md`` first), or ``lesson_dir/script.md`` when
    there is none (the caller reports it missing)."""
    for name in SCRIPT_NAMES:
        if (lesson_dir / name).is_file():
            return lesson_dir / name
    return lesson_dir / SCRIPT_NAMES[0]


def _vietnamese_share(text: str) -> float:
    words = [w for w in syllables(text) if w.isalpha()]
    return sum(map(is_vietnamese_syllable, words)) / len(words) if words else 0.0


def decode_text(raw: bytes, path: Path) -> tuple[str, str]:
    """(text, encoding): UTF-8 (BOM allowed), UTF-16/32 with a BOM, else a legacy
    Vietnamese code page when most words decode to Vietnamese syllables."""
    for bom, name in ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
                      (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16")):
        if raw.startswith(bom):
            try:
                return raw.decode(name), name
            except UnicodeDecodeError as e:
                raise ScriptUnreadableError(path=str(path)) from e
    try:
        return raw.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError as e:
        first_error = e
    for name in _LEGACY:
        try:
            text = unicodedata.normalize("NFC", raw.decode(name))
        except UnicodeDecodeError:
            continue
        if _vietnamese_share(text) >= _VI_SHARE:
            return text, name
    raise ScriptUnreadableError(path=str(path)) from first_error


def strip_numbering(text: str) -> tuple[str, int]:
    """Remove list numbers from narration lines when the lines are a numbered list (at least
    two numbered lines, numbers rising); headings and other lines stay as they are."""
    lines = text.split("\n")
    found = [(i, _NUMBERED.match(line)) for i, line in enumerate(lines)
             if line.strip() and not line.lstrip().startswith("#")]
    numbered = [(i, m) for i, m in found if m]
    numbers = [int(m.group(1)) for _, m in numbered]
    if len(numbered) < 2 or any(b <= a for a, b in itertools.pairwise(numbers)):
        return text, 0
    for i, m in numbered:
        lines[i] = lines[i][m.end():]
    return "\n".join(lines), len(numbered)


def _docx_lines(path: Path) -> list[str]:
    import docx  # python-docx
    from docx.enum.style import WD_STYLE_TYPE

    document = docx.Document(str(path))
    # Style names looked up once: python-docx's ``paragraph.style`` scans every style for
    # the default on each paragraph (3 ms each: a 1 MB document of short paragraphs took
    # 78 s).
    names = {s.style_id: s.name or "" for s in document.styles}
    default = document.styles.default(WD_STYLE_TYPE.PARAGRAPH)
    lines = []
    for para in document.paragraphs:
        style_id = para._p.style
        style = names.get(style_id, "") if style_id else (default.name if default else "")
        style = style or ""
        text = " ".join(para.text.split())
        if not text:
            continue
        heading = style.lower().startswith(("heading", "title", "tiêu đề"))
        lines.append(f"# {text}" if heading else text)
    return lines


def _odt_lines(path: Path) -> list[str]:
    from odf import teletype  # odfpy
    from odf.namespaces import TEXTNS
    from odf.opendocument import load

    lines = []

    def walk(node: Any) -> None:
        for el in node.childNodes:
            if el.qname in ((TEXTNS, "h"), (TEXTNS, "p")):
                line = " ".join(teletype.extractText(el).split())
                if line:
                    lines.append(f"# {line}" if el.qname[1] == "h" else line)
            elif el.qname in ((TEXTNS, "list"), (TEXTNS, "list-item"), (TEXTNS, "section")):
                walk(el)

    walk(load(str(path)).text)
    return lines


def _check_unpacked_size(path: Path) -> None:
    """A document is a zip: refuse one that unpacks to more than MAX_UNPACKED bytes, has
    an XML part over MAX_XML_PART, or declares XML entities (Word and LibreOffice never
    write a DOCTYPE; an external entity would be read as nothing, silently)."""
    try:
        with zipfile.ZipFile(path) as z:
            infos = z.infolist()
            unpacked = sum(i.file_size for i in infos)
            xml = [i for i in infos if i.filename.endswith((".xml", ".rels"))]
            big = max((i.file_size for i in xml), default=0)
            doctype = unpacked <= MAX_UNPACKED and big <= MAX_XML_PART and any(
                _declares_doctype(z, i) for i in xml)
    except (zipfile.BadZipFile, OSError, EOFError, RuntimeError, ValueError) as e:
        raise ScriptDocumentError(path=str(path), detail="not a zip document") from e
    if unpacked > MAX_UNPACKED:
        raise ScriptDocumentError(path=str(path),
                                  detail=f"unpacks to {unpacked // 2**20} MB")
    if big > MAX_XML_PART:
        raise ScriptDocumentError(path=str(path),
                                  detail=f"its text part unpacks to {big // 2**20} MB")
    if doctype:
        raise ScriptDocumentError(path=str(path), detail="it declares XML entities")


def _declares_doctype(z: zipfile.ZipFile, info: zipfile.ZipInfo) -> bool:
    """Whether an XML part has a DOCTYPE (it would come before the root element, within
    the part's first few KB)."""
    with z.open(info) as f:
        head = f.read(4096)
    return b"<!DOCTYPE" in head.upper() or b"<!ENTITY" in head.upper()


#: Documents read lately: (path, inode, size, mtime, ctime) -> what reading gave (a
#: ScriptDocument or the CaunoiError). A .docx near the XML limit takes ~18 s to parse, and
#: the portal's lesson page needs the script twice a view (its check and its edit box) on
#: every refresh; a file replaced or touched is another key. A few entries, any thread.
_READ: collections.OrderedDict[tuple[str, int, int, int, int], ScriptDocument | CaunoiError] \
    = collections.OrderedDict()
_READ_LOCK = threading.Lock()
_READ_KEEP = 4


def _document_lines(path: Path, kind: str) -> list[str]:
    """The lines of a .docx/.odt, read once per version of the file (see ``_READ``)."""
    try:
        st = path.stat()
    except OSError:
        st = None  # reading says what is wrong, as it always did
    key = (str(path.resolve()), st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns
           ) if st else None
    with _READ_LOCK:
        found = _READ.get(key) if key else None
        if key and found is not None:
            _READ.move_to_end(key)
    if found is None:
        try:
            _check_unpacked_size(path)
            try:
                lines = _docx_lines(path) if kind == "docx" else _odt_lines(path)
            except Exception as e:  # odfpy and python-docx raise many kinds on a broken file
                raise ScriptDocumentError(path=str(path), detail=type(e).__name__) from e
            found = ScriptDocument(text="\n".join(lines), kind=kind)
        except CaunoiError as e:
            found = e
        with _READ_LOCK:
            if key:
                _READ[key] = found
            while len(_READ) > _READ_KEEP:
                _READ.popitem(last=False)
    if isinstance(found, CaunoiError):
        raise type(found)(**found.context)
    return found.text.split("\n")


def read_script_document(path: Path) -> ScriptDocument:
    """Read a script file (.md, .txt, .docx, .odt) as ``script.md`` text with list numbers
    removed (a document is parsed once per version of the file).

    Raises:
        ScriptUnreadableError: a text file in an encoding that cannot be read.
        ScriptDocumentError: a .docx/.odt that is not a readable document.
    """
    kind = path.suffix.lower().lstrip(".") or "md"
    encoding = ""
    if kind in ("docx", "odt"):
        text = "\n".join(_document_lines(path, kind))
    else:
        text, encoding = decode_text(path.read_bytes(), path)
    text = unicodedata.normalize("NFC", text).replace("\r\n", "\n").replace("\r", "\n")
    text, removed = strip_numbering(text)
    return ScriptDocument(text=text, kind=kind, encoding=encoding, numbers_removed=removed)


def parse_script(text: str) -> tuple[list[str], list[Sentence]]:
    """Split a script into chapters ('# ' headings) and narration sentences, in order."""
    chapters: list[str] = []
    sentences: list[Sentence] = []
    chapter = ""
    for line in text.split("\n"):
        line = " ".join(line.split())
        if not line:
            continue
        if line.startswith("#"):
            chapter = line.lstrip("#").strip()
            if chapter:
                chapters.append(chapter)
            continue
        sentences.append(Sentence(index=len(sentences), chapter=chapter, text=line))
    ids = sentence_ids(s.text for s in sentences)
    return chapters, [dataclasses.replace(s, id=i) for s, i in zip(sentences, ids, strict=True)]


def check_script_limits(path: Path, chapters: list[str], sentences: list[Sentence],
                         limits: Limits) -> None:
    check_count(path, len(sentences), limits.max_script_lines, "max_script_lines",
                "the number of narration lines", "số dòng thuyết minh",
                "split the lesson into shorter ones", "chia thành các bài ngắn hơn")
    for s in sentences:
        check_count(path, len(s.text), limits.max_sentence_chars, "max_sentence_chars",
                    f"the length of line {s.index + 1} (characters)",
                    f"độ dài câu thứ {s.index + 1} (ký tự)",
                    "split that sentence", "tách câu đó ra")
    for c in chapters:
        check_count(path, len(c), limits.max_title_chars, "max_title_chars",
                    "the length of a chapter heading (characters)",
                    "độ dài một tiêu đề chương (ký tự)")


def load_script(script_path: Path,
                limits: Limits) -> tuple[ScriptDocument, list[str], list[Sentence]]:
    """Read, check and parse a lesson's script file (any supported format).

    Raises:
        ScriptMissingError, ScriptEmptyError, ScriptUnreadableError, ScriptDocumentError,
        a limit error (size, control characters, line counts and lengths).
    """
    if not script_path.is_file():
        raise ScriptMissingError(path=str(script_path))
    big = script_path.suffix.lower() in (".docx", ".odt")  # pictures may ride along
    check_file_size(script_path, (limits.max_exchange_mb * 1024 if big else
                                  limits.max_text_file_kb) * 1024,
                    "max_exchange_mb" if big else "max_text_file_kb")
    doc = read_script_document(script_path)
    check_text(script_path, doc.text)
    chapters, sentences = parse_script(doc.text)
    if not sentences:
        raise ScriptEmptyError(path=str(script_path))
    check_script_limits(script_path, chapters, sentences, limits)
    return doc, chapters, sentences
