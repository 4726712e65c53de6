"""Paths are data, not trust: checks for manifest paths and lesson ids, and the rules that
decide whether a target folder may be replaced (then replaced by an atomic swap)."""

from __future__ import annotations

import ctypes
import ctypes.util
import hashlib
import json
import logging
import os
import re
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath
from typing import Any

from pipeline.core.ids import LESSON_ID_RE, is_lesson_id
from pipeline.core.storage import creation_mode
from pipeline.publish.errors import TargetRefusedError, UnsafePathError

__all__ = [
    "LESSON_ID_RE",
    "MARKER",
    "check_lesson_id",
    "check_relpath",
    "fs_sha256",
    "guard_target",
    "inside",
    "is_staging",
    "marker_files",
    "staged_folder",
    "write_marker",
]

log = logging.getLogger("caunoi.publish")

#: The file that marks a folder as written by this tool, listing every file it wrote.
MARKER = ".caunoi-target.json"

_DRIVE = re.compile(r"^[A-Za-z]:")


def check_lesson_id(value: str, where: str) -> str:
    """``value`` if it is a lesson id (lowercase letters, digits, ``-``, ``_``), else raise."""
    if not is_lesson_id(value):
        raise UnsafePathError(value=value, where=where, reason="lesson id")
    return value


def check_relpath(value: str, where: str) -> str:
    """``value`` if it is a relative '/'-separated path with no '..', '.', empty or absolute
    part, no backslash, drive letter or control character; else raise UnsafePathError."""
    reason = ""
    if not isinstance(value, str) or not value:
        reason = "empty"
    elif value.startswith("/") or _DRIVE.match(value):
        reason = "absolute"
    elif "\\" in value or any(ord(c) < 32 for c in value):
        reason = "backslash or control character"
    elif any(part in ("", ".", "..") for part in value.split("/")):
        reason = "'..', '.' or empty part"
    if reason:
        raise UnsafePathError(value=value, where=where, reason=reason)
    return value


def inside(root: Path, rel: str, where: str) -> Path:
    """``root / rel`` after checking ``rel`` and that no symlink leads it out of ``root``."""
    path = root / PurePosixPath(check_relpath(rel, where))
    real, real_root = path.resolve(), root.resolve()
    if real != real_root and real_root not in real.parents:
        raise UnsafePathError(value=rel, where=where, reason="symlink out of the folder")
    return path


def marker_files(folder: Path) -> set[str] | None:
    """The files a previous run of this tool wrote into ``folder`` (None: no marker)."""
    marker = folder / MARKER
    if not marker.is_file() or marker.is_symlink():
        return None
    try:
        data = json.loads(marker.read_text(encoding="utf-8"))
        return {str(p) for p in data["files"]}
    except (ValueError, KeyError, TypeError):
        return None


def write_marker(folder: Path, kind: str, files: Iterable[str]) -> None:
    body = {"tool": "caunoi", "kind": kind, "files": sorted(files)}
    (folder / MARKER).write_text(json.dumps(body, ensure_ascii=False, indent=1) + "\n",
                                 encoding="utf-8")


_STAGING = re.compile(r"(^|/)\.[^/]*\.caunoi-(new|old)-[^/]*(/|$)")


def is_staging(rel: str) -> bool:
    """A path inside a sibling this tool was filling when it was killed (ours to replace)."""
    return bool(_STAGING.search(rel))


def _contents(folder: Path) -> set[str]:
    return {rel for p in folder.rglob("*") if p.is_file() or p.is_symlink()
            if not is_staging(rel := p.relative_to(folder).as_posix())} - {MARKER}


def guard_target(dst: Path, protected: Iterable[Path], force: bool = True) -> None:
    """Refuse a target folder that must not be replaced.

    Never: a protected folder (output root, current folder) or a parent of one, a symlink,
    a file, or a folder holding anything a previous run of this tool did not write (its
    marker lists what it wrote). An existing previous target is replaced only with ``force``.
    """
    real = dst.resolve()
    for p in protected:
        rp = p.resolve()
        if real == rp or real in rp.parents:
            raise TargetRefusedError(path=str(dst), reason="protected")
    if dst.is_symlink():
        raise TargetRefusedError(path=str(dst), reason="symlink")
    if not dst.exists():
        return
    if not dst.is_dir():
        raise TargetRefusedError(path=str(dst), reason="not_dir")
    present = _contents(dst)
    if not present and not (dst / MARKER).exists():
        return  # an empty folder: nothing to lose
    ours = marker_files(dst)
    if ours is None or not present <= ours:
        raise TargetRefusedError(path=str(dst), reason="foreign")
    if not force:
        raise TargetRefusedError(path=str(dst), reason="exists")


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one step (Linux renameat2 RENAME_EXCHANGE); False if unsupported."""
    libc_name = ctypes.util.find_library("c")
    if libc_name is None:
        return False
    libc = ctypes.CDLL(libc_name, use_errno=True)
    fn = getattr(libc, "renameat2", None)
    if fn is None:
        return False
    at_fdcwd, rename_exchange = -100, 2
    return int(fn(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange)) == 0


@contextmanager
def staged_folder(dst: Path, kind: str) -> Iterator[Path]:
    """Yield a new sibling folder of ``dst`` to fill; on success it takes ``dst``'s place
    in one swap (with a marker listing its files) and the old folder is removed; on failure
    only the sibling is removed. Call :func:`guard_target` first."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{dst.name}.caunoi-new-", dir=dst.parent))
    try:
        staging.chmod(creation_mode(folder=True))
        yield staging
        write_marker(staging, kind, _contents(staging))
        if dst.exists() and _exchange(staging, dst):
            shutil.rmtree(staging)  # now holds the previous target
            return
        if dst.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{dst.name}.caunoi-old-", dir=dst.parent))
            os.replace(dst, old / "x")
            os.replace(staging, dst)
            shutil.rmtree(old)
        else:
            os.replace(staging, dst)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def fs_sha256(fs: Any, path: str) -> str:
    """SHA-256 of a file on an fsspec filesystem, read in 1 MiB blocks."""
    h = hashlib.sha256()
    with fs.open(path, "rb") as f:
        while block := f.read(1 << 20):
            h.update(block)
    return h.hexdigest()
