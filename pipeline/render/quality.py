"""Quality gates on every render: SSIM (and VMAF where the ffmpeg has libvmaf) against the
source scaled to the same size, OCR of the Vietnamese UI text with diacritics, and a check
that subtitles are on screen while a cue is shown."""

from __future__ import annotations

import logging
import re
import shutil
import subprocess
import tempfile
import unicodedata
from collections import Counter
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from pipeline.core.media import run_ffmpeg
from pipeline.core.text import is_vietnamese_syllable
from pipeline.render.frames import frames_at
from pipeline.render.layout import Layout

__all__ = ["NativeOcr", "QualityReport", "diacritic_words", "measure", "ocr_against_native",
           "ocr_available", "ocr_pages", "place_frame", "sample_moments"]

log = logging.getLogger("caunoi.quality")


@dataclass(frozen=True)
class QualityReport:
    ssim: float
    vmaf: float | None
    # Share of the diacritic-bearing words OCR reads in the source that it also reads in the
    # render (None when tesseract is missing).
    ocr_diacritics: float | None
    # Share of sampled cue moments with subtitles visibly on screen (None: no burned subs).
    subtitles_present: float | None

    def to_json(self) -> dict[str, float | None]:
        return {k: (None if v is None else round(v, 4)) for k, v in asdict(self).items()}


def ocr_available() -> bool:
    return shutil.which("tesseract") is not None


def _placed(layout: Layout) -> str:
    """The filter chain that puts a source picture where the render puts it."""
    x, y, w, h = layout.content
    chain = f"scale={w}:{h}:flags=lanczos,setsar=1"
    if (w, h) != layout.size:
        chain += f",pad={layout.width}:{layout.height}:{x}:{y}:color=black"
    return chain


def place_frame(img: np.ndarray, layout: Layout) -> np.ndarray:
    """A source frame scaled and placed as the render places the recording."""
    from PIL import Image

    x, y, w, h = layout.content
    canvas = Image.new("RGB", layout.size)
    canvas.paste(Image.fromarray(img).resize((w, h), Image.Resampling.LANCZOS), (x, y))
    return np.asarray(canvas)


def _source_frames(source: Path, times: list[float], layout: Layout) -> list[np.ndarray]:
    return [place_frame(f, layout) for f in frames_at(source, times)]


def ocr_pages(images: list[np.ndarray], scale: float = 2.0, psm: int = 4) -> list[str]:
    """Tesseract's Vietnamese reading of each image enlarged ``scale`` times: one start-up,
    each image a page with its own layout analysis (the frames stacked into one tall image
    lost whole frames to it, ± 5 words of 96 between two encodes of the same lesson). Page
    segmentation 4 (one column of lines of any size): the default block mode (6) reads the
    full-width row boxes of a phone app as graphics ("P P P P") at some sizes and not at
    others; 7 reads one line of text."""
    from PIL import Image

    if not images:
        return []
    with tempfile.TemporaryDirectory() as tmp:
        names = []
        for i, img in enumerate(images):
            w, h = (max(1, round(n * scale)) for n in (img.shape[1], img.shape[0]))
            names.append(str(Path(tmp) / f"f{i:04d}.png"))
            Image.fromarray(img).resize((w, h), Image.Resampling.LANCZOS).save(names[-1])
        listing = Path(tmp) / "pages.txt"
        listing.write_text("\n".join(names) + "\n", encoding="utf-8")
        proc = subprocess.run(["tesseract", str(listing), "-", "-l", "vie", "--psm", str(psm)],
                              capture_output=True, text=True, check=False)
    pages = unicodedata.normalize("NFC", proc.stdout).split("\f")
    return (pages + [""] * len(images))[:len(images)]


def _words(images: list[np.ndarray], width: int = 0) -> Counter[str]:
    """Diacritic words read in ``images`` (all the same size) shown ``width`` px wide (0:
    twice their own width), page by page, added up."""
    total: Counter[str] = Counter()
    scale = width / images[0].shape[1] if (width and images) else 2.0
    for page in ocr_pages(images, scale):
        total += diacritic_words(page)
    return total


def diacritic_words(text: str) -> Counter[str]:
    """Words with diacritics that Vietnamese can spell: an OCR misreading of the source
    ("vởz") is not a word a render must reproduce."""
    words = re.findall(r"\w+", text.lower())
    return Counter(w for w in words if unicodedata.normalize("NFD", w) != w and len(w) > 1
                   and is_vietnamese_syllable(w))


