"""One way out of every run: signals, child processes, temporary folders, one error sentence.

:class:`RunGuard` wraps a command. While it is active:

* temporary files go to a private folder ``$TMPDIR/caunoi-run-<pid>-*`` (``tempfile`` and the
  children's ``TMPDIR``), locked with ``flock`` so that the next run can tell a folder left by
  ``kill -9`` (lock free: removed) from one of a live run (lock held: kept);
* SIGINT and SIGTERM are seen at once by a watcher thread (``signal.set_wakeup_fd``), even
  while the main thread is inside a long C call: it stops new ffmpeg runs, ends every child
  process (ffmpeg, espeak-ng, Prefect's server), removes ``.part`` files being written, and
  if the main thread has not unwound within :data:`EXIT_DEADLINE_S` it removes the private
  folder and leaves with 130 (SIGINT) or 143 (SIGTERM);
* the main thread gets ``KeyboardInterrupt`` and unwinds normally.

:func:`describe_failure` turns any exception into a :class:`CaunoiError`; what is not a
project error becomes :class:`InternalError` whose traceback is written to a log file.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import logging
import os
import shutil
import signal
import sys
import tempfile
import threading
import time
import traceback
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType, TracebackType

from pipeline.core.errors import (
    CaunoiError,
    DiskFullError,
    FileAccessError,
    InternalError,
    RunInterruptedError,
)

__all__ = ["EXIT_DEADLINE_S", "RunGuard", "descendants", "describe_failure", "sweep_stale_temp"]

log = logging.getLogger("caunoi.guard")

#: Seconds after a signal by which the process has left, whatever the main thread does.
EXIT_DEADLINE_S = 1.5
#: Seconds a child gets to end after SIGTERM before SIGKILL.
CHILD_GRACE_S = 0.4
#: Prefixes of temporary folders the pipeline creates (swept when stale).
TEMP_PREFIXES = ("caunoi-run-", "caunoi-render-", "caunoi-qa-", "caunoi-ingest-")
#: A legacy top-level temp folder (made outside a guarded run) is stale after this long.
LEGACY_STALE_S = 6 * 3600
_SIGNAL_NAMES = {signal.SIGINT: "SIGINT", signal.SIGTERM: "SIGTERM"}


def descendants(pid: int | None = None) -> list[int]:
    """Process ids of every descendant of ``pid`` (default: this process), from /proc."""
    root = os.getpid() if pid is None else pid
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as f:
                stat = f.read().decode("ascii", "replace")
        except OSError:
            continue
        fields_ = stat.rsplit(")", 1)[-1].split()
        if len(fields_) > 1:
            children.setdefault(int(fields_[1]), []).append(int(entry.name))
    found: list[int] = []
    todo = list(children.get(root, []))
    while todo:
        p = todo.pop()
        found.append(p)
        todo.extend(children.get(p, []))
    return found


def end_descendants(grace_s: float = CHILD_GRACE_S) -> int:
    """SIGTERM every descendant, SIGKILL those still alive after ``grace_s``."""
    pids = descendants()
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for p in pids:
            with contextlib.suppress(OSError):
                os.kill(p, sig)
        if sig == signal.SIGTERM:
            deadline = time.monotonic() + grace_s
            while time.monotonic() < deadline and any(_alive(p) for p in pids):
                time.sleep(0.02)
        pids = [p for p in pids if _alive(p)]
    return len(pids)


def _alive(pid: int) -> bool:
    with contextlib.suppress(ChildProcessError, OSError):
        if os.waitpid(pid, os.WNOHANG)[0] == pid:
            return False
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            return f.read().rsplit(b")", 1)[-1].split()[0] != b"Z"
    except OSError:
        return False


def _lock_free(folder: Path) -> bool:
    lock = folder / ".lock"
    try:
        fd = os.open(lock, os.O_RDWR | os.O_CLOEXEC)
    except OSError:
        return True  # never locked: an old-style folder or half-created
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False
    finally:
        os.close(fd)
    return True


def sweep_stale_temp(tmp_root: Path) -> int:
    """Remove temp folders of runs that no longer exist (after ``kill -9`` or a crash)."""
    removed = 0
    now = time.time()
    for path in tmp_root.glob("caunoi-*"):
        if not path.is_dir() or not path.name.startswith(TEMP_PREFIXES):
            continue
        if path.name.startswith("caunoi-run-"):
            stale = _lock_free(path)
        else:
            with contextlib.suppress(OSError):
                stale = now - path.stat().st_mtime > LEGACY_STALE_S
        if stale:
            shutil.rmtree(path, ignore_errors=True)
            removed += 1
    return removed


class RunGuard:
    """Context manager around one command: private temp folder, signals, cleanup."""

    def __init__(self) -> None:
        self.signum: int | None = None
        # The interruption's sentence was printed by the main thread.
        self.reported = False
        self.tmp_root = Path(tempfile.gettempdir())
        self.run_dir: Path | None = None
        self._lock_fd: int | None = None
        self._saved: dict[str, object] = {}
        self._wake: tuple[int, int] | None = None
        self._done = threading.Event()
        self._stopped = threading.Event()

    @property
    def signal_name(self) -> str:
        return _SIGNAL_NAMES.get(signal.Signals(self.signum), "SIGINT") if self.signum else ""

    def exit_code(self) -> int:
        return 143 if self.signum == signal.SIGTERM else 130

    def __enter__(self) -> RunGuard:
        with contextlib.suppress(OSError):
            n = sweep_stale_temp(self.tmp_root)
            if n:
                log.info("removed %d temporary folders left by stopped runs", n)
        self.run_dir = Path(tempfile.mkdtemp(prefix=f"caunoi-run-{os.getpid()}-",
                                             dir=self.tmp_root))
        self._lock_fd = os.open(self.run_dir / ".lock",
                                os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        fcntl.flock(self._lock_fd, fcntl.LOCK_EX)
        self._saved = {"tempdir": tempfile.tempdir, "TMPDIR": os.environ.get("TMPDIR")}
        tempfile.tempdir = str(self.run_dir)
        os.environ["TMPDIR"] = str(self.run_dir)
        self._saved["unraisable"] = sys.unraisablehook
        sys.unraisablehook = _quiet_unraisable
        if threading.current_thread() is threading.main_thread():
            self._install_signals()
        return self

    def _install_signals(self) -> None:
        r, w = os.pipe()
        os.set_blocking(w, False)
        self._wake = (r, w)
        self._saved["wakeup"] = signal.set_wakeup_fd(w)
        for sig in (signal.SIGINT, signal.SIGTERM):
            self._saved[f"sig{int(sig)}"] = signal.signal(sig, self._on_signal)
        threading.Thread(target=self._watch, args=(r,), name="caunoi-signals",
                         daemon=True).start()

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        """Main thread: unwind with KeyboardInterrupt (the watcher did the urgent part)."""
        if self.signum is None:
            self.signum = signum
        if not self._stopped.is_set():
            raise KeyboardInterrupt

    def _watch(self, fd: int) -> None:
        while True:
            try:
                data = os.read(fd, 16)
            except OSError:
                return
            if not data:
                return
            sigs = [b for b in data if b in (signal.SIGINT, signal.SIGTERM)]
            if sigs and not self._done.is_set():
                if self.signum is None:
                    self.signum = sigs[0]
                deadline = time.monotonic() + EXIT_DEADLINE_S
                self._stop_everything()
                # Whether or not the main thread unwinds in time, the process is gone by the
                # deadline: interpreter shutdown can still wait on worker threads or on
                # Prefect's exit handlers talking to a server that was just ended.
                self._done.wait(max(0.0, deadline - time.monotonic()))
                time.sleep(max(0.0, deadline - time.monotonic()))
                self._force_exit()

    def _stop_everything(self) -> None:
        from pipeline.core.media import stop_children
        from pipeline.core.storage import remove_active_parts

        stop_children()
        end_descendants()
        remove_active_parts()

    def _force_exit(self) -> None:
        """The main thread is stuck: clean up and leave now, with the signal's exit code."""
        self._stopped.set()
        self._remove_run_dir()
        if not self.reported:
            with contextlib.suppress(Exception):
                err = RunInterruptedError(signal=self.signal_name)
                print(_prefix() + str(err), file=sys.stderr, flush=True)
        with contextlib.suppress(Exception):
            sys.stdout.flush()
            sys.stderr.flush()
        os._exit(self.exit_code())

    def exit_now_if_interrupted(self, code: int) -> None:
        """After an interruption, leave at once: a normal interpreter shutdown (module
        teardown of torch, numba, Prefect's exit handlers) takes seconds more."""
        if self.signum is None:
            return
        with contextlib.suppress(Exception):
            sys.stdout.flush()
            sys.stderr.flush()
        os._exit(code)

    def _remove_run_dir(self) -> None:
        if self.run_dir is not None:
            shutil.rmtree(self.run_dir, ignore_errors=True)

    def __exit__(self, et: type[BaseException] | None, ev: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._done.set()
        if self.signum is not None:
            from flows.env import stop_embedded_server

            self._stop_everything()
            stop_embedded_server()
        # Otherwise Prefect's server stops at exit, after Prefect has sent its queued logs.
        self._restore()
        self._remove_run_dir()
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None

    def _restore(self) -> None:
        sys.unraisablehook = self._saved["unraisable"]  # type: ignore[assignment]
        tempfile.tempdir = self._saved.get("tempdir")  # type: ignore[assignment]
        old_tmp = self._saved.get("TMPDIR")
        if old_tmp is None:
            os.environ.pop("TMPDIR", None)
        else:
            os.environ["TMPDIR"] = str(old_tmp)
        if self._wake is not None:
            for sig in (signal.SIGINT, signal.SIGTERM):
                signal.signal(sig, self._saved[f"sig{int(sig)}"])  # type: ignore[arg-type]
            signal.set_wakeup_fd(int(self._saved["wakeup"]))  # type: ignore[call-overload]
            for fd in reversed(self._wake):
                with contextlib.suppress(OSError):
                    os.close(fd)
            self._wake = None


def _quiet_unraisable(info: sys.UnraisableHookArgs) -> None:
    """An exception in a destructor (e.g. our KeyboardInterrupt landing in a ``__del__``):
    logged at debug level, never a traceback on the terminal."""
    if not isinstance(info.exc_value, KeyboardInterrupt):
        log.debug("ignored in %r: %r", info.object, info.exc_value)


def _prefix() -> str:
    from pipeline.core.i18n import t

    return t("errors.prefix")


def default_log_dir() -> Path:
    return Path.home() / ".caunoi" / "logs"


def _write_log(e: BaseException, log_dir: Path, argv: list[str]) -> Path:
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    text = (f"caunoi {' '.join(argv)}\n{datetime.now(UTC).isoformat()}\n\n"
            + "".join(traceback.format_exception(e)))
    for folder in (log_dir, Path(str(tempfile.gettempdir())).parent / "caunoi-logs",
                   Path("/tmp/caunoi-logs")):
        try:
            folder.mkdir(parents=True, exist_ok=True)
            fd, name = tempfile.mkstemp(prefix=f"caunoi-{stamp}-{os.getpid()}-",
                                        suffix=".log", dir=folder)
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(text)
            return Path(name)
        except OSError:
            continue
    return Path("(no writable log folder)")


def _where(e: BaseException) -> str:
    """`` at pipeline/x.py:12``: the project's innermost frame of the traceback."""
    frames = traceback.extract_tb(e.__traceback__)
    for fr in reversed(frames):
        for top in ("/pipeline/", "/flows/"):
            if top in fr.filename:
                return f", {top.strip('/')}/{fr.filename.rsplit(top, 1)[1]}:{fr.lineno}"
    return ""


def describe_failure(e: BaseException, log_dir: Path, argv: list[str],
                     guard: RunGuard | None = None) -> CaunoiError:
    """The project error to show for any exception (internal ones are logged to a file)."""
    if isinstance(e, KeyboardInterrupt):
        if guard is not None:
            guard.reported = True
        return RunInterruptedError(signal=(guard.signal_name if guard else "") or "SIGINT")
    if isinstance(e, CaunoiError):
        return e
    if isinstance(e, OSError) and e.errno == errno.ENOSPC:
        return DiskFullError(path=e.filename or "?")
    if isinstance(e, OSError) and e.filename and e.errno in (
            errno.EACCES, errno.EPERM, errno.ENOENT, errno.ENOTDIR, errno.EISDIR,
            errno.EROFS, errno.ENAMETOOLONG, errno.ELOOP):
        return FileAccessError(path=e.filename, reason=e.strerror or type(e).__name__)
    path = _write_log(e, log_dir, argv)
    return InternalError(kind=type(e).__name__, where=_where(e), log=str(path))
