"""Segmentation: reading rules are never broken and no text is lost or reordered."""

from __future__ import annotations

import itertools
from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.core.languages import Language, Registry
from pipeline.core.text import graphemes
from pipeline.core.types import AlignedSentence, Alignment, Cue
from pipeline.subtitles.segment import break_lines, segment

VI_WORDS = ["bà", "con", "hãy", "mở", "ứng", "dụng", "ngân", "hàng", "trên", "điện", "thoại",
            "và", "quét", "mã", "QR,", "nhập", "số", "tiền.", "để", "thanh", "toán", "45.000",
            "đồng", "Zalo", "nghiêng", "khuỷu"]


def _alignment(texts: list[str], durations: list[int], gaps: list[int]) -> Alignment:
    sentences, t = [], 500
    for i, (text, dur, gap) in enumerate(zip(texts, durations, gaps, strict=False)):
        sentences.append(AlignedSentence(i, "", text, t, t + dur, "matched", 0.9))
        t += dur + gap
    return Alignment("test", tuple(sentences))


def reading_violations(cues: list[Cue], lang: Language) -> list[str]:
    """Every broken reading rule. Timing rules (shortest cue, reading speed, gap) bind wherever
    the next cue leaves room for them: the segmenter stretches a cue into the free time after
    it, but never moves speech."""
    r, bad = lang.reading, []
    for i, cue in enumerate(cues):
        dur = cue.end_ms - cue.start_ms
        nxt = cues[i + 1].start_ms if i + 1 < len(cues) else None
        room = (nxt - r.min_gap_ms if nxt is not None else cue.start_ms + r.max_cue_ms) - cue.end_ms
        if not 1 <= len(cue.lines) <= r.max_lines:
            bad.append(f"cue {i}: {len(cue.lines)} lines")
        if any(graphemes(line) > r.max_line_chars for line in cue.lines):
            bad.append(f"cue {i}: line too long {cue.lines}")
        if not 0 < dur <= r.max_cue_ms:
            bad.append(f"cue {i}: lasts {dur} ms")
        if dur < r.min_cue_ms and room > 0:
            bad.append(f"cue {i}: {dur} ms < {r.min_cue_ms} ms with {room} ms free after it")
        cps = graphemes(cue.text) * 1000 / max(1, dur)
        if cps > r.max_cps + 0.05 and room > 0:
            bad.append(f"cue {i}: {cps:.1f} chars/s with {room} ms free after it")
        if nxt is not None and nxt - cue.end_ms < r.min_gap_ms < nxt - cue.start_ms:
            bad.append(f"cue {i}: gap {nxt - cue.end_ms} ms < {r.min_gap_ms} ms")
        if nxt is not None and nxt < cue.end_ms:
            bad.append(f"cue {i}: overlaps the next")
    return bad


def _check(cues: list[Cue], alignment: Alignment, lang: Language) -> None:
    assert reading_violations(cues, lang) == []
    # Text preserved, in order.
    spoken = [s for s in alignment.sentences if s.status != "skipped"]
    assert " ".join(c.text for c in cues).split() == " ".join(s.text for s in spoken).split()


def test_checker_rejects_each_broken_rule(registry: Registry) -> None:
    """The checker itself can fail: touching cues (the old check's ``or`` accepted them), a
    short cue, a fast cue and an overlong line, each with free time after it."""
    vi = registry.get("vi")
    fine = [Cue(0, 0, 0, 1500, ("Xin chào bà con.",)), Cue(1, 1, 1600, 3000, ("Mở ứng dụng.",))]
    assert reading_violations(fine, vi) == []
    touching = [replace(fine[0], end_ms=1600), fine[1]]
    short = [Cue(0, 0, 0, 400, ("Vâng.",)), replace(fine[1], start_ms=5000, end_ms=6500)]
    fast = [Cue(0, 0, 0, 1500, ("Trước hết, hãy mở ứng dụng ngân hàng", "trên điện thoại.")),
            replace(fine[1], start_ms=5000, end_ms=6500)]
    wide = [Cue(0, 0, 0, 5000, ("Trước hết, hãy mở ứng dụng ngân hàng trên điện thoại",))]
    for cues, rule in ((touching, "gap"), (short, "< 1000 ms"), (fast, "chars/s"),
                       (wide, "line too long")):
        found = reading_violations(cues, vi)
        assert len(found) == 1 and rule in found[0], found


