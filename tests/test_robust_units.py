"""Limits, the streaming WAV check, stale-file sweeps and the one error path, in isolation."""

from __future__ import annotations

import fcntl
import os
import tempfile
import tracemalloc
import wave
from pathlib import Path

import pytest

from flows.guard import RunGuard, describe_failure, sweep_stale_temp
from pipeline.core.config import load_settings
from pipeline.core.errors import (
    CaunoiError,
    DiskFullError,
    FileAccessError,
    InternalError,
    RunInterruptedError,
)
from pipeline.core.limits import (
    ControlCharacterError,
    InputLimitError,
    Limits,
    check_duration,
    find_control_character,
)
from pipeline.core.media import wav_stats
from pipeline.core.storage import atomic_path, claim_folder, remove_stale_parts


def _silent_wav(path: Path, seconds: int, rate: int = 16_000, blip_at: int | None = None) -> None:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        second = bytes(2 * rate)
        for s in range(seconds):
            w.writeframes(second if s != blip_at else b"\x00\x40" * rate)


def test_wav_stats_streams_in_constant_memory(tmp_path: Path) -> None:
    wav = tmp_path / "long.wav"
    _silent_wav(wav, 600)  # 10 min: 19 MB of samples, 77 MB as float32
    tracemalloc.start()
    ms, peak = wav_stats(wav)
    _, top = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert ms == 600_000 and peak == 0.0
    assert top < 2_000_000, f"{top} bytes traced: the WAV was not read block by block"


def test_wav_stats_finds_a_single_loud_second(tmp_path: Path) -> None:
    wav = tmp_path / "blip.wav"
    _silent_wav(wav, 30, blip_at=29)
    assert wav_stats(wav)[1] == pytest.approx(0.5)


def test_control_character_position() -> None:
    assert find_control_character("ab\ncd\x00e") == (2, 3, "U+0000")
    assert find_control_character("tab\tand\nnewline\r\n") is None
    assert find_control_character("x\x1b[1m") == (1, 2, "U+001B")


def test_limits_follow_settings(tmp_path: Path) -> None:
    s = load_settings(config_file=tmp_path / "none.toml", env={"CAUNOI_MAX_RECORDING_S": "60"})
    limits = Limits.from_settings(s)
    assert limits.max_recording_s == 60
    with pytest.raises(InputLimitError, match="max_recording_s") as e:
        check_duration("rec.mp4", 61_000, limits)
    assert e.value.exit_code == 2
    check_duration("rec.mp4", 60_000, limits)
    assert "thời lượng" in e.value.message("vi") and "duration" in e.value.message("en")


def test_errors_pickle_and_keep_exit_codes() -> None:
    import pickle

    for err in (RunInterruptedError(signal="SIGTERM"),
                ControlCharacterError(path="s.md", line=2, column=1, char="U+0000"),
                InputLimitError(path="x", what="w", got=2, limit=1, setting="max_x")):
        again = pickle.loads(pickle.dumps(err))
        assert str(again) == str(err) and again.exit_code == err.exit_code
    assert RunInterruptedError(signal="SIGTERM").exit_code == 143
    assert RunInterruptedError().exit_code == 130


