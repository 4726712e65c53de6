#!/usr/bin/env python3
"""Render benchmark: per lesson (orientation) and profile, KB per minute, size as a ratio to
a ricecooker-style reference, SSIM/VMAF, diacritics OCR, burned glyph height (CSS px on a
360 px wide phone), encode speed (× realtime) and speech intelligibility (STOI).

The reference is encoded in this process exactly as ricecooker's ``compress_video`` does
(x264 ``-preset slow``, Baseline ``-level 3.0``, CRF 32, 480 p short side, the recording's
own frame times, AAC 32 kb/s mono), with the same title card and the same burned-in
subtitles over the same duration; every size is divided by the file's own duration.

OCR is scored against the generator's answer key (``screens.json``: the text of each still
screen and where it is): every line that no render covers with a banner or a subtitle is cut
out of each render and read on its own, and the figure is the share of its diacritic words
read right. Lessons without a key (the sample) get the render gate's measure instead.

Lessons: generated phone-app captures (make_phone_lesson.py) with small Vietnamese UI text,
60 fps VFR, upright (720×1280 stored sideways with rotation metadata) and landscape
(1280×720), and the sample (landscape desktop capture), each narrated by espeak-ng.
``--seed N`` (N ≠ 0) gives a lesson that is not in the repository (another app, other UI
text and narration); ``--sentences 11`` makes it ≈ 42 s.

Usage:
    python scripts/bench_render.py [--profiles compat,tiny,modern,audio]
        [--lessons upright,landscape,sample] [--seed N] [--sentences N]
"""

from __future__ import annotations

import argparse
import json
import math
import subprocess
import sys
import tempfile
import time
import wave
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from pipeline.core.config import load_settings
from pipeline.core.languages import load_registry
from pipeline.core.media import probe, run_ffmpeg
from pipeline.ingest import IngestOptions, ingest
from pipeline.render.encode import RenderJob, RenderOptions, job_layout, normalise_audio, render
from pipeline.render.frames import frames_at, outside_banners
from pipeline.render.layout import Layout, plan_layout
from pipeline.render.legibility import glyph_height_css
from pipeline.render.profiles import Profile, get_profile
from pipeline.render.quality import (
    NativeOcr,
    diacritic_words,
    measure,
    ocr_against_native,
    ocr_pages,
    place_frame,
)
from pipeline.speech.align import align
from pipeline.subtitles.formats import write_subtitles
from pipeline.subtitles.segment import segment

#: ricecooker.utils.videos.compress_video's settings (what Kolibri channels ship).
REFERENCE = Profile(
    name="reference", purpose="ricecooker compress_video", ext="mp4", short_side=480,
    max_fps=0, drop_duplicates=False, keyframe_s=0, subtitle_band=False,
    video_args=("-c:v", "libx264", "-profile:v", "baseline", "-level:v", "3.0",
                "-preset", "slow", "-crf", "32", "-pix_fmt", "yuv420p"),
    audio_args=("-c:a", "aac", "-b:a", "32k", "-ac", "1"), codecs=("avc1", "mp4a.40.2"))

SCRIPTS = Path(__file__).resolve().parent


def lesson_recipe(key: str, seed: int, sentences: int) -> tuple[str, list[str], str]:
    """(script, arguments, lesson id) that generate the lesson ``key``."""
    if key == "sample":
        return ("make_sample_lesson.py", ["--id", "sample-qr-payment", "--sentences", "17"],
                "sample-qr-payment")
    sizes = {"upright": ("720x1280", "90"), "landscape": ("1280x720", "0"),
             "phone": ("720x1280", "90")}
    if key not in sizes:
        raise SystemExit(f"unknown lesson {key!r}: use upright, landscape or sample")
    size, rotate = sizes[key]
    lesson_id = f"phone-{key}-s{seed}"
    return ("make_phone_lesson.py", ["--id", lesson_id, "--size", size, "--fps", "60",
                                     "--rotate", rotate, "--sentences", str(sentences),
                                     "--seed", str(seed)], lesson_id)


