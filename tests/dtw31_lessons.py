"""Small lessons built in the test (issue 29, dtw31): espeak-ng narrators through sox, with
the conditions of ``scripts/bench_lessons.py`` (``_finish``) and a chosen script, so a test
says exactly which sentences were said, in which accent, and what stood between them."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pipeline.core.config import PROJECT_ROOT

sys.path.insert(0, str(PROJECT_ROOT / "scripts"))
from bench_lessons import RATE, Narrator, _finish, write_wav

#: The script of held10200's lessons, whose southern narrators broke sentence 1.
TEXTS = (
    "Chọn khoa muốn khám, ví dụ khoa nhi cho con nhỏ.",
    "Trong tin nhắn có số thứ tự, bạn nhớ giữ lại tin này.",
    "Đến ngày khám, mang theo thẻ và đến sớm mười lăm phút.",
    "Ảnh phải rõ chữ, không bị lóa đèn và không bị mất góc.",
    "Bấm vào buổi sáng thứ ba, lúc tám giờ ba mươi phút.",
    "Điền họ tên đầy đủ, ngày sinh và số căn cước công dân.",
    "Kiểm tra lại mọi thông tin rồi bấm gửi yêu cầu.",
    "Muốn đổi ngày, vào mục lịch của tôi và chọn hủy lịch.",
)
ADLIB = "Ơ, mạng hôm nay hơi chậm, chờ mình tí nhé."


@dataclass(frozen=True)
class Said:
    """One piece of the narration: a script sentence (``index``) or an ad-lib (None), and
    the pause after it (s)."""
    index: int | None
    pause_s: float


@dataclass(frozen=True)
class Truth:
    index: int | None
    start_ms: int
    end_ms: int


def build(root: Path, tmp: Path, said: list[Said], narrator: tuple[str, int, int],
          condition: str, seed: int, texts: tuple[str, ...] = TEXTS
          ) -> tuple[Path, list[Truth]]:
    """``root/lesson`` narrated by ``narrator`` (espeak-ng voice, wpm, pitch) in
    ``condition`` (bench_lessons' shift/phone/music conditions, drawn from ``seed``)."""
    nar = Narrator(*narrator, tmp)
    pieces = [np.zeros(int(0.5 * RATE), dtype=np.float32)]
    truth: list[Truth] = []
    for s in said:
        start = sum(p.size for p in pieces) * 1000 // RATE
        pieces.append(nar.say(texts[s.index] if s.index is not None else ADLIB))
        truth.append(Truth(s.index, start, sum(p.size for p in pieces) * 1000 // RATE))
        pieces.append(np.zeros(int(s.pause_s * RATE), dtype=np.float32))
    audio = _finish(condition, np.concatenate(pieces), np.random.default_rng(seed), tmp)
    lesson = root / "lesson"
    lesson.mkdir(parents=True)
    write_wav(lesson / "recording.wav", audio)
    (lesson / "script.md").write_text("# Bài thử\n" + "\n".join(texts) + "\n",
                                      encoding="utf-8")
    (lesson / "lesson.toml").write_text('title = "Bài thử"\nlanguages = []\n',
                                        encoding="utf-8")
    return lesson, truth
