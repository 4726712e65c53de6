#!/usr/bin/env python3
"""Convert a CTranslate2 Whisper model (e.g. ``models/faster-whisper/base``) into an
openai-whisper checkpoint, so both ASR backends can run the very same network.

The registry has Whisper base only in CTranslate2 format (float16); openai-whisper loads
PyTorch checkpoints. ``model.bin`` is read directly (CTranslate2's documented binary layout:
version, spec name, revision, then named arrays and aliases); the fused query/key/value
projections are split back (Whisper's key projection has no bias). The decoder's alignment
heads are not stored in a checkpoint loaded from a path: openai-whisper then uses its default
(all heads of the second half of the decoder) for word timestamps.

Usage:
    python scripts/whisper_ct2_to_openai.py models/faster-whisper/base models/whisper/base.pt
"""

from __future__ import annotations

import argparse
import json
import struct
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

DTYPES = {0: np.float32, 1: np.int8, 2: np.int16, 3: np.int32, 4: np.float16}


def _u(f: BinaryIO, fmt: str) -> Any:
    return struct.unpack("<" + fmt, f.read(struct.calcsize("<" + fmt)))[0]


def _s(f: BinaryIO) -> str:
    return f.read(_u(f, "H")).rstrip(b"\0").decode()


def read_ct2(path: Path) -> dict[str, np.ndarray]:
    """Every variable of a CTranslate2 ``model.bin`` (aliases resolved), as float32 arrays."""
    out: dict[str, np.ndarray] = {}
    with path.open("rb") as f:
        version = _u(f, "I")
        spec = _s(f)
        _u(f, "I")  # spec revision
        if spec != "WhisperSpec" or version < 5:
            raise SystemExit(f"{path}: {spec} v{version}, expected a WhisperSpec v5+ model")
        for _ in range(_u(f, "I")):
            name = _s(f)
            shape = [_u(f, "I") for _ in range(_u(f, "B"))]
            dtype = DTYPES[_u(f, "B")]
            raw = f.read(_u(f, "I"))
            out[name] = np.frombuffer(raw, dtype=dtype).reshape(shape).astype(np.float32)
        for _ in range(_u(f, "I")):
            alias, target = _s(f), _s(f)
            out[alias] = out[target]
    return out


def _attention(v: dict[str, np.ndarray], src: str, dst: str, fused_kv: bool) -> dict[str, Any]:
    """openai-whisper's query/key/value/out from CTranslate2's fused projections."""
    w0, b0 = v[f"{src}/linear_0/weight"], v[f"{src}/linear_0/bias"]
    out = {f"{dst}.out.weight": v[f"{src}/linear_{2 if fused_kv else 1}/weight"],
           f"{dst}.out.bias": v[f"{src}/linear_{2 if fused_kv else 1}/bias"]}
    if fused_kv:  # cross-attention: query alone, then key+value fused
        q_w, q_b = w0, b0
        k_w, v_w = np.split(v[f"{src}/linear_1/weight"], 2)
        v_b = np.split(v[f"{src}/linear_1/bias"], 2)[1]
    else:
        q_w, k_w, v_w = np.split(w0, 3)
        q_b, _k_b, v_b = np.split(b0, 3)
    out.update({f"{dst}.query.weight": q_w, f"{dst}.query.bias": q_b, f"{dst}.key.weight": k_w,
                f"{dst}.value.weight": v_w, f"{dst}.value.bias": v_b})
    return out


def _norm(v: dict[str, np.ndarray], src: str, dst: str) -> dict[str, np.ndarray]:
    return {f"{dst}.weight": v[f"{src}/gamma"], f"{dst}.bias": v[f"{src}/beta"]}


def _block(v: dict[str, np.ndarray], side: str, i: int) -> dict[str, Any]:
    src, dst = f"{side}/layer_{i}", f"{side}.blocks.{i}"
    sd = {**_attention(v, f"{src}/self_attention", f"{dst}.attn", False),
          **_norm(v, f"{src}/self_attention/layer_norm", f"{dst}.attn_ln"),
          **_norm(v, f"{src}/ffn/layer_norm", f"{dst}.mlp_ln"),
          f"{dst}.mlp.0.weight": v[f"{src}/ffn/linear_0/weight"],
          f"{dst}.mlp.0.bias": v[f"{src}/ffn/linear_0/bias"],
          f"{dst}.mlp.2.weight": v[f"{src}/ffn/linear_1/weight"],
          f"{dst}.mlp.2.bias": v[f"{src}/ffn/linear_1/bias"]}
    if side == "decoder":
        sd.update(_attention(v, f"{src}/attention", f"{dst}.cross_attn", True))
        sd.update(_norm(v, f"{src}/attention/layer_norm", f"{dst}.cross_attn_ln"))
    return sd


def convert(src: Path, dst: Path) -> dict[str, int]:
    """Write an openai-whisper checkpoint for the CTranslate2 model in ``src``; returns dims."""
    import torch

    v = read_ct2(src / "model.bin")
    n_enc = sum(1 for k in v if k.startswith("encoder/layer_") and k.endswith("ffn/linear_0/bias"))
    n_dec = sum(1 for k in v if k.startswith("decoder/layer_") and k.endswith("ffn/linear_0/bias"))
    state: dict[str, Any] = {
        "encoder.conv1.weight": v["encoder/conv1/weight"], "encoder.conv1.bias":
        v["encoder/conv1/bias"], "encoder.conv2.weight": v["encoder/conv2/weight"],
        "encoder.conv2.bias": v["encoder/conv2/bias"],
        "encoder.positional_embedding": v["encoder/position_encodings/encodings"],
        **_norm(v, "encoder/layer_norm", "encoder.ln_post"),
        "decoder.token_embedding.weight": v["decoder/embeddings/weight"],
        "decoder.positional_embedding": v["decoder/position_encodings/encodings"],
        **_norm(v, "decoder/layer_norm", "decoder.ln"),
    }
    for i in range(n_enc):
        state.update(_block(v, "encoder", i))
    for i in range(n_dec):
        state.update(_block(v, "decoder", i))
    config = json.loads((src / "config.json").read_text(encoding="utf-8"))
    emb = v["decoder/embeddings/weight"]
    dims = {"n_mels": int(v["encoder/conv1/weight"].shape[1]),
            "n_audio_ctx": int(v["encoder/position_encodings/encodings"].shape[0]),
            "n_audio_state": int(emb.shape[1]), "n_audio_head": int(v["encoder/num_heads"]),
            "n_audio_layer": n_enc, "n_vocab": int(emb.shape[0]),
            "n_text_ctx": int(v["decoder/position_encodings/encodings"].shape[0]),
            "n_text_state": int(emb.shape[1]), "n_text_head": int(v["decoder/num_heads"]),
            "n_text_layer": n_dec}
    del config  # alignment heads cannot travel in a checkpoint loaded from a path
    dst.parent.mkdir(parents=True, exist_ok=True)
    tmp = dst.with_suffix(".tmp")
    torch.save({"dims": dims, "model_state_dict": {k: torch.from_numpy(np.ascontiguousarray(a))
                                                   for k, a in state.items()}}, tmp)
    tmp.replace(dst)
    return dims


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    p.add_argument("src", type=Path, help="CTranslate2 Whisper folder (model.bin, config.json)")
    p.add_argument("dst", type=Path, help="openai-whisper checkpoint to write (.pt)")
    args = p.parse_args(argv)
    print(f"{args.dst}: {convert(args.src, args.dst)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
