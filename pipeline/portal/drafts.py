"""A draft script for a lesson handed in without one (teams often record first).

The drafting itself is ``pipeline.speech.draft.draft_lesson`` (Whisper on the recording),
run in the background by the run launcher (a ``draft`` run); here is what the portal keeps
of it: the draft's text beside the lesson's outputs (``OUT/<lesson>/draft-script.json``),
tied to the recording it was heard from, so a replaced recording never shows an old draft.
The team corrects the draft in the script box and saves it as the lesson's script; until
then the lesson has no script and cannot run.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from pipeline.core.documents import SCRIPT_NAMES
from pipeline.core.errors import CaunoiError
from pipeline.core.storage import atomic_write_json
from pipeline.ingest import find_recording

__all__ = ["DRAFT_FILE", "Draft", "has_script", "make_draft", "read_draft", "recording_stamp"]

#: The draft beside the lesson's outputs.
DRAFT_FILE = "draft-script.json"


@dataclass(frozen=True)
class Draft:
    # script.md text: the title as a heading, one heard sentence per line.
    text: str
    # The recording it was heard from (see ``recording_stamp``).
    recording: str

    @property
    def lines(self) -> int:
        """Narration lines (headings left out)."""
        return sum(1 for x in self.text.splitlines() if x.strip() and not x.startswith("#"))


def has_script(folder: Path) -> bool:
    """Whether the lesson folder has a script file (of any type the pipeline reads)."""
    return any((folder / name).is_file() for name in SCRIPT_NAMES)


def recording_stamp(folder: Path) -> str:
    """The lesson's recording as name, size and modification time ("" when it has none):
    cheap to compare on every page view, and changed by a replaced recording."""
    try:
        rec = find_recording(folder)
        st = rec.stat()
    except (CaunoiError, OSError):
        return ""
    return f"{rec.name}:{st.st_size}:{st.st_mtime_ns}"


def make_draft(folder: Path, out: Path, draft: Callable[[Path], str]) -> Draft:
    """Draft the script of the lesson ``folder`` with ``draft`` (folder -> script.md text)
    and keep it under ``out`` (written whole or not at all).

    Raises:
        whatever ``draft`` raises (ModelMissingError when no Whisper model is installed).
    """
    stamp = recording_stamp(folder)
    found = Draft(draft(folder), stamp)
    atomic_write_json(out / DRAFT_FILE, {"text": found.text, "recording": found.recording})
    return found


def read_draft(folder: Path, out: Path) -> Draft | None:
    """The kept draft of the lesson's current recording (None when there is none, or it was
    heard from a recording since replaced)."""
    try:
        data = json.loads((out / DRAFT_FILE).read_text(encoding="utf-8"))
        found = Draft(str(data["text"]), str(data["recording"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None
    stamp = recording_stamp(folder)
    return found if stamp and found.recording == stamp else None
