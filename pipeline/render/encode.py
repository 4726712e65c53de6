"""Stage 8: the phone-sized finals. Normalise the narration (two-pass EBU R128 loudnorm,
high-pass, gentle compression), add a title card and chapter banners (moviepy), burn the
subtitles in with libass (or mux them soft), encode per profile, then check the result
against the source (quality gates) before it is kept."""

from __future__ import annotations

import json
import logging
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import pysubs2

from pipeline.core.config import Settings
from pipeline.core.errors import CaunoiError, RenderQualityError
from pipeline.core.media import probe, run_ffmpeg
from pipeline.core.storage import atomic_path
from pipeline.render.cards import chapter_banner, title_card
from pipeline.render.profiles import Profile
from pipeline.render.quality import QualityReport, measure

__all__ = [
    "RenderJob",
    "RenderOptions",
    "RenderQualityError",
    "RenderedFile",
    "add_title_silence",
    "normalise_audio",
    "render",
    "rfc6381_codecs",
]

log = logging.getLogger("caunoi.render")

WATERMARK = "BẢN NHÁP"


@dataclass(frozen=True)
class RenderOptions:
    # ffmpeg binary ("" = the bundled one).
    ffmpeg: str = ""
    # Integrated loudness target, LUFS (EBU R128), and true-peak ceiling.
    loudness: float = -16.0
    true_peak: float = -1.5
    # Encoder threads (0 = ffmpeg decides).
    threads: int = 0
    # Burn subtitles into the picture (False: a soft mov_text track).
    burn_subtitles: bool = True
    # Length of the title card and of each chapter banner, seconds.
    title_card_s: float = Settings.title_card_s
    chapter_banner_s: float = 3.0
    # Measure SSIM/VMAF/OCR and refuse renders below the profile's thresholds.
    quality_gates: bool = True


@dataclass(frozen=True)
class RenderJob:
    recording: Path
    # Loudness-normalised narration (no title silence), see normalise_audio().
    audio: Path
    language: str
    font: str
    profile: Profile
    dst: Path
    ass: Path | None = None
    srt: Path | None = None
    title_vi: str = ""
    title_target: str = ""
    language_label: str = ""
    # (start ms, heading) of each chapter, on the recording's timeline.
    chapters: tuple[tuple[int, str], ...] = ()
    # Mid-cue moments (s), where the quality gate samples frames.
    cue_times: tuple[float, ...] = ()
    # A watermarked preview of a language not yet approved.
    draft: bool = False


@dataclass(frozen=True)
class RenderedFile:
    path: Path
    language: str
    profile: str
    duration_ms: int
    codecs: tuple[str, ...]
    quality: dict[str, float | None] = field(default_factory=dict)
    draft: bool = False


def normalise_audio(recording: Path, dst: Path, opts: RenderOptions = RenderOptions()) -> Path:
    """Two-pass loudnorm to ``opts.loudness`` LUFS after a high-pass and gentle compression,
    mono 48 kHz WAV, for phone speakers."""
    pre = "highpass=f=80,acompressor=threshold=-21dB:ratio=2.5:attack=15:release=250:makeup=2"
    target = f"I={opts.loudness}:TP={opts.true_peak}:LRA=11"
    log_text = run_ffmpeg(["-i", str(recording), "-vn", "-af",
                           f"{pre},loudnorm={target}:print_format=json", "-f", "null", "-"],
                          action="measuring loudness", path=recording, ffmpeg=opts.ffmpeg)
    m = re.search(r"\{[^{}]*\"input_i\"[^{}]*\}", log_text, re.S)
    if m is None:
        raise CaunoiError(detail=f"loudnorm printed no measurement for {recording}")
    meas = json.loads(m.group(0))
    second = (f"{pre},loudnorm={target}:measured_I={meas['input_i']}:"
              f"measured_TP={meas['input_tp']}:measured_LRA={meas['input_lra']}:"
              f"measured_thresh={meas['input_thresh']}:offset={meas['target_offset']}:"
              "linear=true")
    with atomic_path(dst) as part:
        run_ffmpeg(["-i", str(recording), "-vn", "-af", second, "-ac", "1", "-ar", "48000",
                    "-c:a", "pcm_s16le", "-f", "wav", str(part)],
                   action="normalising loudness", path=dst, ffmpeg=opts.ffmpeg)
    return dst


