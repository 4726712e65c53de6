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
