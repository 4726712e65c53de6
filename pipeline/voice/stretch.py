"""Time stretchers: make a voice shorter without changing its pitch.

How to add one: subclass :class:`Stretcher`, set ``name``, implement ``stretch``, register it
in ``STRETCHERS``. ``scripts/bench_dub.py`` measures them (STOI) and chose the default.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from abc import ABC, abstractmethod
from pathlib import Path
from typing import ClassVar

from pipeline.core.errors import CaunoiError, UnknownNameError
from pipeline.voice.audio import AudioSegment, apply_filter
from pipeline.voice.errors import StretcherMissingError

__all__ = ["STRETCHERS", "AtempoStretcher", "RubberBandCli", "RubberBandFilter", "Stretcher",
           "stretcher"]


class Stretcher(ABC):
    name: ClassVar[str]

    @abstractmethod
    def stretch(self, seg: AudioSegment, factor: float, ffmpeg: str = "") -> AudioSegment:
        """``seg`` played ``factor`` times faster (``factor`` > 1 shortens it)."""


class AtempoStretcher(Stretcher):
    """ffmpeg's ``atempo`` (WSOLA-like overlap-add): fast, in every ffmpeg."""

    name = "atempo"

    def stretch(self, seg: AudioSegment, factor: float, ffmpeg: str = "") -> AudioSegment:
        if factor == 1.0:
            return seg
        return apply_filter(seg, f"atempo={factor:.6f}", "time-stretching (atempo)", ffmpeg)


class RubberBandFilter(Stretcher):
    """Rubber Band (phase vocoder with transient handling) inside the project's ffmpeg
    (its ``rubberband`` filter, the R2 engine); no extra program needed."""

    name = "rubberband"

    def stretch(self, seg: AudioSegment, factor: float, ffmpeg: str = "") -> AudioSegment:
        if factor == 1.0:
            return seg
        return apply_filter(seg, f"rubberband=tempo={factor:.6f}",
                            "time-stretching (rubberband)", ffmpeg)


class RubberBandCli(Stretcher):
    """Rubber Band's own program (Debian ``rubberband-cli``) with its R3 "finer" engine,
    offline (whole-file) mode."""

    name = "rubberband-r3"

    def stretch(self, seg: AudioSegment, factor: float, ffmpeg: str = "") -> AudioSegment:
        if factor == 1.0:
            return seg
        exe = shutil.which("rubberband")
        if exe is None:
            raise StretcherMissingError(name=self.name, package="rubberband-cli")
        with tempfile.TemporaryDirectory(prefix="caunoi-voice-") as tmp:
            src, dst = Path(tmp) / "in.wav", Path(tmp) / "out.wav"
            seg.export(str(src), format="wav")
            try:
                subprocess.run([exe, "--fine", "--quiet", "-T", f"{factor:.6f}", str(src),
                                str(dst)], check=True, capture_output=True, text=True)
            except subprocess.CalledProcessError as e:
                raise CaunoiError(detail=f"rubberband: {e.stderr.strip()[-300:]}") from e
            out: AudioSegment = AudioSegment.from_wav(str(dst))
        return out.set_frame_rate(seg.frame_rate).set_sample_width(seg.sample_width)


STRETCHERS: dict[str, type[Stretcher]] = {
    s.name: s for s in (RubberBandFilter, AtempoStretcher, RubberBandCli)}


def stretcher(name: str) -> Stretcher:
    """The registered stretcher called ``name``."""
    try:
        return STRETCHERS[name]()
    except KeyError:
        raise UnknownNameError(kind="time stretcher", name=name,
                               known=", ".join(STRETCHERS)) from None
