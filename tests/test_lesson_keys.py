"""lesson.toml keys that nobody reads are refused at check and produce (issue 28): one
sentence naming the key, the file, its line and the nearest known key; exit 2; nothing
written."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from flows.cli import main

BASE = 'title = "Bài"\nlanguages = ["hmn"]\n'


@pytest.mark.parametrize(("extra", "key", "near", "line"), [
    ('profile = ["tiny"]\n', "profile", "profiles", 3),
    ('langauges = ["blt"]\n', "langauges", "languages", 3),
    ('[title_s]\nhmn = "x"\n', "title_s", "titles", 3),
    ('author.name = "Lan"\n', "author", "authors", 3),
])
def test_unknown_key_refused_by_check_and_produce(
        lesson_copy: Callable[[str], Path], tmp_path: Path, capsys: pytest.CaptureFixture[str],
        extra: str, key: str, near: str, line: int) -> None:
    lesson = lesson_copy("typo")
    toml = lesson / "lesson.toml"
    toml.write_text(BASE + extra, encoding="utf-8")
    config = ["--en", "--config", str(tmp_path / "none.toml")]
    out = tmp_path / "o"
    for argv in (["check", str(lesson), "--out", str(out)],
                 ["produce", str(lesson), "--out", str(out), "--no-prefect"],
                 ["produce", str(lesson), "--out", str(out)]):
        assert main([*config, *argv]) == 2, argv
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1, err
        assert f"'{key}'" in err and str(toml) in err and f"line {line}" in err, err
        assert f"did you mean '{near}'" in err, err
        assert not out.exists()


def test_known_keys_still_pass(lesson_copy: Callable[[str], Path], tmp_path: Path,
                               capsys: pytest.CaptureFixture[str]) -> None:
    lesson = lesson_copy("full")
    (lesson / "lesson.toml").write_text(
        'id = "full"\ntitle = "Bài"\nlanguages = ["hmn"]\nprofiles = ["compat"]\n'
        'authors = ["Lan"]\n[titles]\nhmn = "Tsab"\n', encoding="utf-8")
    assert main(["--en", "--config", str(tmp_path / "none.toml"), "check", str(lesson)]) == 0
