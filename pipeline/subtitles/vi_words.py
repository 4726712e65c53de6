"""Vietnamese word boundaries for line breaks: which spaces sit inside a word (``số dư``,
``tài khoản``, ``điện thoại``, ``ngân hàng``).

Vietnamese writes a space between syllables, also inside words, so a line break at a space
can cut a word in two. The word segmenter is underthesea's CRF model (VLSP 2013), run through
``underthesea_core`` directly: importing the ``underthesea`` package itself pulls in
transformers (≈ 15 s), the model and its tagger load in well under a second. Without
underthesea installed every space counts as a word boundary (the old behaviour)."""

from __future__ import annotations

import importlib.util
import logging
from functools import lru_cache
from pathlib import Path
from typing import Any

import regex

__all__ = ["inside_word_breaks", "segmenter_available", "words"]

log = logging.getLogger("caunoi.segment")

_MODEL = ("pipeline", "word_tokenize", "models", "ws_crf_vlsp2013_20230727")
_SPLIT = regex.compile(r"[\p{L}\p{N}]+(?:[.,'][\p{L}\p{N}]+)*|[^\s\p{L}\p{N}]")


@lru_cache(maxsize=1)
def _tagger() -> tuple[Any, Any] | None:
    spec = importlib.util.find_spec("underthesea")
    if spec is None or spec.origin is None:
        log.info("underthesea not installed: line breaks ignore word boundaries")
        return None
    try:
        import joblib
        from underthesea_core import CRFFeaturizer, CRFTagger
    except ImportError:
        return None
    base = Path(spec.origin).parent.joinpath(*_MODEL)
    tagger = CRFTagger()
    tagger.load(str(base / "models.bin"))
    featurizer = CRFFeaturizer(joblib.load(base / "features.bin"),
                               joblib.load(base / "dictionary.bin"))
    return featurizer, tagger


def segmenter_available() -> bool:
    return _tagger() is not None


def _tags(syllables: list[str]) -> list[str]:
    model = _tagger()
    if model is None or not syllables:
        return ["B-W"] * len(syllables)
    featurizer, tagger = model
    return list(tagger.tag(featurizer.process([[[s] for s in syllables]])[0]))


def words(text: str) -> list[str]:
    """The words of ``text`` (syllables joined by spaces), punctuation as its own token."""
    pieces = _SPLIT.findall(text)
    out: list[str] = []
    for piece, tag in zip(pieces, _tags(pieces), strict=True):
        if tag == "I-W" and out:
            out[-1] += " " + piece
        else:
            out.append(piece)
    return out


def inside_word_breaks(tokens: list[str]) -> set[int]:
    """Indices i of space-separated ``tokens`` where a break before token i would cut a word."""
    pieces: list[str] = []
    first: list[int] = []  # index in pieces of each token's first piece
    for tok in tokens:
        first.append(len(pieces))
        pieces += _SPLIT.findall(tok) or [tok]
    tags = _tags(pieces)
    return {i for i in range(1, len(tokens)) if tags[first[i]] == "I-W"
            and not regex.match(r"[^\p{L}\p{N}]", pieces[first[i] - 1])}
