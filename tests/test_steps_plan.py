"""The step plan's machinery: a new cached step is one function and one plan line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipeline.core.cache import make_key
from pipeline.core.config import Settings
from pipeline.core.storage import atomic_write_json, read_json
from pipeline.render.encode import RenderedFile
from pipeline.steps import PLAN, Job, LessonRun, Made, ProduceOptions, Step, cached_step, run_plan
from pipeline.steps.plan import need


def words_step(run: LessonRun, job: Job) -> int:
    """A new step, whole: the script's word count, cached on the script's hash."""
    ingested = need(run.ingested, "words", "ingest")
    path = run.out / "words.json"

    def make() -> Made[int]:
        n = sum(len(s.text.split()) for s in ingested.lesson.sentences)
        atomic_write_json(path, n)
        return Made(n, [path], f"{n} words")

    return cached_step(run, "words", {"script": ingested.lesson.hashes["script.md"]}, path,
                       lambda: int(read_json(path)), make)


#: The plan's first step and the new one: its one line.
WORDS_PLAN = (PLAN[0], Step("words", words_step))


def _run(lesson: Path, settings: Settings) -> tuple[LessonRun, dict[str, tuple[bool, str]]]:
    seen: dict[str, tuple[bool, str]] = {}
    run = LessonRun(lesson, ProduceOptions(settings),
                    lambda stage, skipped, detail: seen.__setitem__(stage, (skipped, detail)))
    return run_plan(run, WORDS_PLAN), seen


def test_new_cached_step_runs_inline_then_skips(short_lesson: Path, settings: Settings) -> None:
    script = (short_lesson / "script.md").read_text(encoding="utf-8")
    expected = sum(len(line.split()) for line in script.splitlines()
                   if line.strip() and not line.startswith("# "))

    run, seen = _run(short_lesson, settings)
    assert run.get("words", int) == expected
    assert seen["words"] == (False, f"{expected} words")
    record = json.loads((run.out / ".state" / "words.json").read_text(encoding="utf-8"))
    ingested = need(run.ingested, "test", "ingest")
    assert record["key"] == make_key("words", script=ingested.lesson.hashes["script.md"])
    assert set(record["outputs"]) == {"words.json"}

    again, seen = _run(short_lesson, settings)
    assert seen["words"] == (True, str(run.out / "words.json"))
    assert again.get("words", int) == expected

    # An output changed by hand is not trusted: the step runs again and rewrites it.
    (run.out / "words.json").write_text("0\n", encoding="utf-8")
    third, seen = _run(short_lesson, settings)
    assert seen["words"][0] is False
    assert third.get("words", int) == expected == read_json(run.out / "words.json")


def test_results_are_kept_by_step_name(tmp_path: Path, settings: Settings) -> None:
    run = LessonRun(tmp_path, ProduceOptions(settings))
    assert run.get("words", int) is None and run.all("render", RenderedFile) == []
    assert run.ingested is None and run.translations == {} and run.rendered == []

    mp3 = RenderedFile(path=tmp_path / "vi-audio.mp3", language="vi", profile="audio",
                       duration_ms=1000, codecs=("mp3",))
    opus = RenderedFile(path=tmp_path / "vi-audio.opus", language="vi", profile="audio",
                        duration_ms=1000, codecs=("opus",), companions=(mp3,))
    step = Step("render", lambda run, job: opus)
    step.store(run, [opus])
    # A profile's companion files (the MP3 beside the Opus) count as rendered files too.
    assert run.rendered == [opus, mp3]
    assert run.all("render", RenderedFile) == [opus]
    with pytest.raises(TypeError, match="render"):
        run.all("render", Path)


def test_the_pages_show_every_step_of_the_plan() -> None:
    # The launcher keeps the names as data: importing the plan would cost the web app seconds.
    from flows.launcher import STEP_NAMES

    assert tuple(s.name for s in PLAN) == STEP_NAMES, (
        "a step added to PLAN needs its name in flows/launcher.py STEP_NAMES (run progress)")
