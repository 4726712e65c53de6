"""The dub through the whole plan: an approved language with a complete set of approved
voices gets dubbed finals, MP3 and manifest entries; a removed recording takes the dub away
again (the language keeps today's outputs). Slow: it renders."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import wave
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from pipeline.core.config import PROJECT_ROOT, Settings
from pipeline.core.media import run_ffmpeg
from pipeline.core.types import Ingested
from pipeline.review.store import ReviewStore
from pipeline.steps import ProduceOptions, produce
from pipeline.voice import DubOptions, DubResult, Recording, human_recording, plan_import
from pipeline.voice.dub import prepare_voice
from tests.review_units import approve_units

pytestmark = pytest.mark.slow

RECORDINGS: list[Recording] = []


class VoiceStore(ReviewStore):
    """The review store with approved recordings (the recordings table is another
    branch's): what ``approved_recordings`` gives the gate."""

    def approved_recordings(self, lesson_id: str, lang: str) -> list[Recording]:
        return [r for r in RECORDINGS if r.lesson_id == lesson_id and r.language == lang]


def _samples(path: Path, tmp: Path, rate: int = 16_000) -> np.ndarray:
    wav = tmp / f"{path.name}.wav"
    run_ffmpeg(["-i", str(path), "-vn", "-ac", "1", "-ar", str(rate), "-c:a", "pcm_s16le",
                str(wav)], "decoding", wav)
    with wave.open(str(wav)) as w:
        return np.frombuffer(w.readframes(w.getnframes()), "<i2").astype(np.float64)


def test_dubbed_language_outputs(short_lesson: Path, settings: Settings, tmp_path: Path,
                                 monkeypatch: pytest.MonkeyPatch) -> None:
    from scipy.signal import correlate

    import pipeline.steps.review as review_module

    monkeypatch.setattr(review_module, "ReviewStore", VoiceStore)
    lesson = tmp_path / "short-qr"
    shutil.copytree(short_lesson, lesson)
    opts = ProduceOptions(settings, languages=("en",), profiles=("compat", "audio"))
    produce(lesson, opts)
    store = ReviewStore(settings.review_url)
    store.add_user("rev", "password-123", {"en": "reviewer"})
    for cue in store.cues("short-qr", "en"):
        saved = store.save("rev", "short-qr", "en", cue.idx, f"REVIEWED {cue.idx}", cue.version)
        store.save("rev", "short-qr", "en", cue.idx, saved.text, saved.version, "approve",
                   reason="test marker text")
    approve_units(store, "rev", "short-qr", "en")  # the title and chapter headings
    assert store.approve_language("rev", "short-qr", "en")
    out = settings.out_dir / "short-qr"
    voices = tmp_path / "voices"
    subprocess.run([sys.executable, str(PROJECT_ROOT / "scripts" / "make_voice_recordings.py"),
                    "--out", str(voices), "--sentences", "4"], check=True, capture_output=True)
    ing = Ingested.from_json(json.loads((out / "ingest.json").read_text("utf-8")))
    for item in plan_import(voices, ing.lesson.sentences).items:
        rec, _ = human_recording(item.path, lesson_id="short-qr", language="en",
                                 sentence_id=item.sentence_id, number=item.number,
                                 speaker="Mai", approved_text="x")
        RECORDINGS.append(replace(rec, speaker_consent=True))

    seen: dict[str, bool] = {}
    produce(lesson, opts, lambda stage, skipped, _d: seen.__setitem__(stage, skipped))
    assert seen["dub-en"] is False and seen["render-vi-compat"] is True
    dubbed = DubResult.from_json(json.loads((out / "voice" / "en.dub.json").read_text("utf-8")))
    manifest = {f["path"]: f for f in json.loads(
        (out / "manifest.json").read_text("utf-8"))["files"]}
    assert manifest["video/en-compat.mp4"]["audio_lang"] == "en"
    assert manifest["video/vi-compat.mp4"]["audio_lang"] == "vi"
    assert manifest["audio/en-audio.mp3"]["voices"] == [
        {"speaker": "Mai", "source": "human", "consent": True, "sentences": [1, 2, 3, 4]}]
    mp3 = manifest["audio/en-audio.mp3"]
    assert mp3["bytes"] / 1000 / (mp3["duration"] / 60) <= 120
    assert "audio-only dub" in mp3["audio_encoding"]
    # Each voice is in the MP3 where the dub placed it.
    track = _samples(out / "audio" / "en-audio.mp3", tmp_path)
    for placed in dubbed.plan.sentences:
        if placed.stretch > 1.0:
            continue
        seg = prepare_voice(voices / f"{placed.number}.wav", DubOptions(sample_rate=16_000))
        v = np.asarray(seg.get_array_of_samples(), dtype=np.float64)
        at = placed.placed_start_ms * 16
        lo = max(0, at - 16_000)
        found = lo + int(np.argmax(correlate(track[lo:at + 16_000 + v.size], v, "valid",
                                             method="fft")))
        assert abs(found - at) <= 16 * 150, (placed.number, found / 16, at / 16)

    RECORDINGS.pop()  # the last sentence's recording is deleted: no complete set, no dub
    seen.clear()
    produce(lesson, opts, lambda stage, skipped, _d: seen.__setitem__(stage, skipped))
    assert "dub-en" not in seen and seen["render-en-compat"] is False
    manifest = {f["path"]: f for f in json.loads(
        (out / "manifest.json").read_text("utf-8"))["files"]}
    assert manifest["video/en-compat.mp4"]["audio_lang"] == "vi"
    assert "voices" not in manifest["video/en-compat.mp4"]
