#!/usr/bin/env python3
"""Build tiny random-weight stand-ins for every model family Cầu Nối loads.

They exercise the real loading code offline (tests, CI); their output is noise. Nothing is
downloaded and nothing here should be committed. Layout matches ``pipeline.models``::

    OUT/whisper/tiny-random.pt            openai-whisper checkpoint (whisper.load_model)
    OUT/faster-whisper/tiny-random/       CTranslate2 Whisper (int8) with tokenizer.json

Usage:
    python scripts/make_tiny_models.py [--out models] [--only whisper,faster-whisper] [--force]
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from dataclasses import asdict
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

NAME = "tiny-random"
SEED = 1234
# Small but structurally complete Whisper: 80 mel bins, 30 s context, multilingual vocabulary.
DIMS: dict[str, int] = dict(n_mels=80, n_audio_ctx=1500, n_audio_state=64, n_audio_head=2,
                            n_audio_layer=2, n_vocab=51865, n_text_ctx=448, n_text_state=64,
                            n_text_head=2, n_text_layer=2)


def build_openai_whisper(out: Path) -> Path:
    import torch
    from whisper.model import ModelDimensions, Whisper

    torch.manual_seed(SEED)
    dims = ModelDimensions(**DIMS)
    model = Whisper(dims)
    path = out / "whisper" / f"{NAME}.pt"
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save({"dims": asdict(dims), "model_state_dict": model.state_dict()}, path)
    return path


def whisper_special_tokens() -> list[str]:
    """openai-whisper's special tokens in id order (ids follow the 50257 BPE ranks)."""
    from whisper.tokenizer import get_encoding

    enc: Any = get_encoding("multilingual", num_languages=99)
    return [tok for tok, _ in sorted(enc._special_tokens.items(), key=lambda kv: kv[1])]


def build_whisper_tokenizer_json(dst: Path) -> None:
    """A Hugging Face tokenizer.json with the same ids as openai-whisper's tokenizer."""
    import whisper.tokenizer
    from transformers.convert_slow_tokenizer import TikTokenConverter

    vocab = Path(whisper.tokenizer.__file__).parent / "assets" / "multilingual.tiktoken"
    converter = TikTokenConverter(vocab_file=str(vocab),
                                  extra_special_tokens=whisper_special_tokens())
    converter.converted().save(str(dst))


def build_faster_whisper(out: Path) -> Path:
    import ctranslate2
    import torch
    from transformers import WhisperConfig, WhisperFeatureExtractor, WhisperForConditionalGeneration

    torch.manual_seed(SEED)
    specials = whisper_special_tokens()
    sot = 50257 + specials.index("<|startoftranscript|>")
    config = WhisperConfig(
        vocab_size=DIMS["n_vocab"], num_mel_bins=80, d_model=64, encoder_layers=2,
        decoder_layers=2, encoder_attention_heads=2, decoder_attention_heads=2,
        encoder_ffn_dim=128, decoder_ffn_dim=128, max_source_positions=1500,
        max_target_positions=448, decoder_start_token_id=sot, bos_token_id=50257,
        eos_token_id=50257, pad_token_id=50257, suppress_tokens=[],
        begin_suppress_tokens=[220, 50257],
    )
    model = WhisperForConditionalGeneration(config)
    dst = out / "faster-whisper" / NAME
    with tempfile.TemporaryDirectory(prefix="caunoi-tiny-") as tmp:
        hf = Path(tmp) / "hf"
        model.save_pretrained(hf)
        WhisperFeatureExtractor(feature_size=80).save_pretrained(hf)
        build_whisper_tokenizer_json(hf / "tokenizer.json")
        if dst.exists():
            shutil.rmtree(dst)
        converter = ctranslate2.converters.TransformersConverter(
            str(hf), copy_files=["tokenizer.json", "preprocessor_config.json"])
        converter.convert(str(dst), quantization="int8", force=True)
    return dst


BUILDERS = {"whisper": build_openai_whisper, "faster-whisper": build_faster_whisper}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", type=Path, default=Path("models"), help="model folder")
    p.add_argument("--only", default=",".join(BUILDERS), help="comma list of families")
    p.add_argument("--force", action="store_true", help="rebuild existing models")
    args = p.parse_args(argv)
    for family in [f.strip() for f in args.only.split(",") if f.strip()]:
        if family not in BUILDERS:
            p.error(f"unknown family {family!r}; known: {', '.join(BUILDERS)}")
        target = args.out / family / (f"{NAME}.pt" if family == "whisper" else NAME)
        if target.exists() and not args.force:
            print(f"{family}: {target} (đã có / exists)")
            continue
        print(f"{family}: {BUILDERS[family](args.out)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
