#!/usr/bin/env python3
"""Issue 30's outputs end to end: a copy of the sample lesson with English (``en``) standing
in for a minority language, its translation approved in the review store and one voice
recording per narration sentence approved (the espeak-ng English stand-ins of
scripts/make_voice_recordings.py), ``produce`` → the English final, MP3/Opus and manifest,
then the HLS ladder with its audio renditions. Measured here, not assumed:

- each recording's position in the English final and MP3 (cross-correlation of the cleaned
  recording against the output, in a ±1.5 s window around where the dub placed it);
- the Vietnamese narration's level under the voices (least-squares gain of the Vietnamese
  final's sound in the English final, before the first hold), in dB;
- the audio-only dub's KB per minute, render time, every file with its size.

The English text is the team's own translation of the sample script (the recordings' text);
the store's ``approved_recordings`` is supplied here by a small subclass until the review
store's recordings table lands (``--real-store`` uses the store's own method).

Usage:
    python scripts/demo_voice.py --work /tmp/voice-demo [--lessons /tmp/lessons]
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from pipeline.core.config import PROJECT_ROOT, Settings, load_settings
from pipeline.core.media import run_ffmpeg
from pipeline.review.store import ReviewStore
from pipeline.steps import ProduceOptions, produce
from pipeline.voice import DubResult, Recording, human_recording, plan_import
from pipeline.voice.dub import prepare_voice
from pipeline.voice.plan import DubOptions
from pipeline.voice.stretch import stretcher

LESSON_ID = "sample-qr-payment"
RATE = 16_000


def english() -> tuple[str, ...]:
    sys.path.insert(0, str(PROJECT_ROOT / "scripts"))
    from make_voice_recordings import ENGLISH

    return tuple(ENGLISH)


RECORDINGS: list[Recording] = []


class DemoStore(ReviewStore):
    """The review store with the recordings the demo approved (a stand-in for the store's
    own recordings table, which another branch adds)."""

    def approved_recordings(self, lesson_id: str, lang: str) -> list[Recording]:
        return [r for r in RECORDINGS if r.lesson_id == lesson_id and r.language == lang]


def approve_english(store: ReviewStore, lines: tuple[str, ...]) -> None:
    """Every English cue gets its part of the sentence's translation (words split over the
    sentence's cues by their share of the Vietnamese words), approved by a reviewer."""
    store.add_user("rev", "password-123", {"en": "reviewer"})
    cues = store.cues(LESSON_ID, "en")
    by_sentence: dict[int, list[Any]] = {}
    for c in cues:
        by_sentence.setdefault(c.sentence, []).append(c)
    for sentence, parts in by_sentence.items():
        words = lines[sentence].split() if 0 <= sentence < len(lines) else ["…"]
        weights = [max(1, len(c.source.split())) for c in parts]
        cut, total, acc = [0], sum(weights), 0
        for w in weights[:-1]:
            acc += w
            cut.append(round(len(words) * acc / total))
        cut.append(len(words))
        for c, a, b in zip(parts, cut, cut[1:], strict=False):
            text = " ".join(words[a:b]) or words[-1]
            saved = store.save("rev", LESSON_ID, "en", c.idx, text, c.version)
            store.save("rev", LESSON_ID, "en", c.idx, saved.text, saved.version, "approve",
                       reason="demo: the team's English stand-in translation")
    sys.path.insert(0, str(PROJECT_ROOT / "scripts"))
    from make_voice_recordings import ENGLISH_UNITS

    for unit in store.units(LESSON_ID, "en"):
        done = store.save("rev", LESSON_ID, "en", unit.key, ENGLISH_UNITS[unit.source],
                          unit.version, "approve",
                          reason="demo: the team's English stand-in title and headings")
        assert done.ok, done
    assert store.approve_language("rev", LESSON_ID, "en")


def decode(path: Path, tmp: Path, start_s: float = 0.0) -> np.ndarray:
    wav = tmp / f"{path.stem}-{path.suffix[1:]}.wav"
    run_ffmpeg(["-ss", f"{start_s:.3f}", "-i", str(path), "-vn", "-ac", "1", "-ar", str(RATE),
                "-c:a", "pcm_s16le", str(wav)], "decoding for the demo", wav)
    import wave

    with wave.open(str(wav)) as w:
        return np.frombuffer(w.readframes(w.getnframes()), "<i2").astype(np.float64)


def locate(track: np.ndarray, voice: np.ndarray, expected_s: float) -> float:
    """Where ``voice`` best matches ``track`` (s), searched ±1.5 s around ``expected_s``."""
    lo = max(0, int((expected_s - 1.5) * RATE))
    hi = min(track.size, int((expected_s + 1.5) * RATE) + voice.size)
    seg = track[lo:hi]
    if seg.size < voice.size:
        return float("nan")
    from scipy.signal import correlate, fftconvolve

    corr = correlate(seg, voice, "valid", method="fft")
    energy = np.sqrt(np.maximum(fftconvolve(seg ** 2, np.ones(voice.size), "valid"), 0)) + 1e-9
    return (lo + int(np.argmax(corr / energy))) / RATE