def stream_bytes(path: Path) -> dict[str, int]:
    """Bytes of coded video and audio in ``path`` (packet payloads, container excluded)."""
    import av

    out = {"video": 0, "audio": 0}
    with av.open(str(path)) as c:
        for packet in c.demux():
            kind = packet.stream.type
            if kind in out and packet.size:
                out[kind] += packet.size
    return out


def _pcm(path: Path, offset: float, tmp: Path) -> np.ndarray:
    wav = tmp / f"{path.stem}.{path.suffix[1:]}.pcm.wav"
    run_ffmpeg(["-ss", f"{offset:.3f}", "-i", str(path), "-vn", "-ac", "1", "-ar", "16000",
                "-c:a", "pcm_s16le", str(wav)], action="decoding audio", path=path)
    with wave.open(str(wav)) as w:
        return np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(np.float64)


#: Largest delay between the narration and a decoded file that STOI alignment looks for:
#: 100 ms at 16 kHz (an AAC encoder's priming is 1024 samples, 21 ms at 48 kHz).
MAX_LAG = 1600


def lag(clean: np.ndarray, degraded: np.ndarray, max_lag: int = MAX_LAG) -> int:
    """Samples by which ``degraded`` runs late (negative: early) against ``clean``, from
    their cross-correlation over the first 30 s."""
    n = min(clean.size, degraded.size, 30 * 16000)
    size = 1 << int(np.ceil(np.log2(2 * n)))
    corr = np.fft.irfft(np.conj(np.fft.rfft(clean[:n], size)) * np.fft.rfft(degraded[:n], size),
                        size)
    lags = np.concatenate([np.arange(0, max_lag + 1), np.arange(-max_lag, 0)])
    values = np.concatenate([corr[:max_lag + 1], corr[size - max_lag:]])
    return int(lags[int(np.argmax(values))])


def stoi(clean: np.ndarray, degraded: np.ndarray) -> float | None:
    """STOI of ``degraded`` against ``clean`` once they are aligned: decoders trim an
    encoder's priming differently, and an offset of 21 ms alone took an AAC 32 kb/s file
    from 0.97 to 0.62 (the benchmark compared misaligned signals until 2026-11-27)."""
    try:
        from pystoi import stoi as _stoi
    except ImportError:
        return None
    shift = lag(clean, degraded)
    degraded = degraded[shift:] if shift >= 0 else np.concatenate([np.zeros(-shift), degraded])
    n = min(clean.size, degraded.size)
    return float(_stoi(clean[:n], degraded[:n], 16000, extended=False))


Box = tuple[int, int, int, int]


@dataclass(frozen=True)
class Moment:
    """A moment of the recording whose screen is still, and the lines of text it shows
    (display pixels of the recording), from the lesson's answer key."""
    time_s: float
    lines: tuple[tuple[str, Box], ...]


#: An answer key as the bench uses it: the recording's display size, the moments, and
#: which lines count.
Key = tuple[tuple[int, int], list[Moment], Callable[[Box], bool]]


def key_moments(lesson_dir: Path, per_screen: int = 2) -> tuple[tuple[int, int],
                                                                list[Moment]] | None:
    """Moments spread over each still screen of a generated lesson (``screens.json``,
    written by make_phone_lesson.py), or None for a lesson without an answer key."""
    from make_phone_lesson import SCREENS  # the generator that writes the key names it

    path = lesson_dir / SCREENS
    if not path.exists():
        return None
    key = json.loads(path.read_text(encoding="utf-8"))
    moments = []
    for screen in key["screens"]:
        a, b = screen["start_s"] + 0.1, screen["end_s"] - 0.1
        lines = tuple((x["text"], tuple(x["box"])) for x in screen["lines"]
                      if diacritic_words(x["text"]))
        moments += [Moment(a + (b - a) * (k + 0.5) / per_screen, lines)  # type: ignore[arg-type]
                    for k in range(per_screen) if b > a]
    return (key["size"][0], key["size"][1]), moments


