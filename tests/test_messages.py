"""One message mechanism (issue 27): every key that code or a template looks up exists in
Vietnamese and English, every entry has both texts with the same ``{placeholders}``, and
every entry is used somewhere.

Catalogues are found through the one registry (``pipeline.core.i18n.CATALOGUES``): any
module of ``pipeline/`` or ``flows/`` that calls ``register_catalogue(`` is imported first,
so a catalogue that moves to another package is still checked. Templates are every
``pipeline/**/templates/**/*.html``.
"""

from __future__ import annotations

import ast
import importlib
import re
import string
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ("pipeline", "flows")
#: Functions whose first argument is a message key, and the prefix each adds to it.
KEY_FUNCTIONS = {"t": "", "_say": "", "msg": "cli."}  # msg: flows/cli/common.py
#: Keys no literal in the code names: chosen from data at run time. Each says where.
DYNAMIC = {
    # pipeline/review/web_pages.py: heading="my_work" if reviews else "my_lessons" → t(heading).
    "my_work", "my_lessons",
    # pipeline/review/web.py http_error: key = ... else "bad_request" → t(key).
    "bad_request",
    # t(f"review.{msg}"): web_pages.py _LIST_MSGS, web_actions.py _DONE_MSG, web_cue.py known.
    "review.saved_here", "review.approved_saved", "review.rejected_saved", "review.queue_done",
    "review.bulk_done",
}
_TEMPLATE_CALL = re.compile(r"""\bt\(\s*(['"])([^'"]*)\1\s*(\+|~)?""")
_QUOTED = re.compile(r"""(['"])([\w.]+)\1""")


def _sources() -> Iterator[Path]:
    for pkg in SOURCES:
        yield from sorted((ROOT / pkg).rglob("*.py"))


def _templates() -> list[Path]:
    return sorted((ROOT / "pipeline").glob("**/templates/**/*.html"))


def _dynamic() -> set[str]:
    from pipeline.publish.interface import ICONS
    from pipeline.translate.qa import CHECKS

    # pipeline/translate/qa.py QAIssue.message: t(f"qa.{self.code}") for every check;
    # pipeline/publish/interface.py SectionWords.word: t(f"bundle.{key}") for every unit.
    return DYNAMIC | {f"qa.{code}" for code in CHECKS} | {f"bundle.{key}" for key in ICONS}


def _catalog() -> dict[str, tuple[str, str]]:
    for path in _sources():
        if "register_catalogue(" in path.read_text(encoding="utf-8"):
            rel = path.relative_to(ROOT).with_suffix("")
            importlib.import_module(".".join(rel.parts).removesuffix(".__init__"))
    from pipeline.core import i18n

    merged: dict[str, tuple[str, str]] = {}
    for prefix, entries in i18n.CATALOGUES.items():
        for key, texts in entries.items():
            full = f"{prefix}.{key}" if prefix else key
            assert full not in merged, f"{full} is in two catalogues"
            merged[full] = texts
    assert merged == i18n.CATALOG, "CATALOG and the registry disagree"
    return merged


def _key_arg(node: ast.expr, prefix: str) -> Iterator[tuple[str, bool]]:
    """(key, is_prefix) for the literal parts of a key argument."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        yield prefix + node.value, False
    elif isinstance(node, ast.IfExp):
        yield from _key_arg(node.body, prefix)
        yield from _key_arg(node.orelse, prefix)
    elif isinstance(node, ast.JoinedStr) and node.values:
        head = node.values[0]
        if isinstance(head, ast.Constant) and isinstance(head.value, str):
            yield prefix + head.value, True
    elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        for key, _ in _key_arg(node.left, prefix):
            yield key, True


def _is_error_class(node: ast.ClassDef) -> bool:
    return node.name.endswith("Error") or any(
        isinstance(b, ast.Name) and b.id.endswith("Error") for b in node.bases)


def _python_uses(path: Path) -> Iterator[tuple[str, bool, int]]:
    """(key, is_prefix, line) of every key a module looks up: key functions' first
    arguments and error classes' ``key``."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call) and node.args:
            name = getattr(node.func, "id", getattr(node.func, "attr", ""))
            if name in KEY_FUNCTIONS:
                for key, is_prefix in _key_arg(node.args[0], KEY_FUNCTIONS[name]):
                    yield key, is_prefix, node.lineno
        elif isinstance(node, ast.ClassDef) and _is_error_class(node):
            for stmt in node.body:
                target = stmt.targets[0] if isinstance(stmt, ast.Assign) else getattr(
                    stmt, "target", None)
                value = getattr(stmt, "value", None)
                if (isinstance(target, ast.Name) and target.id == "key"
                        and isinstance(value, ast.Constant) and isinstance(value.value, str)):
                    yield value.value, False, stmt.lineno


