"""HLS: a bitrate ladder of clean video (no burned subtitles, no sound) encoded from the
source recording, one audio rendition per language of sound (the source language's narration,
the default, and each dubbed language's community voices), and one WebVTT subtitle rendition
per published language, each named in its own language; the source language is the default.
``index.html`` plays the master playlist in the browser's own player with the same WebVTT
files as ``<track>``s: a native HLS player that ignores the playlist's subtitle renditions
(Chromium's) still shows them, and the clean video has none burned in."""

from __future__ import annotations

import html
import json
import logging
from dataclasses import asdict, replace
from pathlib import Path

import pysubs2

from pipeline.core.languages import Registry
from pipeline.core.media import probe, run_ffmpeg
from pipeline.core.storage import atomic_path, sha256_file, sha256_text
from pipeline.core.types import Lesson
from pipeline.publish.entries import Selection, check_file
from pipeline.publish.errors import ManifestInvalidError
from pipeline.publish.manifest import Manifest
from pipeline.publish.paths import staged_folder
from pipeline.render.layout import plan_layout
from pipeline.render.profiles import PROFILES, Profile
from pipeline.voice.timemap import TimeMap

__all__ = ["HLS_MAX_HOLD_MS", "HLS_RUNGS", "dubbed_sources", "make_hls", "page_title",
           "rung_size"]

log = logging.getLogger("caunoi.publish")

#: The ladder: every H.264 profile (MPEG-TS segments play on every HLS client).
HLS_RUNGS: tuple[Profile, ...] = tuple(
    p for p in PROFILES.values() if p.has_video and p.codecs[0].startswith("avc1"))
#: A dub whose picture holds for longer than this in all (ms) gets no audio rendition: the
#: clean ladder does not hold, so its voices would drift this much behind the picture.
HLS_MAX_HOLD_MS = 200
#: MPEG-TS timestamps tick at 90 kHz (X-TIMESTAMP-MAP of the WebVTT segments).
_TS_CLOCK = 90_000


def rung_size(profile: Profile, src_w: int, src_h: int) -> tuple[int, int]:
    """The rung's frame in the recording's orientation: the profile's short side and level
    limit, as the render plans it, without a subtitle band (HLS subtitles are WebVTT)."""
    layout = plan_layout(replace(profile, subtitle_band=False), (src_w, src_h))
    return layout.width, layout.height


def _recording(lesson_out: Path) -> Path:
    path = lesson_out / "ingest.json"
    try:
        lesson = Lesson.from_json(json.loads(path.read_text(encoding="utf-8"))["lesson"])
    except (OSError, ValueError, KeyError) as e:
        raise ManifestInvalidError(path=str(path), detail=f"no source recording ({e})") from e
    return lesson.recording


def _encode_rung(recording: Path, p: Profile, dst: Path, segment_s: int) -> None:
    info = probe(recording)
    vw, vh = (info.video.width, info.video.height) if info.video else (16, 9)
    w, h = rung_size(p, vw, vh)
    run_ffmpeg(["-i", str(recording), "-map", "0:v:0", "-an",
                "-vf", f"scale={w}:{h}:force_original_aspect_ratio=decrease:"
                       f"force_divisible_by=2:flags=lanczos,fps={p.fps},setsar=1",
                *p.video_args, "-force_key_frames", f"expr:gte(t,n_forced*{segment_s})",
                "-map_metadata", "-1",
                "-f", "hls", "-hls_time", str(segment_s), "-hls_playlist_type", "vod",
                "-hls_segment_type", "mpegts",
                "-hls_segment_filename", str(dst / f"{p.name}-%03d.ts"),
                str(dst / f"{p.name}.m3u8")],
               action=f"encoding the clean {p.name} rung for HLS", path=dst)


def _encode_audio(src: Path, start_s: float, lang: str, dst: Path, segment_s: int) -> None:
    """One audio rendition (AAC in MPEG-TS, the first rung's audio settings), loudness
    normalised as the finals are; ``start_s`` skips a final's title card."""
    from pipeline.render.encode import RenderOptions

    r = RenderOptions()
    run_ffmpeg(["-ss", f"{start_s:.3f}", "-i", str(src), "-map", "0:a:0", "-vn",
                "-af", f"loudnorm=I={r.loudness}:TP={r.true_peak}:LRA=11",
                *HLS_RUNGS[0].audio_args, "-map_metadata", "-1",
                "-f", "hls", "-hls_time", str(segment_s), "-hls_playlist_type", "vod",
                "-hls_segment_type", "mpegts",
                "-hls_segment_filename", str(dst / f"audio-{lang}-%03d.ts"),
                str(dst / f"audio-{lang}.m3u8")],
               action=f"encoding the {lang} audio rendition for HLS", path=dst)