def _placed_box(box: Box, size: tuple[int, int], layout: Layout) -> Box:
    """Where a box of the recording's picture lands in ``layout``'s frame."""
    x, y, w, h = layout.content
    sx, sy = w / size[0], h / size[1]
    return (math.floor(x + box[0] * sx), math.floor(y + box[1] * sy),
            math.ceil(x + box[2] * sx), math.ceil(y + box[3] * sy))


def shown_everywhere(box: Box, size: tuple[int, int], layouts: list[Layout]) -> bool:
    """True if a line lies inside every layout's comparison band (not under a banner or a
    subtitle): only such lines can be compared between the reference and a profile."""
    for layout in layouts:
        _, top, _, bottom = _placed_box(box, size, layout)
        y0, y1 = layout.compare_band
        if top < y0 or bottom > y1:
            return False
    return True


def dark_on_light(crop: np.ndarray) -> np.ndarray:
    """A crop of one line with dark text on a light ground (light text inverted): tesseract
    read the white title on the red app bar as "2-1/19811/1-|5)" in one encode and right in
    another, both as clear to the eye. Colours are kept: read as grey, the dark text on the
    yellow highlighted row lost "đơn" in every encode."""
    grey = crop[..., :3].astype(np.float64) @ np.array([0.299, 0.587, 0.114])
    edge = np.concatenate([grey[0], grey[-1], grey[:, 0], grey[:, -1]])
    return np.ascontiguousarray(255 - crop if np.median(edge) < grey.mean() else crop)


#: Each line is read at these multiples of its viewing size and a word counts as read if
#: most readings have it: at one size tesseract's quirks decide (the recording scaled to
#: 540 px read "tiền" as "tiên" shown 960 px wide and right at 720, 860, 1080 and 1200 px).
READ_SCALES = (0.8, 1.0, 1.25)


