"""Which file of a folder of recordings is which narration sentence, by file name.

Teams that record offline with a phone's recorder app name each file by the sentence's number
in the script: ``3.wav``, ``03.m4a``, ``3.ogg``, ``sentence-3.mp3``, ``câu 3.m4a``. Anything
that is not audio (notes, ``.DS_Store``) is listed as ignored, never guessed at.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from pipeline.core.errors import FileAccessError
from pipeline.core.types import Sentence
from pipeline.voice.errors import (
    ImportDuplicateError,
    ImportGapError,
    ImportUnknownNumberError,
    ImportUnnamedFileError,
)

__all__ = ["AUDIO_EXTENSIONS", "ImportItem", "ImportPlan", "plan_import", "sentence_number"]

#: What phones' recorder apps, MediaRecorder and desktop tools save.
AUDIO_EXTENSIONS = frozenset({".wav", ".m4a", ".aac", ".mp3", ".ogg", ".oga", ".opus", ".webm",
                              ".flac", ".amr", ".3gp", ".mp4", ".wma"})
# An optional word ("sentence", "câu"/"cau", "s"), separators, the number, nothing else.
_NAME = re.compile(r"^(?:(?:sentence|cau|s)[\s._-]*)?0*(\d{1,4})$", re.IGNORECASE)


@dataclass(frozen=True)
class ImportItem:
    number: int
    sentence_id: str
    path: Path


@dataclass(frozen=True)
class ImportPlan:
    folder: Path
    items: tuple[ImportItem, ...]
    # Sentence numbers with no file (only when missing ones were allowed).
    missing: tuple[int, ...] = ()
    # Files that are not audio, left where they are.
    ignored: tuple[Path, ...] = ()


def sentence_number(path: Path) -> int | None:
    """The sentence number a file's name gives (``03.m4a`` → 3), or None."""
    stem = unicodedata.normalize("NFC", path.stem).strip()
    stem = stem.replace("câu", "cau").replace("Câu", "cau").replace("CÂU", "cau")
    m = _NAME.match(stem)
    return int(m.group(1)) if m else None


def plan_import(folder: Path, sentences: Sequence[Sentence],
                allow_missing: bool = False) -> ImportPlan:
    """Match the audio files in ``folder`` to the narration ``sentences`` (in script order,
    numbered from 1).

    Raises:
        FileAccessError: ``folder`` is not a readable folder.
        ImportUnnamedFileError: an audio file's name gives no number.
        ImportUnknownNumberError: a number outside 1..len(sentences).
        ImportDuplicateError: two files for one sentence.
        ImportGapError: sentences with no file (unless ``allow_missing``).
    """
    if not folder.is_dir():
        raise FileAccessError(path=str(folder), reason="not a folder")
    found: dict[int, Path] = {}
    ignored: list[Path] = []
    for path in sorted(folder.iterdir()):
        if path.name.startswith(".") or not path.is_file() \
                or path.suffix.lower() not in AUDIO_EXTENSIONS:
            ignored.append(path)
            continue
        number = sentence_number(path)
        if number is None:
            raise ImportUnnamedFileError(path=str(path))
        if not 1 <= number <= len(sentences):
            raise ImportUnknownNumberError(path=str(path), number=number, count=len(sentences))
        if number in found:
            raise ImportDuplicateError(number=number, first=found[number].name,
                                       second=path.name)
        found[number] = path
    missing = tuple(n for n in range(1, len(sentences) + 1) if n not in found)
    if missing and not allow_missing:
        raise ImportGapError(path=str(folder), numbers=_numbers(missing))
    items = tuple(ImportItem(n, sentences[n - 1].id, found[n]) for n in sorted(found))
    return ImportPlan(folder=folder, items=items, missing=missing, ignored=tuple(ignored))


def _numbers(numbers: Sequence[int], show: int = 12) -> str:
    text = ", ".join(str(n) for n in numbers[:show])
    return text + (f" … (+{len(numbers) - show})" if len(numbers) > show else "")