def add_title_silence(wav: Path, dst: Path, seconds: float) -> Path:
    """The narration delayed by the title card (pydub)."""
    import warnings

    with warnings.catch_warnings():  # pydub looks for ffmpeg on PATH; WAV needs none
        warnings.simplefilter("ignore")
        from pydub import AudioSegment

    audio = AudioSegment.from_wav(str(wav))
    padded = AudioSegment.silent(duration=int(seconds * 1000), frame_rate=audio.frame_rate)
    with atomic_path(dst) as part:
        (padded.set_channels(audio.channels) + audio).export(str(part), format="wav")
    return dst


def rfc6381_codecs(path: Path, fallback: tuple[str, ...]) -> tuple[str, ...]:
    """RFC 6381 codec strings read from the file (H.264 avcC, AAC profile), else ``fallback``."""
    import av

    codecs: list[str] = []
    with av.open(str(path)) as c:
        for stream in c.streams:
            cc = stream.codec_context
            if cc.name == "h264" and cc.extradata and cc.extradata[0] == 1:
                codecs.append("avc1." + cc.extradata[1:4].hex().upper())
            elif cc.name == "aac":
                codecs.append("mp4a.40.5" if (cc.profile or "").startswith("HE") else "mp4a.40.2")
            elif cc.name == "opus":
                codecs.append("opus")
            elif cc.type == "video":
                codecs.append(next(c for c in fallback if not c.startswith(("mp4a", "opus"))))
    return tuple(codecs) if len(codecs) == len(fallback) else fallback


def _watermarked(ass: Path, dst: Path) -> Path:
    subs = pysubs2.load(str(ass), encoding="utf-8")
    style = subs.styles["Default"].copy()
    style.alignment = pysubs2.Alignment.TOP_RIGHT
    style.fontname, style.fontsize, style.marginv = "Noto Sans", 22, 12
    style.primarycolor = pysubs2.Color(255, 230, 120, 0x30)
    subs.styles["Watermark"] = style
    end = max((e.end for e in subs), default=0) + 60_000
    subs.insert(0, pysubs2.SSAEvent(start=0, end=end, text=WATERMARK, style="Watermark"))
    subs.save(str(dst), encoding="utf-8")
    return dst


def _video_chain(job: RenderJob, opts: RenderOptions, tmp: Path) -> tuple[list[str], str]:
    """Extra inputs and the filter graph: title card, picture with banners and subtitles."""
    p = job.profile
    w, h, fps = p.width, p.height, p.fps
    fit = (f"scale={w}:{h}:force_original_aspect_ratio=decrease:flags=lanczos,"
           f"pad={w}:{h}:(ow-iw)/2:(oh-ih)/2:color=black,fps={fps},setsar=1")
    inputs: list[str] = []
    title = title_card(tmp / "title.png", job.title_vi, job.title_target, job.language_label,
                       font=job.font)
    inputs += ["-loop", "1", "-framerate", str(fps), "-t", f"{opts.title_card_s:.3f}",
               "-i", str(title)]
    inputs += ["-i", str(job.recording)]
    graph = [f"[0:v]{fit},format=yuv420p[title]", f"[1:v]{fit}[m0]"]
    last = "m0"
    for k, (start_ms, heading) in enumerate(job.chapters):
        banner = chapter_banner(tmp / f"chapter{k}.png", heading)
        inputs += ["-i", str(banner)]
        a, b = start_ms / 1000, start_ms / 1000 + opts.chapter_banner_s
        graph.append(f"[{last}][{2 + k}:v]overlay=0:0:enable='between(t,{a:.2f},{b:.2f})'"
                     f"[m{k + 1}]")
        last = f"m{k + 1}"
    if job.ass is not None and opts.burn_subtitles:
        ass = tmp / "subs.ass"  # a plain path keeps filter escaping out of the picture
        if job.draft:
            _watermarked(job.ass, ass)
        else:
            shutil.copyfile(job.ass, ass)
        graph.append(f"[{last}]ass=filename={ass}[subbed]")
        last = "subbed"
    graph.append(f"[title][{last}]concat=n=2:v=1:a=0,format=yuv420p[v]")
    return inputs, ";".join(graph)


