"""Where models live on disk, and fetching them on machines that can reach a model hub.

Layout under ``Settings.model_dir``::

    whisper/<name>.pt              openai-whisper checkpoints (whisper.load_model(path))
    faster-whisper/<name>/         CTranslate2 Whisper models (model.bin, tokenizer.json, ...)
    mt/<name>/, mt/<name>-ct2/     MADLAD-400 / NLLB-200 (transformers), and CTranslate2 int8
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from pipeline.core.errors import CaunoiError, ModelMissingError, UnknownNameError
from pipeline.translate.mt import MTOptions, convert_to_ct2

__all__ = ["ASR_BACKENDS", "ModelDownloadError", "asr_model_path", "download_asr", "download_mt",
           "list_models"]

log = logging.getLogger("caunoi.models")

#: ASR backend -> (folder under model_dir, whether a model is one file).
ASR_BACKENDS: dict[str, tuple[str, bool]] = {
    "openai-whisper": ("whisper", True),
    "faster-whisper": ("faster-whisper", False),
}


class ModelDownloadError(CaunoiError):
    vi = "Không tải được mô hình {name} ({backend}): {detail}. Máy này có thể không vào được kho mô hình; hãy tải trên máy khác rồi chép thư mục {dest} sang."
    en = "Could not download model {name} ({backend}): {detail}. This machine may not reach the model hub; download elsewhere and copy {dest} here."
    exit_code = 3


@dataclass(frozen=True)
class ModelInfo:
    backend: str
    name: str
    path: Path
    bytes: int


def _backend(backend: str) -> tuple[str, bool]:
    try:
        return ASR_BACKENDS[backend]
    except KeyError:
        raise UnknownNameError(kind="ASR backend", name=backend,
                               known=", ".join(ASR_BACKENDS)) from None


def asr_model_path(model_dir: Path, backend: str, name: str) -> Path:
    """Path of an ASR model; ``name`` may also be an explicit path.

    Raises:
        ModelMissingError: the model is not on disk (the message says how to get it).
    """
    folder, single_file = _backend(backend)
    explicit = Path(name).expanduser()
    if explicit.suffix == ".pt" or explicit.is_absolute() or "/" in name:
        path = explicit
    else:
        path = model_dir / folder / (f"{name}.pt" if single_file else name)
    ok = path.is_file() if single_file else (path / "model.bin").is_file()
    if not ok:
        raise ModelMissingError(name=f"{backend} '{name}'", path=str(path),
                                hint=f"--asr {name} --backend {backend}")
    return path


def download_asr(model_dir: Path, backend: str, name: str) -> Path:
    """Fetch an ASR model into ``model_dir`` (needs access to the model hub)."""
    folder, _ = _backend(backend)
    dest = model_dir / folder
    dest.mkdir(parents=True, exist_ok=True)
    try:
        if backend == "openai-whisper":
            import whisper

            if name not in whisper._MODELS:
                raise UnknownNameError(kind="Whisper model", name=name,
                                       known=", ".join(whisper._MODELS))
            whisper._download(whisper._MODELS[name], str(dest), in_memory=False)
            downloaded = dest / Path(whisper._MODELS[name]).name
            target = dest / f"{name}.pt"
            downloaded.replace(target)
            return target
        from faster_whisper.utils import download_model

        return Path(download_model(name, output_dir=str(dest / name)))
    except CaunoiError:
        raise
    except Exception as e:  # network errors come in many types
        raise ModelDownloadError(name=name, backend=backend, detail=str(e).splitlines()[0][:200],
                                 dest=str(dest)) from e


def list_models(model_dir: Path) -> list[ModelInfo]:
    found = []
    for backend, (folder, single_file) in ASR_BACKENDS.items():
        root = model_dir / folder
        if not root.is_dir():
            continue
        for p in sorted(root.iterdir()):
            if single_file and p.suffix == ".pt":
                found.append(ModelInfo(backend, p.stem, p, p.stat().st_size))
            elif not single_file and (p / "model.bin").is_file():
                size = sum(f.stat().st_size for f in p.iterdir() if f.is_file())
                found.append(ModelInfo(backend, p.name, p, size))
    return found


def download_mt(opts: MTOptions, family_name: str) -> Path:
    """Fetch an MT model (transformers format) and convert it for CTranslate2 (int8)."""
    from pipeline.translate.mt import family

    fam = family(family_name)
    dest = opts.model_dir / "mt" / opts.model_name(family_name)
    try:
        from huggingface_hub import snapshot_download

        snapshot_download(fam.hub_id, local_dir=str(dest))
        convert_to_ct2(dest, dest.parent / f"{dest.name}-ct2")
    except CaunoiError:
        raise
    except Exception as e:  # network and hub errors come in many types
        raise ModelDownloadError(name=fam.hub_id, backend="transformers",
                                 detail=str(e).splitlines()[0][:200], dest=str(dest)) from e
    return dest
