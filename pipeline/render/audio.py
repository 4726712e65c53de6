"""Narration for phone speakers: high-pass, gentle compression, two-pass EBU R128
loudnorm; the title card's silence in front."""

from __future__ import annotations

import json
import re
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
        run_ffmpeg(["-i", str(recording), "-vn", "-af", second, "-ac", "1", "-ar", "48000",
                    "-c:a", "pcm_s16le", "-fflags", "+bitexact", "-flags:a", "+bitexact",
                    "-f", "wav", str(part)],
                   action="normalising loudness", path=dst, ffmpeg=ffmpeg)
    return dst


def add_title_silence(wav: Path, dst: Path, seconds: float) -> Path:
    """The narration delayed by the title card (pydub)."""
    import warnings

    with warnings.catch_warnings():  # pydub looks for ffmpeg on PATH; WAV needs none
        warnings.simplefilter("ignore")
        from pydub import AudioSegment

    audio = AudioSegment.from_wav(str(wav))
    padded = AudioSegment.silent(duration=round(seconds * 1000), frame_rate=audio.frame_rate)
    with atomic_path(dst) as part:
        (padded.set_channels(audio.channels) + audio).export(str(part), format="wav")
    return dst
