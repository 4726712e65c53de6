"""The finals a lesson's manifest lists, kept across runs of some languages only.

A run with ``--languages`` renders and judges those languages only; the finals of the
lesson's other languages stay on disk. The manifest still lists each of them while it is
valid: its language is approved now by the very approval it was made under (an edit
withdraws an approval; a new one is another), with the same approved voices, from the same
lesson inputs (lesson.toml, script, recording), and its files are the ones listed then
(same sha256). A final made stale by any of these is not listed.

What made each listed language's files is kept in ``.state/finals.json``; the manifest
step writes it after every run. A run of some languages moves the stale finals of the
others out of ``video/`` and ``audio/`` into ``outdated/`` (nobody shares one by mistake;
nothing of the review store is touched), and a final listed again replaces its old copy
there (:func:`set_aside_stale`). Whatever offers a language's final to watch, download or
publish (the portal, the review pages) asks :func:`standing_finals`, the same validity.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from pipeline.core.cache import make_key
from pipeline.core.storage import atomic_write_json, sha256_file
from pipeline.core.types import Lesson
from pipeline.publish.manifest import ManifestEntry

__all__ = ["LEDGER", "OUTDATED", "Kept", "final_basis", "ingested_basis", "kept_finals",
           "ledger_languages", "record_finals", "set_aside_stale", "standing_finals"]

log = logging.getLogger("caunoi.publish")

#: Inside the lesson's output folder.
LEDGER = ".state/finals.json"
#: Where stale finals of languages outside a run go (``outdated/video``, ``outdated/audio``).
OUTDATED = "outdated"
#: The folders of finals (and of their outdated copies).
_FINALS = ("video", "audio")


def final_basis(lesson: Lesson, approval: str) -> str:
    """What a target language's finals are made from: the lesson's inputs and the store's
    approval basis (``pipeline.review.gate.approval_basis``)."""
    return make_key("final-basis", inputs=dict(lesson.hashes), approval=approval)


def ingested_basis(out: Path, approval: str) -> str:
    """:func:`final_basis` with the lesson inputs of the last run (``out/ingest.json``);
    "" before a run has ingested the lesson."""
    try:
        lesson = json.loads((out / "ingest.json").read_text(encoding="utf-8"))["lesson"]
        hashes = {str(k): str(v) for k, v in dict(lesson.get("hashes") or {}).items()}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return ""
    return make_key("final-basis", inputs=hashes, approval=approval)


def _read(out: Path) -> dict[str, Any]:
    try:
        data = json.loads((out / LEDGER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    langs = data.get("languages") if isinstance(data, dict) else None
    return langs if isinstance(langs, dict) else {}


def ledger_languages(out: Path) -> list[str]:
    """The target languages the last manifest listed finals of."""
    return sorted(_read(out))


@dataclass(frozen=True)
class Kept:
    """Finals of languages outside this run, still valid: their entries and titles."""

    entries: tuple[ManifestEntry, ...] = ()
    # language -> the approved title it was listed with.
    titles: tuple[tuple[str, str], ...] = ()

    @property
    def languages(self) -> list[str]:
        return list(dict.fromkeys(e.language for e in self.entries))


#: (path, inode, size, mtime, ctime) -> sha256: a page asks again on every view.
_HASHES: dict[tuple[str, int, int, int, int], str] = {}


def _sha256(path: Path) -> str:
    st = path.stat()
    key = (str(path), st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)
    if key not in _HASHES:
        if len(_HASHES) > 4096:
            _HASHES.clear()
        _HASHES[key] = sha256_file(path)
    return _HASHES[key]


def _entry(out: Path, item: dict[str, Any]) -> ManifestEntry | None:
    """The entry of ``item`` when its file is still the one listed then, else None."""
    if not isinstance(item, dict) or not item.get("path"):
        return None
    path = out / str(item["path"])
    if not path.is_file() or _sha256(path) != item.get("sha256"):
        return None
    fields = {k: v for k, v in item.items() if k not in ("path", "sha256")}
    fields["codecs"] = tuple(fields.get("codecs", ()))
    fields["voices"] = tuple(fields.get("voices", ()))
    try:
        return ManifestEntry(path=path, **fields)
    except TypeError:  # a ledger from another version of the manifest: not trusted
        return None


def kept_finals(out: Path, bases: dict[str, str], skip: Iterable[str],
                quiet: bool = False) -> Kept:
    """The still-valid finals of the languages in the ledger but not in ``skip`` (this
    run's languages): ``bases`` gives each language's :func:`final_basis` now (absent: not
    approved now). ``quiet``: a page asking, nothing logged."""
    say = log.debug if quiet else log.info
    entries: list[ManifestEntry] = []
    titles: list[tuple[str, str]] = []
    skipped = set(skip)
    for lang, record in _read(out).items():
        if lang in skipped:
            continue
        if not bases.get(lang) or record.get("basis") != bases[lang]:
            say("%s: finals of %s are stale (approval or inputs changed): not listed",
                out.name, lang)
            continue
        found = [_entry(out, item) for item in record.get("files", [])]
        kept = [e for e in found if e is not None]
        if not kept or len(kept) != len(found) or not any(e.kind in ("video", "audio")
                                                          for e in kept):
            say("%s: finals of %s changed on disk: not listed", out.name, lang)
            continue
        entries += kept
        if record.get("title"):
            titles.append((lang, str(record["title"])))
    return Kept(tuple(entries), tuple(titles))


def record_finals(out: Path, entries: Iterable[ManifestEntry], bases: dict[str, str],
                  titles: dict[str, str]) -> None:
    """Keep what made each listed approved language's files (written after the manifest's
    entries are known; a language with no final video or audio is not recorded)."""
    langs: dict[str, dict[str, Any]] = {}
    for e in entries:
        if e.language not in bases or e.review_state != "approved":
            continue
        item = {k: v for k, v in asdict(e).items() if k != "path"}
        item |= {"path": e.path.relative_to(out).as_posix(), "sha256": sha256_file(e.path),
                 "codecs": list(e.codecs), "voices": [dict(v) for v in e.voices]}
        record = langs.setdefault(e.language, {"basis": bases[e.language],
                                               "title": titles.get(e.language, ""),
                                               "files": []})
        record["files"].append(item)
    langs = {k: v for k, v in langs.items()
             if any(f["kind"] in ("video", "audio") for f in v["files"])}
    atomic_write_json(out / LEDGER, {"languages": langs})


def standing_finals(out: Path, approvals: Mapping[str, str]) -> Kept:
    """The finals of target languages a manifest would list now, by the manifest's own
    validity (:func:`kept_finals`): made under the approval that stands now
    (``approvals``: language -> ``pipeline.review.gate.approval_basis``, "" when not
    approved), from the lesson inputs of the last run (``out/ingest.json``: the caller
    checks that they did not change since, ``pipeline.ingest.changed_since_ingest``),
    with their files unchanged. Nothing before a run has ingested the lesson."""
    bases = {code: ingested_basis(out, basis) for code, basis in approvals.items() if basis}
    return kept_finals(out, {c: b for c, b in bases.items() if b}, (), quiet=True)


def set_aside_stale(out: Path, listed: Iterable[ManifestEntry], others: Iterable[str],
                    profiles: Iterable[str]) -> list[Path]:
    """Move the finals of ``others`` (target languages outside this run) that the
    manifest does not list (stale) from ``video/``/``audio/`` to ``outdated/`` (one copy a
    file: a newer stale one replaces it); delete the outdated copy of every final listed
    now. Drafts stay. Returns the files moved (at their new place)."""
    kept = {e.path for e in listed}
    stems = {f"{code}-{name}" for code in others for name in profiles}
    moved = []
    for folder in _FINALS:
        for p in sorted((out / folder).iterdir()) if (out / folder).is_dir() else ():
            if p in kept:
                (out / OUTDATED / folder / p.name).unlink(missing_ok=True)
            elif p.is_file() and p.name.split(".", 1)[0] in stems:
                dst = out / OUTDATED / folder / p.name
                dst.parent.mkdir(parents=True, exist_ok=True)
                os.replace(p, dst)
                moved.append(dst)
                log.info("%s: stale final %s moved to %s", out.name, p.name,
                         dst.relative_to(out))
    return moved
