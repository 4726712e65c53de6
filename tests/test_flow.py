"""The main path end to end: the Prefect flow, the plain runner, caching, the CLI."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from flows.cli import main
from pipeline.core.config import Settings
from pipeline.core.media import probe
from pipeline.core.storage import sha256_file
from pipeline.steps import PLAN, LessonRun, ProduceOptions, produce, run_plan
from tests.review_units import approve_units


@pytest.fixture(scope="module")
def prefect_harness() -> Iterator[None]:
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


def _check_outputs(out: Path) -> None:
    alignment = json.loads((out / "alignment.json").read_text(encoding="utf-8"))
    assert len(alignment) == 4
    assert [a["index"] for a in alignment] == [0, 1, 2, 3]
    for ext in ("srt", "vtt", "ass"):
        assert (out / "subtitles" / f"vi.{ext}").stat().st_size > 0
    video = out / "video" / "vi-compat.mp4"
    info = probe(video)
    assert info.video is not None and info.video.height == 480
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    listed = {f["path"]: f for f in manifest["files"]}
    assert {"alignment.json", "subtitles/vi.srt", "subtitles/vi.vtt", "subtitles/vi.ass",
            "video/vi-compat.mp4"} <= set(listed)
    for rel, entry in listed.items():
        assert entry["sha256"] == sha256_file(out / rel)
        assert entry["bytes"] == (out / rel).stat().st_size
    v = listed["video/vi-compat.mp4"]
    assert v["language"] == "vi" and v["profile"] == "compat" and v["kind"] == "video"
    assert v["codecs"] == "avc1.42C01E,mp4a.40.2"
    assert 15 < v["duration"] < 30


def test_flow_produces_lesson(prefect_harness: None, short_lesson: Path,
                              settings: Settings) -> None:
    from flows.produce import produce_lesson

    state = produce_lesson(short_lesson, settings, return_state=True)
    assert state.name == "Awaiting review" and state.is_completed()
    result = state.result()
    assert result.lesson_id == "short-qr"
    _check_outputs(settings.out_dir / "short-qr")
    assert result.pending_languages == ["hmn", "blt"]
    assert (settings.out_dir / "short-qr" / "translations" / "blt.xlf").is_file()


def test_rerun_skips_and_script_change_reruns_alignment_onward(
        short_lesson: Path, settings: Settings, tmp_path: Path) -> None:
    lesson = tmp_path / "lesson"
    shutil.copytree(short_lesson, lesson)
    # What is checked is the caching; the gates are checked by test_flow_produces_lesson.
    settings = replace(settings, quality_gates=False)
    opts = ProduceOptions(settings)
    produce(lesson, opts)

    seen: dict[str, bool] = {}
    produce(lesson, opts, lambda stage, skipped, _detail: seen.__setitem__(stage, skipped))
    assert seen["ingest"] and seen["align"] and seen["subtitles-vi"] and seen["render-vi-compat"]

    script = lesson / "script.md"
    script.write_text(script.read_text(encoding="utf-8").replace("Xin chào", "Chào"),
                      encoding="utf-8")
    seen.clear()
    produce(lesson, opts, lambda stage, skipped, _detail: seen.__setitem__(stage, skipped))
    assert seen["ingest"] is True  # audio unchanged: not extracted again
    assert seen["align"] is False and seen["subtitles-vi"] is False
    assert seen["render-vi-compat"] is False
    srt = (settings.out_dir / "lesson" / "subtitles" / "vi.srt").read_text(encoding="utf-8")
    assert "Chào bà con" in srt and "Xin chào" not in srt


def test_cli_produce_plain_and_skip_message(short_lesson: Path, tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "cli-out"
    # The gates are checked by test_flow_produces_lesson; here the CLI and its skip message.
    (tmp_path / "caunoi.toml").write_text("quality_gates = false\n", encoding="utf-8")
    args = ["--config", str(tmp_path / "caunoi.toml"), "produce", str(short_lesson),
            "--out", str(out), "--no-prefect"]
    assert main(args) == 0
    assert main(args) == 0
    text = capsys.readouterr().out
    assert "bỏ qua" in text
    assert str(out / "short-qr") in text
    _check_outputs(out / "short-qr")


def test_cli_bad_input_one_sentence_nonzero(tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    lesson = tmp_path / "empty-lesson"
    lesson.mkdir()
    (lesson / "lesson.toml").write_text('title = "Bài"\nlanguages = ["hmn"]\n', encoding="utf-8")
    (lesson / "script.md").write_text("# Chỉ có tiêu đề\n", encoding="utf-8")
    code = main(["--config", str(tmp_path / "none.toml"), "produce", str(lesson),
                 "--out", str(tmp_path / "o"), "--no-prefect"])
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert len(err.splitlines()) == 1 and "script.md" in err
    assert not (tmp_path / "o").exists()
    code = main(["--en", "--config", str(tmp_path / "none.toml"), "check", str(lesson)])
    assert code == 2
    assert capsys.readouterr().err.startswith("Error: Script")


@pytest.mark.parametrize("backend", [
    pytest.param("openai-whisper", marks=pytest.mark.slow), "faster-whisper"])
def test_tiny_model_transcript_written_and_noise_not_trusted(
        backend: str, short_lesson: Path, tiny_models: Path, settings: Settings) -> None:
    # Random weights fail every fallback threshold: one temperature keeps the run short. The
    # hybrid aligner reads the transcript (auto does not: no transcript is made for it).
    s = replace(settings, model_dir=tiny_models, asr_model="tiny-random", asr_backend=backend,
                asr_fallback=False, aligner="hybrid")
    seen: dict[str, str] = {}
    # The plan up to the alignment: translations, renders and the manifest are checked by
    # the other tests here, and do not read the transcript.
    run_plan(LessonRun(short_lesson, ProduceOptions(s),
                       lambda stage, _skipped, detail: seen.__setitem__(stage, detail)),
             PLAN, until="align")
    out = s.out_dir / "short-qr"
    transcript = json.loads((out / "transcript.json").read_text(encoding="utf-8"))
    assert transcript["backend"] == backend and transcript["model"] == "tiny-random"
    assert transcript["prompt"].startswith("Trả tiền bằng mã QR")
    # A random model's words do not resemble the script: no sentence is taken from them.
    alignment = json.loads((out / "alignment.json").read_text(encoding="utf-8"))
    assert "(hybrid:" in seen["align"]
    assert [s["status"] for s in alignment if s["index"] is not None] == ["matched"] * 4
    assert (out / "alignment-report.md").is_file()


def test_review_gate_renders_only_approved_languages(short_lesson: Path, settings: Settings,
                                                     tmp_path: Path) -> None:
    from pipeline.review.store import ReviewStore

    lesson = tmp_path / "short-qr"
    shutil.copytree(short_lesson, lesson)
    # The gates are checked by test_flow_produces_lesson; here which languages render.
    settings = replace(settings, quality_gates=False)
    opts = ProduceOptions(settings, languages=("en", "blt"))
    first = produce(lesson, opts)
    assert first.state == "awaiting review" and first.pending_languages == ["en", "blt"]
    out = settings.out_dir / "short-qr"
    assert not (out / "video" / "en-compat.mp4").exists()
    store = ReviewStore(settings.review_url)
    store.add_user("rev", "password-123", {"en": "reviewer"})
    for cue in store.cues("short-qr", "en"):  # no MT model here: a reviewer types the text
        saved = store.save("rev", "short-qr", "en", cue.idx, f"REVIEWED {cue.idx}", cue.version)
        # Marker text fails the QA checks (numbers, names): the approver overrides.
        store.save("rev", "short-qr", "en", cue.idx, saved.text, saved.version, "approve",
                   reason="test marker text")
    approve_units(store, "rev", "short-qr", "en")  # the title and chapter headings
    assert store.approve_language("rev", "short-qr", "en", settings.tm_path)

    second = produce(lesson, opts)
    assert second.approved_languages == ["en"] and second.pending_languages == ["blt"]
    assert probe(out / "video" / "en-compat.mp4").video is not None
    assert "REVIEWED 0" in (out / "subtitles" / "en.srt").read_text(encoding="utf-8")
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    video = next(f for f in manifest["files"] if f["path"] == "video/en-compat.mp4")
    assert video["review_state"] == "approved" and video["approver"] == "rev"
    drafts = [f for f in manifest["files"] if f["language"] == "blt"]
    assert drafts and all(f["review_state"] == "draft" for f in drafts)

    # A script edit withdraws the approval: the stale final is removed, not left behind.
    script = lesson / "script.md"
    script.write_text(script.read_text(encoding="utf-8").replace("Xin chào", "Chào"),
                      encoding="utf-8")
    third = produce(lesson, opts)
    assert third.approved_languages == [] and "en" in third.pending_languages
    assert not (out / "video" / "en-compat.mp4").exists()
    assert probe(out / "video" / "vi-compat.mp4").video is not None
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert "video/en-compat.mp4" not in {f["path"] for f in manifest["files"]}
