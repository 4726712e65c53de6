"""Publish a lesson's finals to a target (a folder or any fsspec URL, e.g. an S3-compatible
store) and keep the target's ``catalog.json`` up to date.

A target is checked before anything is written: never the output root, the current folder
or a parent of either, and never a folder that holds files this tool did not write (the
target's marker lists every file it wrote). A local lesson folder is filled as a new sibling
and swapped in at once; on object stores every PUT is atomic and the manifest goes last.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import posixpath
import shutil
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import fsspec

from pipeline.core.errors import CaunoiError
from pipeline.core.storage import sha256_bytes
from pipeline.publish.entries import Selection, file_entry, published_entries
from pipeline.publish.errors import TargetRefusedError
from pipeline.publish.hls import make_hls
from pipeline.publish.manifest import ManifestFile, load_manifest, parse_manifest
from pipeline.publish.options import PublishOptions
from pipeline.publish.paths import MARKER, fs_sha256, guard_target, is_staging, staged_folder

__all__ = ["PublishResult", "publish", "update_catalog"]

log = logging.getLogger("caunoi.publish")


@dataclass
class PublishResult:
    target: str
    lesson_id: str
    files: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def _is_local(fs: Any) -> bool:
    protocols = fs.protocol if isinstance(fs.protocol, tuple) else (fs.protocol,)
    return "file" in protocols or "local" in protocols


def _put(fs: Any, src: Path | bytes, dst: str) -> None:
    """Write one object so that a reader never sees it half-written."""
    if _is_local(fs):
        parent = posixpath.dirname(dst)
        fs.makedirs(parent, exist_ok=True)
        tmp = f"{parent}/.{posixpath.basename(dst)}.part"
        if isinstance(src, bytes):
            with fs.open(tmp, "wb") as f:
                f.write(src)
        else:
            fs.put_file(str(src), tmp)
        fs.mv(tmp, dst)
        return
    # Object stores replace an object atomically on PUT.
    if isinstance(src, bytes):
        with fs.open(dst, "wb") as f:
            f.write(src)
    else:
        fs.put_file(str(src), dst)


def _json_bytes(data: Any) -> bytes:
    return (json.dumps(data, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def _rel(root: str, path: str) -> str:
    return posixpath.relpath(path, root) if root else path


def _listed(fs: Any, root: str) -> set[str] | None:
    try:
        return {str(p) for p in json.loads(fs.cat_file(posixpath.join(root, MARKER)))["files"]}
    except (FileNotFoundError, ValueError, KeyError, TypeError):
        return None


def _guard_remote(fs: Any, root: str, target: str) -> set[str]:
    """What a previous publish wrote to ``root`` (refuse a target holding anything else)."""
    if not fs.exists(root):
        return set()
    if fs.isfile(root):
        raise TargetRefusedError(path=target, reason="not_dir")
    present = {r for p in fs.find(root) if not is_staging(r := _rel(root, p))} - {MARKER}
    ours = _listed(fs, root)
    if present and (ours is None or not present <= ours):
        raise TargetRefusedError(path=target, reason="foreign")
    return ours or set()


def _write_marker(fs: Any, root: str, files: Iterable[str]) -> None:
    body = {"tool": "caunoi", "kind": "publish", "files": sorted(set(files))}
    _put(fs, _json_bytes(body), posixpath.join(root, MARKER))


def _planned(sel: Selection) -> list[str]:
    lid = sel.manifest.lesson_id
    return [f"{lid}/{f.path}" for f in sel.manifest.files] + [
        f"{lid}/manifest.json", f"{lid}/{MARKER}", "catalog.json"]


def _publish_local(fs: Any, sel: Selection, base: str, result: PublishResult) -> None:
    """Fill a new sibling of the lesson folder and swap it in (see paths.staged_folder)."""
    dst = Path(base)
    with staged_folder(dst, "lesson") as staging:
        for f in sel.manifest.files:
            old = dst / f.path
            same = old.is_file() and old.stat().st_size == f.bytes and fs_sha256(fs, str(old)) \
                == f.sha256
            (result.skipped if same else result.files).append(f.path)
            target = staging / f.path
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(sel.path(f), target)
        (staging / "manifest.json").write_bytes(sel.manifest.to_bytes())


def _publish_remote(fs: Any, sel: Selection, base: str, result: PublishResult) -> None:
    previous = _remote_manifest(fs, posixpath.join(base, "manifest.json"))
    for f in sel.manifest.files:
        dst = posixpath.join(base, f.path)
        try:
            same = int(fs.info(dst).get("size", -1)) == f.bytes and fs_sha256(fs, dst) == f.sha256
        except FileNotFoundError:
            same = False
        if same:
            result.skipped.append(f.path)
            continue
        _put(fs, sel.path(f), dst)
        result.files.append(f.path)
    _put(fs, sel.manifest.to_bytes(), posixpath.join(base, "manifest.json"))
    kept = {f.path for f in sel.manifest.files}
    for f in previous:
        if f.path not in kept:  # ours (listed by our previous manifest), now stale
            fs.rm_file(posixpath.join(base, f.path))


def _remote_manifest(fs: Any, path: str) -> list[ManifestFile]:
    try:
        return list(parse_manifest(fs.cat_file(path), path).files)
    except FileNotFoundError:
        return []
    except CaunoiError as e:
        log.warning("ignoring the previous manifest %s: %s", path, e)
        return []


def publish(lesson_out: Path, target: str, opts: PublishOptions) -> PublishResult:
    """Copy a lesson's finals to ``target`` (a folder or an fsspec URL such as
    ``s3://bucket/prefix``): everything checked first, then the files, the lesson's
    manifest, and the catalog.

    Raises:
        TargetRefusedError: the target is protected or holds files this tool did not write.
        UnsafePathError, ManifestInvalidError: the lesson's manifest is not to be trusted.
    """
    lid = load_manifest(lesson_out).lesson_id  # checked as data before anything else
    fs, root = fsspec.core.url_to_fs(target, **opts.storage_options)
    root = str(root).rstrip("/")
    local = _is_local(fs)
    if local:
        guard_target(Path(root), opts.protected)
    ours = _guard_remote(fs, root, target)
    sel = published_entries(lesson_out, opts.title_card_s, list(opts.languages),
                            list(opts.profiles))
    if opts.hls:
        master = make_hls(sel, opts.registry)
        sel = Selection(lesson_out, sel.manifest.with_files(
            [*sel.manifest.files, *(file_entry(lesson_out, p, "playlist")
                                    for p in sorted(master.parent.iterdir())
                                    if not p.name.startswith("."))]))
    base = posixpath.join(root, lid)
    result = PublishResult(target=target, lesson_id=lid)
    fs.makedirs(root, exist_ok=True)
    _write_marker(fs, root, ours | set(_planned(sel)))
    if local:
        _publish_local(fs, sel, base, result)
    else:
        _publish_remote(fs, sel, base, result)
    update_catalog(fs, root)
    return result


def update_catalog(fs: Any, root: str) -> dict[str, Any]:
    """Rewrite ``catalog.json``: one line per lesson with the sha256 of its manifest, so an
    app on 2G fetches the catalog, then only the manifests (and files) whose hash changed."""
    lessons = []
    for path in sorted(fs.glob(posixpath.join(root, "*", "manifest.json"))):
        raw = fs.cat_file(path)
        try:
            m = parse_manifest(raw, str(path))
        except CaunoiError as e:
            log.warning("left out of the catalog: %s", e)
            continue
        lessons.append({"id": m.lesson_id, "title": m.title,
                        "languages": sorted({f.language for f in m.files if f.language}),
                        "manifest": f"{m.lesson_id}/manifest.json",
                        "manifest_sha256": sha256_bytes(raw),
                        "bytes": sum(f.bytes for f in m.files)})
    body = {"schema_version": "1.0", "lessons": lessons}
    catalog = {**body, "etag": sha256_bytes(_json_bytes(body))[:32],
               "generated_at": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()}
    _put(fs, _json_bytes(catalog), posixpath.join(root, "catalog.json"))
    return catalog
