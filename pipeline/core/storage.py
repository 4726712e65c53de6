"""Atomic file writes and content hashes: nothing half-written ever sits at a final path."""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import json
import os
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pipeline.core.errors import DiskFullError

#: Temporary ``.part`` files being written right now (removed on an interrupt).
_ACTIVE_PARTS: set[Path] = set()
_PARTS_LOCK = threading.Lock()
#: Output folders this process holds a lock on (file descriptors, released at exit).
_CLAIMED: dict[Path, int] = {}

__all__ = [
    "atomic_path",
    "atomic_write_json",
    "atomic_write_text",
    "claim_folder",
    "creation_mode",
    "read_json",
    "remove_active_parts",
    "remove_stale_parts",
    "sha256_bytes",
    "sha256_file",
    "sha256_text",
]


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_text(text: str) -> str:
    return sha256_bytes(text.encode("utf-8"))


def _umask() -> int:
    try:  # Linux 4.7+: read without changing it (os.umask can only be read by setting it)
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    with _PARTS_LOCK:
        mask = os.umask(0o022)
        os.umask(mask)
    return mask


def creation_mode(folder: bool = False) -> int:
    """The mode ``open``/``mkdir`` would give a new file or folder under the umask:
    ``mkstemp``/``mkdtemp`` make them private (0600/0700), so a web server running as
    another user could not read what was published."""
    return (0o777 if folder else 0o666) & ~_umask()


@contextlib.contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; move it into place only on success.

    On any exception the temporary file is removed and ``path`` is left as it was.
    A full disk becomes :class:`DiskFullError` naming ``path``.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=f".part{path.suffix}",
                                    dir=path.parent)
    os.fchmod(fd, creation_mode())
    os.close(fd)
    tmp = Path(tmp_name)
    with _PARTS_LOCK:
        _ACTIVE_PARTS.add(tmp)
    try:
        yield tmp
        os.replace(tmp, path)
    except OSError as e:
        tmp.unlink(missing_ok=True)
        if e.errno == errno.ENOSPC:
            raise DiskFullError(path=str(path)) from e
        raise
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    finally:
        with _PARTS_LOCK:
            _ACTIVE_PARTS.discard(tmp)


def _is_part(path: Path) -> bool:
    # atomic_path's names: ".<stem>.<random>.part<suffix>"
    return path.name.startswith(".") and ".part" in path.name


def remove_active_parts() -> int:
    """Delete the ``.part`` files this process is writing (called when it is interrupted)."""
    with _PARTS_LOCK:
        parts = list(_ACTIVE_PARTS)
        _ACTIVE_PARTS.clear()
    for part in parts:
        with contextlib.suppress(OSError):
            part.unlink()
    return len(parts)


def remove_stale_parts(folder: Path) -> int:
    """Delete ``.part`` files left under ``folder`` by a run that was killed (``kill -9``).

    A part this process is still writing is kept; a concurrent run of the same lesson in
    another process is prevented by the lesson lock (see :func:`lesson_lock`).
    """
    if not folder.is_dir():
        return 0
    with _PARTS_LOCK:
        active = set(_ACTIVE_PARTS)
    removed = 0
    for path in folder.rglob(".*.part*"):
        if path.is_file() and _is_part(path) and path not in active:
            with contextlib.suppress(OSError):
                path.unlink()
                removed += 1
    return removed


def atomic_write_text(path: Path, text: str) -> None:
    with atomic_path(path) as tmp, open(tmp, "w", encoding="utf-8", newline="\n") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())


def atomic_write_json(path: Path, data: Any) -> None:
    atomic_write_text(path, json.dumps(data, ensure_ascii=False, indent=2) + "\n")


def read_json(path: Path) -> Any:
    """A JSON file this tool wrote (UTF-8)."""
    return json.loads(path.read_text(encoding="utf-8"))


def claim_folder(folder: Path) -> bool:
    """Lock an existing output folder for this process (``.lock``, flock; freed at exit).

    Returns False when another live process holds it: its ``.part`` files are then its own
    work in progress and must not be swept. A killed process releases its lock with it.
    """
    folder = folder.resolve()
    if folder in _CLAIMED:
        return True
    fd = os.open(folder / ".lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        return False
    _CLAIMED[folder] = fd
    return True