def test_describe_failure_maps_every_exception(tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    assert isinstance(describe_failure(KeyboardInterrupt(), logs, []), RunInterruptedError)
    full = OSError(28, "No space left on device", "/out/x")
    assert isinstance(describe_failure(full, logs, []), DiskFullError)
    denied = PermissionError(13, "Permission denied", "/root/x")
    assert isinstance(describe_failure(denied, logs, []), FileAccessError)
    table: dict[str, int] = {}
    try:
        table["missing"]  # a real traceback for the log
    except KeyError as e:
        err = describe_failure(e, logs, ["caunoi", "check"])
    assert isinstance(err, InternalError) and err.exit_code == 1
    log_file = Path(err.context["log"])
    assert log_file.parent == logs and "Traceback" in log_file.read_text(encoding="utf-8")
    assert "KeyError" in str(err) and "Traceback" not in str(err)
    assert isinstance(describe_failure(CaunoiError(detail="x"), logs, []), CaunoiError)


def test_stale_run_folders_are_swept_live_ones_kept(tmp_path: Path) -> None:
    dead = tmp_path / "caunoi-run-999999-dead"
    dead.mkdir()
    (dead / ".lock").touch()
    (dead / "caunoi-render-x").mkdir()
    live = tmp_path / "caunoi-run-1-live"
    live.mkdir()
    fd = os.open(live / ".lock", os.O_RDWR | os.O_CREAT)
    fcntl.flock(fd, fcntl.LOCK_EX)
    fresh_legacy = tmp_path / "caunoi-qa-fresh"
    fresh_legacy.mkdir()
    try:
        assert sweep_stale_temp(tmp_path) == 1
        assert not dead.exists() and live.exists() and fresh_legacy.exists()
    finally:
        os.close(fd)


def test_stale_part_files_are_removed(tmp_path: Path) -> None:
    out = tmp_path / "lesson"
    (out / "video").mkdir(parents=True)
    stale = out / "video" / ".vi-compat.abc123.part.mp4"
    stale.write_bytes(b"half")
    keep = out / "video" / "vi-compat.mp4"
    keep.write_bytes(b"whole")
    with atomic_path(out / "alignment.json") as writing:
        writing.write_text("{}")
        assert claim_folder(out)
        assert remove_stale_parts(out) == 1  # the part being written is not touched
        assert writing.exists()
    assert not stale.exists() and keep.exists() and (out / "alignment.json").exists()


def test_guard_gives_a_private_temp_folder_and_restores(tmp_path: Path) -> None:
    before_tmp, before_env = tempfile.gettempdir(), os.environ.get("TMPDIR")
    with RunGuard() as guard:
        assert guard.run_dir is not None
        assert tempfile.gettempdir() == str(guard.run_dir)
        assert os.environ["TMPDIR"] == str(guard.run_dir)
        inner = Path(tempfile.mkdtemp(prefix="caunoi-render-"))
        assert inner.parent == guard.run_dir
    assert not guard.run_dir.exists() and not inner.exists()
    assert tempfile.gettempdir() == before_tmp and os.environ.get("TMPDIR") == before_env


def test_read_wav_peak_is_the_result_plus_a_block(tmp_path: Path) -> None:
    from pipeline.core.media import read_wav

    wav = tmp_path / "long.wav"
    _silent_wav(wav, 300, blip_at=7)  # 5 min: 4.8 M samples, 19.2 MB as float32
    tracemalloc.start()
    samples, rate = read_wav(wav)
    _, top = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert rate == 16_000 and samples.size == 300 * 16_000
    assert samples.max() == pytest.approx(0.5)
    assert top < samples.nbytes * 1.1, f"{top} bytes traced for {samples.nbytes} of samples"


@pytest.mark.parametrize("umask", [0o022, 0o027])
def test_written_files_and_published_folders_follow_the_umask(tmp_path: Path,
                                                              umask: int) -> None:
    # mkstemp/mkdtemp are private (0600/0700): a published lesson folder was drwx------,
    # so a web server running as another user answered 403 for every video.
    from pipeline.publish.paths import staged_folder

    old = os.umask(umask)
    try:
        with atomic_path(tmp_path / "a" / "manifest.json") as p:
            p.write_text("{}", encoding="utf-8")
        with staged_folder(tmp_path / "pub" / "lesson", "publish") as staging:
            (staging / "v.mp4").write_bytes(b"x")
    finally:
        os.umask(old)
    assert (tmp_path / "a" / "manifest.json").stat().st_mode & 0o777 == 0o666 & ~umask
    assert (tmp_path / "pub" / "lesson").stat().st_mode & 0o777 == 0o777 & ~umask
