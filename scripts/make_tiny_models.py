#!/usr/bin/env python3
"""Build tiny random-weight stand-ins for every model family Cầu Nối loads.

They exercise the real loading code offline (tests, CI); their output is noise. Nothing is
downloaded and nothing here should be committed. Layout matches ``pipeline.speech.models``
and ``pipeline.translate.mt``::

    OUT/whisper/tiny-random.pt            openai-whisper checkpoint (whisper.load_model)
    OUT/faster-whisper/tiny-random/       CTranslate2 Whisper (int8) with tokenizer.json
    OUT/mt/tiny-madlad[-ct2]/              T5 (MADLAD-400 style, "<2xx>" tags), + CTranslate2
    OUT/mt/tiny-nllb[-ct2]/                M2M100 (NLLB-200 style, language codes), + CTranslate2
    OUT/tts/tiny-vits/                     VITS (MMS-TTS style: VitsModel + character VitsTokenizer)

The MT tokenizers are sentencepiece models trained here on the sample lesson's Vietnamese.

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

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
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
    with torch.no_grad():  # whisper leaves the decoder's positions uninitialised (torch.empty)
        torch.nn.init.normal_(model.decoder.positional_embedding, std=0.02)
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


def _corpus(dst: Path) -> Path:
    """Vietnamese text to train the tiny tokenizers on (the sample script, recombined)."""
    import random

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from make_sample_lesson import SCREENS, STEPS

    lines = [s.text for s in STEPS] + [r for _, rows in SCREENS.values() for r in rows]
    words = " ".join(lines).split()
    rng = random.Random(SEED)
    lines += [" ".join(rng.choice(words) for _ in range(rng.randint(4, 14)))
              for _ in range(400)]
    dst.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return dst


MADLAD_TAGS = ["<2hmn>", "<2tyz>", "<2ium>", "<2km>", "<2th>", "<2en>", "<2vi>"]
NLLB_CODES = ["vie_Latn", "khm_Khmr", "tha_Thai", "eng_Latn"]


def _convert_ct2(src: Path, dst: Path) -> None:
    from pipeline.translate.mt import convert_to_ct2

    if dst.exists():
        shutil.rmtree(dst)
    convert_to_ct2(src, dst)


def _train_sentencepiece(dst: Path, **options: Any) -> None:
    """A 400-piece sentencepiece model trained on the sample's Vietnamese, saved as ``dst``
    (hard_vocab_limit off: a few hundred sentences cannot fill a fixed vocabulary)."""
    import sentencepiece as spm

    with tempfile.TemporaryDirectory(prefix="caunoi-tiny-") as tmp:
        prefix = Path(tmp) / "sp"
        spm.SentencePieceTrainer.train(
            input=str(_corpus(Path(tmp) / "corpus.txt")), model_prefix=str(prefix),
            vocab_size=400, hard_vocab_limit=False, byte_fallback=True,
            character_coverage=1.0, minloglevel=2, **options)
        shutil.copyfile(f"{prefix}.model", dst)


def build_madlad(out: Path) -> Path:
    import torch
    from transformers import T5Config, T5ForConditionalGeneration, T5Tokenizer

    dst = out / "mt" / "tiny-madlad"
    dst.mkdir(parents=True, exist_ok=True)
    # T5 ids: pad 0, eos 1, unk 2, no bos; the target tags are whole pieces.
    _train_sentencepiece(dst / "spiece.model", model_type="unigram", pad_id=0, eos_id=1,
                         unk_id=2, bos_id=-1, user_defined_symbols=MADLAD_TAGS)
    tokenizer = T5Tokenizer.from_pretrained(str(dst), extra_ids=0, legacy=False)
    torch.manual_seed(SEED)
    model = T5ForConditionalGeneration(T5Config(
        vocab_size=len(tokenizer), d_model=32, d_ff=64, num_layers=1, num_decoder_layers=1,
        num_heads=2, d_kv=16, decoder_start_token_id=0, pad_token_id=0, eos_token_id=1))
    model.save_pretrained(dst)
    tokenizer.save_pretrained(dst)
    _convert_ct2(dst, out / "mt" / "tiny-madlad-ct2")
    return dst


def build_nllb(out: Path) -> Path:
    import torch
    from transformers import M2M100Config, M2M100ForConditionalGeneration, NllbTokenizer

    dst = out / "mt" / "tiny-nllb"
    dst.mkdir(parents=True, exist_ok=True)
    _train_sentencepiece(dst / "sentencepiece.bpe.model", model_type="bpe")
    # Without extra_special_tokens a locally built NLLB tokenizer loses its language codes.
    tokenizer = NllbTokenizer.from_pretrained(str(dst), extra_special_tokens=NLLB_CODES,
                                              src_lang="vie_Latn")
    torch.manual_seed(SEED)
    model = M2M100ForConditionalGeneration(M2M100Config(
        vocab_size=len(tokenizer), d_model=32, encoder_layers=1, decoder_layers=1,
        encoder_attention_heads=2, decoder_attention_heads=2, encoder_ffn_dim=64,
        decoder_ffn_dim=64, max_position_embeddings=256, pad_token_id=tokenizer.pad_token_id,
        bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id,
        decoder_start_token_id=tokenizer.eos_token_id))
    model.save_pretrained(dst)
    tokenizer.save_pretrained(dst)
    _convert_ct2(dst, out / "mt" / "tiny-nllb-ct2")
    return dst


def build_vits(out: Path) -> Path:
    """A VITS text-to-speech model shaped like Meta's MMS-TTS checkpoints (a character
    vocabulary, no phonemiser), about 25k random parameters: its "speech" is noise."""
    import json

    import torch
    from transformers import VitsConfig, VitsModel, VitsTokenizer

    dst = out / "tts" / "tiny-vits"
    dst.mkdir(parents=True, exist_ok=True)
    chars = list("_ abcdefghijklmnopqrstuvwxyz'.,?!-0123456789")
    (dst / "vocab.json").write_text(json.dumps({c: i for i, c in enumerate(chars)}),
                                    encoding="utf-8")
    tokenizer = VitsTokenizer(vocab_file=str(dst / "vocab.json"), add_blank=True,
                              normalize=True, phonemize=False, pad_token="_", unk_token="_")
    tokenizer.save_pretrained(dst)
    torch.manual_seed(SEED)
    model = VitsModel(VitsConfig(
        vocab_size=len(chars), hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
        ffn_dim=32, flow_size=16, spectrogram_bins=33, upsample_initial_channel=16,
        upsample_rates=[8, 8], upsample_kernel_sizes=[16, 16], resblock_kernel_sizes=[3],
        resblock_dilation_sizes=[[1, 3]], prior_encoder_num_flows=1,
        prior_encoder_num_wavenet_layers=1, posterior_encoder_num_wavenet_layers=1,
        duration_predictor_num_flows=1, duration_predictor_filter_channels=16,
        sampling_rate=16_000, window_size=2))
    model.save_pretrained(dst)
    return dst


BUILDERS = {"whisper": build_openai_whisper, "faster-whisper": build_faster_whisper,
            "madlad": build_madlad, "nllb": build_nllb, "vits": build_vits}
TARGETS = {"whisper": f"whisper/{NAME}.pt", "faster-whisper": f"faster-whisper/{NAME}",
           "madlad": "mt/tiny-madlad-ct2", "nllb": "mt/tiny-nllb-ct2", "vits": "tts/tiny-vits"}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", type=Path, default=Path("models"), help="model folder")
    p.add_argument("--only", default=",".join(BUILDERS), help="comma list of families")
    p.add_argument("--force", action="store_true", help="rebuild existing models")
    args = p.parse_args(argv)
    for family in [f.strip() for f in args.only.split(",") if f.strip()]:
        if family not in BUILDERS:
            p.error(f"unknown family {family!r}; known: {', '.join(BUILDERS)}")
        target = args.out / TARGETS[family]
        if target.exists() and not args.force:
            print(f"{family}: {target} (đã có / exists)")
            continue
        print(f"{family}: {BUILDERS[family](args.out)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
