"""Term lists under ``glossaries/``: the do-not-translate names (more in the translate stage)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pipeline.errors import ConfigError
from pipeline.text import nfc

__all__ = ["do_not_translate"]


@lru_cache(maxsize=8)
def do_not_translate(glossary_dir: Path) -> tuple[str, ...]:
    """Names kept as written in every language, longest first (so "Zalo Pay" wins over "Zalo")."""
    path = glossary_dir / "do-not-translate.txt"
    if not path.is_file():
        return ()
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError as e:
        raise ConfigError(path=str(path), detail=f"not UTF-8 (byte {e.start})") from e
    names = {nfc(line.split("#", 1)[0].strip()) for line in lines}
    return tuple(sorted((n for n in names if n), key=lambda n: (-len(n), n)))
