"""A draft script.md from a lesson's transcript (lessons recorded before their script)."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.core.types import Transcript, TranscriptSegment, Word
from pipeline.speech.draft import UNHEARD, DraftOptions, draft_lines, draft_script


def _transcript(words: list[tuple[int, int, str]],
                unusable: tuple[tuple[int, int, str], ...] = ()) -> Transcript:
    ws = tuple(Word(a, b, text, 0.9) for a, b, text in words)
    seg = TranscriptSegment(ws[0].start_ms, ws[-1].end_ms, " ".join(w.text for w in ws), ws)
    return Transcript("vi", "faster-whisper", "base", "", (seg,), unusable=unusable)


def _words(text: str, start: int, step: int = 250) -> list[tuple[int, int, str]]:
    return [(start + k * step, start + k * step + 200, w) for k, w in enumerate(text.split())]


def test_sentences_end_at_punctuation_and_long_pauses() -> None:
    words = (_words("xin chào bà con.", 0) + _words("hôm nay học quét mã", 1100)
             + _words("bấm nút xác nhận", 3500))
    assert draft_lines(_transcript(words)) == [
        "Xin chào bà con.", "Hôm nay học quét mã", "Bấm nút xác nhận"]


def test_a_long_run_is_cut_at_its_longest_pause() -> None:
    first = _words(" ".join(["một"] * 20), 0)
    second = _words(" ".join(["hai"] * 20), first[-1][1] + 500)
    lines = draft_lines(_transcript(first + second), DraftOptions(pause_ms=700, max_words=28))
    assert lines == [" ".join(["một"] * 20).capitalize(), " ".join(["hai"] * 20).capitalize()]


def test_unheard_speech_is_marked_and_the_title_heads_the_script() -> None:
    words = _words("mở ứng dụng.", 0) + _words("nhập mật khẩu.", 5000)
    text = draft_script(_transcript(words, ((2000, 4000, "loop"),)), "Trả tiền bằng mã QR")
    assert text == f"# Trả tiền bằng mã QR\nMở ứng dụng.\n{UNHEARD}\nNhập mật khẩu.\n"


def test_draft_script_command_writes_a_script(short_lesson: Path, tiny_models: Path,
                                              tmp_path: Path) -> None:
    from flows.cli import main

    (tmp_path / "caunoi.toml").write_text(
        f'model_dir = "{tiny_models}"\nasr_backend = "faster-whisper"\n'
        'asr_model = "tiny-random"\nasr_fallback = false\n', encoding="utf-8")
    out = tmp_path / "draft.md"
    assert main(["--en", "--config", str(tmp_path / "caunoi.toml"), "draft-script",
                 str(short_lesson), "--out", str(out)]) == 0
    assert out.read_text(encoding="utf-8").startswith("# Trả tiền bằng mã QR khi đi chợ\n")
    assert not list(tmp_path.glob("*.part"))


def test_draft_script_without_a_model_says_so(short_lesson: Path, tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    from flows.cli import main

    (tmp_path / "caunoi.toml").write_text(f'model_dir = "{tmp_path / "none"}"\n',
                                          encoding="utf-8")
    code = main(["--en", "--config", str(tmp_path / "caunoi.toml"), "draft-script",
                 str(short_lesson)])
    assert code == 3
    assert capsys.readouterr().err.startswith("Error:")
