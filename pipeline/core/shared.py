"""Shared storage: lesson inputs and outputs under one fsspec URL, so that workers on other
machines never need the web app's disk.

``Settings.storage_url`` names it: ``""`` (the default) keeps today's local folders
(``lessons_dir`` and ``out_dir``) and nothing is copied; ``file:///srv/caunoi`` (a network
mount) or ``s3://bucket/caunoi`` (an S3-compatible store, endpoint from ``s3_endpoint``) holds

    URL/lessons/<lesson-id>/   lesson.toml, script.md, the recording (what editors hand in)
    URL/output/<lesson-id>/    what runs produce (finals, subtitles, manifest, reports, state)

A worker stages a lesson in to its local work cache (``work_dir``), runs the pipeline on
local files, and stages the outputs out: each file is written under a temporary name and
moved into place (one PUT on S3: readers see the old object or the new one), the manifest
last, so a reader that sees a manifest sees every file it lists. ``work/`` (scratch audio)
never leaves the worker. This is the only module that speaks fsspec for lessons.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import json
import logging
import posixpath
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import fsspec

from pipeline.core.config import Settings
from pipeline.core.errors import CaunoiError
from pipeline.core.storage import atomic_path, atomic_write_json, sha256_file

__all__ = ["LessonNotStoredError", "SharedStorage", "Staged"]

log = logging.getLogger("caunoi.shared")

#: Output sub-folders that stay on the worker (regenerated when missing).
LOCAL_ONLY = ("work",)
#: Written last when staging out (a reader that sees it sees all it lists).
LAST = ("manifest.json",)
#: Waits between attempts when the store is unreachable (63 s in all: a store that restarts
#: or a network that drops for half a minute is waited for, not a failed run).
BACKOFF_S = (1.0, 2.0, 4.0, 8.0, 16.0, 32.0)
#: Errors that are the caller's or the lesson's, never the network's: not retried.
PERMANENT: tuple[type[BaseException], ...] = (FileNotFoundError, PermissionError,
                                              IsADirectoryError, NotADirectoryError,
                                              CaunoiError, ValueError, TypeError, KeyError)

_T = TypeVar("_T")


def transient(e: BaseException) -> bool:
    """Whether an error of the store may pass if tried again (connection refused or reset,
    timeouts, 5xx answers); a full local disk and a missing file do not."""
    if isinstance(e, PERMANENT) or not isinstance(e, Exception):
        return False
    return not (isinstance(e, OSError) and e.errno in (errno.ENOSPC, errno.EDQUOT))


def retried(method: Callable[..., _T]) -> Callable[..., _T]:
    """Run a store operation again, after ``self.backoff_s`` waits, while it fails with a
    :func:`transient` error. Every operation here is idempotent: files are compared with
    what was sent or fetched before, and each is written whole under its final name."""

    @functools.wraps(method)
    def again(self: SharedStorage, *args: Any, **kwargs: Any) -> _T:
        for wait in (*self.backoff_s, None):
            try:
                return method(self, *args, **kwargs)
            except Exception as e:
                if wait is None or not transient(e):
                    raise
                log.warning("%s: the store %s did not answer (%s): again in %.0f s",
                            method.__name__, self.url, e, wait)
                time.sleep(wait)
        raise AssertionError("unreachable")

    return again


class LessonNotStoredError(CaunoiError):
    key = "errors.lesson_not_stored"
    exit_code = 2


@dataclass(frozen=True)
class Staged:
    """Where a run reads the lesson and writes its outputs on this machine."""

    lesson_dir: Path
    out_dir: Path


class SharedStorage:
    """The lessons and outputs of one ``storage_url`` (local folders when it is empty)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.url = settings.storage_url.rstrip("/")
        self.fs: Any = None
        self.root = ""
        self.backoff_s: tuple[float, ...] = BACKOFF_S
        if self.url:
            self.fs, root = fsspec.core.url_to_fs(self.url,
                                                  **settings.storage_options(self.url))
            self.root = str(root).rstrip("/")

    @property
    def remote(self) -> bool:
        return bool(self.url)

    def _path(self, kind: str, lesson_id: str, rel: str = "") -> str:
        return posixpath.join(self.root, kind, lesson_id, rel) if rel else \
            posixpath.join(self.root, kind, lesson_id)

    # --- the web app's side: hand a lesson in, read what runs wrote ---

    @retried
    def put_lesson(self, local_dir: Path, lesson_id: str) -> int:
        """Hand a lesson folder in (what the portal or ``bench_batch`` does): new or changed
        files are uploaded, files no longer in the folder are removed from the store (a
        replaced recording must not stay beside its successor). Returns how many were sent."""
        if not self.remote:
            raise ValueError("put_lesson needs a storage_url")
        record_path = self._record("handed", lesson_id)
        done = _load(record_path)
        now: dict[str, str] = {}
        sent = 0
        for path in sorted(p for p in local_dir.rglob("*") if p.is_file()):
            rel = path.relative_to(local_dir).as_posix()
            now[rel] = sha256_file(path)
            if done.get(rel) != now[rel] or not self.fs.exists(self._path("lessons", lesson_id,
                                                                         rel)):
                self._put(path, self._path("lessons", lesson_id, rel))
                sent += 1
        self._remove_remote("lessons", lesson_id, set(self._remote_files("lessons", lesson_id))
                            - set(now))
        atomic_write_json(record_path, now)
        return sent

    @retried
    def pull_outputs(self, lesson_id: str) -> list[str]:
        """The web app's side: bring the lesson's outputs from the store to ``out_dir``
        (only what changed; files gone from the store go locally too). Returns what came."""
        if not self.remote or not self.fs.isdir(self._path("output", lesson_id)):
            return []
        return self._download(self._path("output", lesson_id),
                              self.settings.lesson_out(lesson_id),
                              self._record("pulled", lesson_id), mirror=True)

    @retried
    def read_output(self, lesson_id: str, rel: str) -> bytes | None:
        """One output file of a lesson (``None`` when it is not there)."""
        if not self.remote:
            path = self.settings.lesson_out(lesson_id) / rel
            return path.read_bytes() if path.is_file() else None
        try:
            return bytes(self.fs.cat_file(self._path("output", lesson_id, rel)))
        except FileNotFoundError:
            return None

    # --- the worker's side ---

    @retried
    def stage_in(self, lesson_id: str) -> Staged:
        """Bring the lesson's inputs (and earlier outputs, for caching) to this machine."""
        if not self.remote:
            return Staged(self.settings.lessons_dir / lesson_id, self.settings.out_dir)
        work = self.settings.work_dir
        lesson_dir, out_dir = work / "lessons" / lesson_id, work / "output"
        if not self.fs.isdir(self._path("lessons", lesson_id)):
            raise LessonNotStoredError(lesson=lesson_id, url=self.url)
        self._download(self._path("lessons", lesson_id), lesson_dir,
                       self._record("in", lesson_id), mirror=True)
        if self.fs.isdir(self._path("output", lesson_id)):
            fetched = self._download(self._path("output", lesson_id), out_dir / lesson_id,
                                     self._record("fetched", lesson_id), mirror=False)
            # What came from the store need not go back to it.
            sent = _load(self._record("out", lesson_id))
            sent |= {rel: sha256_file(out_dir / lesson_id / rel) for rel in fetched}
            atomic_write_json(self._record("out", lesson_id), sent)
        return Staged(lesson_dir, out_dir)

    @retried
    def stage_out(self, staged: Staged, lesson_id: str, final: bool = True) -> int:
        """Upload the lesson's new or changed outputs, the manifest last; returns how many.
        ``final=False`` is a checkpoint during a run: neither the manifest nor removals."""
        if not self.remote:
            return 0
        src = staged.out_dir / lesson_id
        record_path = self._record("out", lesson_id)
        done: dict[str, str] = _load(record_path)
        files = sorted((p for p in src.rglob("*") if p.is_file()
                        and p.relative_to(src).parts[0] not in LOCAL_ONLY
                        and not (p.name.startswith(".") and ".part" in p.name)),
                       key=lambda p: p.name in LAST)
        sent = 0
        for path in files if final else [f for f in files if f.name not in LAST]:
            rel = path.relative_to(src).as_posix()
            digest = sha256_file(path)
            if done.get(rel) == digest:
                continue
            self._put(path, self._path("output", lesson_id, rel))
            done[rel] = digest
            atomic_write_json(record_path, done)  # a retry sends only what is missing
            sent += 1
        # Sent (or fetched) before, gone now (e.g. a withdrawn language's finals): remove.
        gone = {rel for rel in done if rel.split("/", 1)[0] not in LOCAL_ONLY
                and not (src / rel).is_file()} if final else set()
        self._remove_remote("output", lesson_id, gone)
        for rel in gone:
            done.pop(rel, None)
        atomic_write_json(record_path, done)
        log.info("%s: %d output files staged out to %s", lesson_id, sent, self.url)
        return sent

    @retried
    def remove_output(self, lesson_id: str, rel: str) -> None:
        """Delete one output file of a lesson on the store (e.g. a run no longer waiting)."""
        if self.remote:
            with contextlib.suppress(FileNotFoundError):
                self.fs.rm_file(self._path("output", lesson_id, rel))
            record = _load(self._record("out", lesson_id))
            if record.pop(rel, None) is not None:
                atomic_write_json(self._record("out", lesson_id), record)

    # --- fsspec details ---

    def _remote_files(self, kind: str, lesson_id: str) -> list[str]:
        base = self._path(kind, lesson_id)
        if not self.fs.isdir(base):
            return []
        return [posixpath.relpath(p, base) for p in self.fs.find(base)
                if not posixpath.basename(p).endswith(".part")]

    def _remove_remote(self, kind: str, lesson_id: str, rels: set[str]) -> None:
        for rel in sorted(rels):
            with contextlib.suppress(FileNotFoundError):
                self.fs.rm_file(self._path(kind, lesson_id, rel))

    def _record(self, kind: str, lesson_id: str) -> Path:
        """What was staged (remote fingerprints in, local digests out), kept beside, not
        inside, the lesson's folders."""
        return self.settings.work_dir / ".staged" / f"{lesson_id}.{kind}.json"

    def _put(self, path: Path, dst: str) -> None:
        """Upload one file atomically: a temporary name moved into place (local, mounts);
        on object stores a single PUT is already all-or-nothing."""
        self.fs.makedirs(posixpath.dirname(dst), exist_ok=True)
        if "file" not in _protocols(self.fs):
            self.fs.put_file(str(path), dst)
            return
        tmp = posixpath.join(posixpath.dirname(dst), f".{uuid.uuid4().hex}.part")
        try:
            self.fs.put_file(str(path), tmp)
            self.fs.mv(tmp, dst)
        except BaseException:
            if self.fs.exists(tmp):
                self.fs.rm_file(tmp)
            raise

    def _download(self, src: str, dst: Path, record_path: Path, mirror: bool) -> list[str]:
        """Copy a remote folder to ``dst``, fetching only files whose size or modification
        stamp changed since the last stage-in; with ``mirror``, drop local extras. Returns
        the files fetched."""
        record = _load(record_path)
        seen: dict[str, str] = {}
        fetched = []
        for path, info in sorted(self.fs.find(src, detail=True).items()):
            rel = posixpath.relpath(path, src)
            if posixpath.basename(rel).endswith(".part"):  # another upload under way
                continue
            stamp = _fingerprint(info)
            seen[rel] = stamp
            local = dst / rel
            if record.get(rel) == stamp and local.is_file():
                continue
            with atomic_path(local) as tmp:
                self.fs.get_file(path, str(tmp))
            fetched.append(rel)
        if mirror:
            for rel in set(record) - set(seen):
                (dst / rel).unlink(missing_ok=True)
        atomic_write_json(record_path, seen)
        return fetched


def _protocols(fs: Any) -> tuple[str, ...]:
    proto = fs.protocol
    return (proto,) if isinstance(proto, str) else tuple(proto)


def _fingerprint(info: dict[str, Any]) -> str:
    """Size and change stamp of a remote file (ETag / mtime, whichever the store gives)."""
    stamp = info.get("ETag") or info.get("mtime") or info.get("LastModified") or ""
    return f"{info.get('size')}:{stamp}"


def _load(path: Path) -> dict[str, str]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}
