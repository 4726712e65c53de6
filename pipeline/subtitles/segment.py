"""Stage 4: cut aligned sentences into subtitle cues by the language's reading rules.

Rules (from ``glossaries/languages.toml``): at most ``max_lines`` lines of ``max_line_chars``
grapheme clusters, cues between ``min_cue_ms`` and ``max_cue_ms``, ``min_gap_ms`` between
cues. Splits go after punctuation first, then before function words, never inside a
protected term (glossary term, do-not-translate name), between a number and its unit, or
(Vietnamese) inside a multi-syllable word found by the word segmenter (``vi_words``).
The segmenter inserts every line break itself (libass only wraps at spaces).
"""

from __future__ import annotations

import dataclasses
import itertools
import logging
from dataclasses import dataclass

from pipeline.core.languages import Language, ReadingRules
from pipeline.core.text import graphemes, syllable_count
from pipeline.core.types import AlignedSentence, Alignment, Cue, Word, cue_id, sentence_ids
from pipeline.subtitles.vi_words import inside_word_breaks

__all__ = ["SegmentOptions", "break_lines", "fit_lines", "segment", "split_points"]

log = logging.getLogger("caunoi.segment")

_STRONG = (".", "!", "?", ";", ":", "…")
_WEAK = (",", "–", "—", ")")


@dataclass(frozen=True)
class SegmentOptions:
    # Terms that must never be split (glossary terms, do-not-translate names).
    protected: tuple[str, ...] = ()
    # Word timings from the transcript, to time the parts of a split sentence.
    words: tuple[Word, ...] = ()


def _protected_spans(tokens: list[str], protected: tuple[str, ...]) -> set[int]:
    """Indices i where a break between token i-1 and token i would cut a protected term."""
    lowered = [t.lower().strip(",.;:!?()\"'") for t in tokens]
    blocked: set[int] = set()
    for term in protected:
        parts = term.lower().split()
        if len(parts) < 2:
            continue
        for i in range(len(tokens) - len(parts) + 1):
            if lowered[i: i + len(parts)] == parts:
                blocked.update(range(i + 1, i + len(parts)))
    for i in range(1, len(tokens)):  # a number stays with the word after it (its unit)
        if any(c.isdigit() for c in tokens[i - 1]) and not tokens[i - 1].endswith(_STRONG + _WEAK):
            blocked.add(i)
    return blocked


def split_points(tokens: list[str], lang: Language, protected: tuple[str, ...]) -> dict[int, float]:
    """Allowed break positions (before token i) with a penalty: lower is better."""
    blocked = _protected_spans(tokens, protected)
    if lang.code == "vi":  # never inside a multi-syllable word (số dư, tài khoản)
        blocked |= inside_word_breaks(tokens)
    starters = {w.lower() for w in lang.break_before}
    points: dict[int, float] = {}
    for i in range(1, len(tokens)):
        if i in blocked:
            continue
        prev = tokens[i - 1]
        two = " ".join(tokens[i: i + 2]).lower().strip(",.;:!?")
        if prev.endswith(_STRONG):
            points[i] = 0.0
        elif prev.endswith(_WEAK):
            points[i] = 0.15
        elif tokens[i].lower().strip(",.;:!?") in starters or two in starters:
            points[i] = 0.35
        else:
            points[i] = 0.7
    return points


def _length(tokens: list[str]) -> int:
    return graphemes(" ".join(tokens))


def _best_split(tokens: list[str], points: dict[int, float], offset: int) -> int | None:
    total = _length(tokens)
    best, best_score = None, float("inf")
    for i in range(1, len(tokens)):
        if offset + i not in points:
            continue
        balance = abs(_length(tokens[:i]) - _length(tokens[i:])) / max(1, total)
        score = points[offset + i] + balance
        if score < best_score:
            best, best_score = i, score
    return best


def break_lines(text: str, lang: Language,
                protected: tuple[str, ...] = ()) -> tuple[str, ...] | None:
    """Break ``text`` into at most ``max_lines`` lines that fit; None if impossible."""
    rules = lang.reading
    if graphemes(text) <= rules.max_line_chars:
        return (text,)
    if rules.max_lines < 2:
        return None
    tokens = text.split()
    points = split_points(tokens, lang, protected)
    options = []
    for i, penalty in points.items():
        left, right = " ".join(tokens[:i]), " ".join(tokens[i:])
        if graphemes(left) <= rules.max_line_chars and graphemes(right) <= rules.max_line_chars:
            # Prefer a good break, then balance, then a slightly longer bottom line.
            options.append((penalty + abs(graphemes(left) - graphemes(right)) / 84
                            + (0.01 if graphemes(left) > graphemes(right) else 0.0), left, right))
    if not options:
        return None
    _, left, right = min(options)
    return (left, right)


