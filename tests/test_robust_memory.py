"""Bounded memory: the analysis WAV is read in blocks, never whole, by VAD, transcription and
the render's audio; the block-wise results equal the whole-array ones."""

from __future__ import annotations

import tracemalloc
import wave
from pathlib import Path

import numpy as np
import pytest

from pipeline.core.media import iter_wav_blocks, read_wav, read_wav_span, run_ffmpeg
from pipeline.speech import vad
from pipeline.speech.transcribe import TranscribeOptions, transcribe


def _write(path: Path, samples: np.ndarray, rate: int = 16_000) -> None:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(np.clip(samples * 32768, -32768, 32767).astype("<i2").tobytes())


def _bursts(seconds: int, rate: int = 16_000) -> np.ndarray:
    """Noise floor with a tone burst of 0.6 s every 2 s (speech-like for the energy VAD)."""
    rng = np.random.default_rng(3)
    x = rng.standard_normal(seconds * rate).astype(np.float32) * np.float32(0.001)
    t = np.arange(int(0.6 * rate), dtype=np.float32) / rate
    burst = (0.3 * np.sin(2 * np.pi * 220 * t)).astype(np.float32)
    for s in range(0, seconds - 1, 2):
        x[s * rate: s * rate + burst.size] += burst
    return x


@pytest.fixture(scope="module")
def speech_wav(short_lesson: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    wav = tmp_path_factory.mktemp("vad") / "speech.wav"
    rec = next(short_lesson.glob("recording.*"))
    run_ffmpeg(["-i", str(rec), "-vn", "-ac", "1", "-ar", "16000", "-c:a", "pcm_s16le",
                str(wav)], action="test", path=rec)
    return wav


def test_spans_and_blocks_equal_the_whole_file(tmp_path: Path) -> None:
    wav = tmp_path / "a.wav"
    _write(wav, _bursts(9))
    whole, _ = read_wav(wav)
    assert np.array_equal(read_wav_span(wav, 1234, 5678), whole[1234 * 16: 5678 * 16])
    assert np.array_equal(np.concatenate(list(iter_wav_blocks(wav, 1000))), whole)
    assert read_wav_span(wav, 8_000, 99_000).size == whole.size - 8_000 * 16


def test_silero_in_blocks_equals_faster_whisper(speech_wav: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """Silero's state and context carried across blocks: the regions are faster-whisper's
    own (``get_speech_timestamps`` over the whole array), however small the blocks."""
    from faster_whisper.vad import VadOptions as SileroOptions
    from faster_whisper.vad import get_speech_timestamps

    samples, rate = read_wav(speech_wav)
    o = vad.VadOptions()
    ref = [(int(s["start"]) // 16, int(s["end"]) // 16) for s in get_speech_timestamps(
        samples, SileroOptions(threshold=o.silero_threshold, speech_pad_ms=0,
                               min_silence_duration_ms=o.min_silence_ms,
                               min_speech_duration_ms=o.min_speech_ms))]
    assert len(ref) >= 3
    assert vad.silero_regions(samples, o) == ref
    monkeypatch.setattr(vad, "_SILERO_BATCH", 7)  # blocks of 7 windows (0.22 s)
    assert vad.wav_speech_regions(speech_wav) == vad.speech_regions(samples, rate)


def test_energy_vad_in_blocks_equals_whole_array(tmp_path: Path) -> None:
    wav = tmp_path / "b.wav"
    _write(wav, _bursts(30))
    samples, rate = read_wav(wav)
    energy = vad.VadOptions(method="energy")
    found = vad.wav_speech_regions(wav, energy)
    assert len(found) == 15
    assert found == vad.speech_regions(samples, rate, energy)


def test_vad_memory_does_not_grow_with_the_recording(tmp_path: Path) -> None:
    """20 minutes: the whole float32 array alone would be 77 MB; block-wise VAD stays
    under 16 MB (one block plus ~25 bytes per 10 ms frame)."""
    wav = tmp_path / "long.wav"
    minute = _bursts(60)
    with wave.open(str(wav), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16_000)
        for _ in range(20):
            w.writeframes(np.clip(minute * 32768, -32768, 32767).astype("<i2").tobytes())
    tracemalloc.start()
    try:
        found = vad.wav_speech_regions(wav, vad.VadOptions(method="energy"))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(found) == 20 * 30
    assert peak < 16 * 1024 * 1024, peak


@pytest.mark.slow
def test_transcribe_reads_only_its_chunks(tmp_path: Path, tiny_models: Path) -> None:
    """A 20-minute WAV with no speech: Silero over the whole file, no chunk decoded, and
    no whole-recording array (77 MB as float32) ever allocated."""
    wav = tmp_path / "quiet.wav"
    with wave.open(str(wav), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16_000)
        for _ in range(20):
            w.writeframes(bytes(2 * 16_000 * 60))
    opts = TranscribeOptions(backend="faster-whisper", model="tiny-random",
                             model_dir=tiny_models)
    tracemalloc.start()
    try:
        result = transcribe(wav, opts)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert result.segments == ()
    assert peak < 30 * 1024 * 1024, peak


def test_title_silence_is_copied_in_blocks(tmp_path: Path) -> None:
    from pipeline.render.audio import add_title_silence

    src, dst = tmp_path / "n.wav", tmp_path / "d.wav"
    _write(src, _bursts(5, 48_000)[: 48_000 * 5], 48_000)
    add_title_silence(src, dst, 1.25)
    before, _ = read_wav(src)
    after, rate = read_wav(dst)
    assert rate == 48_000
    assert after.size == before.size + 60_000
    assert not after[:60_000].any()
    assert np.array_equal(after[60_000:], before)


def test_frame_db_in_blocks_equals_the_direct_formula() -> None:
    x = _bursts(70)[: 16_000 * 70 - 123]  # not a whole number of frames or blocks
    hop = 16_000 * 10 // 1000
    n = x.size // hop
    rms = np.sqrt(np.mean(x[: n * hop].reshape(n, hop).astype(np.float64) ** 2, axis=1))
    direct = 20 * np.log10(np.maximum(rms, 1e-6))
    assert np.allclose(vad.frame_db(x, 16_000, 10), direct, atol=1e-9)