def render(job: RenderJob, opts: RenderOptions = RenderOptions()) -> RenderedFile:
    """Encode one language in one profile; the file appears only after it passed the gates.

    Raises:
        FfmpegError: the encode failed.
        RenderQualityError: the result is below the profile's thresholds.
    """
    p = job.profile
    with tempfile.TemporaryDirectory(prefix="caunoi-render-") as tmp_name:
        tmp = Path(tmp_name)
        if p.has_video:
            inputs, graph = _video_chain(job, opts, tmp)
            audio = add_title_silence(job.audio, tmp / "audio.wav", opts.title_card_s)
            n_inputs = inputs.count("-i")
            args = [*inputs, "-i", str(audio)]
            maps = ["-filter_complex", graph, "-map", "[v]", "-map", f"{n_inputs}:a:0"]
            if job.srt is not None and not opts.burn_subtitles:
                args += ["-itsoffset", f"{opts.title_card_s:.3f}", "-i", str(job.srt)]
                maps += ["-map", f"{n_inputs + 1}:s:0", "-c:s", "mov_text",
                         "-metadata:s:s:0", f"language={job.language}"]
            args += [*maps, *p.video_args]
        else:
            args = ["-i", str(job.audio), "-map", "0:a:0"]
        args += [*p.audio_args, "-map_metadata", "-1"]
        if opts.threads:
            args += ["-threads", str(opts.threads)]
        if p.ext == "mp4":
            args += ["-movflags", "+faststart"]
        part = tmp / f"out.{p.ext}"
        run_ffmpeg([*args, str(part)], action=f"encoding profile {p.name}", path=job.dst,
                   ffmpeg=opts.ffmpeg)
        quality = _gate(job, part, opts)
        with atomic_path(job.dst) as final:
            shutil.move(str(part), final)
    info = probe(job.dst)
    log.info("rendered %s (%d bytes)", job.dst, job.dst.stat().st_size)
    return RenderedFile(path=job.dst, language=job.language, profile=p.name,
                        duration_ms=info.duration_ms, codecs=rfc6381_codecs(job.dst, p.codecs),
                        quality=quality.to_json() if quality else {}, draft=job.draft)


def _gate(job: RenderJob, path: Path, opts: RenderOptions) -> QualityReport | None:
    p = job.profile
    if not (opts.quality_gates and p.has_video):
        return None
    q = measure(job.recording, path, (p.width, p.height), p.fps, opts.title_card_s,
                list(job.cue_times), burned=job.ass is not None and opts.burn_subtitles,
                ffmpeg=opts.ffmpeg)
    problems = []
    if q.ssim < p.min_ssim:
        problems.append(f"SSIM {q.ssim:.3f} < {p.min_ssim}")
    if q.ocr_diacritics is not None and q.ocr_diacritics < p.min_ocr:
        problems.append(f"OCR diacritics {q.ocr_diacritics:.2f} < {p.min_ocr}")
    if q.subtitles_present is not None and q.subtitles_present < 0.8:
        problems.append(f"subtitles visible in {q.subtitles_present:.0%} of sampled cues")
    if problems:
        raise RenderQualityError(path=str(job.dst), detail="; ".join(problems),
                                 profile=p.name)
    return q
