"""A draft ``script.md`` for a lesson recorded before its script was written.

The transcript's words, cut into sentences: at the sentence punctuation Whisper wrote, and
at long pauses (Whisper often leaves Vietnamese unpunctuated); a run too long for one
subtitle sentence is cut at its longest pause. One sentence per line, under the lesson's
title, for the team to correct before production: nothing here invents words, and a span
Whisper could not transcribe is marked for the team to fill in.
"""

from __future__ import annotations

import logging
import tempfile
from dataclasses import dataclass
from pathlib import Path

from pipeline.core.media import run_ffmpeg
from pipeline.core.types import Transcript, Word
from pipeline.ingest import find_recording
from pipeline.speech.transcribe import TranscribeOptions, transcribe

__all__ = ["DraftOptions", "draft_lesson", "draft_lines", "draft_script", "draft_script_for"]

log = logging.getLogger("caunoi.draft")

#: Marks a span of speech Whisper gave no usable words for.
UNHEARD = "[…]"


@dataclass(frozen=True)
class DraftOptions:
    # A pause at least this long ends a sentence even without punctuation.
    pause_ms: int = 700
    # Sentences longer than this (words) are cut at their longest pause.
    max_words: int = 28
    # ... but no piece shorter than this (words).
    min_words: int = 4


def _ends_sentence(text: str) -> bool:
    return text.rstrip().endswith((".", "!", "?", "…", ":"))


def _split_long(words: list[Word], o: DraftOptions) -> list[list[Word]]:
    if len(words) <= o.max_words:
        return [words]
    gaps = [(words[k].start_ms - words[k - 1].end_ms, k)
            for k in range(o.min_words, len(words) - o.min_words + 1)]
    if not gaps:
        return [words]
    _, cut = max(gaps)
    return _split_long(words[:cut], o) + _split_long(words[cut:], o)


def draft_lines(transcript: Transcript, o: DraftOptions = DraftOptions()) -> list[str]:
    """The transcript as sentences, one string each, in order."""
    words = [w for seg in transcript.segments for w in seg.words if w.text.strip()]
    runs: list[list[Word]] = []
    current: list[Word] = []
    for k, w in enumerate(words):
        current.append(w)
        gap = words[k + 1].start_ms - w.end_ms if k + 1 < len(words) else 0
        if k + 1 == len(words) or _ends_sentence(w.text) or gap >= o.pause_ms:
            runs.append(current)
            current = []
    lines: list[tuple[int, str]] = []
    for run in runs:
        for piece in _split_long(run, o):
            text = " ".join(w.text.strip() for w in piece).strip()
            if text:
                lines.append((piece[0].start_ms, text[0].upper() + text[1:]))
    lines += [(a, UNHEARD) for a, _, _ in transcript.unusable]
    return [text for _, text in sorted(lines, key=lambda x: x[0])]


def draft_script(transcript: Transcript, title: str = "",
                 o: DraftOptions = DraftOptions()) -> str:
    """``script.md`` text: the title as a heading, then one sentence per line."""
    head = f"# {title.strip()}\n" if title.strip() else ""
    return head + "".join(line + "\n" for line in draft_lines(transcript, o))


def draft_script_for(recording: Path, transcribe_opts: TranscribeOptions, title: str = "",
                     ffmpeg: str = "", work: Path | None = None) -> str:
    """Transcribe ``recording`` (any format ffmpeg reads) with ``transcribe_opts`` and
    return its draft script. Raises ModelMissingError when the Whisper model is not
    installed."""
    with tempfile.TemporaryDirectory(prefix="caunoi-draft-", dir=work) as tmp:
        wav = Path(tmp) / "audio-16k.wav"
        run_ffmpeg(["-i", str(recording), "-vn", "-ac", "1", "-ar", "16000",
                    "-c:a", "pcm_s16le", "-f", "wav", str(wav)],
                   action="extracting the audio", path=recording, ffmpeg=ffmpeg)
        transcript = transcribe(wav, transcribe_opts)
    log.info("draft script: %d transcript segments", len(transcript.segments))
    return draft_script(transcript, title)


def draft_lesson(lesson_dir: Path, transcribe_opts: TranscribeOptions, ffmpeg: str = "") -> str:
    """The draft script of the lesson folder's ``recording.*`` (the one entry point for the
    command line and the portal), titled from ``lesson.toml`` when it has a title."""
    import tomllib

    recording = find_recording(lesson_dir)
    title = ""
    toml = lesson_dir / "lesson.toml"
    if toml.is_file():
        try:
            title = str(tomllib.loads(toml.read_text(encoding="utf-8")).get("title", ""))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError):
            title = ""
    return draft_script_for(recording, transcribe_opts, title, ffmpeg)
