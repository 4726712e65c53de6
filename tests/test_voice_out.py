"""Issue 30's outputs: the gate's complete voice sets, the dub step's rules and options, the
held picture in the render graph, subtitles moved to dubbed time, the manifest's voices and
audio language, the HLS audio renditions and the bundle's sound labels."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import ffmpeg
import m3u8
import pysubs2
import pytest

from pipeline.core.config import Settings
from pipeline.core.errors import ConfigError
from pipeline.core.languages import Registry
from pipeline.core.types import Cue
from pipeline.publish.hls import _audio_rendition
from pipeline.publish.interface import SectionWords
from pipeline.publish.manifest import ManifestFile, parse_manifest
from pipeline.publish.page import PageItem, _sound
from pipeline.render.encode import RenderedFile
from pipeline.render.graph import apply_chain
from pipeline.review.gate import _complete_voices
from pipeline.steps.options import dub_options
from pipeline.steps.publish import audio_encoding, voices_of
from pipeline.steps.voice import move_subtitles, publishable
from pipeline.voice import DubPlan, DubResult, PlacedSentence, Recording, TimeMap, hold_filter


def _rec(number: int, source: str = "human", speaker: str = "Mai",
         consent: bool = True) -> Recording:
    return Recording(lesson_id="l", language="en", sentence_id=f"s{number}", number=number,
                     speaker=speaker if source == "human" else source, file=f"{number}.wav",
                     sha256=f"{number:064x}", duration_ms=1000, text_sha256="0" * 64,
                     source=source, speaker_consent=consent and source == "human")


def _cue(i: int, sentence: int) -> Cue:
    return Cue(i, sentence, i * 1000, i * 1000 + 900, ("x",))


class FakeStore:
    def __init__(self, recordings: list[Recording]) -> None:
        self.recordings = recordings

    def approved_recordings(self, lesson_id: str, lang: str) -> list[Recording]:
        return [r for r in self.recordings if r.lesson_id == lesson_id and r.language == lang]


CUES = [_cue(0, 0), _cue(1, 0), _cue(2, 1), _cue(3, 2)]  # three sentences, four cues


def test_gate_gives_voices_only_for_a_complete_set() -> None:
    full = FakeStore([_rec(3), _rec(1), _rec(2)])
    got = _complete_voices(full, "l", "en", CUES)  # type: ignore[arg-type]
    assert [r.number for r in got] == [1, 2, 3]
    missing = FakeStore([_rec(1), _rec(3)])
    assert _complete_voices(missing, "l", "en", CUES) == ()  # type: ignore[arg-type]
    assert _complete_voices(full, "l", "hmn", CUES) == ()  # type: ignore[arg-type]
    assert _complete_voices(object(), "l", "en", CUES) == ()  # type: ignore[arg-type]


def test_synthetic_voices_published_only_where_allowed() -> None:
    people = (_rec(1), _rec(2))
    mixed = (_rec(1), _rec(2, source="tts:espeak"))
    assert publishable(people, "en", ())
    assert not publishable(mixed, "en", ())
    assert not publishable(mixed, "en", ("hmn",))
    assert publishable(mixed, "en", ("en",))
    assert not publishable((), "en", ("en",))


def test_dub_options_from_settings_refuse_a_shallow_duck() -> None:
    s = replace(Settings(), dub_duck_db=30.0, dub_max_stretch=1.4, dub_narration="remove",
                dub_stretcher="atempo", dub_target_lufs=-18.0)
    opts = dub_options(s)
    assert (opts.duck_db, opts.max_stretch, opts.narration, opts.stretcher,
            opts.target_lufs) == (30.0, 1.4, "remove", "atempo", -18.0)
    with pytest.raises(ConfigError):
        dub_options(replace(Settings(), dub_duck_db=15.0))
    with pytest.raises(ConfigError):
        dub_options(replace(Settings(), dub_narration="mute"))


def test_hold_filter_reaches_the_render_graph() -> None:
    tmap = TimeMap.from_holds([(2000, 1000), (9000, 300)])
    stream = apply_chain(ffmpeg.input("in.mp4").video, hold_filter(tmap, 8000))
    graph = " ".join(ffmpeg.output(stream, "out.mp4").get_args())
    assert "setpts=PTS+(1.000*gte(T\\,2.000))/TB" in graph
    assert "tpad=stop_duration=0.300:stop_mode=clone" in graph
    assert "filter_complex" not in " ".join(ffmpeg.output(
        apply_chain(ffmpeg.input("in.mp4").video, "null"), "o.mp4").get_args())


@pytest.mark.parametrize("ext", ["srt", "vtt", "ass"])
def test_subtitles_move_with_the_held_picture(tmp_path: Path, ext: str) -> None:
    subs = pysubs2.SSAFile()
    subs.append(pysubs2.SSAEvent(start=500, end=1500, text="before"))
    subs.append(pysubs2.SSAEvent(start=2500, end=3500, text="after"))
    src = tmp_path / f"en.{ext}"
    subs.save(str(src), format_=ext)
    dst = move_subtitles(src, tmp_path / "moved" / f"en.{ext}",
                         TimeMap.from_holds([(2000, 1000)]))
    moved = pysubs2.load(str(dst))
    assert [(e.start, e.end) for e in moved] == [(500, 1500), (3500, 4500)]


def _dub() -> DubResult:
    placed = tuple(PlacedSentence(n, f"s{n}", n * 1000, n * 1000 + 900, n * 1000, 800, 1.0, 0)
                   for n in (1, 2, 3))
    return DubResult(language="en", audio="x.wav", duration_ms=5000, plan=DubPlan(placed),
                     recordings=("a", "b", "c"), stretcher="rubberband-r3", narration="duck",
                     sources=("human", "human", "human"), speakers=("Mai", "Tú", "Mai"),
                     consents=(True, True, True))


def test_manifest_names_the_voices_and_the_sound() -> None:
    voices = voices_of(_dub())
    assert voices == ({"speaker": "Mai", "source": "human", "consent": True,
                       "sentences": [1, 3]},
                      {"speaker": "Tú", "source": "human", "consent": True, "sentences": [2]})
    mp3 = RenderedFile(Path("audio/en-audio.mp3"), "en", "audio", 60_000, ("mp3",))
    assert "audio-only dub" in audio_encoding(mp3, True)
    assert "32 kb/s" in audio_encoding(mp3, False)
    entry = ManifestFile(path="audio/en-audio.mp3", kind="audio", bytes=1, sha256="0" * 64,
                         language="en", profile="audio", audio_lang="en", voices=list(voices),
                         review_state="approved")
    data: dict[str, Any] = {"schema_version": "1.2", "lesson_id": "l", "title": {"vi": "t"},
            "languages": ["en"], "generated_at": "2026-12-06T00:00:00+00:00",
            "files": [entry.to_json()]}
    back = parse_manifest(data, "test").files[0]
    assert back.audio_lang == "en" and back.voices == list(voices)
    data["files"][0]["voices"][0]["source"] = "robot"
    with pytest.raises(Exception, match="robot"):
        parse_manifest(data, "test")


def test_hls_audio_renditions_parse_with_m3u8(registry: Registry) -> None:
    lines = ["#EXTM3U", "#EXT-X-VERSION:6",
             _audio_rendition("vi", registry.get("vi").name_native, True),
             _audio_rendition("hmn", registry.get("hmn").name_native, False),
             '#EXT-X-STREAM-INF:BANDWIDTH=90000,CODECS="avc1.42C01E,mp4a.40.2",AUDIO="aud"',
             "compat.m3u8"]
    master = m3u8.loads("\n".join(lines) + "\n")
    audio = {m.language: m for m in master.media if m.type == "AUDIO"}
    assert audio["hmn"].name == "Hmoob" and audio["hmn"].uri == "audio-hmn.m3u8"
    assert audio["vi"].default == "YES" and audio["vi"].name == "Tiếng Việt"
    assert master.playlists[0].stream_info.audio == "aud"


def test_bundle_labels_each_lessons_sound(registry: Registry) -> None:
    item = PageItem(language="hmn", title="t", title_native=False, video="v.mp4", poster="",
                    duration_s=60, video_bytes=1)
    hmn = SectionWords("hmn", {"sound_source": "[test hmn] no Hmong voice"})
    dubbed = _sound(replace(item, audio_lang="hmn"), registry, hmn)
    assert "🎧 Hmoob" in dubbed and "Tiếng Việt" not in dubbed and "[test hmn]" not in dubbed
    plain = _sound(replace(item, audio_lang="vi"), registry, hmn)
    assert "🎧 Tiếng Việt" in plain and "[test hmn] no Hmong voice" in plain
    # No approved sentence: the sound's own name says it; no Vietnamese sentence instead.
    bare = _sound(replace(item, audio_lang="vi"), registry, SectionWords("hmn"))
    assert "🎧 Tiếng Việt</span></p>" in bare and "giọng" not in bare.lower()
    source = _sound(replace(item, language="vi", audio_lang="vi"), registry, SectionWords("vi"))
    assert "🎧 Tiếng Việt" in source and "Giọng" not in source
