"""Stage 8: the phone-sized finals. Lay the output out from the profile and the recording's
orientation, add a title card, burn subtitles and chapter banners in with libass (or mux the
subtitles soft), encode per profile with pinned settings (a re-render of unchanged inputs is
byte-identical), then check the result against the source (quality gates) before it is
kept."""

from __future__ import annotations

import logging
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.core.config import Settings
from pipeline.core.errors import FfmpegError, MediaUnreadableError, RenderQualityError
from pipeline.core.media import probe, run_ffmpeg
from pipeline.core.storage import atomic_path
from pipeline.render import audio as _audio
from pipeline.render.audio import add_title_silence
from pipeline.render.burn import BurnSpec, write_burn_ass
from pipeline.render.cards import title_card
from pipeline.render.codecs import rfc6381_codecs
from pipeline.render.frames import content_frame_time
from pipeline.render.graph import EncodeInputs, audio_command, encode_command
from pipeline.render.layout import Layout, plan_layout
from pipeline.render.profiles import Profile
from pipeline.render.quality import QualityReport, measure
from pipeline.voice.outputs import AudioOutputOptions, mp3_args, opus_args

__all__ = [
    "RenderJob",
    "RenderOptions",
    "RenderQualityError",
    "RenderedFile",
    "add_title_silence",
    "job_layout",
    "normalise_audio",
    "poster_time",
    "render",
    "rfc6381_codecs",
]

log = logging.getLogger("caunoi.render")


@dataclass(frozen=True)
class RenderOptions:
    # ffmpeg binary ("" = the bundled one).
    ffmpeg: str = ""
    # Integrated loudness target, LUFS (EBU R128), and true-peak ceiling.
    loudness: float = -16.0
    true_peak: float = -1.5
    # Encoder threads. One: x264 with 2 frame threads gave 8 different files in 12 renders
    # of the same 42 s lesson on a loaded machine (compat; as fast with 1 thread, since
    # decoding and filtering run in threads of their own). SVT-AV1 is pinned by lp=1.
    threads: int = 1
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
    # The recording's display size (rotation applied); None: probe it.
    source_size: tuple[int, int] | None = None
    # A dubbed language: the picture holds where a voice is longer than its slot
    # (pipeline.voice.picture.hold_filter; "" none), and the audio-only profile is encoded
    # with the audio-only dub's settings (lighter, see pipeline.voice.outputs).
    hold: str = ""
    light_audio: bool = False
    # The font for what ``font`` cannot draw (Latin letters beside Tai Viet); "" none.
    fallback_font: str = ""


@dataclass(frozen=True)
class RenderedFile:
    path: Path
    language: str
    profile: str
    duration_ms: int
    codecs: tuple[str, ...]
    quality: dict[str, float | None] = field(default_factory=dict)
    draft: bool = False
    # Further files of the same profile (the audio profile's MP3 beside its Opus).
    companions: tuple[RenderedFile, ...] = ()


def normalise_audio(recording: Path, dst: Path, opts: RenderOptions = RenderOptions()) -> Path:
    """See :func:`pipeline.render.audio.normalise_audio` (targets from ``opts``)."""
    return _audio.normalise_audio(recording, dst, opts.loudness, opts.true_peak, opts.ffmpeg)


def job_layout(job: RenderJob) -> Layout:
    """The output frame of ``job``: its profile and the recording's orientation."""
    size = job.source_size
    if size is None:
        try:
            info = probe(job.recording)
        except MediaUnreadableError as e:
            raise FfmpegError(action=f"reading the recording for profile {job.profile.name}",
                              path=str(job.recording), stderr=str(e)) from e
        if info.video is None:
            raise MediaUnreadableError(path=str(job.recording), detail="no video stream")
        size = info.video.display_size
    return plan_layout(job.profile, size)


def poster_time(job: RenderJob, opts: RenderOptions = RenderOptions()) -> float:
    """A moment (seconds, on the rendered video's timeline) that shows the recording itself
    (not the title card, not a chapter banner): for the poster/thumbnail."""
    layout = job_layout(job)
    duration_s = probe(job.recording).duration_ms / 1000
    return content_frame_time(duration_s, layout.title_s(opts.title_card_s), job.cue_times,
                              job.chapters, opts.chapter_banner_s)


