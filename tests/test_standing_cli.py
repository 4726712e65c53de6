"""``caunoi publish`` / ``bundle`` refuse a final made before the approval that stands now
(on main the command line trusted the last run's manifest; only the portal refused)."""

from __future__ import annotations

from pathlib import Path

import pytest

from flows.cli import main
from pipeline.core.config import Settings
from pipeline.core.errors import FinalOutdatedError
from pipeline.review.store import ReviewStore
from pipeline.steps import ProduceOptions, produce
from pipeline.steps.standing import check_finals_stand
from tests.test_left30_manifest import _approve
from tests.test_left31_finals import LESSON
from tests.test_left31_finals import world as world


def _check(s: Settings, languages: tuple[str, ...] = ()) -> None:
    store = ReviewStore(s.review_url)
    try:
        check_finals_stand(s.lesson_out(LESSON), store, languages)
    finally:
        store.engine.dispose()


def test_a_final_approved_again_since_its_run_is_refused_until_rendered_again(
        world: tuple[Settings, Path]) -> None:
    s, folder = world
    _check(s)  # rendered under the approval that stands
    _approve(s, "en", "SECOND")
    with pytest.raises(FinalOutdatedError) as e:
        _check(s)
    assert "en" in e.value.context["languages"]
    assert "caunoi produce" in e.value.message("en")
    _check(s, ("vi",))  # the source alone is still fine to publish
    produce(folder, ProduceOptions(s))
    _check(s)


def test_the_command_line_refuses_to_publish_it(world: tuple[Settings, Path],
                                                monkeypatch: pytest.MonkeyPatch,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    s, _ = world
    _approve(s, "en", "SECOND")
    monkeypatch.setattr("flows.cli.load_cli_settings", lambda args: s)
    target = s.out_dir / "pub"
    assert main(["publish", LESSON, "--to", str(target)]) == 2
    assert not (target / LESSON).exists(), "published anyway"
    assert "caunoi produce" in capsys.readouterr().err
