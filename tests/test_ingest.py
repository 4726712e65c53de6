"""Ingest: every bad input gets one plain sentence naming the file, and nothing is written."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from pathlib import Path

import pytest

from pipeline.core.config import Settings
from pipeline.core.documents import ScriptUnreadableError
from pipeline.core.errors import (
    CaunoiError,
    EmptyAudioError,
    LessonConfigError,
    LessonNotFoundError,
    MediaUnreadableError,
    NoAudioStreamError,
    RecordingMissingError,
    ScriptEmptyError,
    ScriptMissingError,
    UnknownLanguageError,
    UnknownNameError,
)
from pipeline.core.languages import Registry
from pipeline.core.media import run_ffmpeg
from pipeline.ingest import IngestOptions, ingest, load_lesson, parse_script, read_text_nfc


def _opts(settings: Settings, **kw: object) -> IngestOptions:
    return IngestOptions(out_dir=settings.out_dir, **kw)  # type: ignore[arg-type]


def _expect(err: type[CaunoiError], lesson: Path, registry: Registry, settings: Settings,
            names: str, **kw: object) -> CaunoiError:
    with pytest.raises(err) as info:
        ingest(lesson, registry, _opts(settings, **kw))
    message = str(info.value)
    assert names in message, message
    assert "\n" not in message
    assert message.endswith((".", ")")) or ":" in message
    # Nothing at all under the output root.
    assert not settings.out_dir.exists() or not any(settings.out_dir.iterdir())
    return info.value


def test_good_lesson_ingests(short_lesson: Path, registry: Registry, settings: Settings) -> None:
    result = ingest(short_lesson, registry, _opts(settings))
    assert result.lesson.id == "short-qr"
    assert result.lesson.languages[0] == "vi"
    assert len(result.lesson.sentences) == 4
    assert result.media.audio is not None and result.media.video is not None
    assert result.media.video.width == 1280
    assert result.audio_wav.is_file()
    assert (settings.out_dir / "short-qr" / "ingest.json").is_file()


def test_missing_folder(tmp_path: Path, registry: Registry, settings: Settings) -> None:
    _expect(LessonNotFoundError, tmp_path / "nope", registry, settings, "nope")


def test_missing_lesson_toml(lesson_copy: Callable[[str], Path], registry: Registry,
                             settings: Settings) -> None:
    lesson = lesson_copy("x")
    (lesson / "lesson.toml").unlink()
    _expect(LessonConfigError, lesson, registry, settings, "lesson.toml")


def test_bad_toml_syntax(lesson_copy: Callable[[str], Path], registry: Registry,
                         settings: Settings) -> None:
    lesson = lesson_copy("x")
    (lesson / "lesson.toml").write_text('title = "QR\nlanguages = [', encoding="utf-8")
    _expect(LessonConfigError, lesson, registry, settings, "lesson.toml")


def test_missing_title(lesson_copy: Callable[[str], Path], registry: Registry,
                       settings: Settings) -> None:
    lesson = lesson_copy("x")
    (lesson / "lesson.toml").write_text('languages = ["hmn"]\n', encoding="utf-8")
    err = _expect(LessonConfigError, lesson, registry, settings, "lesson.toml")
    assert "title" in str(err)


def test_unknown_language_in_toml(lesson_copy: Callable[[str], Path], registry: Registry,
                                  settings: Settings) -> None:
    lesson = lesson_copy("x")
    (lesson / "lesson.toml").write_text('title = "Bài"\nlanguages = ["hmn", "xx"]\n',
                                        encoding="utf-8")
    err = _expect(UnknownLanguageError, lesson, registry, settings, "'xx'")
    assert "lesson.toml" in str(err) and "hmn" in str(err)


def test_unknown_language_on_command_line(short_lesson: Path, registry: Registry,
                                          settings: Settings) -> None:
    _expect(UnknownLanguageError, short_lesson, registry, settings, "'klingon'",
            languages=("klingon",))


def test_unknown_profile(short_lesson: Path, registry: Registry, settings: Settings) -> None:
    err = _expect(UnknownNameError, short_lesson, registry, settings, "'hd'", profiles=("hd",))
    assert "compat" in str(err)


def test_missing_script(lesson_copy: Callable[[str], Path], registry: Registry,
                        settings: Settings) -> None:
    lesson = lesson_copy("x")
    (lesson / "script.md").unlink()
    _expect(ScriptMissingError, lesson, registry, settings, "script.md")


def test_empty_script(lesson_copy: Callable[[str], Path], registry: Registry,
                      settings: Settings) -> None:
    lesson = lesson_copy("x")
    (lesson / "script.md").write_text("# Chương 1\n\n   \n# Chương 2\n", encoding="utf-8")
    _expect(ScriptEmptyError, lesson, registry, settings, "script.md")


def test_script_in_wrong_encoding(lesson_copy: Callable[[str], Path], registry: Registry,
                                  settings: Settings) -> None:
    lesson = lesson_copy("x")
    # Windows-1258 (Vietnamese ANSI), as old editors save it, is read...
    (lesson / "script.md").write_bytes("Xin chào bà con\n".encode("cp1258"))
    loaded = load_lesson(lesson, registry, _opts(settings))
    assert [s.text for s in loaded.sentences] == ["Xin chào bà con"]
    # ...TCVN3 (font-based, no Python codec) is not, and the message says what to do.
    (lesson / "script.md").write_bytes(b"Thanh to\xb8n b\xb1ng m\xb7 QR\n")
    err = _expect(ScriptUnreadableError, lesson, registry, settings, "script.md")
    assert "UTF-8" in str(err)


def test_missing_recording(lesson_copy: Callable[[str], Path], registry: Registry,
                           settings: Settings) -> None:
    lesson = lesson_copy("x")
    (lesson / "recording.mp4").unlink()
    _expect(RecordingMissingError, lesson, registry, settings, "recording")


def test_two_recordings(lesson_copy: Callable[[str], Path], registry: Registry,
                        settings: Settings) -> None:
    lesson = lesson_copy("x")
    (lesson / "recording.mov").write_bytes((lesson / "recording.mp4").read_bytes())
    _expect(LessonConfigError, lesson, registry, settings, "recording")


def test_corrupt_recording(lesson_copy: Callable[[str], Path], registry: Registry,
                           settings: Settings) -> None:
    lesson = lesson_copy("x")
    (lesson / "recording.mp4").write_bytes(b"\x00\x01garbage" * 5000)
    _expect(MediaUnreadableError, lesson, registry, settings, "recording.mp4")


def test_truncated_recording(lesson_copy: Callable[[str], Path], registry: Registry,
                             settings: Settings) -> None:
    lesson = lesson_copy("x")
    data = (lesson / "recording.mp4").read_bytes()
    (lesson / "recording.mp4").write_bytes(data[: len(data) // 3])
    _expect(MediaUnreadableError, lesson, registry, settings, "recording.mp4")


def test_empty_recording_file(lesson_copy: Callable[[str], Path], registry: Registry,
                              settings: Settings) -> None:
    lesson = lesson_copy("x")
    (lesson / "recording.mp4").write_bytes(b"")
    _expect(MediaUnreadableError, lesson, registry, settings, "recording.mp4")


def test_recording_without_audio(lesson_copy: Callable[[str], Path], registry: Registry,
                                 settings: Settings) -> None:
    lesson = lesson_copy("x")
    src = lesson / "recording.mp4"
    dst = lesson / "silent.mp4"
    run_ffmpeg(["-i", str(src), "-an", "-c:v", "copy", str(dst)], action="test", path=dst)
    dst.replace(src)
    _expect(NoAudioStreamError, lesson, registry, settings, "recording.mp4")


def test_zero_length_audio(lesson_copy: Callable[[str], Path], registry: Registry,
                           settings: Settings) -> None:
    lesson = lesson_copy("x")
    (lesson / "recording.mp4").unlink()
    wav = lesson / "recording.wav"
    run_ffmpeg(["-f", "lavfi", "-i", "anullsrc=r=16000:cl=mono", "-t", "0", str(wav)],
               action="test", path=wav)
    _expect(EmptyAudioError, lesson, registry, settings, "recording.wav")


def test_silent_audio(lesson_copy: Callable[[str], Path], registry: Registry,
                      settings: Settings) -> None:
    lesson = lesson_copy("x")
    (lesson / "recording.mp4").unlink()
    wav = lesson / "recording.wav"
    run_ffmpeg(["-f", "lavfi", "-i", "anullsrc=r=16000:cl=mono", "-t", "3", str(wav)],
               action="test", path=wav)
    _expect(EmptyAudioError, lesson, registry, settings, "recording.wav")


def test_bad_input_keeps_previous_results(lesson_copy: Callable[[str], Path],
                                          registry: Registry, settings: Settings) -> None:
    lesson = lesson_copy("keep")
    ingest(lesson, registry, _opts(settings))
    out = settings.out_dir / "keep"
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    (lesson / "recording.mp4").write_bytes(b"not a video")
    with pytest.raises(MediaUnreadableError):
        ingest(lesson, registry, _opts(settings))
    after = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert after == before


def test_nfd_script_is_normalised(lesson_copy: Callable[[str], Path], registry: Registry,
                                  settings: Settings) -> None:
    lesson = lesson_copy("nfd")
    text = "# Chuẩn bị\nNhập mật khẩu hoặc dùng vân tay để đăng nhập.\n"
    nfd = unicodedata.normalize("NFD", text)
    assert nfd != text
    (lesson / "script.md").write_text(nfd, encoding="utf-8")
    result = ingest(lesson, registry, _opts(settings))
    assert result.lesson.chapters == ("Chuẩn bị",)
    assert result.lesson.sentences[0].text == unicodedata.normalize("NFC", text.split("\n")[1])
    assert unicodedata.is_normalized("NFC", result.lesson.sentences[0].text)


def test_parse_script_chapters_and_order() -> None:
    chapters, sentences = parse_script("# Một\nA b.\n\nC d.\n# Hai\nE f.\n")
    assert chapters == ["Một", "Hai"]
    assert [(s.index, s.chapter, s.text) for s in sentences] == [
        (0, "Một", "A b."), (1, "Một", "C d."), (2, "Hai", "E f.")]


def test_bom_and_crlf_are_accepted(tmp_path: Path) -> None:
    p = tmp_path / "script.md"
    p.write_bytes("\ufeff# Một\r\nXin chào.\r\n".encode())
    assert read_text_nfc(p) == "# Một\nXin chào.\n"
