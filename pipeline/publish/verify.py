"""Verify a bundle folder, a bundle zip, a publish target (any fsspec URL) or one lesson
folder against its manifests (and a bundle against its own checksum list, a target against
its catalog; see :mod:`pipeline.publish.integrity`): per file, what is missing, corrupt,
unsafe or extra."""

from __future__ import annotations

import json
import posixpath
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import fsspec

from pipeline.core.errors import CaunoiError, LessonConfigError
from pipeline.core.i18n import t
from pipeline.core.limits import Limits
from pipeline.publish import integrity
from pipeline.publish.errors import ManifestInvalidError, UnsafePathError
from pipeline.publish.manifest import Manifest, parse_manifest
from pipeline.publish.paths import check_relpath, inside

__all__ = ["PROBLEM_KINDS", "Problem", "VerifyReport", "verify"]

#: What can be wrong with a file; all but "extra" make a target fail (in a bundle, whose
#: checksum list names every file, an extra file fails too).
PROBLEM_KINDS = ("unsafe", "invalid", "missing", "corrupt", "extra")


@dataclass(frozen=True)
class Problem:
    path: str
    # One of PROBLEM_KINDS.
    kind: str
    detail: str = ""


@dataclass
class VerifyReport:
    target: str
    checked: int = 0
    problems: list[Problem] = field(default_factory=list)
    # A bundle: held to its own checksum list, so an extra file fails it.
    bundle: bool = False

    def add(self, path: str, kind: str, detail: str = "") -> None:
        """Record a finding, once per path and kind."""
        if not any(p.path == path and p.kind == kind for p in self.problems):
            self.problems.append(Problem(path, kind, detail))

    def paths(self, kind: str) -> list[str]:
        return [p.path for p in self.problems if p.kind == kind]

    @property
    def missing(self) -> list[str]:
        return self.paths("missing")

    @property
    def corrupt(self) -> list[str]:
        return self.paths("corrupt")

    @property
    def extra(self) -> list[str]:
        return self.paths("extra")

    @property
    def unsafe(self) -> list[str]:
        return self.paths("unsafe")

    @property
    def ok(self) -> bool:
        return all(p.kind == "extra" and not self.bundle for p in self.problems)


def _is_zip(target: str) -> bool:
    return "://" not in target and target.endswith(".zip") and Path(target).is_file()


def _open(target: str, storage_options: dict[str, Any]) -> tuple[Any, str]:
    if _is_zip(target):
        from fsspec.implementations.zip import ZipFileSystem

        return ZipFileSystem(fo=target), ""
    fs, root = fsspec.core.url_to_fs(target, **storage_options)
    return fs, str(root).rstrip("/")


def _is_local(fs: Any) -> bool:
    protocols = fs.protocol if isinstance(fs.protocol, tuple) else (fs.protocol,)
    return "file" in protocols or "local" in protocols


def _manifests(fs: Any, root: str) -> list[str]:
    """manifest.json at the root, one level down (a publish target, a bundle folder) and two
    (a bundle zip holds its folder)."""
    found: set[str] = set()
    for pattern in ("manifest.json", "*/manifest.json", "*/*/manifest.json"):
        found.update(fs.glob(posixpath.join(root, pattern) if root else pattern))
    return sorted(found)


def _read(fs: Any, mpath: str, report: VerifyReport) -> Manifest | None:
    """The manifest with its unsafe entries reported and dropped (None: not usable)."""
    try:
        data = json.loads(fs.cat_file(mpath))
        files = data["files"]
        safe = []
        for f in files:
            try:
                check_relpath(f.get("path", ""), mpath)
                safe.append(f)
            except UnsafePathError as e:
                report.problems.append(Problem(str(f.get("path")), "unsafe", e.message()))
        return parse_manifest({**data, "files": safe}, mpath)
    except UnsafePathError as e:
        report.problems.append(Problem(mpath, "unsafe", e.message()))
    except json.JSONDecodeError as e:
        report.problems.append(Problem(mpath, "invalid", ManifestInvalidError(
            path=mpath, detail=t("errors.manifest_not_json", line=e.lineno, column=e.colno),
        ).message()))
    except (CaunoiError, ValueError, KeyError, TypeError, AttributeError) as e:
        detail = e.message() if isinstance(e, CaunoiError) else ManifestInvalidError(
            path=mpath, detail=t("errors.manifest_bad_shape")).message()
        report.problems.append(Problem(mpath, "invalid", detail))
    return None


def _check_file(fs: Any, base: str, rel: str, size: int, sha: str,
                report: VerifyReport, skip: set[str]) -> None:
    path = posixpath.join(base, rel)
    report.checked += 0 if report.bundle else 1  # a bundle counts its checksum list
    if path in skip:  # a link or special file, reported already: never read
        return
    if _is_local(fs):
        try:
            inside(Path(base), rel, posixpath.join(base, "manifest.json"))
        except UnsafePathError as e:
            report.add(path, "unsafe", e.message())
            return
    integrity.check_file(fs, path, size, sha, report.add)


def _check_manifests(fs: Any, manifests: list[str], report: VerifyReport,
                     skip: set[str]) -> None:
    bases = [posixpath.dirname(m) for m in manifests]
    for mpath, base in zip(manifests, bases, strict=True):
        manifest = _read(fs, mpath, report)
        if manifest is None:
            continue
        listed = {posixpath.join(base, f.path) for f in manifest.files}
        for f in manifest.files:
            _check_file(fs, base, f.path, f.bytes, f.sha256, report, skip)
        for path in fs.find(base) if base else fs.find(""):
            name = posixpath.basename(path)
            nested = any(path.startswith(b + "/") and b != base and b.startswith(base)
                         for b in bases)
            if path not in listed and name != "manifest.json" and not name.startswith(".") \
                    and not nested and path not in skip and name not in integrity.OS_FILES:
                report.add(path, "extra")


def verify(target: str, storage_options: dict[str, Any] | None = None,
           limits: Limits | None = None) -> VerifyReport:
    """Recompute the checksum of every file every manifest under ``target`` lists (a bundle
    folder or zip, a publish target URL, or one lesson folder) and report, per file, what is
    wrong; a bundle is also held to its own checksum list (every file, the page included),
    a publish target to its catalog. Sizes are compared before anything is hashed. Entries
    whose path would leave the folder, links and special files are reported, never read; a
    zip bomb (``limits.max_zip_ratio``, ``limits.max_bundle_mb``) is not unpacked at all.

    Raises:
        LessonConfigError: no manifest.json (and no bundle) under ``target``.
    """
    limits = limits or Limits()
    report = VerifyReport(target=target)
    if _is_zip(target) and not integrity.check_zip(Path(target), limits, report.add):
        return report
    fs, root = _open(target, storage_options or {})
    skip = set(report.unsafe)
    if _is_local(fs) and Path(root).is_dir():
        skip |= integrity.check_links(Path(root), report.add)
    manifests = _manifests(fs, root)
    top = integrity.bundle_root(fs, root)
    if top is not None:
        report.bundle = True
        report.checked += integrity.check_bundle(fs, root, top, skip, report.add)
    elif not manifests:
        raise LessonConfigError(path=target, detail="no manifest.json found to verify against")
    else:
        integrity.check_catalog(fs, root, manifests, report.add)
    _check_manifests(fs, manifests, report, skip)
    return report
