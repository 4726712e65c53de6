"""The house rules of the import graph, read from the source (no module is imported).

A newcomer changes one stage without reading the others only while the layers hold: the
library never imports Prefect, stages that consume cues reach them through
``pipeline.subtitles`` (never ``pipeline.speech``), review knows nothing of the portal, and
only ``pipeline.steps`` turns Settings into a stage's options.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from pipeline.core.config import PROJECT_ROOT

PIPELINE = PROJECT_ROOT / "pipeline"


def _modules(package: str) -> list[Path]:
    return sorted((PROJECT_ROOT / package).rglob("*.py"))


def _imports(path: Path) -> set[str]:
    """Every module name ``path`` imports (absolute; relative imports resolved)."""
    rel = path.relative_to(PROJECT_ROOT).with_suffix("")
    here = ".".join(rel.parts[:-1])  # the package a relative import starts from
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = here.split(".")[: len(here.split(".")) - node.level + 1]
                mod = ".".join([*base, node.module] if node.module else base)
            else:
                mod = node.module or ""
            names.add(mod)
            names.update(f"{mod}.{alias.name}" for alias in node.names)
    return names


def _offenders(package: str, forbidden: str) -> list[str]:
    return [f"{p.relative_to(PROJECT_ROOT)} imports {name}"
            for p in _modules(package)
            for name in sorted(_imports(p))
            if name == forbidden or name.startswith(forbidden + ".")]


def test_library_never_imports_prefect() -> None:
    assert _offenders("pipeline", "prefect") == []


@pytest.mark.parametrize("stage", ["translate", "render", "review", "publish", "subtitles"])
def test_cue_consumers_do_not_reach_into_speech(stage: str) -> None:
    assert _offenders(f"pipeline/{stage}", "pipeline.speech") == []


def test_review_knows_nothing_of_the_portal() -> None:
    assert _offenders("pipeline/review", "pipeline.portal") == []


def _settings_readers(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call):
            fn = node.func
            name = fn.id if isinstance(fn, ast.Name) else fn.attr if isinstance(
                fn, ast.Attribute) else ""
            if name in ("Settings", "load_settings"):
                found.append(f"{path.relative_to(PROJECT_ROOT)}:{node.lineno} calls {name}()")
    return found


def test_only_steps_and_config_read_settings() -> None:
    """Stage modules get options objects; Settings are read in core.config (which defines
    them) and turned into options in pipeline.steps only."""
    allowed = (PIPELINE / "core" / "config.py", PIPELINE / "steps")
    readers = [r for p in _modules("pipeline")
               if not (p == allowed[0] or allowed[1] in p.parents)
               for r in _settings_readers(p)]
    assert readers == []