def _template_uses(path: Path) -> Iterator[tuple[str, bool, int]]:
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        for m in _TEMPLATE_CALL.finditer(line):
            yield m.group(2), m.group(3) is not None, n


def _lookups() -> list[tuple[str, bool, str]]:
    """Every (key or key prefix, is_prefix, where) that code and templates look up."""
    found = []
    for path in _sources():
        for key, is_prefix, line in _python_uses(path):
            found.append((key, is_prefix, f"{path.relative_to(ROOT)}:{line}"))
    for path in _templates():
        for key, is_prefix, line in _template_uses(path):
            found.append((key, is_prefix, f"{path.relative_to(ROOT)}:{line}"))
    return found


def _fields(text: str) -> set[str]:
    return {re.split(r"[.\[]", name)[0] for _, name, _, _ in string.Formatter().parse(text)
            if name is not None}


def test_templates_and_catalogues_are_found() -> None:
    catalog = _catalog()
    assert len(_templates()) >= 5
    assert {"", "cli", "errors", "portal", "review"} <= set(
        importlib.import_module("pipeline.core.i18n").CATALOGUES)
    assert "errors.no_audio_stream" in catalog


def test_every_key_looked_up_exists_in_both_languages() -> None:
    catalog = _catalog()
    missing = []
    for key, is_prefix, where in _lookups():
        if is_prefix:
            # A built key (f"portal.state_{x}"): its fixed part must start some entry.
            if not any(k.startswith(key) for k in catalog):
                missing.append(f"{where}: no entry starts with {key!r}")
        elif key not in catalog:
            missing.append(f"{where}: {key!r}")
    missing += [f"DYNAMIC: {key!r}" for key in sorted(_dynamic()) if key not in catalog]
    assert not missing, "keys with no catalogue entry:\n" + "\n".join(missing)


def test_every_entry_has_both_texts_with_the_same_placeholders() -> None:
    bad = []
    for key, (vi, en) in _catalog().items():
        if not vi.strip() or not en.strip():
            bad.append(f"{key}: empty text")
        elif _fields(vi) != _fields(en):
            bad.append(f"{key}: vi {sorted(_fields(vi))} ≠ en {sorted(_fields(en))}")
    assert not bad, "\n".join(bad)


def test_every_entry_is_used() -> None:
    """Used = looked up literally, under a built key's fixed part (``t('portal.state_' ~
    run.state)``, when it goes past the catalogue's prefix), named by a quoted literal
    anywhere in the code or templates (a dotted key: ``_REFUSED = {"empty":
    "review.empty_approve"}``), or listed in DYNAMIC."""
    catalog = _catalog()
    used, prefixes = _dynamic(), set()
    for key, is_prefix, _ in _lookups():
        if not is_prefix:
            used.add(key)
        elif key.partition(".")[2] if "." in key else key:
            prefixes.add(key)
    for path in [*_sources(), *_templates()]:
        used |= {m.group(2) for m in _QUOTED.finditer(path.read_text(encoding="utf-8"))
                 if "." in m.group(2)}
    unused = sorted(k for k in catalog
                    if k not in used and not any(k.startswith(p) for p in prefixes))
    assert not unused, "catalogue entries nothing uses:\n" + "\n".join(unused)
