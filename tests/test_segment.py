"""Segmentation: reading rules are never broken and no text is lost or reordered."""

from __future__ import annotations

import itertools
from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.core.languages import Language, Registry
from pipeline.core.text import graphemes
from pipeline.core.types import AlignedSentence, Alignment
from pipeline.speech.segment import break_lines, segment

VI_WORDS = ["bà", "con", "hãy", "mở", "ứng", "dụng", "ngân", "hàng", "trên", "điện", "thoại",
            "và", "quét", "mã", "QR,", "nhập", "số", "tiền.", "để", "thanh", "toán", "45.000",
            "đồng", "Zalo", "nghiêng", "khuỷu"]


def _alignment(texts: list[str], durations: list[int], gaps: list[int]) -> Alignment:
    sentences, t = [], 500
    for i, (text, dur, gap) in enumerate(zip(texts, durations, gaps, strict=False)):
        sentences.append(AlignedSentence(i, "", text, t, t + dur, "matched", 0.9))
        t += dur + gap
    return Alignment("test", tuple(sentences))


def _check(cues: list, alignment: Alignment, lang: Language) -> None:
    r = lang.reading
    for cue in cues:
        assert 1 <= len(cue.lines) <= r.max_lines
        assert all(graphemes(line) <= r.max_line_chars for line in cue.lines), cue.lines
        assert cue.end_ms > cue.start_ms
        assert cue.end_ms - cue.start_ms <= r.max_cue_ms
    for a, b in itertools.pairwise(cues):
        assert b.start_ms - a.end_ms >= r.min_gap_ms or b.start_ms >= a.end_ms
        assert b.start_ms >= a.end_ms
    # Text preserved, in order.
    spoken = [s for s in alignment.sentences if s.status != "skipped"]
    assert " ".join(c.text for c in cues).split() == " ".join(s.text for s in spoken).split()


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
