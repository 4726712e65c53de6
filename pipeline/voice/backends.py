"""Voice backends: where a sentence's voice comes from. ``human`` (a person's recording),
``espeak`` (espeak-ng, for the languages it speaks) and ``mms-tts`` (a VITS / MMS-TTS model
through transformers, loaded from the local model folder).

How to add one: subclass :class:`VoiceBackend`, set ``name``, implement ``speaks`` and
``synthesize`` (write a WAV through :func:`write_labelled`), register it in ``BACKENDS``.
Every synthetic file carries its label in its metadata and every Recording made from it
says ``tts:<backend>``: a synthetic voice can never be recorded as a person's.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
import tempfile
import wave
from abc import ABC, abstractmethod
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from pipeline.core.errors import UnknownNameError
from pipeline.core.media import run_ffmpeg
from pipeline.core.storage import atomic_path
from pipeline.voice.check import TAG_PREFIX
from pipeline.voice.errors import TtsModelMissingError, VoiceBackendError
from pipeline.voice.types import HUMAN, tts_source

__all__ = ["BACKENDS", "EspeakVoice", "HumanVoice", "MmsTtsVoice", "VoiceBackend",
           "VoiceOptions", "espeak_voice", "voice_backend", "write_labelled"]

log = logging.getLogger("caunoi.voice")

#: ISO 639-1 codes of languages.toml → the ISO 639-3 codes MMS model names use.
ISO3 = {"vi": "vie", "en": "eng", "th": "tha", "km": "khm"}


@dataclass(frozen=True)
class VoiceOptions:
    # Model folder; MMS-TTS models live in model_dir/tts/mms-tts-<iso639-3>/ unless
    # tts_models names another folder for a language (a fine-tuned or a test model).
    model_dir: Path = Path("models")
    tts_models: tuple[tuple[str, str], ...] = ()
    # espeak-ng speed (words per minute) and pitch (0-99).
    espeak_wpm: int = 150
    espeak_pitch: int = 50
    # Seed of the VITS sampler (its duration and noise are random): same text, same audio.
    seed: int = 0
    ffmpeg: str = ""


class VoiceBackend(ABC):
    name: ClassVar[str]
    synthetic: ClassVar[bool] = True

    @property
    def source(self) -> str:
        """What a Recording from this backend says it is: "human" or "tts:<name>"."""
        return tts_source(self.name) if self.synthetic else HUMAN

    @abstractmethod
    def speaks(self, language: str, opts: VoiceOptions) -> bool:
        """True when this backend can voice ``language``."""

    @abstractmethod
    def synthesize(self, text: str, language: str, dst: Path, opts: VoiceOptions) -> Path:
        """Speak ``text`` in ``language`` into the WAV ``dst`` (labelled synthetic)."""


class HumanVoice(VoiceBackend):
    """A person's recording: imported or recorded in the web app, never synthesised."""

    name = "human"
    synthetic = False

    def speaks(self, language: str, opts: VoiceOptions) -> bool:
        return True

    def synthesize(self, text: str, language: str, dst: Path, opts: VoiceOptions) -> Path:
        raise VoiceBackendError(backend=self.name, language=language,
                                detail="a person records this voice; nothing is synthesised")


def write_labelled(samples: np.ndarray, rate: int, dst: Path, source: str,
                   ffmpeg: str = "") -> Path:
    """Write float samples (-1..1) as a 16-bit WAV whose comment says ``caunoi:<source>``."""
    pcm = (np.clip(samples, -1.0, 1.0) * 32767).astype("<i2")
    with tempfile.TemporaryDirectory(prefix="caunoi-voice-") as tmp:
        raw = Path(tmp) / "raw.wav"
        with wave.open(str(raw), "wb") as w:
            w.setnchannels(1)
            w.setsampwidth(2)
            w.setframerate(rate)
            w.writeframes(pcm.tobytes())
        with atomic_path(dst) as part:
            run_ffmpeg(["-i", str(raw), "-c:a", "pcm_s16le", "-metadata",
                        f"comment={TAG_PREFIX}{source}", "-f", "wav", str(part)],
                       "labelling a synthetic voice", dst, ffmpeg)
    return dst


