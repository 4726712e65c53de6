"""scripts/check_install.py: a CPU install has no nvidia-*/triton distribution."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

from pipeline.core.config import PROJECT_ROOT


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "check_install", PROJECT_ROOT / "scripts" / "check_install.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _dist(site: Path, name: str, version: str) -> None:
    info = site / f"{name.replace('-', '_')}-{version}.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n",
                                   encoding="utf-8")


def test_gpu_only_packages_are_found(tmp_path: Path) -> None:
    check = _script()
    _dist(tmp_path, "nvidia-cublas", "13.1.1.3")
    _dist(tmp_path, "triton", "3.8.0")
    _dist(tmp_path, "cuda-toolkit", "13.0.3.0")
    _dist(tmp_path, "numpy", "2.4.6")
    assert check.gpu_only_distributions([str(tmp_path)]) == [
        "cuda-toolkit 13.0.3.0", "nvidia-cublas 13.1.1.3", "triton 3.8.0"]


def test_this_virtualenv_is_a_cpu_install() -> None:
    check = _script()
    assert check.gpu_only_distributions(sys.path) == []
    assert check.torch_problem() == ""
