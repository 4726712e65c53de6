"""Vietnamese line breaks never cut a multi-syllable word; alignment gap filling and the
hybrid aligner's per-sentence decisions."""

from __future__ import annotations

from dataclasses import replace

from pipeline.core.languages import Registry
from pipeline.core.types import AlignedSentence
from pipeline.speech.align.gaps import spread
from pipeline.speech.align.hybrid import HybridAligner
from pipeline.speech.align.transcript import Evidence
from pipeline.subtitles.segment import break_lines
from pipeline.subtitles.vi_words import inside_word_breaks, words

CUE4 = "Trên màn hình chính, bạn sẽ thấy số dư tài khoản và các nút chức năng."
#: Words that must stay on one line (the issue's examples), with the sentences holding them.
CASES = {
    "số dư": CUE4,
    "tài khoản": "Người bán sẽ nhận được tin báo tiền đã vào tài khoản của bạn ngay lập tức.",
    "điện thoại": "Hãy kiểm tra điện thoại có kết nối mạng, dù chỉ là sóng yếu.",
    "ngân hàng": "Không bao giờ đọc mã OTP cho người khác, kể cả nhân viên ngân hàng.",
}


def test_segmenter_finds_the_words() -> None:
    assert {"số dư", "tài khoản", "chức năng", "màn hình"} <= set(words(CUE4))
    tokens = ["Hãy", "mở", "ứng", "dụng", "ngân", "hàng", "trên", "điện", "thoại", "của", "bạn."]
    assert inside_word_breaks(tokens) == {3, 5, 8}


def test_line_breaks_never_inside_a_word(registry: Registry) -> None:
    vi = registry.languages["vi"]
    for word, sentence in CASES.items():
        lines = break_lines(sentence, vi)
        assert lines is not None
        assert all(word in line for line in lines if word.split()[0] in line.split()), lines
    # Today's cue 4 broke "số / dư"; the break now falls between words and stays balanced.
    top, bottom = break_lines(CUE4, vi) or ("", "")
    assert not top.endswith("số") and abs(len(top) - len(bottom)) <= 20


def _s(k: int, a: int, b: int, status: str = "matched", conf: float = 0.8) -> AlignedSentence:
    return AlignedSentence(k, "", f"câu {k}", a, b, status, conf)  # type: ignore[arg-type]


def _ev(a: int, b: int, anchors: int = 8, share: float = 0.8) -> Evidence:
    return Evidence(hits=10, share=share, anchors=anchors, probability=0.8, start_ms=a,
                    end_ms=b, first=0, last=9)


def test_spread_shares_speech_by_syllables() -> None:
    assert spread([1, 1], [(0, 1000), (2000, 3000)]) == [(0, 1000), (2000, 3000)]
    assert spread([1, 3], [(0, 4000)]) == [(0, 1000), (1000, 4000)]


def test_hybrid_keeps_acoustics_unless_confident_words_disagree() -> None:
    h = HybridAligner()
    dtw = _s(0, 1000, 4000)
    # Agreement: acoustic times, higher confidence.
    merged, source = h._merge(dtw, _ev(1100, 3900))
    assert source == "both" and (merged.start_ms, merged.end_ms) == (1000, 4000)
    assert merged.confidence > 0.6 * dtw.confidence
    # Weak evidence changes no time and never skips a sentence.
    merged, source = h._merge(dtw, _ev(9000, 12000, anchors=1, share=0.2))
    assert source == "dtw" and merged.status == "matched" and merged.start_ms == 1000
    merged, source = h._merge(dtw, None)
    assert source == "dtw" and merged.status == "matched"
    # Confident words elsewhere, or for a sentence the acoustics skipped: they place it.
    merged, source = h._merge(dtw, _ev(9000, 12000))
    assert source == "transcript" and (merged.start_ms, merged.end_ms) == (9000, 12000)
    merged, source = h._merge(replace(dtw, status="skipped"), _ev(9000, 12000))
    assert merged.status == "matched"
    merged, source = h._merge(replace(dtw, status="skipped"), None)
    assert merged.status == "skipped"
