"""The one place that finds ffmpeg, runs it, and probes media (with PyAV, in-process).

ffmpeg is the static build bundled with ``imageio-ffmpeg`` (libx264, SVT-AV1, libopus, libass
with fontconfig, libvmaf), unless ``Settings.ffmpeg`` / ``CAUNOI_FFMPEG`` names another binary.
It ships no ffprobe, so probing uses PyAV.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import subprocess
import threading
import wave
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from pipeline.core.errors import (
    DiskFullError,
    FfmpegError,
    MediaUnreadableError,
    RunInterruptedError,
)

if TYPE_CHECKING:
    import av.container

__all__ = [
    "AudioInfo",
    "MediaInfo",
    "VideoInfo",
    "ffmpeg_exe",
    "iter_wav_blocks",
    "probe",
    "read_wav",
    "read_wav_span",
    "run_ffmpeg",
    "stop_children",
    "wav_info",
    "wav_stats",
]

log = logging.getLogger("caunoi.media")

#: Sample rate of the analysis WAV every stage reads (Whisper's rate).
SAMPLE_RATE = 16_000

#: Frames read per block by :func:`wav_stats` (4 s at 16 kHz: 128 KB of int16).
_BLOCK_FRAMES = 1 << 16

#: Set when the process is being interrupted: no new ffmpeg starts after it.
STOPPING = threading.Event()
_children: set[subprocess.Popen[str]] = set()
#: util-linux ``setpriv`` asks the kernel to kill ffmpeg when this process dies (kill -9),
#: so no encoder keeps running re-parented to init; absent, ffmpeg runs as it is.
_DIES_WITH_PARENT: tuple[str, ...] = (
    ("setpriv", "--pdeathsig", "KILL", "--") if shutil.which("setpriv") else ())
_children_lock = threading.Lock()


def ffmpeg_exe(explicit: str = "") -> str:
    """Path of the ffmpeg binary: ``explicit`` or $CAUNOI_FFMPEG, else imageio-ffmpeg's."""
    explicit = explicit or os.environ.get("CAUNOI_FFMPEG", "")
    if explicit:
        found = shutil.which(explicit) or (explicit if Path(explicit).is_file() else None)
        if not found:
            raise FfmpegError(action="starting", path=explicit, stderr="binary not found")
        return found
    import imageio_ffmpeg

    return str(imageio_ffmpeg.get_ffmpeg_exe())


def run_ffmpeg(args: list[str], action: str, path: Path | str, ffmpeg: str = "") -> str:
    """Run ffmpeg quietly; on failure raise FfmpegError with the tail of its stderr.

    Returns:
        ffmpeg's stderr (filters such as ssim and loudnorm report there).
    """
    cmd = [*_DIES_WITH_PARENT, ffmpeg_exe(ffmpeg), "-hide_banner", "-nostdin", "-nostats", "-y",
           *args]
    log.debug("ffmpeg %s", " ".join(cmd))
    if STOPPING.is_set():
        raise RunInterruptedError()
    with subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True, errors="replace") as proc:
        with _children_lock:
            _children.add(proc)
        try:
            _, stderr = proc.communicate()
        except BaseException:
            proc.kill()  # interrupted while waiting: never leave ffmpeg running
            raise
        finally:
            with _children_lock:
                _children.discard(proc)
    if STOPPING.is_set():
        raise RunInterruptedError()
    if proc.returncode != 0:
        tail = "\n".join(stderr.strip().splitlines()[-6:])
        if "No space left on device" in tail:  # ffmpeg's ENOSPC: the disk, not the media
            raise DiskFullError(path=str(path))
        raise FfmpegError(action=action, path=str(path), stderr=tail)
    return stderr


def stop_children() -> None:
    """Mark the process as stopping and kill every ffmpeg this module started."""
    STOPPING.set()
    with _children_lock:
        running = list(_children)
    for proc in running:
        with contextlib.suppress(OSError):
            proc.kill()


@dataclass(frozen=True)
class VideoInfo:
    codec: str
    width: int
    height: int
    fps: float
    profile: str = ""
    level: int = 0
    # Display rotation from the stream's display matrix, degrees counter-clockwise
    # (phones store upright captures sideways and say so here).
    rotation: int = 0

    @property
    def display_size(self) -> tuple[int, int]:
        """Width and height as shown (after the rotation metadata is applied)."""
        if self.rotation % 180:
            return self.height, self.width
        return self.width, self.height


@dataclass(frozen=True)
class AudioInfo:
    codec: str
    sample_rate: int
    channels: int
    profile: str = ""


@dataclass(frozen=True)
class MediaInfo:
    path: str
    container: str
    duration_ms: int
    video: VideoInfo | None
    audio: AudioInfo | None