def vietnamese_level_db(dubbed: np.ndarray, vietnamese: np.ndarray,
                        spans: list[tuple[float, float, float]]) -> float:
    """Gain of the Vietnamese final's sound inside the dubbed one (least squares over the
    Vietnamese sentences' spans: start, end, and how much later the span is in the dub), dB."""
    num = den = 0.0
    for a, b, shift in spans:
        i, j = int(a * RATE), int(b * RATE)
        k = round(shift * RATE)
        n = min(j, vietnamese.size, dubbed.size - k) - i
        if n <= 0:
            continue
        ref, got = vietnamese[i:i + n], dubbed[i + k:i + k + n]
        num, den = num + float(np.dot(got, ref)), den + float(np.dot(ref, ref))
    return float(20 * np.log10(max(abs(num / max(den, 1e-9)), 1e-6)))


def title_seconds(out: Path, title_card_s: float) -> float:
    """The compat final's title card in whole frames (as render lays it out)."""
    from pipeline.core.media import probe
    from pipeline.core.types import Ingested
    from pipeline.render.layout import plan_layout
    from pipeline.render.profiles import get_profile

    ing = Ingested.from_json(json.loads((out / "ingest.json").read_text("utf-8")))
    video = probe(ing.lesson.recording).video
    assert video is not None
    return plan_layout(get_profile("compat"), video.display_size).title_s(title_card_s)


def prepare(args: argparse.Namespace) -> tuple[Path, Path]:
    lessons = args.lessons
    if not (lessons / LESSON_ID / "recording.mp4").is_file():
        subprocess.run([sys.executable, str(PROJECT_ROOT / "scripts" / "make_sample_lesson.py"),
                        "--out", str(lessons)], check=True)
    lesson = args.work / "lessons" / LESSON_ID
    if lesson.exists():
        shutil.rmtree(lesson)
    shutil.copytree(lessons / LESSON_ID, lesson)
    toml = lesson / "lesson.toml"
    text = toml.read_text("utf-8").replace('languages = ["hmn", "blt"]', 'languages = ["en"]')
    toml.write_text(text.replace('profiles = ["compat"]', 'profiles = ["compat", "audio"]'),
                    "utf-8")
    voices = args.work / "recordings"
    if not voices.is_dir():
        subprocess.run([sys.executable, str(PROJECT_ROOT / "scripts" /
                                            "make_voice_recordings.py"), "--out", str(voices)],
                       check=True)
    return lesson, voices


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--work", type=Path, default=Path("/tmp/voice-demo"))
    p.add_argument("--lessons", type=Path, default=Path("/tmp/lessons"))
    p.add_argument("--real-store", action="store_true")
    args = p.parse_args(argv)
    lesson, voices = prepare(args)
    out_root = args.work / "out"
    settings = load_settings(config_file=args.work / "none.toml", env={}, out_dir=out_root,
                             model_dir=PROJECT_ROOT / "models", asr_backend="faster-whisper",
                             asr_model="base", prefect_home=args.work / "prefect")
    opts = ProduceOptions(settings)
    lines: list[str] = []

    def report(stage: str, skipped: bool, detail: str) -> None:
        lines.append(f"{stage}: {'skipped ' if skipped else ''}{detail}")

    if not args.real_store:
        import pipeline.steps.review as review_step_module

        setattr(review_step_module, "ReviewStore", DemoStore)  # noqa: B010
    t_first = 0.0
    # A second run of the demo reuses the store and every stage's cache (delete --work to
    # start from nothing).
    if not (out_root / "review.sqlite3").is_file() or ReviewStore(
            settings.review_url).approval(LESSON_ID, "en") is None:
        t0 = time.perf_counter()
        first = produce(lesson, opts, report)
        t_first = time.perf_counter() - t0
        print(f"first produce (awaiting review: {first.pending_languages}) {t_first:.1f} s")
        approve_english(ReviewStore(settings.review_url), english())
    sentences = json.loads((out_root / LESSON_ID / "ingest.json").read_text("utf-8"))
    from pipeline.core.types import Ingested

    ing = Ingested.from_json(sentences)
    for item in plan_import(voices, ing.lesson.sentences).items:
        rec, _ = human_recording(item.path, lesson_id=LESSON_ID, language="en",
                                 sentence_id=item.sentence_id, number=item.number,
                                 speaker="Demo speaker (espeak-ng stand-in)",
                                 approved_text=english()[item.number - 1])
        RECORDINGS.append(replace(rec, speaker_consent=True))
    lines.clear()
    t0 = time.perf_counter()
    second = produce(lesson, opts, report)
    t_second = time.perf_counter() - t0
    print(f"produce with the voices (approved {second.approved_languages}) {t_second:.1f} s")
    print("\n".join(lines))
    measure(out_root / LESSON_ID, voices, settings.title_card_s)
    hls(out_root / LESSON_ID, settings)
    bundle(out_root / LESSON_ID, settings, args.work / "bundle")
    return 0


