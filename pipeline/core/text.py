"""Text helpers shared by the stages: NFC, grapheme counts, syllables, comparison forms."""

from __future__ import annotations

import unicodedata

import regex

__all__ = ["graphemes", "is_vietnamese_syllable", "nfc", "strip_tones", "syllable_count",
           "syllables", "without_paths"]

#: Combining tone marks: huyền, sắc, ngã, hỏi, nặng.
_TONES = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}
_WORD = regex.compile(r"[\p{L}\p{N}]+(?:[.,][\p{N}]+)*")
# An absolute path (POSIX, or file://, or a Windows drive) inside a sentence.
_PATH = regex.compile(r"(?:file://|\b[A-Za-z]:\\|(?<![\w.:/])/)(?:[^\s'\"():,;]+[/\\])+")


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def graphemes(text: str) -> int:
    """Length in user-perceived characters (extended grapheme clusters)."""
    return len(regex.findall(r"\X", text))


def syllables(text: str) -> list[str]:
    """Lower-cased NFC word tokens with punctuation removed (Vietnamese: one per syllable)."""
    return [m.group(0) for m in _WORD.finditer(nfc(text).lower())]


def syllable_count(text: str) -> int:
    return len(syllables(text))


def strip_tones(token: str) -> str:
    """Remove Vietnamese tone marks but keep vowel letters (ă, â, ê, ô, ơ, ư, đ stay distinct)."""
    decomposed = unicodedata.normalize("NFD", token)
    return unicodedata.normalize("NFC", "".join(c for c in decomposed if c not in _TONES))


# The vowel groups of written Vietnamese, longest first ("gi" and "qu" are onsets).
_NUCLEI = ("iêu|oai|oao|oay|oeo|uây|uôi|uya|uyê|uyu|ươi|ươu|yêu|"
           "ai|ao|au|ay|âu|ây|eo|êu|ia|iê|iu|oa|oă|oe|oi|oo|ôi|ơi|ua|uâ|uê|ui|uô|uơ|uy|"
           "ưa|ưi|ưu|ươ|yê|a|ă|â|e|ê|i|o|ô|ơ|u|ư|y")
# Onset, vowel group, final consonant ("gì": g + i).
_SYLLABLE = regex.compile(r"(?:ngh|ng|nh|ch|gh|gi|kh|ph|qu|th|tr|[bcdđghklmnprstvx])?"
                          rf"(?:{_NUCLEI})(?:ch|ng|nh|[cmnpt])?")


def is_vietnamese_syllable(token: str) -> bool:
    """Whether ``token`` (one lower-case word) can be written Vietnamese: an onset, a vowel
    group and a final from the alphabet's sets, at most one tone mark, and only sắc or nặng
    before a final c, ch, p or t. OCR misreadings such as "vởz", "tiềt" or "trưước" fail it."""
    marks = [c for c in unicodedata.normalize("NFD", token) if c in _TONES]
    bare = strip_tones(token)
    if len(marks) > 1 or not _SYLLABLE.fullmatch(bare):
        return False
    stop = bare.endswith(("c", "ch", "p", "t"))
    return not stop or marks in (["\u0301"], ["\u0323"])


def without_paths(text: str) -> str:
    """``text`` with every absolute path shortened to its last part (people using the web
    pages never see the server's folders): "/srv/out/qr/a.wav not found" -> "a.wav not found"."""
    return str(_PATH.sub("", text))
