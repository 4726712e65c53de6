"""What `verify` checks beyond the lessons' manifests: a bundle's own checksum list (every
file, the page included), zip entries that would leave the folder, zip bombs, links, and a
publish target's catalog.

A bundle writes ``checksums.json`` when it is made (:func:`write_checksums`): the path, size
and SHA-256 of every file in it but the list itself and the tool's marker. ``verify`` then
holds the bundle to it: a replaced ``index.html`` is corrupt, an added ``setup.exe`` is extra
(and fails a bundle), a size that differs is reported without hashing the file. A zip is read
only after its central directory passed: no entry name with NUL, ``..``, an absolute path or a
link; no entry that inflates more than ``max_zip_ratio`` times; no more than ``max_bundle_mb``
in all. The list is a check against corruption and careless edits, not a signature: whoever
can rewrite the page can rewrite the list too.
"""

from __future__ import annotations

import json
import os
import posixpath
import stat
import zipfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from pipeline.core.i18n import t
from pipeline.core.limits import Limits
from pipeline.core.storage import sha256_bytes, sha256_file
from pipeline.publish.errors import UnsafePathError
from pipeline.publish.paths import MARKER, check_relpath, fs_sha256

__all__ = ["CHECKSUMS", "OS_FILES", "Add", "bundle_root", "check_bundle", "check_catalog",
           "check_file", "check_links", "check_zip", "write_checksums"]

#: The bundle's own checksum list, at the top of the bundle folder.
CHECKSUMS = "checksums.json"
#: A finding: (path, kind, detail), kind one of verify.PROBLEM_KINDS.
Add = Callable[[str, str, str], None]
# Entries smaller than this are not held to the ratio (a small JSON of spaces is no bomb).
_RATIO_FLOOR = 1 << 20
_MB = 1 << 20
# What file managers leave in a folder they showed (not the bundle's, not worth a failure).
OS_FILES = frozenset({".DS_Store", "Thumbs.db", "desktop.ini"})


def write_checksums(folder: Path) -> None:
    """Write ``folder/checksums.json``: every file under ``folder`` (but the list and the
    marker) with its size and SHA-256."""
    files = []
    for p in sorted(folder.rglob("*")):
        rel = p.relative_to(folder).as_posix()
        if p.is_file() and rel not in (CHECKSUMS, MARKER):
            files.append({"path": rel, "bytes": p.stat().st_size, "sha256": sha256_file(p)})
    body = {"tool": "caunoi", "kind": "checksums", "algorithm": "sha256", "files": files}
    (folder / CHECKSUMS).write_text(json.dumps(body, ensure_ascii=False, indent=1) + "\n",
                                    encoding="utf-8")


def check_zip(path: Path, limits: Limits, add: Add) -> bool:
    """Check a zip's central directory; False when it must not be read at all (a bomb, or
    more than ``max_bundle_mb``). Unsafe entry names are reported and never read."""
    try:
        with zipfile.ZipFile(path) as z:
            infos = z.infolist()
    except (OSError, zipfile.BadZipFile) as e:
        add(str(path), "invalid", t("errors.integrity_not_zip", detail=e))
        return False
    total = 0
    for info in infos:
        name, total = info.orig_filename, total + info.file_size
        if _unsafe_entry(name, info, add):
            continue
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > _RATIO_FLOOR and ratio > limits.max_zip_ratio:
            add(name, "unsafe", t("errors.integrity_zip_bomb", ratio=f"{ratio:.0f}",
                                limit=limits.max_zip_ratio))
            return False
    if total > limits.max_bundle_mb * _MB:
        add(str(path), "unsafe", t("errors.integrity_zip_too_big", mb=f"{total / _MB:.0f}",
                                   limit=limits.max_bundle_mb))
        return False
    return True


def _unsafe_entry(name: str, info: zipfile.ZipInfo, add: Add) -> bool:
    shown = name.encode("unicode_escape").decode("ascii")
    if "\x00" in name:
        add(shown, "unsafe", t("errors.integrity_zip_nul"))
        return True
    if stat.S_ISLNK(info.external_attr >> 16):
        add(shown, "unsafe", t("errors.integrity_zip_link"))
        return True
    try:
        check_relpath(name.rstrip("/") if info.is_dir() else name, "zip entry")
    except UnsafePathError as e:
        add(shown, "unsafe", e.message())
        return True
    return False


def check_links(root: Path, add: Add) -> set[str]:
    """Links and special files (FIFO, device) under a local folder, reported as unsafe and
    never followed or read; returns their paths."""
    found: set[str] = set()
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        for name in [*dirnames, *filenames]:
            p = Path(dirpath) / name
            if p.is_symlink() or not (p.is_dir() or p.is_file()):
                found.add(str(p))
                add(str(p), "unsafe", t("errors.integrity_link"))
    return found