def bundle(out: Path, settings: Settings, dst: Path) -> None:
    """The offline bundle: each language's section names the language of its sound."""
    import re

    from pipeline.publish.bundle import make_bundle
    from pipeline.steps.options import publish_options

    made = make_bundle([out], ["vi", "en"], "compat", dst,
                       publish_options(settings, force=True, protected=()))
    page = (made.folder / "index.html").read_text("utf-8")
    for code in ("vi", "en"):
        section = page.split(f'<section class="s-{code}', 1)[1].split("</section>", 1)[0]
        sound = re.findall(r'<p class="sound"[^>]*>([^<]*)</p>', section)
        links = re.findall(r'href="([^"]+\.(?:mp4|mp3))"', section)
        print(f"bundle {code}: sound {sound}, plays {links}")
    print(f"bundle: {made.zip} {made.zip_bytes} B")


def measure(out: Path, voices: Path, title_card_s: float) -> None:
    import tempfile

    result = DubResult.from_json(json.loads((out / "voice" / "en.dub.json").read_text("utf-8")))
    manifest = json.loads((out / "manifest.json").read_text("utf-8"))
    video = next(f for f in manifest["files"] if f["path"] == "video/en-compat.mp4")
    title_s = title_seconds(out, float(manifest.get("title_card_s") or title_card_s))
    held = result.plan.timemap.holds
    print(f"dub: {len(result.plan.sentences)} voices, holds {held}, "
          f"stretched {[p.number for p in result.plan.sentences if p.stretch > 1]}, "
          f"title card {title_s:.3f} s")
    opts = DubOptions(sample_rate=RATE)
    tool = stretcher(result.stretcher)
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        en_final, vi_final = decode(out / video["path"], tmp), decode(
            out / "video/vi-compat.mp4", tmp)
        mp3 = decode(out / "audio/en-audio.mp3", tmp)
        print(" nr  placed(s)  final err(ms)  mp3 err(ms)  stretch")
        errs: list[float] = []
        for pl in result.plan.sentences:
            seg = prepare_voice(voices / f"{pl.number}.wav", opts)
            if pl.stretch > 1.0:
                seg = tool.stretch(seg, pl.stretch, "")
            v = np.asarray(seg.get_array_of_samples(), dtype=np.float64)
            at = pl.placed_start_ms / 1000
            e1 = (locate(en_final, v, at + title_s) - at - title_s) * 1000
            e2 = (locate(mp3, v, at) - at) * 1000
            errs += [abs(e1), abs(e2)]
            print(f"{pl.number:>3}  {at:9.2f}  {e1:13.0f}  {e2:11.0f}  {pl.stretch:7.3f}")
        print(f"largest placement error {max(errs):.0f} ms")
        tmap = result.plan.timemap
        aligned = json.loads((out / "alignment.json").read_text("utf-8"))
        spans = []
        for a in aligned:  # a span with a hold inside it is left out
            start, end = round(a["start"] * 1000), round(a["end"] * 1000)
            shift = tmap.to_dub(start) - start
            if a.get("status") == "matched" and tmap.to_dub(end, "early") - end == shift:
                spans.append((title_s + start / 1000, title_s + end / 1000, shift / 1000))
        print(f"Vietnamese narration in the English final, over {len(spans)} Vietnamese "
              f"sentences: {vietnamese_level_db(en_final, vi_final, spans):.1f} dB "
              f"(0 dB = as loud as in the Vietnamese final)")
    for f in manifest["files"]:
        if f["kind"] in ("video", "audio"):
            kbm = f["bytes"] / 1000 / max((f.get("duration") or 1) / 60, 1e-9)
            print(f"{f['path']:<28} {f['bytes']:>9} B  {kbm:7.1f} KB/min  "
                  f"audio_lang={f.get('audio_lang')}  codecs={f.get('codecs')}")
    voices_entry = next((f.get("voices") for f in manifest["files"] if f.get("voices")), None)
    print(f"manifest voices: {voices_entry}")


def hls(out: Path, settings: Settings) -> None:
    from pipeline.publish.entries import published_entries
    from pipeline.publish.hls import make_hls
    from pipeline.steps.options import publish_options

    t0 = time.perf_counter()
    sel = published_entries(out, settings.title_card_s)
    master = make_hls(sel, publish_options(settings).registry)
    print(f"HLS in {time.perf_counter() - t0:.1f} s: {master}")
    print(master.read_text("utf-8"))
    import m3u8

    parsed = m3u8.load(str(master))
    audio = {m.language: m.name for m in parsed.media if m.type == "AUDIO"}
    print(f"m3u8: AUDIO renditions {audio}; video variants "
          f"{[(p.uri, p.stream_info.codecs, p.stream_info.audio) for p in parsed.playlists]}")


if __name__ == "__main__":
    sys.exit(main())
