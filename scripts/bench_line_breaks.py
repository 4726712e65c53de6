#!/usr/bin/env python3
"""Share of two-line subtitle breaks that cut a Vietnamese word in two, with the word
segmenter (the pipeline today) and without it (every space a break point: the old
behaviour), on the same sentences in the same process.

Sentences: the sample lesson's script and the alignment benchmark's two sentence pools. A
break is "inside a word" when the segmenter puts the two syllables around it in one word, so
the segmenter's own answer is the judge: the "after" figure checks the wiring, the "before"
figure is the measurement. The issue's four words are also checked by plain text match.

Usage:
    python scripts/bench_line_breaks.py [--lesson lessons/sample-qr-payment]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from unittest import mock

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_lessons import POOL, POOL_UNSEEN

from pipeline.core.config import load_settings
from pipeline.core.languages import load_registry
from pipeline.subtitles import segment
from pipeline.subtitles.vi_words import inside_word_breaks

KNOWN = ("số dư", "tài khoản", "điện thoại", "ngân hàng")


def _sentences(lesson: Path) -> list[str]:
    script = lesson / "script.md"
    lines = script.read_text(encoding="utf-8").splitlines() if script.is_file() else []
    return [ln.strip() for ln in lines if ln.strip() and not ln.startswith("#")] + [
        *POOL, *POOL_UNSEEN]


def measure(sentences: list[str], with_segmenter: bool) -> tuple[int, int, int]:
    """(two-line cues, breaks inside a word, breaks inside one of the issue's words)."""
    vi = load_registry(load_settings().glossary_dir).languages["vi"]
    patch = mock.patch.object(segment, "inside_word_breaks", return_value=set()) \
        if not with_segmenter else mock.patch.object(segment, "inside_word_breaks",
                                                      inside_word_breaks)
    two = inside = known = 0
    with patch:
        for text in sentences:
            lines = segment.break_lines(text, vi)
            if lines is None or len(lines) < 2:
                continue
            two += 1
            tokens = text.split()
            at = len(lines[0].split())
            inside += at in inside_word_breaks(tokens)
            pair = f"{tokens[at - 1]} {tokens[at]}".lower().strip(",.;:!?")
            known += pair in KNOWN
    return two, inside, known


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    p.add_argument("--lesson", type=Path, default=Path("lessons/sample-qr-payment"))
    args = p.parse_args(argv)
    sentences = _sentences(args.lesson)
    print(f"{len(sentences)} sentences (sample script + benchmark pools)")
    for label, flag in (("before (every space)", False), ("after (word segmenter)", True)):
        two, inside, known = measure(sentences, flag)
        print(f"  {label:24} {inside:3d}/{two} two-line breaks inside a word "
              f"({inside / max(1, two):.1%}); inside {'/'.join(KNOWN)}: {known}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
