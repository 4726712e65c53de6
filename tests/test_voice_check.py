"""Checking incoming voice recordings (every phone format decodes; silent, corrupt and
absurdly long files are refused with one sentence each), the voice backends (espeak-ng, the
tiny random VITS model) and the rule that a synthetic voice is never a person's."""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np
import pytest

from pipeline.core.media import run_ffmpeg
from pipeline.voice import (
    RecordingLimits,
    VoiceOptions,
    check_recording,
    human_recording,
    synthetic_recording,
)
from pipeline.voice.backends import espeak_voice
from pipeline.voice.errors import (
    RecordingSilentError,
    RecordingTooLongError,
    RecordingUnreadableError,
    SyntheticVoiceError,
    TtsModelMissingError,
    VoiceBackendError,
)
from tests.conftest import run_script


def _wav(path: Path, samples: np.ndarray, rate: int = 16_000) -> Path:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(np.clip(samples, -32768, 32767).astype("<i2").tobytes())
    return path


@pytest.fixture(scope="module")
def spoken(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Sentence 2 of the sample in English, as a stand-in phone recording (WAV)."""
    out = tmp_path_factory.mktemp("voices")
    run_script("make_voice_recordings.py", "--out", str(out), "--sentences", "2")
    return out / "2.wav"


@pytest.mark.parametrize(("fmt", "args"), [
    ("m4a", ["-c:a", "aac", "-b:a", "32k"]),
    ("ogg", ["-c:a", "libopus", "-b:a", "16k"]),
    ("webm", ["-c:a", "libopus", "-b:a", "16k", "-f", "webm"]),  # what MediaRecorder sends
    ("mp3", ["-c:a", "libmp3lame", "-b:a", "32k"]),
    ("wav", ["-c:a", "pcm_s16le", "-ar", "44100", "-ac", "2"]),
])
def test_every_phone_format_is_checked(spoken: Path, tmp_path: Path, fmt: str,
                                       args: list[str]) -> None:
    dst = tmp_path / f"2.{fmt}"
    run_ffmpeg(["-i", str(spoken), *args, str(dst)], "test encode", dst)
    info = check_recording(dst, RecordingLimits(slot_ms=5000))
    ref = check_recording(spoken)
    assert abs(info.duration_ms - ref.duration_ms) < 120
    # The speech starts after the 0.3 s of room noise the stand-in recording begins with.
    assert 200 <= info.speech_start_ms <= 450
    assert abs(info.speech_end_ms - ref.speech_end_ms) < 120
    assert info.synthetic_source == ""


def test_unreadable_and_empty_files_are_refused(tmp_path: Path) -> None:
    bad = tmp_path / "3.wav"
    bad.write_bytes(b"RIFF....WAVEfmt this is not audio" * 20)
    empty = tmp_path / "4.m4a"
    empty.write_bytes(b"")
    for path in (bad, empty, tmp_path / "missing.ogg"):
        with pytest.raises(RecordingUnreadableError) as caught:
            check_recording(path)
        assert path.name in caught.value.message("vi") and caught.value.exit_code == 2


@pytest.mark.parametrize("level", [0.0, 8.0])  # digital silence; -72 dBFS of hiss
def test_silent_recordings_are_refused(tmp_path: Path, level: float) -> None:
    rng = np.random.default_rng(1)
    path = _wav(tmp_path / "5.wav", rng.normal(0, level, 48_000) if level else np.zeros(48_000))
    with pytest.raises(RecordingSilentError, match=r"5\.wav"):
        check_recording(path)


def test_a_short_tap_is_silent_too(tmp_path: Path) -> None:
    click = np.zeros(32_000)
    click[8000:8800] = 12_000 * np.sin(np.arange(800) / 3)  # 50 ms of sound in 2 s
    with pytest.raises(RecordingSilentError):
        check_recording(_wav(tmp_path / "6.wav", click))


def test_absurdly_long_recordings_are_refused(spoken: Path) -> None:
    info = check_recording(spoken)
    speech = info.speech_end_ms - info.speech_start_ms
    with pytest.raises(RecordingTooLongError) as caught:
        check_recording(spoken, RecordingLimits(max_ms=info.duration_ms - 200))
    assert "for any sentence" in caught.value.message("en")
    # Relative to the slot: speech up to 3 × the slot passes, beyond it is refused.
    check_recording(spoken, RecordingLimits(slot_ms=speech // 3 + 50))
    with pytest.raises(RecordingTooLongError) as caught:
        check_recording(spoken, RecordingLimits(slot_ms=speech // 3 - 50))
    assert "this sentence" in caught.value.message("en")
    assert "câu này" in caught.value.message("vi")


def _ids() -> dict[str, object]:
    return dict(lesson_id="l", language="en", sentence_id="abc-1", number=2)


def test_espeak_voice_is_labelled_and_never_a_persons(tmp_path: Path) -> None:
    # espeak-ng speaks none of the registry's minority languages.
    assert espeak_voice("en") and espeak_voice("vi")
    assert not any(espeak_voice(c) for c in ("hmn", "blt", "tyz", "ium", "nut"))
    rec = synthetic_recording("espeak", "Open the bank app on your phone.",
                              tmp_path / "2.wav", **_ids())  # type: ignore[arg-type]
    assert rec.source == "tts:espeak" and rec.speaker == "tts:espeak" and rec.synthetic
    assert rec.duration_ms > 1000
    assert check_recording(tmp_path / "2.wav").synthetic_source == "tts:espeak"
    with pytest.raises(SyntheticVoiceError, match="tts:espeak"):
        human_recording(tmp_path / "2.wav", speaker="mai", approved_text="x",
                        **_ids())  # type: ignore[arg-type]
    with pytest.raises(VoiceBackendError):
        synthetic_recording("espeak", "Nyob zoo", tmp_path / "h.wav",
                            **{**_ids(), "language": "hmn"})  # type: ignore[arg-type]
    with pytest.raises(VoiceBackendError):
        synthetic_recording("human", "x", tmp_path / "p.wav", **_ids())  # type: ignore[arg-type]


def test_a_persons_recording_is_human(spoken: Path) -> None:
    rec, info = human_recording(spoken, speaker="mai", approved_text="Open the bank app.",
                                **_ids())  # type: ignore[arg-type]
    assert rec.source == "human" and not rec.synthetic and rec.sha256 == info.sha256
    assert not rec.is_stale("Open the bank app.") and rec.is_stale("Open the bank app now.")


def test_mms_tts_path_with_a_tiny_random_vits(tmp_path: Path, tiny_models: Path) -> None:
    # The session's tiny models (scripts/make_tiny_models.py) include the VITS one.
    opts = VoiceOptions(model_dir=tiny_models, tts_models=(("en", "tiny-vits"),))
    rec = synthetic_recording("mms-tts", "Tap the scan button in the middle of the screen.",
                              tmp_path / "7.wav", opts=opts, **_ids())  # type: ignore[arg-type]
    assert rec.source == "tts:mms-tts" and rec.duration_ms > 300
    again = synthetic_recording("mms-tts", "Tap the scan button in the middle of the screen.",
                                tmp_path / "7b.wav", opts=opts, **_ids())  # type: ignore[arg-type]
    assert again.sha256 == rec.sha256  # seeded: same text, same audio
    with pytest.raises(TtsModelMissingError) as caught:
        synthetic_recording("mms-tts", "x", tmp_path / "8.wav", opts=opts,
                            **{**_ids(), "language": "hmn"})  # type: ignore[arg-type]
    assert "mms-tts-hmn" in str(caught.value) and caught.value.exit_code == 3
