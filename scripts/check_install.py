"""Check that the virtualenv stayed a CPU install, and say how big it is.

Fails (exit 1) when any ``nvidia-*``, ``cuda-*`` (cuda-toolkit, cuda-bindings…) or ``triton``
distribution is installed, or when torch is not a CPU build: on a machine without a GPU they
are gigabytes of nothing (a loose torch requirement once let ``pip install -e .[dev]``
replace the CPU wheel with a CUDA build and grow the virtualenv to 7.2 GB). Run by
``make lint`` with the virtualenv's own Python.

    .venv/bin/python scripts/check_install.py [--venv DIR]
"""

from __future__ import annotations

import argparse
import os
import sys
from importlib import metadata
from pathlib import Path

#: Distributions that only a GPU install brings (torch's CUDA build pulls cuda-toolkit,
#: cuda-bindings and cuda-pathfinder beside the nvidia-* libraries; an uninstall of the
#: nvidia-* ones alone leaves them behind).
GPU_ONLY_PREFIXES = ("nvidia-", "nvidia_", "cuda-", "cuda_")
GPU_ONLY_NAMES = ("triton", "pytorch-triton")


def gpu_only_distributions(path: list[str] | None = None) -> list[str]:
    """``name version`` of every installed distribution (on ``path``, default sys.path) a
    CPU install must not have."""
    found = set()
    for dist in metadata.distributions(path=path if path is not None else sys.path):
        name = (dist.metadata["Name"] or "").lower()
        if name.startswith(GPU_ONLY_PREFIXES) or name in GPU_ONLY_NAMES:
            found.add(f"{name} {dist.version}")
    return sorted(found)


def torch_problem() -> str:
    """Why the installed torch is not a CPU build ("" when it is)."""
    try:
        version = metadata.version("torch")
    except metadata.PackageNotFoundError:
        return "torch is not installed"
    import torch

    gpu = torch.version.cuda or getattr(torch.version, "hip", None)
    if gpu:
        return f"torch {version} is a GPU build (CUDA/ROCm {gpu})"
    if "+cpu" not in version:
        return f"torch {version} is not the CPU wheel (expected a '+cpu' version)"
    return ""


def disk_usage(root: Path) -> int:
    """Bytes on disk under ``root`` (as ``du`` counts them, links not followed)."""
    total = 0
    for folder, _dirs, files in os.walk(root):
        for name in files:
            try:
                total += os.lstat(os.path.join(folder, name)).st_blocks * 512
            except OSError:
                continue
    return total


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--venv", type=Path, default=Path(sys.prefix),
                        help="virtualenv to measure (default: the running Python's)")
    args = parser.parse_args(argv)
    problems = [f"GPU-only package installed: {d}" for d in gpu_only_distributions()]
    if why := torch_problem():
        problems.append(why)
    size_gb = disk_usage(args.venv) / 1e9
    torch_version = metadata.version("torch") if "torch is not" not in why else "-"
    print(f"virtualenv {args.venv}: {size_gb:.2f} GB, torch {torch_version}")
    for p in problems:
        print(f"check_install: {p}", file=sys.stderr)
    if problems:
        print("check_install: reinstall with the Makefile's pins (constraints.txt) or "
              "`pip uninstall` the packages above", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
