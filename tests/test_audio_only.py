"""Audio-only recordings (issue 28): check and produce agree. A recording without a picture
(a cover picture is not one) asked for a video profile is refused by both in one sentence,
exit 2, before anything is written; asked for the "audio" profile only, it is a lesson:
check accepts it, produce aligns, writes subtitles and translations and renders MP3 + Opus."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from flows.cli import main
from pipeline.core.media import probe, run_ffmpeg

# (file name, codec arguments): what phones and recorders hand in.
FORMATS = [
    ("recording.wav", ["-c:a", "pcm_s16le"]),
    ("recording.ogg", ["-c:a", "libopus", "-b:a", "24k"]),
    ("recording.mp3", ["-c:a", "libmp3lame", "-b:a", "32k"]),
    ("recording.m4a", ["-c:a", "aac", "-b:a", "32k"]),
]


def _audio_lesson(lesson_copy: Callable[[str], Path], name: str, codec: list[str],
                  cover: bool = False) -> Path:
    lesson = lesson_copy(name.replace(".", "-"))
    src = lesson / "recording.mp4"
    dst = lesson / name
    if cover:  # an MP3 with album art: ffprobe lists the picture as a video stream
        art = lesson / "cover.png"
        run_ffmpeg(["-f", "lavfi", "-i", "color=c=red:s=64x64", "-frames:v", "1", str(art)],
                   action="test", path=art)
        run_ffmpeg(["-i", str(src), "-i", str(art), "-map", "0:a", "-map", "1:v", *codec,
                    "-c:v", "png", "-disposition:v", "attached_pic", "-id3v2_version", "3",
                    str(dst)], action="test", path=dst)
        art.unlink()
    else:
        run_ffmpeg(["-i", str(src), "-vn", *codec, str(dst)], action="test", path=dst)
    src.unlink()
    return lesson


def _refused_everywhere(lesson: Path, tmp_path: Path, name: str,
                        capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "o"
    config = ["--en", "--config", str(tmp_path / "none.toml")]
    for argv in (["check", str(lesson), "--out", str(out)],
                 ["produce", str(lesson), "--out", str(out), "--no-prefect"]):
        assert main([*config, *argv]) == 2, argv
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1, err
        assert name in err and "no picture" in err and "'compat'" in err, err
        assert not out.exists()  # no alignment.json, subtitles/ or report left behind


@pytest.mark.parametrize(("name", "codec"), FORMATS)
def test_audio_only_refused_by_check_and_produce(
        lesson_copy: Callable[[str], Path], tmp_path: Path, capsys: pytest.CaptureFixture[str],
        name: str, codec: list[str]) -> None:
    lesson = _audio_lesson(lesson_copy, name, codec)
    _refused_everywhere(lesson, tmp_path, name, capsys)


def test_cover_picture_is_not_a_picture(lesson_copy: Callable[[str], Path], tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    lesson = _audio_lesson(lesson_copy, "recording.mp3", ["-c:a", "libmp3lame"], cover=True)
    assert probe(lesson / "recording.mp3").video is None
    _refused_everywhere(lesson, tmp_path, "recording.mp3", capsys)


def test_audio_profile_only_is_an_audio_lesson(
        lesson_copy: Callable[[str], Path], tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    lesson = _audio_lesson(lesson_copy, "recording.ogg", ["-c:a", "libopus", "-b:a", "24k"])
    toml = lesson / "lesson.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace('"compat"', '"audio"'),
                    encoding="utf-8")
    out = tmp_path / "o"
    config = ["--en", "--config", str(tmp_path / "none.toml")]
    assert main([*config, "check", str(lesson)]) == 0
    assert "profiles: audio" in capsys.readouterr().out
    assert main([*config, "produce", str(lesson), "--out", str(out), "--no-prefect"]) == 0
    done = out / lesson.name
    assert (done / "alignment.json").is_file() and (done / "subtitles" / "vi.srt").is_file()
    assert (done / "translations" / "hmn.xlf").is_file()
    assert not (done / "video").exists()
    files = json.loads((done / "manifest.json").read_text(encoding="utf-8"))["files"]
    audio = sorted(f["path"] for f in files if f["kind"] == "audio")
    assert audio == ["audio/vi-audio.mp3", "audio/vi-audio.opus"], files