def _chunks(tokens: list[str], duration_ms: int, lang: Language, points: dict[int, float],
            offset: int, protected: tuple[str, ...]) -> list[list[str]]:
    """Recursively split a token run until every part fits the reading rules."""
    rules = lang.reading
    fits_lines = break_lines(" ".join(tokens), lang, protected) is not None
    if (fits_lines and duration_ms <= rules.max_cue_ms) or len(tokens) < 2:
        return [tokens]
    i = _best_split(tokens, points, offset)
    if i is None:  # nowhere allowed: force the most balanced break rather than overflow
        i = max(1, len(tokens) // 2)
    share = syllable_count(" ".join(tokens[:i])) / max(1, syllable_count(" ".join(tokens)))
    left_ms = int(duration_ms * share)
    return (_chunks(tokens[:i], left_ms, lang, points, offset, protected)
            + _chunks(tokens[i:], duration_ms - left_ms, lang, points, offset + i, protected))


def _time_chunks(sentence: AlignedSentence, chunks: list[list[str]],
                 words: tuple[Word, ...] = ()) -> list[tuple[int, int]]:
    """Share the sentence's time between its parts in proportion to syllables; with word
    times, move each cut into the nearest gap between spoken words (within a second)."""
    counts = [max(1, syllable_count(" ".join(c))) for c in chunks]
    total = sum(counts)
    span = sentence.end_ms - sentence.start_ms
    inside = [w for w in words if sentence.start_ms <= w.start_ms < sentence.end_ms]
    gaps = [(a.end_ms + b.start_ms) // 2 for a, b in itertools.pairwise(inside)]
    cuts, acc = [sentence.start_ms], 0
    for n in counts[:-1]:
        acc += n
        t = sentence.start_ms + span * acc // total
        near = [g for g in gaps if abs(g - t) <= 1000 and g > cuts[-1]]
        cuts.append(min(near, key=lambda g: abs(g - t)) if near else max(t, cuts[-1]))
    cuts.append(sentence.end_ms)
    return list(itertools.pairwise(cuts))


def _hard_wrap(text: str, rules: ReadingRules) -> tuple[str, ...]:
    """Last resort for text with no allowed break (e.g. one very long token)."""
    lines, line = [], ""
    for token in text.split():
        trial = f"{line} {token}".strip()
        if graphemes(trial) > rules.max_line_chars and line:
            lines.append(line)
            line = token
        else:
            line = trial
    lines.append(line)
    return tuple(lines)


def fit_lines(text: str, lang: Language, protected: tuple[str, ...] = ()) -> tuple[str, ...]:
    """Lines for ``text``: the best allowed break, else a plain wrap (may exceed the limit
    on lines when the text is too long for one cue; QA reports it)."""
    return break_lines(text, lang, protected) or _hard_wrap(text, lang.reading)


def segment(alignment: Alignment, lang: Language,
            opts: SegmentOptions = SegmentOptions()) -> list[Cue]:
    """Cut the aligned sentences into cues that respect ``lang.reading``.

    Skipped sentences (never spoken) get no cue. Returns cues in time order.
    """
    rules = lang.reading
    cues: list[Cue] = []
    script = sorted((s for s in alignment.sentences if s.index is not None),
                    key=lambda s: s.index or 0)
    ids = dict(zip([s.index for s in script], sentence_ids(s.text for s in script),
                   strict=True))
    for sentence in alignment.sentences:
        if sentence.status != "matched" or sentence.index is None or not sentence.text.strip():
            continue  # skipped sentences were not said; ad-libs are not in the script
        tokens = sentence.text.split()
        points = split_points(tokens, lang, opts.protected)
        chunks = _chunks(tokens, sentence.end_ms - sentence.start_ms, lang, points, 0,
                         opts.protected)
        times = _time_chunks(sentence, chunks, opts.words)
        for part, (chunk, (start, end)) in enumerate(zip(chunks, times, strict=True), 1):
            text = " ".join(chunk)
            lines = fit_lines(text, lang, opts.protected)
            cues.append(Cue(index=len(cues), sentence_index=sentence.index, start_ms=start,
                            end_ms=end, lines=lines, id=cue_id(ids[sentence.index], part),
                            part=part))
    return _fix_timing(cues, rules)


def _spare(cue: Cue, rules: ReadingRules) -> int:
    """Time ``cue`` can give up and still be readable and at least ``min_cue_ms`` long."""
    need = max(rules.min_cue_ms, int(1000 * graphemes(cue.text) / rules.max_cps) + 1)
    return cue.end_ms - cue.start_ms - need


def _fix_timing(cues: list[Cue], rules: ReadingRules) -> list[Cue]:
    """Keep the gap between cues and stretch short cues into free time after them."""
    fixed: list[Cue] = []
    cues = list(cues)
    for i, cue in enumerate(cues):
        start, end = cue.start_ms, cue.end_ms
        limit = cues[i + 1].start_ms - rules.min_gap_ms if i + 1 < len(cues) else None
        want = max(end, start + rules.min_cue_ms,
                   start + int(1000 * graphemes(cue.text) / rules.max_cps))
        want = min(want, start + rules.max_cue_ms)
        end = want if limit is None else min(want, limit)
        end = max(end, start + 1)
        short = rules.min_cue_ms - (end - start)
        if short > 0 and i + 1 < len(cues) and cues[i + 1].sentence_index == cue.sentence_index:
            # No room after it: the next part of the same sentence starts later, as far as
            # that one stays readable and at least min_cue_ms long.
            nxt = cues[i + 1]
            move = min(short, max(0, _spare(nxt, rules)))
            cues[i + 1] = dataclasses.replace(nxt, start_ms=nxt.start_ms + move)
            end += move
            short -= move
        if short > 0 and fixed and fixed[-1].sentence_index == cue.sentence_index:
            # ... or the part before it ends earlier.
            move = min(short, max(0, _spare(fixed[-1], rules)))
            fixed[-1] = dataclasses.replace(fixed[-1], end_ms=fixed[-1].end_ms - move)
            start -= move
        fixed.append(Cue(index=i, sentence_index=cue.sentence_index, start_ms=start, end_ms=end,
                         lines=cue.lines, id=cue.id, part=cue.part))
    return fixed