def bundle_root(fs: Any, root: str) -> str | None:
    """The bundle folder at ``root`` (a folder) or its one top folder (a zip): where the
    page, the checksum list or a bundle marker is. None: not a bundle."""
    tops = [root]
    dirs = [p for p in fs.ls(root, detail=False) if fs.isdir(p)]
    if len(dirs) == 1:
        tops.append(dirs[0].rstrip("/"))
    for top in tops:
        if any(fs.exists(posixpath.join(top, n)) for n in (CHECKSUMS, "index.html")) \
                or _marker_kind(fs, top) == "bundle":
            return top
    return None


def _marker_kind(fs: Any, top: str) -> str:
    try:
        data = json.loads(fs.cat_file(posixpath.join(top, MARKER) if top else MARKER))
        return str(data.get("kind", "")) if isinstance(data, dict) else ""
    except (OSError, ValueError):
        return ""


def _listed(fs: Any, path: str, add: Add) -> dict[str, tuple[int, str]] | None:
    try:
        data = json.loads(fs.cat_file(path))
        entries = {check_relpath(f["path"], path): (int(f["bytes"]), str(f["sha256"]))
                   for f in data["files"]}
    except FileNotFoundError:
        add(path, "missing", t("errors.integrity_no_checksums"))
        return None
    except UnsafePathError as e:
        add(path, "unsafe", e.message())
        return None
    except (OSError, ValueError, KeyError, TypeError) as e:
        add(path, "invalid", t("errors.integrity_bad_checksums", detail=e))
        return None
    return entries


def check_file(fs: Any, path: str, size: int, sha: str, add: Add) -> None:
    """Missing, then size, then (only when the sizes agree) the SHA-256."""
    if not fs.exists(path):
        add(path, "missing", "")
        return
    got_size = int(fs.info(path).get("size", -1))
    if got_size != size:
        add(path, "corrupt", t("errors.integrity_size", got=got_size, size=size))
        return
    try:
        got = fs_sha256(fs, path)
    except (OSError, EOFError, zipfile.BadZipFile) as e:  # a zip entry that lies about itself
        add(path, "corrupt", t("errors.integrity_unreadable", detail=e))
        return
    if got != sha:
        add(path, "corrupt", f"sha256 {got[:12]}… ≠ {sha[:12]}…, {got_size} bytes")


def check_bundle(fs: Any, root: str, top: str, skip: Iterable[str], add: Add) -> int:
    """Hold every file under ``root`` to the checksum list of the bundle at ``top``; returns
    how many listed files were checked. ``skip``: paths already reported unsafe."""
    listed = _listed(fs, posixpath.join(top, CHECKSUMS) if top else CHECKSUMS, add)
    if listed is None:
        return 0
    bad = set(skip)
    for rel, (size, sha) in listed.items():
        path = posixpath.join(top, rel) if top else rel
        if path not in bad:
            check_file(fs, path, size, sha, add)
    ours = {posixpath.join(top, n) if top else n for n in (*listed, CHECKSUMS, MARKER)}
    for path in fs.find(root or ""):
        if path not in ours and path not in bad and posixpath.basename(path) not in OS_FILES:
            add(path, "extra", t("errors.integrity_unlisted"))
    return len(listed)


def check_catalog(fs: Any, root: str, manifests: list[str], add: Add) -> None:
    """A publish target's ``catalog.json`` against its lessons' manifests: every lesson
    listed, every listed manifest there with the SHA-256 the catalog gives."""
    path = posixpath.join(root, "catalog.json") if root else "catalog.json"
    if not fs.exists(path):
        if _marker_kind(fs, root) == "publish":
            add(path, "missing", t("errors.integrity_no_catalog"))
        return
    try:
        lessons = {check_relpath(str(x["manifest"]), path): str(x["manifest_sha256"])
                   for x in json.loads(fs.cat_file(path))["lessons"]}
    except UnsafePathError as e:
        add(path, "unsafe", e.message())
        return
    except (OSError, ValueError, KeyError, TypeError) as e:
        add(path, "invalid", t("errors.integrity_bad_catalog", detail=e))
        return
    present = {rel for m in manifests
               if (rel := posixpath.relpath(m, root) if root else m).count("/") == 1}
    for rel, sha in lessons.items():
        full = posixpath.join(root, rel) if root else rel
        if rel not in present:
            add(full, "missing", t("errors.integrity_catalog_lists"))
        elif sha256_bytes(fs.cat_file(full)) != sha:
            add(full, "corrupt", t("errors.integrity_catalog_sha"))
    for rel in sorted(present - set(lessons)):
        add(path, "corrupt", t("errors.integrity_catalog_misses", rel=rel))
