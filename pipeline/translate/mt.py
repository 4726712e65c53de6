"""Local machine translation: MADLAD-400 and NLLB-200 through transformers or CTranslate2.

Two model families (how a target language is requested) × two backends (how the model runs).
Models load once per process. Nothing is downloaded at run time.
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, ClassVar

from pipeline.core.errors import (
    CaunoiError,
    ModelDownloadError,
    ModelMissingError,
    UnknownNameError,
)

__all__ = ["BACKENDS", "FAMILIES", "MTEngine", "MTFamily", "MTOptions", "backend_class",
           "convert_to_ct2", "download_mt", "mt_model_path"]

log = logging.getLogger("caunoi.mt")


@dataclass(frozen=True)
class MTFamily:
    name: str
    # The model on the Hugging Face hub (for `caunoi models download --mt`).
    hub_id: str
    # Source language code in the family's spelling ("" = none needed).
    source_tag: str
    # True: the target tag is prepended to the source text (MADLAD "<2hmn> ...");
    # False: it is forced as the first generated token (NLLB "khm_Khmr").
    tag_in_source: bool


FAMILIES: dict[str, MTFamily] = {
    "madlad": MTFamily("madlad", "google/madlad400-3b-mt", "", True),
    "nllb": MTFamily("nllb", "facebook/nllb-200-distilled-600M", "vie_Latn", False),
}


@dataclass(frozen=True)
class MTOptions:
    # "transformers" or "ctranslate2".
    backend: str = "transformers"
    model_dir: Path = Path("models")
    # Model folder name per family, under model_dir/mt/.
    models: tuple[tuple[str, str], ...] = (("madlad", "madlad400-3b-mt"),
                                           ("nllb", "nllb-200-distilled-600M"))
    device: str = "cpu"
    # CTranslate2 compute type.
    compute_type: str = "int8"
    batch_size: int = 8
    beam_size: int = 1
    max_length: int = 256

    def model_name(self, family: str) -> str:
        return dict(self.models)[family]


def family(name: str) -> MTFamily:
    try:
        return FAMILIES[name]
    except KeyError:
        raise UnknownNameError(kind="MT model family", name=name,
                               known=", ".join(FAMILIES)) from None


def mt_model_path(opts: MTOptions, family_name: str) -> Path:
    """Folder of a family's model for the configured backend.

    Raises:
        ModelMissingError: not on disk (the message says how to get it).
    """
    family(family_name)
    backend = backend_class(opts.backend)
    path = backend.folder(opts, family_name)
    if not (path / backend.marker).is_file():
        raise ModelMissingError(name=f"MT {family_name} '{path.name}'", path=str(path),
                                hint=f"--mt {family_name}")
    return path


def backend_class(name: str) -> type[Backend]:
    """The registered MT backend called ``name``."""
    try:
        return BACKENDS[name]
    except KeyError:
        raise UnknownNameError(kind="MT backend", name=name,
                               known=", ".join(BACKENDS)) from None


class Backend(ABC):
    """How to add an MT backend: subclass, set ``name`` (and where its model folders live),
    implement ``translate``, register it in ``BACKENDS``."""

    name: ClassVar[str]
    # Model folder suffix under model_dir/mt/ ("-ct2": a converted copy beside the original).
    folder_suffix: ClassVar[str] = ""
    # The file whose presence says a model folder is complete.
    marker: ClassVar[str] = "config.json"

    @classmethod
    def folder(cls, opts: MTOptions, family_name: str) -> Path:
        return opts.model_dir / "mt" / f"{opts.model_name(family_name)}{cls.folder_suffix}"

    @abstractmethod
    def translate(self, path: Path, fam: MTFamily, tag: str, texts: list[str],
                  opts: MTOptions) -> list[str]: ...


@lru_cache(maxsize=4)
def _hf(path: str, device: str) -> tuple[Any, Any]:
    from transformers import AutoModelForSeq2SeqLM, AutoTokenizer
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    tokenizer = AutoTokenizer.from_pretrained(path)
    model = AutoModelForSeq2SeqLM.from_pretrained(path).to(device).eval()
    return tokenizer, model


@lru_cache(maxsize=4)
def _ct2(path: str, device: str, compute_type: str) -> Any:
    import ctranslate2

    return ctranslate2.Translator(path, device=device, compute_type=compute_type)


class TransformersBackend(Backend):
    name = "transformers"

    def translate(self, path: Path, fam: MTFamily, tag: str, texts: list[str],
                  opts: MTOptions) -> list[str]:
        import torch

        tokenizer, model = _hf(str(path), opts.device)
        if fam.source_tag:
            tokenizer.src_lang = fam.source_tag
        inputs = [f"{tag} {t}" if fam.tag_in_source else t for t in texts]
        kwargs: dict[str, Any] = {"max_new_tokens": opts.max_length, "num_beams": opts.beam_size}
        if not fam.tag_in_source:
            kwargs["forced_bos_token_id"] = tokenizer.convert_tokens_to_ids(tag)
        out: list[str] = []
        for i in range(0, len(inputs), opts.batch_size):
            batch = tokenizer(inputs[i: i + opts.batch_size], return_tensors="pt",
                              padding=True, truncation=True, max_length=opts.max_length)
            with torch.inference_mode():
                generated = model.generate(**batch.to(opts.device), **kwargs)
            out += tokenizer.batch_decode(generated, skip_special_tokens=True)
        return [o.strip() for o in out]


class CTranslate2Backend(Backend):
    name = "ctranslate2"
    folder_suffix = "-ct2"
    marker = "model.bin"

    def translate(self, path: Path, fam: MTFamily, tag: str, texts: list[str],
                  opts: MTOptions) -> list[str]:
        tokenizer, _ = _tokenizer_only(str(_tokenizer_dir(path)))
        translator = _ct2(str(path), opts.device, opts.compute_type)
        if fam.source_tag:
            tokenizer.src_lang = fam.source_tag
        inputs = [f"{tag} {t}" if fam.tag_in_source else t for t in texts]
        tokens = [tokenizer.convert_ids_to_tokens(tokenizer(t).input_ids) for t in inputs]
        prefix = None if fam.tag_in_source else [[tag]] * len(tokens)
        results = translator.translate_batch(
            tokens, target_prefix=prefix, max_batch_size=opts.batch_size,
            beam_size=opts.beam_size, max_decoding_length=opts.max_length)
        out = []
        for r in results:
            hyp = r.hypotheses[0]
            if prefix is not None and hyp and hyp[0] == tag:
                hyp = hyp[1:]
            ids = tokenizer.convert_tokens_to_ids(hyp)
            out.append(tokenizer.decode(ids, skip_special_tokens=True).strip())
        return out


def _tokenizer_dir(ct2_path: Path) -> Path:
    """The tokenizer lives with the CTranslate2 model, or in its transformers sibling."""
    if (ct2_path / "tokenizer_config.json").is_file():
        return ct2_path
    return ct2_path.with_name(ct2_path.name.removesuffix(CTranslate2Backend.folder_suffix))


TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json",
                   "spiece.model", "sentencepiece.bpe.model")


def convert_to_ct2(src: Path, dst: Path) -> None:
    """Convert a transformers seq2seq model for CTranslate2 (int8), tokenizer files along."""
    import ctranslate2

    files = [f for f in TOKENIZER_FILES if (src / f).is_file()]
    ctranslate2.converters.TransformersConverter(str(src), copy_files=files).convert(
        str(dst), quantization="int8", force=True)


@lru_cache(maxsize=4)
def _tokenizer_only(path: str) -> tuple[Any, None]:
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(path), None


BACKENDS: dict[str, type[Backend]] = {b.name: b for b in (TransformersBackend,
                                                          CTranslate2Backend)}


class MTEngine:
    """Translate batches of Vietnamese sentences into one language with a local model."""

    def __init__(self, opts: MTOptions) -> None:
        self.opts = opts
        self.backend = backend_class(opts.backend)()

    def model_label(self, family_name: str) -> str:
        """Provenance for each translated cue, e.g. ``mt:madlad400-3b-mt``."""
        return f"mt:{self.backend.folder(self.opts, family_name).name}"

    def translate(self, texts: list[str], family_name: str, tag: str) -> list[str]:
        if not texts:
            return []
        path = mt_model_path(self.opts, family_name)
        log.info("translating %d sentences with %s (%s)", len(texts), path.name, tag)
        return self.backend.translate(path, family(family_name), tag, texts, self.opts)


def download_mt(opts: MTOptions, family_name: str) -> Path:
    """Fetch an MT model (transformers format) and convert it for CTranslate2 (int8)."""
    fam = family(family_name)
    dest = opts.model_dir / "mt" / opts.model_name(family_name)
    try:
        from huggingface_hub import snapshot_download

        snapshot_download(fam.hub_id, local_dir=str(dest))
        convert_to_ct2(dest, dest.parent / f"{dest.name}{CTranslate2Backend.folder_suffix}")
    except CaunoiError:
        raise
    except Exception as e:  # network and hub errors come in many types
        raise ModelDownloadError(name=fam.hub_id, backend="transformers",
                                 detail=str(e).splitlines()[0][:200], dest=str(dest)) from e
    return dest
