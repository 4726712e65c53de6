"""Configuration sources, the language registry, errors and the CLI surface."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

from flows.cli import build_parser, main
from pipeline.core.config import load_settings
from pipeline.core.errors import ConfigError, ModelMissingError, UnknownLanguageError
from pipeline.core.languages import Registry
from pipeline.speech.transcribe import asr_model_path


def test_settings_file_then_env_then_overrides(tmp_path: Path) -> None:
    cfg = tmp_path / "caunoi.toml"
    cfg.write_text('asr_model = "base"\nbeam_size = 3\nprofiles = ["tiny", "compat"]\n',
                   encoding="utf-8")
    s = load_settings(cfg, env={})
    assert (s.asr_model, s.beam_size, s.profiles) == ("base", 3, ("tiny", "compat"))
    s = load_settings(cfg, env={"CAUNOI_ASR_MODEL": "small", "CAUNOI_PROFILES": "modern"})
    assert (s.asr_model, s.profiles) == ("small", ("modern",))
    s = load_settings(cfg, env={"CAUNOI_ASR_MODEL": "small"}, asr_model="tiny")
    assert s.asr_model == "tiny"


def test_asr_threads_reach_the_transcriber(tmp_path: Path) -> None:
    from pipeline.steps.options import transcribe_options

    cfg = tmp_path / "caunoi.toml"
    cfg.write_text("asr_threads = 3\n", encoding="utf-8")
    assert transcribe_options(load_settings(cfg, env={})).cpu_threads == 3
    assert transcribe_options(load_settings(cfg, env={"CAUNOI_ASR_THREADS": "1"})).cpu_threads == 1


def test_settings_unknown_key(tmp_path: Path) -> None:
    cfg = tmp_path / "caunoi.toml"
    cfg.write_text("colour = 1\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="colour"):
        load_settings(cfg, env={})


def test_settings_bad_value(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="CAUNOI_BEAM_SIZE"):
        load_settings(tmp_path / "none.toml", env={"CAUNOI_BEAM_SIZE": "many"})


def test_settings_nested_too_deep_is_one_plain_sentence(tmp_path: Path) -> None:
    cfg = tmp_path / "caunoi.toml"
    cfg.write_text("x = " + "[" * 5000 + "]" * 5000 + "\n", encoding="utf-8")
    with pytest.raises(ConfigError) as e:
        load_settings(cfg, env={})
    assert "nested too deeply" in e.value.message("en") and "recursion" not in str(e.value)


def test_registry_has_required_languages(registry: Registry) -> None:
    assert {"vi", "hmn", "blt", "tyz", "ium", "nut", "km", "th", "en"} <= set(registry.languages)
    assert registry.source.code == "vi"
    blt = registry.get("blt")
    assert "Tavt" in blt.scripts and blt.fallback_font == "Noto Sans"
    assert registry.get("km").reading.max_line_chars == 36
    assert registry.get("hmn").reading.max_cps == 17.0


def test_unknown_language_message_lists_codes(registry: Registry) -> None:
    with pytest.raises(UnknownLanguageError) as info:
        registry.get("fr")
    assert "hmn" in str(info.value) and "'fr'" in str(info.value)


def test_errors_pickle_and_speak_both_languages(monkeypatch: pytest.MonkeyPatch) -> None:
    err = ModelMissingError(name="openai-whisper 'small'", path="/m/small.pt", hint="--asr small")
    clone = pickle.loads(pickle.dumps(err))
    assert type(clone) is ModelMissingError and clone.context == err.context
    monkeypatch.setenv("CAUNOI_UI_LANG", "en")
    assert str(clone).startswith("Model openai-whisper 'small' is not at /m/small.pt")
    monkeypatch.setenv("CAUNOI_UI_LANG", "vi")
    assert str(clone).startswith("Chưa có mô hình")


def test_missing_model_is_reported_plainly(tmp_path: Path) -> None:
    with pytest.raises(ModelMissingError) as info:
        asr_model_path(tmp_path, "faster-whisper", "small")
    assert "caunoi models download" in str(info.value)


def test_help_lists_every_subcommand(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        build_parser().parse_args(["--help"])
    assert info.value.code == 0
    text = capsys.readouterr().out
    for cmd in ("produce", "check", "align", "languages", "models"):
        assert cmd in text


def test_languages_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["languages"]) == 0
    assert "Tai Viet" in capsys.readouterr().out


def test_models_download_fails_clearly_offline(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("CAUNOI_MODEL_DIR", str(tmp_path))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    code = main(["models", "download", "--asr", "tiny", "--backend", "faster-whisper"])
    assert code == 3
    err = capsys.readouterr().err
    assert "tiny" in err and len(err.strip().splitlines()) == 1


def test_readme_lists_every_setting() -> None:
    """The README's "Configuration" list names every key of Settings (and no other)."""
    import dataclasses
    import re

    from pipeline.core.config import PROJECT_ROOT, Settings

    text = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    listed = set(re.findall(r"`([a-z][a-z0-9_]*)`", section))
    names = {f.name for f in dataclasses.fields(Settings)}
    assert names <= listed, sorted(names - listed)
