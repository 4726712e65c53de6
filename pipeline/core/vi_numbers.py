"""Vietnamese spoken forms: scripts write "45.000 đ" and "6 chữ số", narrators say
"bốn mươi lăm nghìn đồng" and "sáu chữ số". Used before comparing script with speech
and before synthesising the script."""

from __future__ import annotations

import regex
from num2words import num2words

__all__ = ["spoken_form"]

# 1.250.000 (thousands with dots), 1,5 (decimal comma), 12 (plain), optional % or đ after.
_NUMBER = regex.compile(r"(?<![\p{L}\p{N}])(\d{1,3}(?:\.\d{3})+|\d+)(?:,(\d+))?\s*(%|đ\b|VNĐ\b)?")
_UNITS = {"%": "phần trăm", "đ": "đồng", "VNĐ": "đồng"}


def _say(match: regex.Match[str]) -> str:
    whole = int(match.group(1).replace(".", ""))
    words = str(num2words(whole, lang="vi"))
    if match.group(2):
        words += " phẩy " + " ".join(num2words(int(d), lang="vi") for d in match.group(2))
    if match.group(3):
        words += " " + _UNITS[match.group(3)]
    return words + (" " if match.group(0).endswith(" ") else "")


def spoken_form(text: str) -> str:
    """Spell out numbers, amounts and percentages the way a Vietnamese narrator reads them."""
    return str(_NUMBER.sub(_say, text))
