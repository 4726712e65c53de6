"""The real aligners: DTW against espeak-ng synthesis, and the transcript aligner."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from pipeline.core.config import Settings
from pipeline.core.languages import Registry
from pipeline.core.text import syllables
from pipeline.core.types import Ingested, Transcript, TranscriptSegment, Word
from pipeline.ingest import IngestOptions, ingest
from pipeline.speech.align import AlignOptions, align, choose_aligner
from pipeline.speech.align.report import deviation_report
from pipeline.speech.align.transcript import TranscriptAligner, align_tokens
from pipeline.speech.segment import SegmentOptions, segment

UNSPOKEN = "Hãy đặt mật khẩu khó đoán và không ghi mật khẩu lên giấy."


def _truth(lesson: Path) -> list[dict[str, object]]:
    return list(json.loads((lesson / "truth.json").read_text(encoding="utf-8")))


def _edit_script(src: Path, dst: Path, lines: list[str]) -> Path:
    shutil.copytree(src, dst)
    (dst / "script.md").write_text("# Chương\n" + "\n".join(lines) + "\n", encoding="utf-8")
    return dst


def _ingest(lesson: Path, registry: Registry, settings: Settings) -> Ingested:
    return ingest(lesson, registry, IngestOptions(out_dir=settings.out_dir))


def test_dtw_times_and_skipped_sentence(short_lesson: Path, tmp_path: Path,
                                        registry: Registry, settings: Settings) -> None:
    truth = _truth(short_lesson)
    texts = [str(t["text"]) for t in truth]
    lesson = _edit_script(short_lesson, tmp_path / "skip", [*texts[:2], UNSPOKEN, *texts[2:]])
    result = align(_ingest(lesson, registry, settings), None, AlignOptions(aligner="dtw"))
    assert [s.status for s in result.sentences] == [
        "matched", "matched", "skipped", "matched", "matched"]
    spoken = [s for s in result.sentences if s.status == "matched"]
    for got, want in zip(spoken, truth, strict=True):
        assert abs(got.start_ms / 1000 - float(str(want["start"]))) < 0.1
        assert abs(got.end_ms / 1000 - float(str(want["end"]))) < 0.1
    report = deviation_report(_ingest(lesson, registry, settings).lesson, result)
    assert UNSPOKEN in report and "skipped" in report


def test_dtw_reports_speech_missing_from_script(short_lesson: Path, tmp_path: Path,
                                                registry: Registry, settings: Settings) -> None:
    truth = _truth(short_lesson)
    texts = [str(t["text"]) for t in truth]
    lesson = _edit_script(short_lesson, tmp_path / "adlib", [texts[0], texts[1], texts[3]])
    result = align(_ingest(lesson, registry, settings), None, AlignOptions(aligner="dtw"))
    adlibs = [s for s in result.sentences if s.status == "ad-lib"]
    assert len(adlibs) == 1 and adlibs[0].index is None
    said = truth[2]
    assert abs(adlibs[0].start_ms / 1000 - float(str(said["start"]))) < 0.2
    assert abs(adlibs[0].end_ms / 1000 - float(str(said["end"]))) < 0.2
    assert [s.index for s in result.sentences if s.index is not None] == [0, 1, 2]


def _canned_transcript(truth: list[dict[str, object]], drop: int, extra: str) -> Transcript:
    """A transcript as Whisper would give it for the generated narration, built from the
    generator's true sentence times (words spread evenly): sentence ``drop`` is not said,
    ``extra`` is said after the first sentence, and one tone is misheard."""
    segments = []
    for k, t in enumerate(truth):
        if k == drop:
            continue
        start, end = int(float(str(t["start"])) * 1000), int(float(str(t["end"])) * 1000)
        toks = str(t["text"]).split()
        if k == 0:
            toks[1] = toks[1].replace("à", "a")  # "chào" heard as "chao"
        step = (end - start) // len(toks)
        words = tuple(Word(start + i * step, start + (i + 1) * step - 20, w, 0.9)
                      for i, w in enumerate(toks))
        segments.append(TranscriptSegment(start, end, " ".join(toks), words))
        if k == 0:
            gap = end + 100
            extra_words = tuple(Word(gap + i * 250, gap + i * 250 + 200, w, 0.8)
                                for i, w in enumerate(extra.split()))
            segments.append(TranscriptSegment(gap, extra_words[-1].end_ms, extra, extra_words))
    return Transcript("vi", "test", "canned", "", tuple(segments))


def test_transcript_aligner(short_lesson: Path, registry: Registry, settings: Settings) -> None:
    truth = _truth(short_lesson)
    ingested = _ingest(short_lesson, registry, settings)
    transcript = _canned_transcript(truth, drop=2, extra="à bà con nhớ nhé")
    assert choose_aligner("auto", transcript, ingested).name == "transcript"
    result = align(ingested, transcript, AlignOptions(aligner="auto"))
    by_index = {s.index: s for s in result.sentences if s.index is not None}
    assert by_index[2].status == "skipped"
    for k in (0, 1, 3):
        assert by_index[k].status == "matched"
        assert abs(by_index[k].start_ms / 1000 - float(str(truth[k]["start"]))) < 0.05
    adlibs = [s for s in result.sentences if s.status == "ad-lib"]
    assert len(adlibs) == 1 and adlibs[0].text == "à bà con nhớ nhé"
    assert result.sentences[1].status == "ad-lib"  # in time order, after sentence 0

    cues = segment(result, registry.get("vi"), SegmentOptions(words=tuple(transcript.words)))
    assert all(c.sentence_index != 2 for c in cues)


def test_noise_transcript_is_not_used(short_lesson: Path, registry: Registry,
                                      settings: Settings) -> None:
    ingested = _ingest(short_lesson, registry, settings)
    noise = Transcript("vi", "test", "random", "", (TranscriptSegment(
        0, 3000, "emption Vai foo", (Word(0, 1000, "emption"), Word(1000, 2000, "Vai"),
                                     Word(2000, 3000, "foo"))),))
    assert not TranscriptAligner().usable(ingested, noise)
    assert choose_aligner("auto", noise, ingested).name == "dtw"


def test_align_tokens_tone_insensitive() -> None:
    script = syllables("Bấm nút xác nhận rồi nhập mã")
    heard = syllables("bầm nút xác nhận à rồi nhập mã")  # tone misheard, "à" added
    pairs = align_tokens(script, heard)
    assert pairs == [0, 1, 2, 3, 5, 6, 7]


@pytest.mark.parametrize("aligner", ["dtw", "proportional"])
def test_auto_without_model_never_needs_transcript(aligner: str) -> None:
    assert choose_aligner(aligner, None).name == aligner
