"""How the portal names what an editor picks: languages with their region (so "tiếng Thái"
of the north-west is not mistaken for Thai), video profiles in plain words with the size
a minute of each costs."""

from __future__ import annotations

from pipeline.core.i18n import t
from pipeline.core.languages import Registry

__all__ = ["PROFILE_KB_PER_MIN", "language_choices", "profile_label"]

#: KB per minute of each render profile, from the README's render table (measured
#: 2026-11-27, three lessons × upright/landscape): compat 348–468 KB/min, tiny 165–193,
#: modern 178–255; audio: Opus 16 kb/s 112 KB/min. The one place the portal's sizes live.
PROFILE_KB_PER_MIN: dict[str, int] = {"compat": 410, "tiny": 180, "modern": 215, "audio": 112}
#: Each profile in plain words (catalogue keys).
_WORDS = {"compat": "portal.profile_compat", "tiny": "portal.profile_tiny",
          "modern": "portal.profile_modern", "audio": "portal.profile_audio"}


def _mb(kb: int, ui: str) -> str:
    text = f"{kb / 1024:.1f}"
    return text.replace(".", ",") if ui == "vi" else text


def profile_label(profile: str, ui: str) -> str:
    """"mọi điện thoại · ~0,4 MB/phút" (the profile's name when it has no words)."""
    words = t(_WORDS[profile], ui) if profile in _WORDS else profile
    kb = PROFILE_KB_PER_MIN.get(profile)
    return t("portal.profile_size", ui, words=words, mb=_mb(kb, ui)) if kb else words


def language_choices(registry: Registry, ui: str) -> list[tuple[str, str]]:
    """(code, label) of every target language, labelled with its region."""
    source = registry.source.code
    return [(c, lang.label(ui)) for c, lang in registry.languages.items() if c != source]
