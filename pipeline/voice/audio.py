"""Audio work of the voice stage with pydub (decode, silence, gain, overlay) and the project's
one ffmpeg (anything pydub cannot: decoding every phone format, filters, loudness).

pydub is given WAV only: ffmpeg decodes the speaker's file to PCM WAV first, so pydub never
needs ffprobe (which the bundled ffmpeg does not ship).
"""

from __future__ import annotations

import logging
import math
import re
import tempfile
import warnings
from pathlib import Path

with warnings.catch_warnings():
    # pydub looks for ffmpeg on PATH when imported; it is only ever given WAV here.
    warnings.simplefilter("ignore", RuntimeWarning)
    from pydub import AudioSegment
    from pydub.silence import detect_nonsilent

from pipeline.core.errors import FfmpegError
from pipeline.core.media import run_ffmpeg
from pipeline.core.storage import atomic_path
from pipeline.voice.errors import RecordingUnreadableError

__all__ = [
    "AudioSegment",
    "apply_filter",
    "decode",
    "loudness_lufs",
    "match_loudness",
    "speech_spans",
    "trim_silence",
    "write_wav",
]

log = logging.getLogger("caunoi.voice")

#: Below this a sample is silence whatever the recording's level (a muted microphone
#: gives about -90 dBFS, a quiet room on a phone about -60).
SILENCE_FLOOR_DBFS = -50.0
#: Silence is also anything this far below the recording's peak (a loud room's hum).
SILENCE_BELOW_PEAK_DB = 35.0
#: ebur128's integrated loudness needs 400 ms gating blocks; below it, fall back to RMS.
_MIN_LOUDNESS_MS = 500
_LUFS = re.compile(r"^\s*I:\s+(-?[\d.]+|-inf)\s+LUFS", re.MULTILINE)


def decode(path: Path, rate: int, ffmpeg: str = "") -> AudioSegment:
    """Any audio ffmpeg reads (wav, m4a, ogg/opus, mp3, MediaRecorder webm…) as mono
    16-bit PCM at ``rate`` Hz.

    Raises:
        RecordingUnreadableError: ffmpeg cannot decode it, or it holds no audio at all.
    """
    with tempfile.TemporaryDirectory(prefix="caunoi-voice-") as tmp:
        wav = Path(tmp) / "decoded.wav"
        try:
            run_ffmpeg(["-i", str(path), "-vn", "-map", "0:a:0", "-ac", "1", "-ar", str(rate),
                        "-c:a", "pcm_s16le", str(wav)], "decoding a voice recording", path,
                       ffmpeg)
        except FfmpegError as e:
            raise RecordingUnreadableError(path=str(path)) from e
        seg = AudioSegment.from_wav(str(wav))
    if len(seg) == 0:
        raise RecordingUnreadableError(path=str(path))
    return seg


def silence_threshold(seg: AudioSegment) -> float:
    """dBFS under which ``seg`` counts as silent (see the two constants above)."""
    peak = seg.max_dBFS
    return max(SILENCE_FLOOR_DBFS, peak - SILENCE_BELOW_PEAK_DB) if math.isfinite(peak) \
        else SILENCE_FLOOR_DBFS


def speech_spans(seg: AudioSegment, min_silence_ms: int = 250) -> list[tuple[int, int]]:
    """Spans ``[start_ms, end_ms)`` that are not silence (pydub's detector, 10 ms steps)."""
    if not math.isfinite(seg.max_dBFS):
        return []
    spans = detect_nonsilent(seg, min_silence_len=min_silence_ms,
                             silence_thresh=silence_threshold(seg), seek_step=10)
    return [(int(a), int(b)) for a, b in spans]


def trim_silence(seg: AudioSegment, pad_ms: int = 30) -> AudioSegment:
    """``seg`` without the silence before its first and after its last sound (``pad_ms`` kept
    so a soft consonant is not clipped)."""
    spans = speech_spans(seg)
    if not spans:
        return seg[:0]
    start, end = max(0, spans[0][0] - pad_ms), min(len(seg), spans[-1][1] + pad_ms)
    return seg[start:end]


def apply_filter(seg: AudioSegment, afilter: str, action: str, ffmpeg: str = "") -> AudioSegment:
    """Run ``seg`` through an ffmpeg audio filter graph; same rate and channels back."""
    with tempfile.TemporaryDirectory(prefix="caunoi-voice-") as tmp:
        src, dst = Path(tmp) / "in.wav", Path(tmp) / "out.wav"
        seg.export(str(src), format="wav")
        run_ffmpeg(["-i", str(src), "-af", afilter, "-ac", "1", "-ar", str(seg.frame_rate),
                    "-c:a", "pcm_s16le", str(dst)], action, src, ffmpeg)
        out: AudioSegment = AudioSegment.from_wav(str(dst))
    return out


def loudness_lufs(seg: AudioSegment, ffmpeg: str = "") -> float:
    """Integrated loudness (EBU R128, ffmpeg's ebur128) of ``seg``; for clips too short to
    gate, its RMS level in dBFS (close to LUFS for speech). -inf for digital silence."""
    if len(seg) < _MIN_LOUDNESS_MS:
        return float(seg.dBFS)
    with tempfile.TemporaryDirectory(prefix="caunoi-voice-") as tmp:
        src = Path(tmp) / "in.wav"
        seg.export(str(src), format="wav")
        err = run_ffmpeg(["-i", str(src), "-af", "ebur128=framelog=quiet", "-f", "null", "-"],
                         "measuring loudness", src, ffmpeg)
    found = _LUFS.findall(err)
    if not found:
        return float(seg.dBFS)
    value = found[-1]
    return -math.inf if value == "-inf" else float(value)


def match_loudness(seg: AudioSegment, target_lufs: float, peak_dbfs: float = -1.0,
                   ffmpeg: str = "") -> tuple[AudioSegment, float]:
    """``seg`` brought to ``target_lufs`` by one gain (the speaker's phrasing is kept). When
    that gain would push peaks over ``peak_dbfs`` (a close microphone's plosives, a synthetic
    voice's spiky wave), ffmpeg applies it in floating point with a fast peak limiter behind
    it, so nothing clips and the loudness still reaches the target.

    Returns:
        The adjusted audio and the gain applied in dB.
    """
    measured = loudness_lufs(seg, ffmpeg)
    if not math.isfinite(measured):
        return seg, 0.0
    gain = target_lufs - measured
    log.debug("loudness %.1f LUFS → gain %+.1f dB", measured, gain)
    if seg.max_dBFS + gain <= peak_dbfs:
        return seg.apply_gain(gain), gain
    limit = 10 ** (peak_dbfs / 20)
    limited = apply_filter(seg, f"volume={gain:.2f}dB,alimiter=limit={limit:.4f}:attack=2:"
                                f"release=40:level=disabled", "limiting voice peaks", ffmpeg)
    return limited, gain


def write_wav(seg: AudioSegment, path: Path) -> Path:
    """Write ``seg`` as PCM WAV, atomically (nothing half-written)."""
    with atomic_path(path) as tmp:
        seg.export(str(tmp), format="wav")
    return path
