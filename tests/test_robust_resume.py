"""kill -9 at several stages, then run again: same subtitles and alignment, nothing left over.

Also: SIGINT and SIGTERM end ``caunoi produce`` with 130 / 143, end its children and remove
its temporary folder. Runs ``produce --no-prefect --profiles audio`` in subprocesses (the
render of a video profile would only make the test longer; the interrupt and resume paths
are the same).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pipeline.core.config import PROJECT_ROOT

pytestmark = pytest.mark.slow


def _argv(tmp: Path, lesson: Path, out: Path) -> list[str]:
    return [sys.executable, "-m", "flows.cli", "--config", str(tmp / "none.toml"), "produce",
            str(lesson), "--out", str(out), "--no-prefect", "--profiles", "audio"]


def _env(tmp: Path) -> dict[str, str]:
    (tmp / "tmpdir").mkdir(exist_ok=True)
    return {**os.environ, "PYTHONPATH": str(PROJECT_ROOT), "TMPDIR": str(tmp / "tmpdir"),
            "CAUNOI_MODEL_DIR": str(tmp / "no-models"), "CAUNOI_LOG_DIR": str(tmp / "logs"),
            "CAUNOI_PREFECT_HOME": str(tmp / "prefect"), "HF_HUB_OFFLINE": "1"}


def _run(tmp: Path, lesson: Path, out: Path) -> None:
    proc = subprocess.run(_argv(tmp, lesson, out), env=_env(tmp), capture_output=True,
                          text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr


def _start(tmp: Path, lesson: Path, out: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(_argv(tmp, lesson, out), env=_env(tmp), stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)


def _wait_for(proc: subprocess.Popen[str], path: Path, timeout: float = 600) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists():
            return True
        if proc.poll() is not None:
            return False
        time.sleep(0.05)
    return False


def _outputs(out: Path) -> dict[str, bytes]:
    lesson_out = next(p for p in out.iterdir() if p.is_dir() and p.name != "tm")
    files = [lesson_out / "alignment.json", *sorted((lesson_out / "subtitles").glob("*"))]
    return {f.name: f.read_bytes() for f in files}


def _session_alive(sid: int) -> list[int]:
    alive = []
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                rest = Path(f"/proc/{entry.name}/stat").read_text().rsplit(")", 1)[-1].split()
            except OSError:
                continue
            if rest[0] != "Z" and int(rest[3]) == sid:
                alive.append(int(entry.name))
    return alive


@pytest.fixture(scope="module")
def reference(short_lesson: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    tmp = tmp_path_factory.mktemp("reference")
    _run(tmp, short_lesson, tmp / "out")
    return _outputs(tmp / "out")


@pytest.mark.parametrize("marker", ["work/audio-16k.wav", "work/audio-normalised.wav",
                                    "alignment.json", "subtitles/vi.srt"])
def test_kill9_then_resume(marker: str, short_lesson: Path, tmp_path: Path,
                           reference: dict[str, bytes]) -> None:
    out = tmp_path / "out"
    proc = _start(tmp_path, short_lesson, out)
    reached = _wait_for(proc, out / short_lesson.name / marker)
    proc.kill()
    proc.wait()
    assert reached, f"the run ended before {marker} appeared: {proc.stderr and proc.stderr.read()}"
    _run(tmp_path, short_lesson, out)
    assert _outputs(out) == reference
    assert not list(out.rglob(".*.part*")), "a .part file survived the re-run"
    assert not list((tmp_path / "tmpdir").glob("caunoi-*")), "a temp folder survived"


@pytest.mark.parametrize("sig,code", [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_signal_stops_cleanly(sig: signal.Signals, code: int, short_lesson: Path,
                              tmp_path: Path) -> None:
    out = tmp_path / "out"
    proc = _start(tmp_path, short_lesson, out)
    assert _wait_for(proc, out / short_lesson.name / "work" / "audio-16k.wav")
    time.sleep(0.5)  # into the next step (loudness normalisation: ffmpeg running)
    if sig == signal.SIGINT:
        os.killpg(proc.pid, sig)  # Ctrl+C reaches the whole foreground group
    else:
        proc.send_signal(sig)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == code, err
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1, err
    time.sleep(0.5)
    assert _session_alive(proc.pid) == [], "a child process outlived the run"
    assert not list((tmp_path / "tmpdir").glob("caunoi-*")), "a temp folder was left"
    assert not list(out.rglob(".*.part*")), "a .part file was left"
