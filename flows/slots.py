"""CPU slots of one machine: at most ``Settings.machine_slots`` CPU-bound jobs (renders) run
at once on a machine, across every flow run of every worker on it.

A worker started with ``--limit 2`` runs two flow runs in two processes; each fans its
languages × profiles out as concurrent task runs. Prefect's own concurrency limits are
counted on the server, for all machines together; this one is local: one ``flock`` per slot
file in a folder of the machine (released by the kernel when a process dies, so a killed run
never keeps a slot).
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

__all__ = ["SLOTS_DIR", "machine_slot"]

log = logging.getLogger("caunoi.slots")

#: One folder per user and machine (not on shared storage: the limit is per machine).
SLOTS_DIR = Path(tempfile.gettempdir()) / f"caunoi-slots-{os.getuid()}"


@contextlib.contextmanager
def machine_slot(slots: int, folder: Path = SLOTS_DIR, poll_s: float = 0.2) -> Iterator[int]:
    """Hold one of ``slots`` slots of this machine while the block runs; yields its number."""
    folder.mkdir(parents=True, exist_ok=True)
    fds = [os.open(folder / f"slot-{i}", os.O_RDWR | os.O_CREAT, 0o600)
           for i in range(max(1, slots))]
    held, waited = -1, False
    try:
        while held < 0:
            for i, fd in enumerate(fds):
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    continue
                held = i
                break
            else:
                if not waited:
                    log.info("waiting for a free CPU slot (%d in use on this machine)", slots)
                    waited = True
                time.sleep(poll_s)
        yield held
    finally:
        for fd in fds:
            os.close(fd)  # closing releases the lock
