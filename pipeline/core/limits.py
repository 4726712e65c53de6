"""Input limits: every size a careless or hostile input could blow up, checked before any work.

``caunoi check`` and ingest call these before anything is decoded or written; each limit is a
``Settings`` field (``max_*``), so a team with longer lessons raises it in ``caunoi.toml``.
Text inputs are also refused when they carry control characters (NUL, escape codes...): they
crash espeak-ng and libass far downstream, so the line number is given here instead.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from pipeline.core.config import Settings
from pipeline.core.errors import CaunoiError, ScriptEncodingError

__all__ = [
    "ControlCharacterError",
    "ControlCharacterInValueError",
    "InputLimitError",
    "Limits",
    "check_count",
    "check_duration",
    "check_exchange_file",
    "check_file_size",
    "check_glossary_files",
    "check_text",
    "find_control_character",
]

#: Control characters a text input may carry (tab and newline; CR is normalised away).
_ALLOWED_CONTROLS = frozenset("\t\n\r")


class InputLimitError(CaunoiError):
    """An input is larger than a configured limit: the command line and administrators read
    the setting that raises it; editors and reviewers read that the administrator can
    (:meth:`plain`, with the file's name instead of its path on the server)."""

    key = "errors.input_limit"
    plain_key = "errors.input_limit_plain"
    exit_code = 2

    def __init__(self, **context: Any) -> None:
        context.setdefault("fix", "shorten it")
        super().__init__(**context)

    def message(self, lang: str | None = None) -> str:
        return self._said(self.key, lang)

    def plain(self, lang: str | None = None) -> str:
        return self._said(self.plain_key, lang)

    def _said(self, key: str, lang: str | None) -> str:
        from pipeline.core.i18n import pick, t

        ctx = dict(self.context)
        ctx["what"] = pick(ctx.get("what_vi", ctx["what"]), ctx["what"], lang)
        ctx["fix"] = pick(ctx.get("fix_vi", ctx["fix"]), ctx["fix"], lang)
        ctx["name"] = Path(str(ctx["path"])).name or str(ctx["path"])
        return t(key, lang).format(**ctx)


class ControlCharacterError(CaunoiError):
    """A text input carries a control character (NUL, ESC, ...)."""

    key = "errors.control_character"
    exit_code = 2


class ControlCharacterInValueError(CaunoiError):
    """A value written with an escape (``"\u0000"``) decodes to a control character."""

    key = "errors.control_character_in_value"
    exit_code = 2


@dataclass(frozen=True)
class Limits:
    """The configured limits (defaults: ``Settings``'s, their one definition)."""

    # Longest recording, seconds.
    max_recording_s: float = Settings.max_recording_s
    # Largest recording file, MB.
    max_recording_mb: int = Settings.max_recording_mb
    # Longest side of the recording's picture, pixels.
    max_resolution_px: int = Settings.max_resolution_px
    # Largest lesson.toml / script.md, KB.
    max_text_file_kb: int = Settings.max_text_file_kb
    # Narration lines in script.md (headings not counted).
    max_script_lines: int = Settings.max_script_lines
    # Characters in one narration line.
    max_sentence_chars: int = Settings.max_sentence_chars
    # Characters in a title (lesson.toml title, [titles], chapter headings, authors).
    max_title_chars: int = Settings.max_title_chars
    # Largest glossary CSV / do-not-translate list, KB.
    max_glossary_kb: int = Settings.max_glossary_kb
    # Largest XLIFF or TBX file given to an import, MB.
    max_exchange_mb: int = Settings.max_exchange_mb
    # Target languages of one lesson.
    max_languages: int = Settings.max_languages
    # Render profiles of one lesson.
    max_profiles: int = Settings.max_profiles
    # A bundle zip that `verify` opens: most it may unpack to, MB.
    max_bundle_mb: int = Settings.max_bundle_mb
    # Most one zip entry over 1 MB may inflate (times): past it, a zip bomb.
    max_zip_ratio: int = Settings.max_zip_ratio

    @classmethod
    def from_settings(cls, settings: Any) -> Limits:
        """The limits of a ``Settings`` (any object with the same ``max_*`` attributes)."""
        return cls(**{f.name: getattr(settings, f.name) for f in fields(cls)
                      if hasattr(settings, f.name)})


def find_control_character(text: str) -> tuple[int, int, str] | None:
    """(line, column, name) of the first control character in ``text``, 1-based, or None."""
    line, col = 1, 0
    for ch in text:
        if ch == "\n":
            line, col = line + 1, 0
            continue
        col += 1
        if ch in _ALLOWED_CONTROLS:
            continue
        cat = unicodedata.category(ch)
        if cat == "Cc" or cat == "Cs" or ch in ("\ufffe", "\uffff"):
            return line, col, f"U+{ord(ch):04X}"
    return None


def check_text(path: Path | str, text: str) -> None:
    """Refuse a text input that carries a control character, naming its line."""
    found = find_control_character(text)
    if found is not None:
        line, column, char = found
        raise ControlCharacterError(path=str(path), line=line, column=column, char=char)


def check_file_size(path: Path, max_bytes: int, setting: str, what: str = "the file size",
                    what_vi: str = "kích thước tệp") -> None:
    """Refuse a file larger than ``max_bytes`` before reading it."""
    size = path.stat().st_size
    if size > max_bytes:
        raise InputLimitError(path=str(path), what=what, what_vi=what_vi,
                              got=_human_bytes(size), limit=_human_bytes(max_bytes),
                              setting=setting, fix="use a smaller file",
                              fix_vi="dùng tệp nhỏ hơn")


def check_count(path: Path | str, got: int, limit: int, setting: str, what: str,
                what_vi: str, fix: str = "shorten it", fix_vi: str = "rút ngắn lại") -> None:
    """Refuse a count (lines, characters, languages...) over its limit."""
    if got > limit:
        raise InputLimitError(path=str(path), what=what, what_vi=what_vi, got=got, limit=limit,
                              setting=setting, fix=fix, fix_vi=fix_vi)


def check_duration(path: Path | str, duration_ms: int, limits: Limits) -> None:
    """Refuse a recording longer than ``max_recording_s``."""
    if duration_ms > limits.max_recording_s * 1000:
        raise InputLimitError(
            path=str(path), what="the recording's duration", what_vi="thời lượng bản ghi",
            got=_human_duration(duration_ms / 1000),
            limit=_human_duration(limits.max_recording_s), setting="max_recording_s",
            fix="split the lesson into shorter recordings",
            fix_vi="chia bài học thành các bản ghi ngắn hơn")


def _human_bytes(n: int) -> str:
    size = float(n)
    for unit in ("B", "KB", "MB"):
        if size < 1024:
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} GB"


def _human_duration(seconds: float) -> str:
    s = int(seconds)
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}"


def check_glossary_files(glossary_dir: Path, languages: tuple[str, ...] | list[str],
                         limits: Limits) -> None:
    """Size and control characters of the term lists a lesson's languages will read."""
    paths = [glossary_dir / f"{code}.csv" for code in languages]
    paths.append(glossary_dir / "do-not-translate.txt")
    for path in paths:
        if not path.is_file():
            continue
        check_file_size(path, limits.max_glossary_kb * 1024, "max_glossary_kb")
        try:
            text = path.read_text(encoding="utf-8-sig")
        except UnicodeDecodeError as e:
            raise ScriptEncodingError(path=str(path), position=e.start) from e
        check_text(path, text)


def check_exchange_file(path: Path, limits: Limits) -> None:
    """Size of an XLIFF or TBX file before it is parsed (call before any XML parser)."""
    check_file_size(path, limits.max_exchange_mb * 1024 * 1024, "max_exchange_mb")