def _peak_and_average(segments: list[Path]) -> tuple[float, float]:
    """Peak and average bit rate (bit/s) of a rendition's segments."""
    durations = [max(probe(s).duration_ms, 1) for s in segments]
    peak = max(s.stat().st_size * 8 * 1000 / d for s, d in zip(segments, durations,
                                                                strict=True))
    return peak, sum(s.stat().st_size for s in segments) * 8 * 1000 / sum(durations)


def dubbed_sources(sel: Selection, source: str) -> dict[str, tuple[Path, float]]:
    """Each dubbed language's sound for an audio rendition: its audio-only file (no title
    card), else a video final (skipping the title card). A dub whose picture holds is left
    out when its holds add up to more than :data:`HLS_MAX_HOLD_MS`: its voices need a
    longer picture than the clean ladder's."""
    found: dict[str, tuple[Path, float]] = {}
    title_s = sel.manifest.title_card_s or 0.0
    for f in sorted(sel.manifest.files, key=lambda f: f.kind != "audio"):
        lang = f.audio_lang
        if (f.kind not in ("audio", "video") or not lang or lang == source or lang in found
                or not f.published or f.path.endswith(".mp3")):
            continue
        dub_json = sel.lesson_out / "voice" / f"{lang}.dub.json"
        held = TimeMap.from_json(json.loads(dub_json.read_text("utf-8"))["plan"][
            "timemap"]).total_hold_ms if dub_json.is_file() else 0
        if held > HLS_MAX_HOLD_MS:
            log.warning("HLS: the %s dub holds the picture for %d ms; no %s audio rendition",
                        lang, held, lang)
            continue
        found[lang] = (sel.path(f), 0.0 if f.kind == "audio" else title_s)
    return found


def _audio_rendition(lang: str, name: str, default: bool) -> str:
    quoted = name.replace('"', "'")
    return (f'#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="aud",LANGUAGE="{lang}",NAME="{quoted}",'
            f'DEFAULT={"YES" if default else "NO"},AUTOSELECT=YES,CHANNELS="1",'
            f'URI="audio-{lang}.m3u8"')


def _stream_inf(dst: Path, p: Profile, audio: list[Path]) -> str:
    """#EXT-X-STREAM-INF attributes measured on the segments just written: the video rung
    with the heaviest audio rendition (``audio``: each rendition's segments' folder glob)."""
    from pipeline.render.codecs import rfc6381_codecs

    segments = sorted(dst.glob(f"{p.name}-*.ts"))
    peak, average = _peak_and_average(segments)
    heaviest = max((_peak_and_average(sorted(dst.glob(f"{a.stem}-*.ts"))) for a in audio),
                   default=(0.0, 0.0))
    video = probe(segments[0]).video
    size = f"{video.width}x{video.height}" if video else "0x0"
    # Measured from the first segments' headers, as the finals' manifest entries are.
    codecs = [*rfc6381_codecs(segments[0], p.codecs[:1])]
    if audio:
        codecs += rfc6381_codecs(sorted(dst.glob(f"{audio[0].stem}-*.ts"))[0], p.codecs[1:])
    return (f"BANDWIDTH={int(peak + heaviest[0])},"
            f"AVERAGE-BANDWIDTH={int(average + heaviest[1])},RESOLUTION={size},"
            f"FRAME-RATE={p.fps:.3f},CODECS=\"{','.join(codecs)}\"")


def _ts_start(segment: Path) -> int:
    import av

    with av.open(str(segment)) as c:
        start = c.start_time or 0  # microseconds
    return round(start * _TS_CLOCK / 1_000_000)


def _subtitle_rendition(dst: Path, vtt: Path, shift_ms: int, lang: str, name: str,
                        default: bool, duration_s: float, ts_start: int) -> str:
    subs = pysubs2.load(str(vtt), encoding="utf-8")
    subs.shift(ms=shift_ms)
    text = subs.to_string("vtt")
    header = f"X-TIMESTAMP-MAP=MPEGTS:{ts_start},LOCAL:00:00:00.000"
    text = text.replace("WEBVTT", f"WEBVTT\n{header}", 1)
    (dst / f"subs-{lang}.vtt").write_text(text, encoding="utf-8")
    target = max(1, int(duration_s + 1))
    (dst / f"subs-{lang}.m3u8").write_text(
        "#EXTM3U\n#EXT-X-VERSION:6\n#EXT-X-PLAYLIST-TYPE:VOD\n"
        f"#EXT-X-TARGETDURATION:{target}\n#EXTINF:{duration_s:.3f},\nsubs-{lang}.vtt\n"
        "#EXT-X-ENDLIST\n", encoding="utf-8")
    quoted = name.replace('"', "'")
    return (f'#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID="subs",LANGUAGE="{lang}",NAME="{quoted}",'
            f'DEFAULT={"YES" if default else "NO"},AUTOSELECT=YES,FORCED=NO,'
            f'URI="subs-{lang}.m3u8"')


