"""A script handed in from the portal: typed, or a file as teams write it (Word .docx,
LibreOffice .odt, .txt in any common encoding, .md), kept under its own extension so the
pipeline's ``find_script`` reads it as ``caunoi check`` does."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

from pipeline.core.documents import SCRIPT_NAMES, read_script_document
from pipeline.core.errors import CaunoiError
from pipeline.core.storage import atomic_path, atomic_write_text
from pipeline.portal.lessons import remember_name

__all__ = ["SCRIPT_TYPES", "ScriptFile", "read_script_upload", "script_text", "store_script"]

#: Script file types the portal accepts (each stored as script.<ext>).
SCRIPT_TYPES = tuple(Path(n).suffix.lstrip(".") for n in SCRIPT_NAMES)


@dataclass(frozen=True)
class ScriptFile:
    """An uploaded script file, read and found usable."""

    # The file's name on the editor's computer.
    name: str
    ext: str
    data: bytes
    # Narration lines whose list numbers reading removed.
    numbers_removed: int


class ScriptTypeError(CaunoiError):
    key = "errors.portal_script_type"
    exit_code = 2


def read_script_upload(name: str, data: bytes) -> ScriptFile:
    """``data`` (called ``name``) read as ``caunoi`` reads a script file.

    Raises:
        ScriptTypeError: not one of SCRIPT_TYPES.
        ScriptUnreadableError, ScriptDocumentError: naming ``name``, never a server path.
    """
    name = Path(name).name[-120:] or "script.md"
    ext = Path(name).suffix.lower().lstrip(".")
    if ext not in SCRIPT_TYPES:
        raise ScriptTypeError(name=name, types=", ".join("." + x for x in SCRIPT_TYPES))
    with tempfile.TemporaryDirectory(prefix="caunoi-script-") as tmp:
        path = Path(tmp) / f"script.{ext}"
        path.write_bytes(data)
        try:
            doc = read_script_document(path)
        except CaunoiError as e:
            context = {k: (name if k == "path" else v) for k, v in e.context.items()}
            raise type(e)(**context) from e
    return ScriptFile(name, ext, data, doc.numbers_removed)


def store_script(folder: Path, upload: ScriptFile | None, text: str = "") -> None:
    """Make ``upload`` (else ``text`` as script.md) the lesson's one script file."""
    keep = f"script.{upload.ext}" if upload else "script.md"
    if upload is not None:
        with atomic_path(folder / keep) as tmp:
            tmp.write_bytes(upload.data)
        remember_name(folder, "script", upload.name)
    else:
        atomic_write_text(folder / keep, text)
        remember_name(folder, "script", keep)
    for name in SCRIPT_NAMES:
        if name != keep:
            (folder / name).unlink(missing_ok=True)


def script_text(folder: Path) -> str:
    """The lesson's script as script.md text (for the edit box), "" when unreadable."""
    from pipeline.core.documents import find_script

    try:
        return read_script_document(find_script(folder)).text
    except (OSError, CaunoiError):
        return ""
