"""ASR model files on disk, and fetching them on machines that can reach a model hub.

Layout under ``Settings.model_dir`` (each backend in ``transcribe.BACKENDS`` names its folder)::

    whisper/<name>.pt              openai-whisper checkpoints (whisper.load_model(path))
    faster-whisper/<name>/         CTranslate2 Whisper models (model.bin, tokenizer.json, ...)

MT models live in ``mt/`` (see ``pipeline.translate.mt``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pipeline.core.errors import CaunoiError, ModelDownloadError, UnknownNameError
from pipeline.speech.transcribe import BACKENDS, backend_class

__all__ = ["ModelInfo", "download_asr", "list_models"]


@dataclass(frozen=True)
class ModelInfo:
    backend: str
    name: str
    path: Path
    bytes: int


def _download_openai(name: str, dest: Path) -> Path:
    import whisper

    if name not in whisper._MODELS:
        raise UnknownNameError(kind="Whisper model", name=name, known=", ".join(whisper._MODELS))
    whisper._download(whisper._MODELS[name], str(dest), in_memory=False)
    target = dest / f"{name}.pt"
    (dest / Path(whisper._MODELS[name]).name).replace(target)
    return target


def download_asr(model_dir: Path, backend: str, name: str) -> Path:
    """Fetch an ASR model into ``model_dir`` (needs access to the model hub)."""
    cls = backend_class(backend)
    dest = model_dir / cls.folder
    dest.mkdir(parents=True, exist_ok=True)
    try:
        if cls.single_file:
            return _download_openai(name, dest)
        from faster_whisper.utils import download_model

        return Path(download_model(name, output_dir=str(dest / name)))
    except CaunoiError:
        raise
    except Exception as e:  # network errors come in many types
        raise ModelDownloadError(name=name, backend=backend, detail=str(e).splitlines()[0][:200],
                                 dest=str(dest)) from e


def list_models(model_dir: Path) -> list[ModelInfo]:
    """Every installed ASR model, per backend."""
    found = []
    for backend, cls in BACKENDS.items():
        root = model_dir / cls.folder
        if not root.is_dir():
            continue
        for p in sorted(root.iterdir()):
            if not cls.is_model(p) or (cls.single_file and p.suffix != ".pt"):
                continue
            size = p.stat().st_size if cls.single_file else sum(
                f.stat().st_size for f in p.iterdir() if f.is_file())
            found.append(ModelInfo(backend, p.stem if cls.single_file else p.name, p, size))
    return found