def test_short_sentence_is_one_cue(registry: Registry) -> None:
    vi = registry.get("vi")
    al = _alignment(["Xin chào bà con."], [2000], [0])
    cues = segment(al, vi)
    assert len(cues) == 1 and cues[0].lines == ("Xin chào bà con.",)


def test_long_sentence_breaks_at_comma(registry: Registry) -> None:
    vi = registry.get("vi")
    text = ("Trước hết, hãy mở ứng dụng ngân hàng trên điện thoại của bạn, "
            "rồi bấm vào nút Quét mã QR ở giữa màn hình để bắt đầu thanh toán.")
    al = _alignment([text], [9000], [0])
    cues = segment(al, vi)
    assert len(cues) >= 2
    assert cues[0].text.endswith(",")
    _check(cues, al, vi)


def test_number_stays_with_unit(registry: Registry) -> None:
    vi = replace(registry.get("vi"), reading=replace(registry.get("vi").reading,
                                                     max_line_chars=24))
    lines = break_lines("Nhập số tiền là 45.000 đồng nhé bà con", vi)
    assert lines is not None
    assert not any(line.endswith("45.000") for line in lines)


def test_protected_term_not_split(registry: Registry) -> None:
    vi = replace(registry.get("vi"), reading=replace(registry.get("vi").reading,
                                                     max_line_chars=32))
    lines = break_lines("Mở ứng dụng Dịch vụ công quốc gia trên máy", vi,
                        protected=("Dịch vụ công quốc gia",))
    assert lines is not None
    assert any("Dịch vụ công quốc gia" in line for line in lines)


def test_skipped_sentence_gets_no_cue(registry: Registry) -> None:
    vi = registry.get("vi")
    al = Alignment("t", (AlignedSentence(0, "", "Một hai.", 0, 1500, "matched", 1.0),
                         AlignedSentence(1, "", "Không nói.", 1500, 1500, "skipped", 0.0)))
    assert [c.sentence_index for c in segment(al, vi)] == [0]


@settings(max_examples=150, deadline=None)
@given(
    sentences=st.lists(st.lists(st.sampled_from(VI_WORDS), min_size=1, max_size=40),
                       min_size=1, max_size=6),
    durations=st.lists(st.integers(300, 15000), min_size=6, max_size=6),
    gaps=st.lists(st.integers(0, 2000), min_size=6, max_size=6),
)
def test_rules_hold_for_any_input(registry: Registry, sentences: list[list[str]],
                                  durations: list[int], gaps: list[int]) -> None:
    vi = registry.get("vi")
    al = _alignment([" ".join(words) for words in sentences], durations, gaps)
    _check(segment(al, vi), al, vi)


@settings(max_examples=150, deadline=None)
@given(
    sentences=st.lists(st.lists(st.sampled_from(VI_WORDS), min_size=1, max_size=40),
                       min_size=1, max_size=6),
    slack=st.lists(st.floats(1.0, 2.0), min_size=6, max_size=6),
    gaps=st.lists(st.integers(300, 2000), min_size=6, max_size=6),
)
def test_rules_hold_strictly_when_speech_is_readable(registry: Registry,
                                                     sentences: list[list[str]],
                                                     slack: list[float], gaps: list[int]) -> None:
    """Narration slow enough to read (every sentence at most max_cps, cut into cues of at
    least a second): every rule holds with no exception for lack of room."""
    vi = registry.get("vi")
    texts = [" ".join(words) for words in sentences]
    durations = [int(max(1000 * graphemes(t) / vi.reading.max_cps, 1000 * len(t.split()) / 3)
                     * f) + 1000 for t, f in zip(texts, slack, strict=False)]
    al = _alignment(texts, durations, gaps)
    cues = segment(al, vi)
    _check(cues, al, vi)
    r = vi.reading
    for a, b in itertools.pairwise(cues):
        assert b.start_ms - a.end_ms >= r.min_gap_ms
    for cue in cues:
        assert r.min_cue_ms <= cue.end_ms - cue.start_ms
        assert graphemes(cue.text) * 1000 / (cue.end_ms - cue.start_ms) <= r.max_cps + 0.05