@lru_cache(maxsize=64)
def espeak_voice(language: str) -> str:
    """The espeak-ng voice for a language code ("" when espeak-ng has none or is missing)."""
    if shutil.which("espeak-ng") is None:
        return ""
    out = subprocess.run(["espeak-ng", f"--voices={language}"], capture_output=True,
                         text=True, check=False).stdout.splitlines()[1:]
    names = [row.split()[1] for row in out if len(row.split()) > 1]
    exact = [n for n in names if n == language or n.startswith(f"{language}-")]
    return (exact or [""])[0]


class EspeakVoice(VoiceBackend):
    """espeak-ng: a robotic but clear voice; of the registry's languages it speaks
    Vietnamese, Thai and English (``espeak-ng --voices``), none of the minority ones."""

    name = "espeak"

    def speaks(self, language: str, opts: VoiceOptions) -> bool:
        return bool(espeak_voice(language))

    def synthesize(self, text: str, language: str, dst: Path, opts: VoiceOptions) -> Path:
        voice = espeak_voice(language)
        if not voice:
            raise VoiceBackendError(backend=self.name, language=language,
                                    detail="espeak-ng has no voice for it (espeak-ng --voices)")
        proc = subprocess.run(["espeak-ng", "-v", voice, "-s", str(opts.espeak_wpm), "-p",
                               str(opts.espeak_pitch), "--stdout", text], capture_output=True,
                              check=False)
        if proc.returncode != 0 or not proc.stdout:
            raise VoiceBackendError(backend=self.name, language=language,
                                    detail=proc.stderr.decode(errors="replace")[-200:])
        with tempfile.TemporaryDirectory(prefix="caunoi-voice-") as tmp:
            raw = Path(tmp) / "espeak.wav"
            raw.write_bytes(proc.stdout)
            with wave.open(str(raw)) as w:
                rate = w.getframerate()
                pcm = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")
        return write_labelled(pcm.astype(np.float32) / 32768.0, rate, dst, self.source,
                              opts.ffmpeg)


class MmsTtsVoice(VoiceBackend):
    """A VITS text-to-speech model (Meta's MMS-TTS family) through transformers'
    ``VitsModel``, one model folder per language; nothing is downloaded at run time."""

    name = "mms-tts"

    @staticmethod
    def folder(language: str, opts: VoiceOptions) -> Path:
        name = dict(opts.tts_models).get(language, f"mms-tts-{ISO3.get(language, language)}")
        return opts.model_dir / "tts" / name

    def speaks(self, language: str, opts: VoiceOptions) -> bool:
        return (self.folder(language, opts) / "config.json").is_file()

    def synthesize(self, text: str, language: str, dst: Path, opts: VoiceOptions) -> Path:
        path = self.folder(language, opts)
        if not (path / "config.json").is_file():
            raise TtsModelMissingError(name=path.name, path=str(path))
        import torch

        tokenizer, model = _vits(str(path))
        inputs = tokenizer(text, return_tensors="pt")
        if inputs["input_ids"].shape[-1] == 0:
            raise VoiceBackendError(backend=self.name, language=language,
                                    detail="the model's alphabet has none of the text's letters")
        torch.manual_seed(opts.seed)
        with torch.no_grad():
            wave_out = model(**inputs).waveform[0].cpu().numpy()
        return write_labelled(wave_out, int(model.config.sampling_rate), dst, self.source,
                              opts.ffmpeg)


@lru_cache(maxsize=2)
def _vits(path: str) -> tuple[Any, Any]:
    from transformers import AutoTokenizer, VitsModel
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    return AutoTokenizer.from_pretrained(path), VitsModel.from_pretrained(path).eval()


BACKENDS: dict[str, type[VoiceBackend]] = {
    b.name: b for b in (HumanVoice, EspeakVoice, MmsTtsVoice)}


def voice_backend(name: str) -> VoiceBackend:
    """The registered voice backend called ``name``."""
    try:
        return BACKENDS[name]()
    except KeyError:
        raise UnknownNameError(kind="voice backend", name=name,
                               known=", ".join(BACKENDS)) from None
