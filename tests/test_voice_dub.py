"""The dub on the short sample lesson, measured from the mixed file (not from the plan):
each voice starts within 100 ms of its sentence's true start (cross-correlation with the
raw recording), the Vietnamese narration is ≥ 20 dB down under speech and untouched
between sentences, a voice too long for its slot is compressed to the limit and then the
track holds, and the audio-only outputs stay under 120 KB a minute."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from pipeline.core.media import probe
from pipeline.core.types import AlignedSentence, Alignment, Sentence
from pipeline.ingest import parse_script
from pipeline.voice import (
    DubOptions,
    DubResult,
    Recording,
    SentenceSlot,
    check_recording,
    dub,
    export_audio,
    plan_import,
    sentence_slots,
)
from pipeline.voice.audio import decode, loudness_lufs, speech_spans
from pipeline.voice.types import text_sha256
from tests.conftest import run_script

RATE = 16_000


def _truth_slots(lesson: Path) -> tuple[list[Sentence], tuple[SentenceSlot, ...], list[dict]]:
    """Slots from the generator's own record of where each sentence was spoken."""
    _, sentences = parse_script((lesson / "script.md").read_text(encoding="utf-8"))
    truth = json.loads((lesson / "truth.json").read_text(encoding="utf-8"))
    aligned = Alignment("truth", tuple(
        AlignedSentence(t["index"], "", t["text"], round(t["start"] * 1000),
                        round(t["end"] * 1000), "matched", 1.0) for t in truth))
    duration = probe(lesson / "recording.mp4").duration_ms
    return sentences, sentence_slots(aligned, sentences, duration), truth


def _recordings(folder: Path, sentences: list[Sentence]) -> list[Recording]:
    recs = []
    for item in plan_import(folder, sentences).items:
        info = check_recording(item.path)
        recs.append(Recording("short-qr", "en", item.sentence_id, item.number, "tester",
                              str(item.path), info.sha256, info.duration_ms, text_sha256(""),
                              speaker_name="Chị Mai" if item.number == 1 else ""))
    return recs


def _array(path: Path) -> np.ndarray:
    return np.asarray(decode(path, RATE).get_array_of_samples(), dtype=np.float64)