def _compare(ref: Path, out: Path, offset: float, layout: Layout,
             ffmpeg: str) -> tuple[float, float | None]:
    y0, y1 = layout.compare_band
    crop = f"crop={layout.width}:{y1 - y0}:0:{y0}"
    rate = f"fps={layout.fps}," if layout.fps else ""
    chain = (f"[1:v]{rate}{_placed(layout)},{crop},split[r1][r2];"
             f"[0:v]setsar=1,{crop},split[o1][o2];[o1][r1]ssim")
    vmaf = "libvmaf" in _filters(ffmpeg)
    if vmaf:
        chain += ";[o2][r2]libvmaf=n_threads=2:n_subsample=10"
    else:
        chain += ";[o2]nullsink;[r2]nullsink"
    log_text = run_ffmpeg(["-ss", f"{offset:.3f}", "-i", str(out), "-i", str(ref),
                           "-filter_complex", chain, "-f", "null", "-"],
                          action="measuring SSIM/VMAF", path=out, ffmpeg=ffmpeg)
    ssim = re.search(r"All:([0-9.]+)", log_text)
    score = re.search(r"VMAF score: ([0-9.]+)", log_text)
    return (float(ssim.group(1)) if ssim else 0.0,
            float(score.group(1)) if (vmaf and score) else None)


@lru_cache(maxsize=4)
def _filters(ffmpeg: str) -> str:
    """The filter list of an ffmpeg binary (asked once per process)."""
    from pipeline.core.media import ffmpeg_exe

    return subprocess.run([ffmpeg_exe(ffmpeg), "-hide_banner", "-filters"],
                          capture_output=True, text=True).stdout


@lru_cache(maxsize=16)
def _source_words(source: str, picks: tuple[float, ...], layout: Layout) -> Counter[str]:
    """OCR of the source frames, shared by every language of a lesson."""
    y0, y1 = layout.compare_band
    src = _source_frames(Path(source), list(picks), layout)
    return _words([a[y0:y1] for a in src])


def _subtitles_present(src: list[np.ndarray], out: list[np.ndarray], layout: Layout) -> float:
    """Share of sampled moments whose subtitle area differs strongly from the source's:
    a subtitle box changes a block of it (a one-word cue covers a few percent)."""
    s0, s1 = layout.subtitle_top, layout.height
    changed = [float((np.abs(a[s0:s1].astype(int) - b[s0:s1].astype(int)).max(axis=2) > 40)
                     .mean()) for a, b in zip(src, out, strict=True)]
    return sum(c > 0.01 for c in changed) / len(changed)


def sample_moments(cue_times_s: list[float], samples: int) -> list[float]:
    """``samples`` moments spread evenly over the cues, first and last included (with fewer
    cues than samples: every cue once)."""
    n = min(samples, len(cue_times_s))
    return [cue_times_s[round(i * (len(cue_times_s) - 1) / max(1, n - 1))] for i in range(n)]


def measure(source: Path, render: Path, layout: Layout, offset_s: float,
            cue_times_s: list[float], burned: bool, ffmpeg: str = "",
            samples: int = 5) -> QualityReport:
    """Compare ``render`` (whose picture starts ``offset_s`` after a title card) with the
    source recording placed as ``layout`` places it, at the moments in ``cue_times_s``
    (mid-cue, source timeline)."""
    ssim, vmaf = _compare(source, render, offset_s, layout, ffmpeg)
    picks = sample_moments(cue_times_s, samples)
    ocr = present = None
    if picks:
        src = _source_frames(source, picks, layout)
        out = frames_at(render, [t + offset_s for t in picks])
        y0, y1 = layout.compare_band
        if ocr_available():
            want = _source_words(str(source), tuple(picks), layout)
            got = _words([b[y0:y1] for b in out])
            total = sum(want.values())
            ocr = sum((want & got).values()) / total if total else None
        if burned:
            present = _subtitles_present(src, out, layout)
    return QualityReport(ssim=ssim, vmaf=vmaf, ocr_diacritics=ocr, subtitles_present=present)


@dataclass(frozen=True)
class NativeOcr:
    # Share of the diacritic words OCR reads in the recording at its own resolution that it
    # also reads in the render (scaling + encoding lost the rest) and in the recording only
    # scaled to the render's size (what scaling alone loses); every picture is shown at the
    # same width, as a phone shows any profile full-width.
    render: float | None
    scaled: float | None


def ocr_against_native(source: Path, render: Path, layout: Layout, offset_s: float,
                       times_s: list[float], view_width: int = 960) -> NativeOcr:
    """Diacritics OCR against the recording at its own resolution, every picture shown
    ``view_width`` px wide: comparable between renders of different sizes (the gate's
    :func:`measure` compares with the recording scaled to the render's size, so it sees the
    encoder's losses only)."""
    if not (times_s and ocr_available()):
        return NativeOcr(None, None)
    y0, y1 = layout.compare_band
    _, cy, _, ch = layout.content
    native = frames_at(source, times_s)
    n0, n1 = (round((y - cy) * native[0].shape[0] / ch) for y in (y0, y1))

    want = _words([f[n0:n1] for f in native], view_width)
    scaled = _words([place_frame(f, layout)[y0:y1] for f in native], view_width)
    got = _words([f[y0:y1] for f in frames_at(render, [t + offset_s for t in times_s])],
                 view_width)
    total = sum(want.values())
    if not total:
        return NativeOcr(None, None)
    return NativeOcr(sum((want & got).values()) / total, sum((want & scaled).values()) / total)
