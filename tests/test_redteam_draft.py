"""Red team on ``caunoi draft-script`` and the portal's draft run (issue 29/31's new
surface): a corrupt, empty, silent or over-long recording is refused before any audio is
extracted or any model is loaded, in one plain sentence with exit code 2 (on main: ffmpeg's
whole stderr and exit 1, or hours of Whisper for a recording over the limit)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from flows.cli import main as cli
from pipeline.core.media import ffmpeg_exe


def _folder(tmp_path: Path, name: str, make: list[str] | bytes) -> Path:
    folder = tmp_path / name
    folder.mkdir()
    dst = folder / "recording.mp4"
    if isinstance(make, bytes):
        dst.write_bytes(make)
    else:
        subprocess.run([ffmpeg_exe(), "-v", "error", "-y", *make, str(dst)], check=True)
    return folder


CASES: dict[str, tuple[list[str] | bytes, str]] = {
    "corrupt": (b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 40, "Cannot read"),
    "empty": (b"", "Cannot read"),
    "silent-picture": (["-f", "lavfi", "-i", "testsrc=size=160x120:rate=5", "-t", "2"],
                       "no audio stream"),
    "over-the-limit": (["-f", "lavfi", "-i", "sine=f=300", "-t", "3", "-c:a", "aac"],
                       "max_recording_s"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_draft_script_refuses_a_bad_recording_plainly(
        case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    make, said = CASES[case]
    folder = _folder(tmp_path, case, make)
    monkeypatch.setenv("CAUNOI_MODEL_DIR", str(tmp_path / "no-models"))
    monkeypatch.setenv("CAUNOI_MAX_RECORDING_S", "2")
    before = sorted(p.name for p in folder.iterdir())
    out = folder / "script.md"
    code = cli(["--en", "--config", str(tmp_path / "none.toml"), "draft-script",
                str(folder), "--out", str(out)])
    err = capsys.readouterr().err.strip()
    assert code == 2, err
    assert len(err.splitlines()) == 1 and said in err, err
    assert sorted(p.name for p in folder.iterdir()) == before  # nothing written


def test_two_presses_of_the_draft_button_at_once_start_one_run(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The launcher looked for the same run, then started one: two requests in between
    both started a draft (20 presses at once started 2-6 draft runs on main, each a
    Whisper pass over the recording, one after the other). The two requests are held
    together right after looking, deterministically."""
    import contextlib
    import os
    import threading
    from dataclasses import replace
    from typing import Any

    import flows.launcher as launcher
    from pipeline.core.config import load_settings

    settings = replace(load_settings(config_file=tmp_path / "none.toml", env={},
                                     out_dir=tmp_path / "out", model_dir=tmp_path / "m",
                                     prefect_home=tmp_path / "p"),
                       lessons_dir=tmp_path / "lessons")
    (tmp_path / "lessons" / "bai-1234").mkdir(parents=True)

    class Alive:  # a started run's process, still running (this test's own pid)
        pid = os.getpid()

        def __init__(self, *_a: Any, **_k: Any) -> None:
            pass

        def poll(self) -> None:
            return None

    monkeypatch.setattr(launcher.subprocess, "Popen", Alive)
    runs = launcher.EmbeddedLauncher(settings)
    real_active, together = runs._active, threading.Barrier(2)

    def active(lesson_id: str) -> list[dict[str, Any]]:
        found = real_active(lesson_id)
        with contextlib.suppress(threading.BrokenBarrierError):
            together.wait(timeout=3)  # both requests have looked (only possible on main)
        return found

    monkeypatch.setattr(runs, "_active", active)
    ids: list[str] = []
    threads = [threading.Thread(target=lambda: ids.append(runs.start("draft",
                                                                      "bai-1234").run_id))
               for _ in range(2)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert len(ids) == 2 and len(set(ids)) == 1


def test_lesson_page_views_decode_an_unchanged_recording_once(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The portal checks a lesson on every view of its page (a draft waiting: every 30 s
    without JavaScript); the whole recording was decoded each time (1 h 50 min: 17 s and a
    211 MB temporary WAV per view on main). A changed recording is decoded again."""
    import os

    import pipeline.ingest as ingest
    from pipeline.core.limits import Limits
    from pipeline.core.media import probe

    folder = _folder(tmp_path, "ok", ["-f", "lavfi", "-i", "sine=f=300", "-t", "2",
                                      "-c:a", "aac"])
    rec = folder / "recording.mp4"
    media, real, calls = probe(rec), ingest._extract_wav, []

    def counted(*args: object) -> None:
        calls.append(args[0])
        real(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(ingest, "_extract_wav", counted)
    for _ in range(3):
        ingest.check_audio_decodes(rec, media, Limits())
    assert len(calls) == 1
    os.utime(rec, ns=(rec.stat().st_atime_ns, rec.stat().st_mtime_ns + 10**9))
    ingest.check_audio_decodes(rec, media, Limits())
    assert len(calls) == 2
