"""Narration for phone speakers: high-pass, gentle compression, two-pass EBU R128
loudnorm; the title card's silence in front."""

from __future__ import annotations

import json
import re
import wave
from pathlib import Path

from pipeline.core.errors import FfmpegError
from pipeline.core.media import run_ffmpeg
from pipeline.core.storage import atomic_path

__all__ = ["add_title_silence", "normalise_audio"]

_PRE = "highpass=f=80,acompressor=threshold=-21dB:ratio=2.5:attack=15:release=250:makeup=2"


def normalise_audio(recording: Path, dst: Path, loudness: float = -16.0,
                    true_peak: float = -1.5, ffmpeg: str = "") -> Path:
    """Two-pass loudnorm to ``loudness`` LUFS after a high-pass and gentle compression,
    mono 48 kHz WAV, for phone speakers.

    Raises:
        FfmpegError: ffmpeg failed or printed no measurement.
    """
    target = f"I={loudness}:TP={true_peak}:LRA=11"
    log_text = run_ffmpeg(["-i", str(recording), "-vn", "-af",
                           f"{_PRE},loudnorm={target}:print_format=json", "-f", "null", "-"],
                          action="measuring loudness", path=recording, ffmpeg=ffmpeg)
    m = re.search(r"\{[^{}]*\"input_i\"[^{}]*\}", log_text, re.S)
    if m is None:
        raise FfmpegError(action="measuring loudness", path=str(recording),
                          stderr="loudnorm printed no measurement")
    meas = json.loads(m.group(0))
    second = (f"{_PRE},loudnorm={target}:measured_I={meas['input_i']}:"
              f"measured_TP={meas['input_tp']}:measured_LRA={meas['input_lra']}:"
              f"measured_thresh={meas['input_thresh']}:offset={meas['target_offset']}:"
              "linear=true")
    with atomic_path(dst) as part:
        run_ffmpeg(["-i", str(recording), "-vn", "-af", second, *_WAV_OUT, str(part)],
                   action="normalising loudness", path=dst, ffmpeg=ffmpeg)
        # Narration whose level changes a lot between sentences can leave loudnorm short of
        # its target (the peak ceiling stops the linear gain): make up the rest with a gain
        # and a true-peak limiter, measured again.
        got = _integrated(part, ffmpeg)
        if abs(got - loudness) > _TOLERANCE_LU:
            fixed = part.with_name(part.name + ".gain.wav")
            limit = 10 ** (true_peak / 20)
            run_ffmpeg(["-i", str(part), "-af", f"volume={loudness - got:.2f}dB,"
                        f"alimiter=limit={limit:.4f}:level=false", *_WAV_OUT, str(fixed)],
                       action="normalising loudness", path=dst, ffmpeg=ffmpeg)
            fixed.replace(part)
    return dst


#: How far from the target the two-pass result may stay before a make-up gain (LU).
_TOLERANCE_LU = 0.5
_WAV_OUT = ("-ac", "1", "-ar", "48000", "-c:a", "pcm_s16le", "-fflags", "+bitexact",
            "-flags:a", "+bitexact", "-f", "wav")


def _integrated(wav: Path, ffmpeg: str) -> float:
    """Integrated loudness of ``wav`` (EBU R128, LUFS)."""
    log_text = run_ffmpeg(["-i", str(wav), "-af", "ebur128", "-f", "null", "-"],
                          action="measuring loudness", path=wav, ffmpeg=ffmpeg)
    found = re.findall(r"I:\s+(-?[0-9.]+) LUFS", log_text)
    if not found:
        raise FfmpegError(action="measuring loudness", path=str(wav),
                          stderr="ebur128 printed no measurement")
    return float(found[-1])


def add_title_silence(wav: Path, dst: Path, seconds: float) -> Path:
    """The narration delayed by the title card, copied block by block (the narration is
    never held in memory whole: 48 kHz mono is 345 MB an hour)."""
    with (wave.open(str(wav), "rb") as src, atomic_path(dst) as part,
          wave.open(str(part), "wb") as out):
        out.setnchannels(src.getnchannels())
        out.setsampwidth(src.getsampwidth())
        out.setframerate(src.getframerate())
        frame = src.getnchannels() * src.getsampwidth()
        silent = round(seconds * src.getframerate())
        for start in range(0, silent, _COPY_FRAMES):
            out.writeframes(bytes(frame * min(_COPY_FRAMES, silent - start)))
        while block := src.readframes(_COPY_FRAMES):
            out.writeframes(block)
    return dst


#: Frames copied at a time by :func:`add_title_silence` (~1.4 s at 48 kHz).
_COPY_FRAMES = 1 << 16