def ocr_key(frames: list[np.ndarray], moments: list[Moment], size: tuple[int, int],
            layout: Layout, keep: Callable[[Box], bool], view_width: int,
            missed: list[str] | None = None) -> float | None:
    """Share of the diacritic words on screen (answer key) that tesseract reads, one line at
    a time, in ``frames`` (taken at ``moments`` in ``layout``), each frame shown about
    ``view_width`` px wide as a phone shows any profile full-width (:data:`READ_SCALES`).
    Each line read wrong is added to ``missed`` ("truth -> reading")."""
    crops, truth, texts = [], [], []
    for frame, moment in zip(frames, moments, strict=True):
        for text, box in moment.lines:
            if not keep(box):
                continue
            x0, y0, x1, y1 = _placed_box(box, size, layout)
            pad = max(2, round((y1 - y0) * 0.4))
            crops.append(dark_on_light(frame[max(0, y0 - pad):y1 + pad,
                                             max(0, x0 - pad):x1 + pad]))
            truth.append(diacritic_words(text))
            texts.append(text)
    if not crops:
        return None
    readings = [ocr_pages(crops, k * view_width / layout.width, psm=7) for k in READ_SCALES]
    read = 0
    for i, want in enumerate(truth):
        counts = [want & diacritic_words(pages[i]) for pages in readings]
        got = sum(sorted(c[w] for c in counts)[len(counts) // 2] for w in want)
        read += got
        if missed is not None and got < sum(want.values()):
            seen = " | ".join(" ".join(pages[i].split()) for pages in readings)
            missed.append(f"{texts[i]} -> {seen}")
    return read / sum(sum(w.values()) for w in truth)


def _row(job: RenderJob, opts: RenderOptions, seconds: float, clean: np.ndarray,
         tmp: Path, key: Key | None = None) -> dict[str, object]:
    out_s = probe(job.dst).duration_ms / 1000
    size = job.dst.stat().st_size
    parts = stream_bytes(job.dst)
    row: dict[str, object] = {"profile": job.profile.name, "duration_s": out_s,
                              "kb_per_min": size / 1024 / (out_s / 60),
                              "x_realtime": out_s / seconds, "bytes": size,
                              "video_bytes": parts["video"], "audio_bytes": parts["audio"]}
    offset = 0.0
    if job.profile.has_video:
        layout = job_layout(job)
        offset = layout.title_s(opts.title_card_s)
        # Every cue's middle is sampled (the gates take 5): fewer samples made OCR noisy.
        times = list(job.cue_times)
        q = measure(job.recording, job.dst, layout, offset, times, burned=True,
                    samples=len(times))
        # Shown as the reference is seen (its width, doubled as the gate's OCR does).
        view = 2 * plan_layout(REFERENCE, (layout.width, layout.height)).width
        native = ocr_against_native(job.recording, job.dst, layout, offset, times, view) \
            if key is None else NativeOcr(None, None)
        if key is not None:
            shown, moments, keep = key
            got = frames_at(job.dst, [m.time_s + offset for m in moments])
            scaled = [place_frame(f, layout) for f in frames_at(job.recording,
                                                                [m.time_s for m in moments])]
            missed: list[str] = []
            row |= {"ocr_key": ocr_key(got, moments, shown, layout, keep, view, missed),
                    "ocr_key_scaled": ocr_key(scaled, moments, shown, layout, keep, view),
                    "ocr_key_missed": missed,
                    "ocr_key_words": sum(sum(diacritic_words(t).values()) for m in moments
                                         for t, b in m.lines if keep(b))}
        row |= {"size": f"{layout.width}x{layout.height}", "ssim": q.ssim, "vmaf": q.vmaf,
                "ocr": q.ocr_diacritics, "ocr_native": native.render,
                "ocr_scaled": native.scaled, "glyph_css": glyph_height_css(layout, job.font)}
    row["stoi"] = stoi(clean, _pcm(job.dst, offset, tmp))
    return row


def bench_lesson(lesson_dir: Path, profiles: list[str], tmp: Path) -> list[dict[str, object]]:
    settings = load_settings()
    registry = load_registry(settings.glossary_dir)
    ingested = ingest(lesson_dir, registry, IngestOptions(out_dir=tmp / "out"))
    vi = registry.source
    alignment = align(ingested, None)
    cues = segment(alignment, vi)
    starts: dict[str, int] = {}
    for a in alignment.sentences:
        if a.status == "matched" and a.chapter and a.chapter not in starts:
            starts[a.chapter] = a.start_ms
    chapters = tuple((ms, heading) for heading, ms in starts.items())
    write_subtitles(cues, vi, tmp)
    audio = normalise_audio(ingested.lesson.recording, tmp / "norm.wav")
    clean = _pcm(audio, 0.0, tmp)
    times = tuple((c.start_ms + c.end_ms) / 2000 for c in cues)
    opts = RenderOptions(quality_gates=False, title_card_s=settings.title_card_s)
    rows = []
    jobs = []
    for name in ["reference", *profiles]:
        profile = REFERENCE if name == "reference" else get_profile(name)
        jobs.append(RenderJob(
            recording=ingested.lesson.recording, audio=audio, language=vi.code, font=vi.font,
            profile=profile, dst=tmp / f"{name}.{profile.ext}", ass=tmp / f"{vi.code}.ass",
            title_vi=ingested.lesson.title, cue_times=times, chapters=chapters))
    found = key_moments(lesson_dir)
    key: Key | None = None
    if found:  # only lines that no render covers count, so every render reads the same
        size, moments = found
        # A chapter banner can sit over content rows (above the subtitles in landscape).
        moments = [m for m in moments
                   if outside_banners(m.time_s, chapters, opts.chapter_banner_s)]
        layouts = [job_layout(j) for j in jobs if j.profile.has_video]
        key = (size, moments, lambda box: shown_everywhere(box, size, layouts))
    for job in jobs:
        name = job.profile.name
        started = time.perf_counter()
        rendered = render(job, opts)
        row = _row(job, opts, time.perf_counter() - started, clean, tmp, key)
        row["lesson"] = lesson_dir.name
        rows.append(row)
        for extra in rendered.companions:
            kb_min = extra.path.stat().st_size / 1024 / (extra.duration_ms / 60000)
            rows.append({"lesson": lesson_dir.name, "profile": f"{name}-{extra.path.suffix[1:]}",
                         "kb_per_min": kb_min, "stoi": stoi(clean, _pcm(extra.path, 0, tmp))})
        print(f"  {lesson_dir.name} {name}: {row['kb_per_min']:.0f} KB/min", flush=True)
    return rows


def _table(rows: list[dict[str, object]]) -> None:
    """OCR: the answer key's diacritic words read line by line (OCRs: in the recording only
    scaled to the render's frame); OCRg: the render gate's measure (words read in the
    recording scaled to the render's size and also read in the render)."""
    print(f"\n{'lesson':18} {'profile':11} {'frame':>8} {'KB/min':>7} {'size×':>6} {'×rt':>6} "
          f"{'SSIM':>6} {'VMAF':>6} {'OCR':>5} {'OCRs':>5} {'OCRg':>5} {'glyph':>6} "
          f"{'STOI':>5} {'videoKB':>8} {'audioKB':>8}")
    for r in rows:
        ref = next(x for x in rows if x["lesson"] == r["lesson"] and x["profile"] == "reference")

        def f(key: str, fmt: str, row: dict[str, object] = r) -> str:
            v = row.get(key)
            return format(v, fmt) if isinstance(v, float) else "-".rjust(int(fmt.split(".")[0]))

        ratio = float(str(r["kb_per_min"])) / float(str(ref["kb_per_min"]))
        print(f"{r['lesson']:18} {r['profile']:11} {r.get('size', '-')!s:>8} "
              f"{f('kb_per_min', '7.1f')} {ratio:6.2f} {f('x_realtime', '6.1f')} "
              f"{f('ssim', '6.4f')} {f('vmaf', '6.1f')} {f('ocr_key', '5.3f')} "
              f"{f('ocr_key_scaled', '5.3f')} {f('ocr', '5.2f')} "
              f"{f('glyph_css', '6.1f')} {f('stoi', '5.2f')} {_kb(r, 'video_bytes')} "
              f"{_kb(r, 'audio_bytes')}")


def _kb(row: dict[str, object], key: str) -> str:
    v = row.get(key)
    return f"{v / 1024:8.1f}" if isinstance(v, int) else "-".rjust(8)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    p.add_argument("--profiles", default="compat,tiny,modern,audio")
    p.add_argument("--lessons", default="upright,landscape")
    p.add_argument("--seed", type=int, default=0,
                   help="phone lessons: 0 = the repository's VNeID lesson, other = a QR one")
    p.add_argument("--sentences", type=int, default=9)
    p.add_argument("--out", type=Path, default=Path("bench-results/render.json"))
    p.add_argument("--lessons-dir", type=Path, default=None,
                   help="keep generated lessons here and reuse them on the next run")
    args = p.parse_args(argv)
    profiles = [x.strip() for x in args.profiles.split(",") if x.strip()]
    rows: list[dict[str, object]] = []
    with tempfile.TemporaryDirectory(prefix="caunoi-bench-render-") as tmp_name:
        tmp = Path(tmp_name)
        for key in [x.strip() for x in args.lessons.split(",") if x.strip()]:
            script, extra, lesson_id = lesson_recipe(key, args.seed, args.sentences)
            lessons = args.lessons_dir or tmp / "lessons"
            if not (lessons / lesson_id / "recording.mp4").exists():
                subprocess.run([sys.executable, str(SCRIPTS / script), "--out", str(lessons),
                                *extra], check=True, capture_output=True)
            work = tmp / lesson_id
            work.mkdir()
            rows += bench_lesson(lessons / lesson_id, profiles, work)
    _table(rows)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(rows, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