def probe(path: Path) -> MediaInfo:
    """Read container, duration and first video/audio stream of a media file.

    Raises:
        MediaUnreadableError: the file is missing, empty, corrupt or not media.
    """
    import av

    if not path.is_file() or path.stat().st_size == 0:
        raise MediaUnreadableError(path=str(path), detail="empty or missing file")
    try:
        with av.open(str(path)) as c:
            video = audio = None
            # A cover picture (an MP3's or M4A's album art) is not a picture to show.
            vs = next((s for s in c.streams.video
                       if not s.disposition & av.stream.Disposition.attached_pic), None)
            if vs is not None:
                cc = vs.codec_context
                rate = vs.average_rate or vs.guessed_rate or Fraction(0)
                video = VideoInfo(codec=cc.name, width=cc.width, height=cc.height,
                                  fps=float(rate), profile=cc.profile or "",
                                  level=int(getattr(cc, "level", 0) or 0),
                                  rotation=_rotation(c))
            ast = next(iter(c.streams.audio), None)
            if ast is not None:
                ac = ast.codec_context
                audio = AudioInfo(codec=ac.name, sample_rate=ac.sample_rate or 0,
                                  channels=ac.channels or 0, profile=ac.profile or "")
            duration_ms = int((c.duration or 0) / 1000)  # av.time_base is microseconds
            container = c.format.name
    except av.error.FFmpegError as e:
        # strerror alone: str(e) reads "[Errno 1094995529] Invalid data found ...: '<path>'".
        raise MediaUnreadableError(path=str(path), detail=e.strerror or str(e)) from e
    if video is None and audio is None:
        raise MediaUnreadableError(path=str(path), detail="no audio or video stream")
    return MediaInfo(path=str(path), container=container, duration_ms=duration_ms,
                     video=video, audio=audio)


def _rotation(container: av.container.InputContainer) -> int:
    """Display rotation of the first video stream (0, 90, 180 or 270), read from its
    first decoded frame's display matrix; 0 when it cannot be decoded."""
    import av

    try:
        frame = next(container.decode(video=0))
    except (StopIteration, av.error.FFmpegError):
        return 0
    return round(float(getattr(frame, "rotation", 0) or 0)) % 360


def read_wav(path: Path) -> tuple[np.ndarray, int]:
    """Read a 16-bit PCM WAV as float32 mono samples in [-1, 1].

    The whole file in memory (4 bytes a sample: 461 MB for 2 h at 16 kHz): stages that may
    meet long recordings use :func:`iter_wav_blocks` or :func:`read_wav_span` instead.
    """
    rate, n = wav_info(path)
    return read_wav_span(path, 0, n * 1000 // rate if rate else 0), rate


def wav_info(path: Path) -> tuple[int, int]:
    """Sample rate and number of frames of a WAV (its header only)."""
    try:
        with wave.open(str(path), "rb") as w:
            return w.getframerate(), w.getnframes()
    except (wave.Error, EOFError) as e:
        raise MediaUnreadableError(path=str(path), detail=str(e)) from e


def _as_float(block: bytes, channels: int) -> np.ndarray:
    data = np.frombuffer(block, dtype="<i2").astype(np.float32)
    if channels > 1:
        data = data[: data.size // channels * channels].reshape(-1, channels).mean(
            axis=1, dtype=np.float32)
    data *= np.float32(1 / 32768.0)
    return data


def read_wav_span(path: Path, start_ms: int, end_ms: int) -> np.ndarray:
    """Samples ``start_ms``..``end_ms`` of a 16-bit PCM WAV as float32 mono in [-1, 1].

    Seeks to the span and reads only it: memory is the span (4 bytes a sample) plus one
    block, whatever the file's length.
    """
    with wave.open(str(path), "rb") as w:
        rate, channels, n = w.getframerate(), w.getnchannels(), w.getnframes()
        first = min(n, max(0, start_ms * rate // 1000))
        last = min(n, max(first, end_ms * rate // 1000))
        out = np.empty(last - first, dtype=np.float32)
        w.setpos(first)
        filled = 0
        while filled < out.size and (
                block := w.readframes(min(_BLOCK_FRAMES, out.size - filled))):
            data = _as_float(block, channels)
            out[filled:filled + data.size] = data
            filled += data.size
    return out[:filled]


def iter_wav_blocks(path: Path, block_frames: int = _BLOCK_FRAMES) -> Iterator[np.ndarray]:
    """A 16-bit PCM WAV as consecutive float32 mono blocks of ``block_frames`` samples (the
    last one shorter): one block in memory at a time."""
    with wave.open(str(path), "rb") as w:
        channels = w.getnchannels()
        while block := w.readframes(block_frames):
            yield _as_float(block, channels)


def wav_stats(path: Path) -> tuple[int, float]:
    """Duration (ms) and peak amplitude in [0, 1] of a 16-bit PCM WAV, read block by block.

    Memory stays constant (one block of ``_BLOCK_FRAMES`` frames) whatever the file's length.
    """
    frames, peak = 0, 0
    try:
        with wave.open(str(path), "rb") as w:
            rate, channels = w.getframerate(), w.getnchannels()
            if w.getsampwidth() != 2:
                raise MediaUnreadableError(path=str(path), detail="not 16-bit PCM")
            while block := w.readframes(_BLOCK_FRAMES):
                data = np.frombuffer(block, dtype="<i2")
                if data.size:
                    peak = max(peak, int(np.max(np.abs(data.astype(np.int32)))))
                frames += data.size // channels
    except (wave.Error, EOFError) as e:
        raise MediaUnreadableError(path=str(path), detail=str(e)) from e
    return (frames * 1000 // rate if rate else 0), peak / 32768.0
