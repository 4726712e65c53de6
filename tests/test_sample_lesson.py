"""The full sample lesson through the CLI with Prefect, as `make demo` runs it (slow)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from flows.cli import main
from tests.conftest import run_script


@pytest.mark.slow
def test_sample_lesson_end_to_end(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    run_script("make_sample_lesson.py", "--out", str(tmp_path / "lessons"))
    lesson = tmp_path / "lessons" / "sample-qr-payment"
    again = (lesson / "recording.mp4").read_bytes()
    run_script("make_sample_lesson.py", "--out", str(tmp_path / "lessons2"))
    assert (tmp_path / "lessons2" / "sample-qr-payment" / "recording.mp4").read_bytes() == again

    monkeypatch.setenv("CAUNOI_PREFECT_HOME", str(tmp_path / "prefect"))
    for var in ("PREFECT_HOME", "PREFECT_API_URL"):
        if var in os.environ:
            monkeypatch.delenv(var)
    out = tmp_path / "out"
    code = main(["--config", str(tmp_path / "none.toml"), "produce", str(lesson),
                 "--out", str(out)])
    assert code == 0, capsys.readouterr().err
    assert str(out / "sample-qr-payment") in capsys.readouterr().out

    result = out / "sample-qr-payment"
    alignment = json.loads((result / "alignment.json").read_text(encoding="utf-8"))
    truth = json.loads((lesson / "truth.json").read_text(encoding="utf-8"))
    assert len(alignment) == len(truth) == 17
    errors = sorted(abs(a[k] - t[k]) for a, t in zip(alignment, truth, strict=True)
                    for k in ("start", "end"))
    # Measured 2026-11-27 (DTW, the default without an ASR model): median 0.037 s, worst
    # 0.165 s. The proportional baseline: median 0.052 s but worst 5.18 s (run-together
    # sentences, hesitations), so the worst boundary is what tells them apart.
    assert errors[len(errors) // 2] < 0.06
    assert errors[-1] < 0.25

    manifest = json.loads((result / "manifest.json").read_text(encoding="utf-8"))
    video = next(f for f in manifest["files"] if f["path"] == "video/vi-compat.mp4")
    kb_per_min = video["bytes"] / 1024 / (video["duration"] / 60)
    assert kb_per_min < 340  # measured 310.8 KB/min (484,036 bytes over 91.3 s)
