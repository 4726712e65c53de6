"""Find installed fonts (Debian's fonts-noto-core) through fontconfig."""

from __future__ import annotations

import shutil
import subprocess
from functools import lru_cache
from pathlib import Path

from pipeline.core.errors import ConfigError

__all__ = ["font_file"]


@lru_cache(maxsize=32)
def font_file(family: str, bold: bool = False) -> str:
    """Path of the font file for ``family`` (exact family match required).

    Raises:
        ConfigError: fontconfig is missing or the family is not installed.
    """
    if not shutil.which("fc-match"):
        raise ConfigError(path="fontconfig", detail="fc-match not found: run 'make setup'")
    pattern = f"{family}:style={'Bold' if bold else 'Regular'}"
    out = subprocess.run(["fc-match", "-f", "%{family}\n%{file}", pattern],
                         capture_output=True, text=True, check=False).stdout.splitlines()
    if len(out) < 2 or family not in out[0].split(",") or not Path(out[1]).is_file():
        raise ConfigError(
            path="fonts",
            detail=f"font '{family}' is not installed (apt-get install fonts-noto-core)")
    return out[1]
