"""The machines of ``bench_cluster.py`` on one box: an S3 store behind a TCP gate (to make
it unreachable), and workers that each live in their own mount namespace with their own
disk, where the coordinator's lessons, outputs and database files do not exist.

Everything listens on 127.0.0.1 only.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from flows.env import free_port

__all__ = ["Gate", "Worker", "namespace_pids", "stop_group"]


def stop_group(proc: subprocess.Popen[bytes], grace_s: float = 30.0) -> None:
    """SIGTERM a process group we started, SIGKILL after ``grace_s``."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=grace_s)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)


class Gate:
    """A TCP forwarder 127.0.0.1:``port`` → 127.0.0.1:``target``; :meth:`close` refuses
    and cuts every connection (the store is unreachable) until :meth:`open`."""

    def __init__(self, target: int) -> None:
        self.target, self.port = target, free_port()
        self._up = threading.Event()
        self._conns: list[socket.socket] = []
        self._lock = threading.Lock()
        self._listener: socket.socket | None = None
        self.open()

    def open(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", self.port), reuse_port=False)
        self._up.set()
        threading.Thread(target=self._accept, args=(self._listener,), daemon=True).start()

    def close(self) -> None:
        self._up.clear()
        if self._listener is not None:
            self._listener.close()
        with self._lock:
            for c in self._conns:
                with contextlib.suppress(OSError):
                    c.shutdown(socket.SHUT_RDWR)
                c.close()
            self._conns.clear()

    def _accept(self, listener: socket.socket) -> None:
        while self._up.is_set():
            try:
                client, _ = listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(("127.0.0.1", self.target), timeout=10)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._conns += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(a: socket.socket, b: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := a.recv(65536):
                b.sendall(data)
        for s in (a, b):
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)


def namespace_pids(mntns: str) -> list[int]:
    """Every process whose mount namespace is ``mntns`` (``mnt:[…]``)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if os.readlink(entry / "ns" / "mnt") == mntns:
                    pids.append(int(entry.name))
    return pids


@dataclass
class Worker:
    """One worker machine: ``caunoi worker`` in a new mount namespace. Inside it, ``disk``
    (its own folder, or a tmpfs of ``disk_mb``) is mounted at ``mount_at``, and every path
    of ``hide`` is covered by an empty tmpfs; the start fails unless they read empty."""

    name: str
    disk: Path
    mount_at: Path
    hide: list[Path]
    env: dict[str, str]
    log: Path
    disk_mb: int = 0
    proc: subprocess.Popen[bytes] | None = None
    mntns: list[str] = field(default_factory=list)
    pids: list[int] = field(default_factory=list)

    def script(self) -> str:
        q = shlex.quote
        disk = (f"mount -t tmpfs -o size={self.disk_mb}m tmpfs {q(str(self.mount_at))}"
                if self.disk_mb else f"mount --bind {q(str(self.disk))} {q(str(self.mount_at))}")
        lines = ["set -e", f"mkdir -p {q(str(self.mount_at))}", disk]
        for path in self.hide:
            lines.append(f"mount -t tmpfs -o size=1m tmpfs {q(str(path))}")
            # Absent from here on: refuse to start a worker that could still see them.
            lines.append(f'test -z "$(ls -A {q(str(path))})"')
        lines.append("echo hidden-ok > " + q(str(self.mount_at / "namespace-check")))
        lines.append(f"exec {q(sys.executable)} -m flows.cli worker --limit 1 "
                     f"--name {q(self.name)}")
        return "\n".join(lines)

    def start(self) -> None:
        self.disk.mkdir(parents=True, exist_ok=True)
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(
                ["unshare", "--mount", "--propagation", "private", "--", "sh", "-c",
                 self.script()], env=self.env, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            ns = os.readlink(f"/proc/{self.proc.pid}/ns/mnt")
            if ns != os.readlink("/proc/self/ns/mnt") and self._checked(ns):
                self.mntns.append(ns)
                self.pids.append(self.proc.pid)
                return
            if self.proc.poll() is not None:
                raise RuntimeError(f"worker {self.name} did not start: see {self.log}")
            time.sleep(0.5)
        raise RuntimeError(f"worker {self.name}: no namespace check after 60 s")

    def _checked(self, ns: str) -> bool:
        """Look from inside the namespace: the hidden paths are empty, the disk is its own."""
        assert self.proc is not None
        inside = ["nsenter", f"--mount=/proc/{self.proc.pid}/ns/mnt", "--"]
        probe = subprocess.run([*inside, "sh", "-c", " && ".join(
            [f'test -z "$(ls -A {shlex.quote(str(p))})"' for p in self.hide]
            + [f"test -f {shlex.quote(str(self.mount_at / 'namespace-check'))}"])],
            capture_output=True)
        return probe.returncode == 0

    def kill(self) -> int:
        """Power loss: SIGKILL every process of the namespace; returns how many."""
        pids = namespace_pids(self.mntns[-1])
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        if self.proc is not None:
            self.proc.wait(timeout=30)
        return len(pids)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            stop_group(self.proc)
        if self.mntns:
            for pid in namespace_pids(self.mntns[-1]):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)

    def flow_runs(self) -> set[str]:
        """Flow runs being executed in this worker's namespace right now (read from their
        processes' environment)."""
        found = set()
        for pid in namespace_pids(self.mntns[-1]) if self.mntns else []:
            with contextlib.suppress(OSError):
                env = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
                for var in env:
                    if var.startswith(b"PREFECT__FLOW_RUN_ID="):
                        found.add(var.split(b"=", 1)[1].decode())
        return found
