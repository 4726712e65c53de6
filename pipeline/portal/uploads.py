"""Resumable uploads (the tus 1.0 protocol's core, creation, checksum and termination).

An upload is ``ROOT/<id>.part`` (the bytes received so far; its size is the offset) and
``ROOT/<id>.json`` (owner, declared length, file name). Every chunk is written at the
current offset while it is hashed; a chunk whose checksum does not match is cut off again,
so the part file only ever holds verified bytes. A finished upload is moved to its final
path with one ``os.replace``: a partial upload is never at a final path. Ids are random
hex and validated before any path is built; each user has a quota of uploads in progress
(finished ones waiting for their form do not count; only the newest few of them are kept).
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import secrets
import time
from collections.abc import AsyncIterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, BinaryIO

from pipeline.core.errors import CaunoiError
from pipeline.core.storage import atomic_write_json
from pipeline.portal.upload_lock import IDLE_TIMEOUT_S, creation_lock, idle_limited, try_lock

__all__ = ["CHECKSUMS", "ChecksumMismatchError", "OffsetMismatchError", "Upload",
           "UploadNotFoundError", "UploadQuotaError", "UploadStore", "UploadTooLargeError"]

_ID = re.compile(r"^[0-9a-f]{32}$")
#: tus checksum algorithm names -> hashlib names (Tus-Checksum-Algorithm).
CHECKSUMS = {"sha256": "sha256", "sha1": "sha1"}


class UploadTooLargeError(CaunoiError):
    key = "errors.upload_too_large"
    plain_key = "errors.upload_too_large_plain"
    exit_code = 2


class UploadQuotaError(CaunoiError):
    key = "errors.upload_quota"
    exit_code = 2


class UploadNotFoundError(CaunoiError):
    key = "errors.upload_not_found"
    exit_code = 2


class OffsetMismatchError(CaunoiError):
    key = "errors.offset_mismatch"
    exit_code = 2


class ChecksumMismatchError(CaunoiError):
    key = "errors.checksum_mismatch"
    exit_code = 2


@dataclass(frozen=True)
class Upload:
    id: str
    user: str
    length: int
    filename: str
    created_at: float
    offset: int = 0

    @property
    def complete(self) -> bool:
        return self.offset == self.length


def human_mb(n: int) -> str:
    return f"{n / 1024 / 1024:.1f} MB"


class UploadStore:
    """Uploads in progress under ``root`` (on the same file system as the lessons)."""

    def __init__(self, root: Path, max_bytes: int, max_active: int = 3,
                 max_chunk: int = 8 << 20, ttl_s: float = 2 * 86400,
                 idle_s: float = IDLE_TIMEOUT_S) -> None:
        self.root = root
        self.idle_s = idle_s
        self.max_bytes = max_bytes
        self.max_active = max_active
        self.max_chunk = max_chunk
        self.ttl_s = ttl_s

    def _paths(self, upload_id: str) -> tuple[Path, Path]:
        if not _ID.match(upload_id):
            raise UploadNotFoundError()
        return self.root / f"{upload_id}.part", self.root / f"{upload_id}.json"

    def _read(self, upload_id: str) -> Upload:
        part, meta = self._paths(upload_id)
        try:
            data = json.loads(meta.read_text(encoding="utf-8"))
            offset = part.stat().st_size
        except (OSError, ValueError) as e:
            raise UploadNotFoundError() from e
        return Upload(**{**data, "offset": offset})

    def get(self, upload_id: str, user: str) -> Upload:
        """The upload ``upload_id`` of ``user`` (someone else's is "not found")."""
        found = self._read(upload_id)
        if found.user != user:
            raise UploadNotFoundError()
        return found

    def active(self, user: str) -> list[Upload]:
        """``user``'s uploads in progress (expired ones are removed first)."""
        self.sweep()
        found = []
        for meta in self.root.glob("*.json") if self.root.is_dir() else []:
            try:
                up = self._read(meta.stem)
            except UploadNotFoundError:
                continue
            if up.user == user:
                found.append(up)
        return found

    def check_size(self, length: int, name: str) -> None:
        if length > self.max_bytes:
            raise UploadTooLargeError(name=name, got=human_mb(length),
                                      limit=human_mb(self.max_bytes),
                                      setting="max_recording_mb")

    def create(self, user: str, length: int, filename: str) -> Upload:
        """A new upload of ``length`` bytes, refused before any byte is sent when too large
        or when ``user`` has too many uploads in progress."""
        name = Path(filename).name[-120:] or "recording"
        self.check_size(length, name)
        with creation_lock(self.root):  # count and add as one step (parallel requests)
            mine = self.active(user)
            self._drop_unused(user, [u for u in mine if u.complete])
            busy = [u for u in mine if not u.complete]
            if len(busy) >= self.max_active:
                raise UploadQuotaError(n=len(busy), limit=self.max_active)
            up = Upload(secrets.token_hex(16), user, length, name, time.time())
            part, meta = self._paths(up.id)
            self.root.mkdir(parents=True, exist_ok=True)
            part.touch(exist_ok=False)
            data = asdict(up)
            del data["offset"]
            atomic_write_json(meta, data)
        return up

    async def append(self, upload_id: str, user: str, offset: int,
                     chunks: AsyncIterator[bytes], checksum: str | None = None) -> Upload:
        """Write a chunk at ``offset`` (which must be the current offset), verifying
        ``checksum`` (tus ``Upload-Checksum``: ``"<algorithm> <base64 digest>"``).

        Raises:
            OffsetMismatchError, ChecksumMismatchError, UploadTooLargeError,
            UploadNotFoundError, UploadBusyError (another request is writing it),
            UploadStalledError.
        """
        up = self.get(upload_id, user)
        hasher = _hasher(checksum)
        part, _ = self._paths(upload_id)
        with open(part, "r+b") as f:
            # One writer per upload: a second request for it is refused at once (never a
            # wait on the event loop); the lock goes with this file handle.
            try_lock(f)
            start = os.fstat(f.fileno()).st_size
            if offset != start:
                raise OffsetMismatchError(got=offset, offset=start)
            f.seek(start)
            try:
                await self._write(f, idle_limited(chunks, self.idle_s), hasher, start, up)
                if checksum and hasher is not None:
                    expected = checksum.split(" ", 1)[1].strip()
                    if base64.b64encode(hasher.digest()).decode() != expected:
                        raise ChecksumMismatchError()
            except BaseException:
                f.truncate(start)
                raise
            f.flush()
            os.fsync(f.fileno())
        return self._read(upload_id)

    async def _write(self, f: BinaryIO, chunks: AsyncIterator[bytes], hasher: Any,
                     start: int, up: Upload) -> None:
        written = 0
        async for data in chunks:
            written += len(data)
            if written > self.max_chunk or start + written > up.length:
                raise UploadTooLargeError(name=up.filename, got=human_mb(start + written),
                                          limit=human_mb(min(up.length,
                                                             start + self.max_chunk)),
                                          setting="Upload-Length")
            if hasher is not None:
                hasher.update(data)
            f.write(data)

    def part_path(self, upload_id: str, user: str) -> Path:
        """Where the bytes of ``user``'s upload are (to check them before ``finish``)."""
        self.get(upload_id, user)
        return self._paths(upload_id)[0]

    def finish(self, upload_id: str, user: str, dst: Path) -> Upload:
        """Move a complete upload to ``dst`` (one rename); an incomplete one stays."""
        up = self.get(upload_id, user)
        if not up.complete:
            raise OffsetMismatchError(got=up.length, offset=up.offset)
        part, meta = self._paths(upload_id)
        dst.parent.mkdir(parents=True, exist_ok=True)
        os.replace(part, dst)
        # The recording is new now (the part file kept the time of its last chunk, which
        # may be older than the lesson's last run: the run would not look out of date).
        os.utime(dst)
        meta.unlink(missing_ok=True)
        return up

    def _drop_unused(self, user: str, finished: list[Upload]) -> None:
        """Keep only ``user``'s newest finished uploads (a refused form may still name
        one); older ones were sent again and are never used. Finished uploads do not
        count as in progress."""
        finished.sort(key=lambda u: u.created_at, reverse=True)
        for up in finished[self.max_active:]:
            self.delete(up.id, user)

    def delete(self, upload_id: str, user: str) -> None:
        self.get(upload_id, user)
        for path in self._paths(upload_id):
            path.unlink(missing_ok=True)

    def sweep(self) -> int:
        """Remove uploads older than the time to live; returns how many."""
        removed = 0
        cutoff = time.time() - self.ttl_s
        for meta in self.root.glob("*.json") if self.root.is_dir() else []:
            try:
                old = meta.stat().st_mtime < cutoff and self._read(meta.stem).created_at < cutoff
            except (OSError, UploadNotFoundError):
                old = True
            if old and _ID.match(meta.stem):
                for path in self._paths(meta.stem):
                    path.unlink(missing_ok=True)
                removed += 1
        return removed


def _hasher(checksum: str | None) -> Any:
    """A hash object for a tus ``Upload-Checksum`` header (None when there is none)."""
    if not checksum:
        return None
    algo, _, digest = checksum.partition(" ")
    if algo not in CHECKSUMS or not digest.strip():
        raise ChecksumMismatchError()
    return hashlib.new(CHECKSUMS[algo])
