"""Decoding guards: VAD chunk plan, repetition loops, spans without a usable transcript."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipeline.core.types import Transcript, TranscriptSegment
from pipeline.speech.guard import ChunkOptions, is_loop, loop_span, plan_chunks
from pipeline.speech.transcribe import TranscribeOptions, _screen

LOOP = "tình thật là một tình thật là một tình thật là một tình thật là một"
SENTENCE = "Trên màn hình chính, bạn sẽ thấy số dư tài khoản và các nút chức năng."


def test_chunks_end_at_long_pauses_and_stay_under_the_window() -> None:
    regions = [(1000, 4000), (4500, 9000), (12_000, 15_000), (15_300, 60_000)]
    chunks = plan_chunks(regions, 61_000, ChunkOptions(max_chunk_ms=28_000,
                                                       split_pause_ms=1_500, pad_ms=200))
    assert chunks[0] == (800, 9200)  # a 0.5 s pause joins, a 3 s pause splits
    assert chunks[1][0] == 11_800
    assert all(b - a <= 28_000 for a, b in chunks)
    assert all(a < b for a, b in chunks) and all(
        chunks[k][1] <= chunks[k + 1][0] for k in range(len(chunks) - 1))
    assert chunks[-1][1] == 60_200


def test_loops_are_recognised_and_sentences_are_not() -> None:
    assert is_loop(LOOP)
    assert is_loop("cảm ơn cảm ơn cảm ơn cảm ơn cảm ơn cảm ơn")
    assert not is_loop(SENTENCE)
    assert not is_loop("Hãy đọc kỹ tên người nhận để chắc chắn mình trả đúng người.")
    assert loop_span(["a", "b", "c", "a", "b", "c", "a", "b", "c", "d"]) == (0, 9)
    assert loop_span(["a", "b", "c", "d", "e", "f"]) == (0, 0)


def _seg(a: int, b: int, text: str) -> TranscriptSegment:
    return TranscriptSegment(a, b, text, (), -0.5, 0.1)


def test_screen_drops_loops_within_and_across_segments() -> None:
    opts = TranscribeOptions()
    kept, dropped = _screen([_seg(0, 3000, SENTENCE), _seg(3000, 9000, LOOP)], opts)
    assert [s.text for s in kept] == [SENTENCE] and dropped == [(3000, 9000)]
    # One short phrase decoded again and again as separate segments.
    again = [_seg(1000 * k, 1000 * k + 900, "tình thật là một") for k in range(4)]
    kept, dropped = _screen([_seg(0, 900, SENTENCE), *again], opts)
    assert [s.text for s in kept] == [SENTENCE] and len(dropped) == 4


def test_unusable_spans_survive_json() -> None:
    t = Transcript("vi", "faster-whisper", "base", "", (_seg(0, 900, SENTENCE),),
                   unusable=((3000, 9000, "loop"),))
    back = Transcript.from_json(json.loads(json.dumps(t.to_json())))
    assert back.unusable == ((3000, 9000, "loop"),)
    assert Transcript.from_json({**t.to_json(), "no_transcript": []}).unusable == ()


def test_vocabulary_is_tokens_then_timestamps(tmp_path: Path) -> None:
    import importlib.util

    from pipeline.core.config import PROJECT_ROOT

    spec = importlib.util.spec_from_file_location(
        "fetch_whisper_base", PROJECT_ROOT / "scripts" / "fetch_whisper_base.py")
    assert spec is not None and spec.loader is not None
    fetch = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(fetch)
    vocab = {f"t{i}": i for i in range(50_258)}
    added = [{"id": 50_257 + k, "content": f"<|s{k}|>"} for k in range(107)]
    path = tmp_path / "tokenizer.json"
    path.write_text(json.dumps({"model": {"vocab": vocab}, "added_tokens": added}), "utf-8")
    out = fetch.vocabulary(path)
    assert len(out) == 51_865
    assert out[0] == "t0" and out[50_257] == "<|s0|>" and out[50_363] == "<|s106|>"
    assert out[50_364] == "<|0.00|>" and out[-1] == "<|30.00|>"
    del vocab["t5"]
    path.write_text(json.dumps({"model": {"vocab": vocab}, "added_tokens": added}), "utf-8")
    with pytest.raises(SystemExit):
        fetch.vocabulary(path)


def test_report_lists_spans_without_transcript() -> None:
    from pipeline.core.types import Alignment, Lesson
    from pipeline.speech.align.report import deviation_report

    lesson = Lesson(id="x", dir=Path("."), title="Bài", languages=(), profiles=(), authors=(),
                    chapters=(), sentences=(), recording=Path("r.wav"))
    t = Transcript("vi", "faster-whisper", "base", "", (), unusable=((3000, 9000, "loop"),))
    text = deviation_report(lesson, Alignment("hybrid", ()), transcript=t)
    assert "00:03.00–00:09.00" in text and "repetition loop" in text
    assert "no usable transcript" not in deviation_report(lesson, Alignment("dtw", ()))