def _video_args(job: RenderJob, opts: RenderOptions, layout: Layout, tmp: Path,
                out: Path) -> list[str]:
    title = title_card(tmp / "title.png", layout.size, job.title_vi, job.title_target,
                       job.language_label, font=job.font, fallback_font=job.fallback_font)
    title_s = layout.title_s(opts.title_card_s)
    audio = add_title_silence(job.audio, tmp / "audio.wav", title_s)
    burn = job.ass is not None and opts.burn_subtitles
    spec = BurnSpec(font=job.font, fallback_font=job.fallback_font, layout=layout,
                    chapters=job.chapters,
                    banner_ms=round(opts.chapter_banner_s * 1000), draft=job.draft)
    # A plain path keeps filter escaping out of the picture.
    ass = write_burn_ass(job.ass if burn else None, tmp / "burn.ass", spec)
    soft = job.srt if (job.srt is not None and not opts.burn_subtitles) else None
    inputs = EncodeInputs(recording=job.recording, title_png=title, title_s=title_s,
                          audio=audio, ass=ass, srt=soft, language=job.language,
                          hold=job.hold)
    return encode_command(inputs, layout, job.profile, out, opts.threads)


def _encode(job: RenderJob, opts: RenderOptions, tmp: Path) -> tuple[Path, Layout | None,
                                                                       list[RenderedFile]]:
    p, part = job.profile, tmp / f"out.{job.profile.ext}"
    layout = job_layout(job) if p.has_video else None
    if layout is not None:
        args = _video_args(job, opts, layout, tmp, part)
    else:
        main_args = opus_args(AudioOutputOptions()) if job.light_audio else None
        args = audio_command(job.audio, p, part, opts.threads, main_args)
    run_ffmpeg(args, action=f"encoding profile {p.name}", path=job.dst, ffmpeg=opts.ffmpeg)
    extra: list[RenderedFile] = []
    if p.companion is not None:
        ext, codec_args, codec = p.companion
        if job.light_audio and ext == "mp3":
            codec_args = mp3_args(AudioOutputOptions())
        dst = job.dst.with_suffix(f".{ext}")
        with atomic_path(dst) as final:
            run_ffmpeg(audio_command(job.audio, p, final, opts.threads, codec_args),
                       action=f"encoding profile {p.name} ({ext})", path=dst,
                       ffmpeg=opts.ffmpeg)
        extra.append(RenderedFile(path=dst, language=job.language, profile=p.name,
                                  duration_ms=probe(dst).duration_ms, codecs=(codec,),
                                  draft=job.draft))
    return part, layout, extra


def render(job: RenderJob, opts: RenderOptions = RenderOptions()) -> RenderedFile:
    """Encode one language in one profile; the file appears only after it passed the gates.

    Raises:
        FfmpegError: the encode failed.
        RenderQualityError: the result is below the profile's thresholds.
    """
    with tempfile.TemporaryDirectory(prefix="caunoi-render-") as tmp_name:
        part, layout, extra = _encode(job, opts, Path(tmp_name))
        quality = _gate(job, part, opts, layout)
        with atomic_path(job.dst) as final:
            shutil.move(str(part), final)
    info = probe(job.dst)
    log.info("rendered %s (%d bytes)", job.dst, job.dst.stat().st_size)
    return RenderedFile(path=job.dst, language=job.language, profile=job.profile.name,
                        duration_ms=info.duration_ms,
                        codecs=rfc6381_codecs(job.dst, job.profile.codecs),
                        quality=quality.to_json() if quality else {}, draft=job.draft,
                        companions=tuple(extra))


def _gate(job: RenderJob, path: Path, opts: RenderOptions,
          layout: Layout | None) -> QualityReport | None:
    p = job.profile
    if not (opts.quality_gates and layout is not None):
        return None
    if job.hold and job.hold != "null":
        # The gates compare frame by frame with the recording; a held picture is later
        # than the recording after each hold, so they would compare different moments.
        log.info("quality gates skipped for %s: the picture holds for the dub", job.dst)
        return None
    q = measure(job.recording, path, layout, layout.title_s(opts.title_card_s),
                list(job.cue_times),
                burned=job.ass is not None and opts.burn_subtitles, ffmpeg=opts.ffmpeg)
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