def page_title(manifest: Manifest, languages: list[str], source: str) -> str:
    """The player page's ``<title>``: the lesson's title in the source language, then in
    each of ``languages`` that has its own (approved or written by the team), each once."""
    titles = [manifest.title_in(source, source)[0]]
    titles += [manifest.title[c] for c in languages if c != source and c in manifest.title]
    return " · ".join(dict.fromkeys(titles))


def _player_page(dst: Path, title: str, tracks: list[tuple[str, str, bool]]) -> None:
    """``index.html``: the master playlist in a plain ``<video>``, one ``<track>`` per
    subtitle rendition (code, native name, default). Rewritten (atomically) only when it
    changes: a newly approved title changes the page, not the ladder."""
    lines = [f'<track kind="subtitles" src="subs-{code}.vtt" srclang="{html.escape(code)}" '
             f'label="{html.escape(name)}"{" default" if default else ""}>'
             for code, name, default in tracks]
    page = ('<!doctype html>\n<html><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{html.escape(title)}</title></head>\n<body style=\"margin:0\">"
            '<video src="master.m3u8" controls playsinline preload="metadata" '
            'style="width:100%;max-height:100vh">\n' + "\n".join(lines)
            + "\n</video></body></html>\n")
    path = dst / "index.html"
    if not path.is_file() or path.read_text(encoding="utf-8") != page:
        with atomic_path(path) as part:
            part.write_text(page, encoding="utf-8")


def _key(recording: Path, subs: dict[str, Path], segment_s: int,
         dubs: dict[str, tuple[Path, float]]) -> str:
    return sha256_text(json.dumps({
        "recording": sha256_file(recording), "segment_s": segment_s,
        "rungs": [asdict(p) for p in HLS_RUNGS], "layout": 3,
        "subs": {k: sha256_file(v) for k, v in sorted(subs.items())},
        "dubs": {k: [sha256_file(v), at] for k, (v, at) in sorted(dubs.items())}},
        sort_keys=True))


def make_hls(sel: Selection, registry: Registry, segment_s: int = 6) -> Path:
    """``hls/master.m3u8`` of a lesson: the ladder of :data:`HLS_RUNGS` encoded clean from
    the source recording, and WebVTT renditions of every published language (the source
    language the default), named in their own language. Rebuilt only when its inputs change.
    """
    lesson_out = sel.lesson_out
    recording = _recording(lesson_out)
    if sel.manifest.inputs.get("recording"):  # the recording the finals were made from
        check_file(recording, sel.manifest.inputs["recording"])
    subs = {f.language: sel.path(f) for f in sel.manifest.files
            if f.kind == "subtitle" and f.language}
    source = registry.source.code
    dubs = dubbed_sources(sel, source)
    key, hls = _key(recording, subs, segment_s, dubs), lesson_out / "hls"
    order = sorted(subs, key=lambda c: (c != source, c))
    tracks = [(c, registry.get(c).name_native, c == source) for c in order]
    title = page_title(sel.manifest, order, source)
    if (hls / ".key").is_file() and (hls / ".key").read_text(encoding="utf-8") == key:
        _player_page(hls, title, tracks)
        return hls / "master.m3u8"
    shift_ms = -int((sel.manifest.subtitle_offset or 0) * 1000)  # the clean video has no card
    with staged_folder(hls, "hls") as dst:
        for p in HLS_RUNGS:
            _encode_rung(recording, p, dst, segment_s)
        sounds = {source: (recording, 0.0), **dubs}
        for lang, (src, start_s) in sounds.items():
            _encode_audio(src, start_s, lang, dst, segment_s)
        audio = [dst / f"audio-{lang}.m3u8" for lang in sounds]
        first_segment = sorted(dst.glob(f"{HLS_RUNGS[0].name}-*.ts"))[0]
        duration_s, ts_start = probe(recording).duration_ms / 1000, _ts_start(first_segment)
        lines = ["#EXTM3U", "#EXT-X-VERSION:6", "#EXT-X-INDEPENDENT-SEGMENTS"]
        lines += [_audio_rendition(c, registry.get(c).name_native, c == source)
                  for c in sounds]
        lines += [_subtitle_rendition(dst, subs[c], shift_ms, c, registry.get(c).name_native,
                                      c == source, duration_s, ts_start) for c in order]
        _player_page(dst, title, tracks)
        rungs = sorted(((_stream_inf(dst, p, audio), p.name) for p in HLS_RUNGS),
                       key=lambda r: int(r[0].split(",")[0].split("=")[1]))
        for inf, name in rungs:
            lines += [f"#EXT-X-STREAM-INF:{inf},AUDIO=\"aud\""
                      + (',SUBTITLES="subs"' if subs else ""), f"{name}.m3u8"]
        (dst / "master.m3u8").write_text("\n".join(lines) + "\n", encoding="utf-8")
        (dst / ".key").write_text(key, encoding="utf-8")
    log.info("HLS ladder %s in %s", [p.name for p in HLS_RUNGS], hls)
    return hls / "master.m3u8"