def _onset_ms(mix: np.ndarray, raw: Path, around_ms: int) -> int:
    """Where the raw recording's speech starts in the mix: its first 0.6 s of speech
    cross-correlated (normalised) with the mix within ±1 s of ``around_ms``."""
    seg = decode(raw, RATE)
    start = speech_spans(seg)[0][0]
    probe_ = np.asarray(seg.get_array_of_samples(), dtype=np.float64)
    probe_ = probe_[start * RATE // 1000:(start + 600) * RATE // 1000]
    lo = max(0, (around_ms - 1000) * RATE // 1000)
    window = mix[lo:(around_ms + 1600) * RATE // 1000]
    corr = np.correlate(window, probe_, mode="valid")
    energy = np.sqrt(np.convolve(window ** 2, np.ones(probe_.size), mode="valid")) + 1e-9
    return round((lo + int(np.argmax(corr / energy))) * 1000 / RATE)


def _gain_db(mix: np.ndarray, orig: np.ndarray, spans: list[tuple[int, int]]) -> float:
    """Least-squares gain of the original track inside the mix over ``spans`` (ms)."""
    idx = np.concatenate([np.arange(a * RATE // 1000, b * RATE // 1000) for a, b in spans])
    g = float(mix[idx] @ orig[idx] / (orig[idx] @ orig[idx]))
    return 20 * np.log10(max(abs(g), 1e-6))


@pytest.fixture(scope="module")
def dubbed(short_lesson: Path, tmp_path_factory: pytest.TempPathFactory
           ) -> tuple[DubResult, Path, list[dict], Path]:
    """The short lesson dubbed with voices that fit their slots (spoken a little fast)."""
    tmp = tmp_path_factory.mktemp("dub")
    run_script("make_voice_recordings.py", "--out", str(tmp / "rec"), "--sentences", "4",
               "--slow", "0.8")
    sentences, slots, truth = _truth_slots(short_lesson)
    result = dub(slots, _recordings(tmp / "rec", sentences), short_lesson / "recording.mp4",
                 tmp / "en.wav", DubOptions(duck_db=24))
    return result, tmp / "rec", truth, tmp


def test_each_voice_starts_at_its_sentence(dubbed: tuple[DubResult, Path, list[dict], Path],
                                           short_lesson: Path) -> None:
    result, rec, truth, _ = dubbed
    assert result.plan.timemap.holds == ()
    mix = _array(Path(result.audio))
    for t in truth:
        start = round(t["start"] * 1000)
        onset = _onset_ms(mix, rec / f"{t['index'] + 1}.wav", start)
        assert abs(onset - start) <= 100, (t["index"] + 1, onset, start)


def test_speakers_are_credited_by_their_chosen_name(
        dubbed: tuple[DubResult, Path, list[dict], Path]) -> None:
    # Sentence 1's speaker chose a name; the others are credited by their account.
    assert dubbed[0].speakers[:2] == ("Chị Mai", "tester")


def test_vietnamese_is_20_db_down_and_other_sound_kept(
        dubbed: tuple[DubResult, Path, list[dict], Path], short_lesson: Path) -> None:
    result, _, truth, _ = dubbed
    mix, orig = _array(Path(result.audio)), _array(short_lesson / "recording.mp4")
    n = min(mix.size, orig.size)
    mix, orig = mix[:n], orig[:n]
    speech = [(round(t["start"] * 1000), round(t["end"] * 1000)) for t in truth]
    assert _gain_db(mix, orig, speech) <= -20
    # Before the first sentence (room tone, the app's own sound) the track is as it was.
    assert abs(_gain_db(mix, orig, [(0, speech[0][0] - 300)])) < 1.0


def test_removed_narration_is_gone(short_lesson: Path, tmp_path: Path,
                                   dubbed: tuple[DubResult, Path, list[dict], Path]) -> None:
    _, rec, truth, _ = dubbed
    sentences, slots, _ = _truth_slots(short_lesson)
    result = dub(slots, _recordings(rec, sentences)[:1], short_lesson / "recording.mp4",
                 tmp_path / "en.wav", DubOptions(narration="remove"))
    mix, orig = _array(Path(result.audio)), _array(short_lesson / "recording.mp4")
    n = min(mix.size, orig.size)
    # Sentence 2 has no voice: its Vietnamese speech is silenced all the same.
    s2 = (round(truth[1]["start"] * 1000), round(truth[1]["end"] * 1000))
    assert _gain_db(mix[:n], orig[:n], [s2]) <= -60


def test_too_long_voice_is_compressed_then_the_track_holds(short_lesson: Path,
                                                           tmp_path: Path) -> None:
    run_script("make_voice_recordings.py", "--out", str(tmp_path / "rec"), "--sentences", "4",
               "--slow", "1.6")
    sentences, slots, truth = _truth_slots(short_lesson)
    opts = DubOptions(max_stretch=1.25, stretcher="atempo")
    result = dub(slots, _recordings(tmp_path / "rec", sentences), short_lesson / "recording.mp4",
                 tmp_path / "en.wav", opts)
    by = {p.number: p for p in result.plan.sentences}
    assert by[3].stretch == 1.25 and by[3].hold_ms > 500
    mix = _array(Path(result.audio))
    orig_ms = probe(short_lesson / "recording.mp4").duration_ms
    held = round(mix.size * 1000 / RATE) - orig_ms  # measured from the file
    assert abs(held - result.plan.timemap.total_hold_ms) <= 60
    # Sentence 4's voice starts at its true start moved by the measured hold...
    start4 = round(truth[3]["start"] * 1000)
    onset4 = _onset_ms(mix, tmp_path / "rec" / "4.wav", start4 + held)
    assert abs(onset4 - (start4 + held)) <= 100
    # ...and sentence 3's voice is not cut: sound continues right up to sentence 4's voice
    # (a compressed 5.5 s voice in a 2.7 s slot ends well after the slot).
    ends = speech_spans(decode(Path(result.audio), RATE)[:onset4])
    assert ends[-1][1] >= round(truth[3]["start"] * 1000) + held - 400


def test_audio_only_dub_is_small(dubbed: tuple[DubResult, Path, list[dict], Path]) -> None:
    result, _, _, tmp = dubbed
    mp3, opus = export_audio(Path(result.audio), tmp / "audio", "short-qr.en")
    for out in (mp3, opus):
        assert out.kb_per_minute <= 120, out
        assert abs(out.duration_ms - result.duration_ms) < 150
        assert probe(Path(out.path)).audio is not None
    assert probe(Path(mp3.path)).audio.channels == 1  # type: ignore[union-attr]
    assert probe(Path(mp3.path)).audio.codec.startswith("mp3")  # type: ignore[union-attr]
    assert probe(Path(opus.path)).audio.codec == "opus"  # type: ignore[union-attr]


def test_voices_are_brought_to_minus_16_lufs(
        dubbed: tuple[DubResult, Path, list[dict], Path]) -> None:
    result, rec, _, _ = dubbed
    mix = decode(Path(result.audio), 48_000)
    raw = [loudness_lufs(decode(rec / f"{p.number}.wav", 48_000)) for p in result.plan.sentences]
    assert max(raw) - min(raw) > 2 or abs(np.mean(raw) + 16) > 3  # the inputs differ
    for p in result.plan.sentences:
        level = loudness_lufs(mix[p.placed_start_ms:p.placed_end_ms])
        assert abs(level - (-16)) <= 1.5, (p.number, level)


@pytest.mark.parametrize("name", ["atempo", "rubberband", "rubberband-r3"])
def test_stretchers_shorten_without_changing_pitch(name: str) -> None:
    from pipeline.voice import stretcher
    from pipeline.voice.audio import AudioSegment

    rate, tone = 24_000, 310.0
    t = np.arange(3 * rate) / rate
    pcm = (8000 * np.sin(2 * np.pi * tone * t)).astype("<i2")
    seg = AudioSegment(pcm.tobytes(), frame_rate=rate, sample_width=2, channels=1)
    out = stretcher(name).stretch(seg, 1.25)
    assert abs(len(out) - 2400) <= 60, len(out)
    x = np.asarray(out.get_array_of_samples(), dtype=np.float64)[rate // 4: -rate // 4]
    peak = np.argmax(np.abs(np.fft.rfft(x))) * rate / x.size
    assert abs(peak - tone) < 5, peak


def test_missing_rubberband_program_says_what_to_install(monkeypatch: pytest.MonkeyPatch
                                                         ) -> None:
    import shutil

    from pipeline.voice import stretcher
    from pipeline.voice.audio import AudioSegment
    from pipeline.voice.errors import StretcherMissingError

    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(StretcherMissingError) as caught:
        stretcher("rubberband-r3").stretch(AudioSegment.silent(500), 1.2)
    assert "rubberband-cli" in str(caught.value) and caught.value.exit_code == 3
