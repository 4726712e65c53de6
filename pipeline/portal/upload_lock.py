"""One writer per resumable upload, and upload creation one at a time per store.

A second PATCH for an upload that is being written is refused at once (423 with a
Retry-After): the lock is a non-blocking ``flock`` on the part file, so nothing ever waits
on the event loop, and it goes with the request's file handle (a dropped or stalled
request releases it; a stalled one after ``IDLE_TIMEOUT_S`` without a byte). Creating an
upload (count the user's uploads in progress, then add one) holds a short lock on the
store's folder, so parallel requests cannot pass the quota together.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
import threading
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import BinaryIO

from pipeline.core.errors import CaunoiError

__all__ = ["IDLE_TIMEOUT_S", "RETRY_AFTER_S", "UploadBusyError", "UploadStalledError",
           "creation_lock", "idle_limited", "try_lock"]

#: Seconds a PATCH may go without receiving a byte before it is given up (its bytes so far
#: are discarded, the lock released, and the phone's retry goes on from the last offset).
IDLE_TIMEOUT_S = 30.0
#: What a refused second writer is told to wait, seconds.
RETRY_AFTER_S = 5


class UploadBusyError(CaunoiError):
    key = "errors.upload_busy"
    exit_code = 2


class UploadStalledError(CaunoiError):
    key = "errors.upload_stalled"
    exit_code = 2


def try_lock(f: BinaryIO) -> None:
    """Take the one-writer lock of an open part file, or refuse at once.

    Raises:
        UploadBusyError: another request (of this or another process) holds it.
    """
    try:
        fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError as e:
        raise UploadBusyError(seconds=RETRY_AFTER_S) from e


async def idle_limited(chunks: AsyncIterator[bytes],
                       idle_s: float = IDLE_TIMEOUT_S) -> AsyncIterator[bytes]:
    """``chunks``, given up when no data arrives for ``idle_s`` seconds.

    Raises:
        UploadStalledError: the sender went quiet.
    """
    iterator = chunks.__aiter__()
    while True:
        try:
            data = await asyncio.wait_for(iterator.__anext__(), idle_s)
        except StopAsyncIteration:
            return
        except TimeoutError as e:
            raise UploadStalledError(seconds=round(idle_s)) from e
        yield data


_THREAD_LOCK = threading.Lock()


@contextlib.contextmanager
def creation_lock(root: Path) -> Iterator[None]:
    """Hold the store's creation lock (threads of this process, then other processes);
    callers are synchronous routes, which run in worker threads, never on the event loop."""
    root.parent.mkdir(parents=True, exist_ok=True)
    with _THREAD_LOCK:
        # Beside the folder, not in it: the folder holds uploads only.
        fd = os.open(root.parent / f".{root.name}.lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)
