"""Settings: defaults, overridden by ``caunoi.toml``, overridden by ``CAUNOI_*`` variables.

No setting lives only in code: every field below can be set in either place.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline.core.errors import ConfigError

__all__ = ["PROJECT_ROOT", "Settings", "load_settings"]

#: The checkout this package lives in (glossaries/ and models/ are found from here).
PROJECT_ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Settings:
    # Output root; each lesson writes OUT/<lesson-id>/.
    out_dir: Path = Path("output")
    # Lessons handed in from the web portal: LESSONS/<lesson-id>/ (lesson.toml, script.md,
    # recording). Server mode: a folder every worker can read (see README "Scaling").
    lessons_dir: Path = Path("lessons")
    # Shared storage of lesson inputs and outputs for workers on several machines: an fsspec
    # URL holding lessons/<id>/ and output/<id>/ ("file:///mnt/caunoi", "s3://bucket/caunoi");
    # "" = the local lessons_dir and out_dir, nothing copied (pipeline.core.shared).
    storage_url: str = ""
    # A worker's local copy of the lessons it runs and their outputs (with storage_url set).
    work_dir: Path = field(default_factory=lambda: Path.home() / ".caunoi" / "work")
    # Local model folder: whisper/, faster-whisper/, mt/ below it.
    model_dir: Path = PROJECT_ROOT / "models"
    # Language registry and term lists.
    glossary_dir: Path = PROJECT_ROOT / "glossaries"
    # SQLAlchemy URL of the review store ("" = SQLite file under out_dir).
    database_url: str = ""
    # ASR backend: "openai-whisper" or "faster-whisper".
    asr_backend: str = "openai-whisper"
    # ASR model name (a folder or checkpoint under model_dir) or an explicit path.
    asr_model: str = "small"
    # Torch / CTranslate2 device.
    device: str = "cpu"
    # CTranslate2 compute type for faster-whisper and MT.
    compute_type: str = "int8"
    # Decode again at higher temperatures when a chunk fails the quality thresholds.
    asr_fallback: bool = True
    # Beam size for ASR decoding (1 = greedy).
    beam_size: int = 1
    # CPU threads one transcription uses, either backend (0: the library's default).
    asr_threads: int = 0
    # MT backend: "transformers" or "ctranslate2" (the same models converted, int8).
    mt_backend: str = "transformers"
    # MT model folders under model_dir/mt/ (CTranslate2 ones carry a "-ct2" suffix).
    mt_madlad_model: str = "madlad400-3b-mt"
    mt_nllb_model: str = "nllb-200-distilled-600M"
    # Sentences per MT batch.
    mt_batch_size: int = 8
    # Translation memory folder ("" = OUT/tm).
    tm_dir: str = ""
    # Aligner: "auto" picks the best one available, or a name from pipeline.speech.align.ALIGNERS.
    aligner: str = "auto"
    # Render profiles when the lesson and the command line name none.
    profiles: tuple[str, ...] = ("compat",)
    # Burn subtitles into the picture (false: a soft mov_text track in the MP4).
    burn_subtitles: bool = True
    # Refuse renders below their profile's SSIM / OCR thresholds.
    quality_gates: bool = True
    # Jobs of one step (languages × profiles) run at once in a flow; renders are CPU-bound,
    # so more than the machine's cores only slows each down (0 = number of cores).
    parallel_jobs: int = 0
    # CPU-bound jobs (renders, translations) at once on this machine, across every flow run
    # of every worker on it; 0 = cores // 2 (an encode's decoding, filters and
    # encoder keep more than one core busy), at least 1.
    worker_slots: int = 0
    # Length of the title card before the recording, seconds (every timeline offset uses it).
    title_card_s: float = 2.5
    # Render a watermarked "BẢN NHÁP" preview of languages waiting for review.
    draft_previews: bool = True
    # The dub of an approved language's voice recordings (pipeline.voice): the time
    # stretcher, the strongest compression before the picture holds, what happens to the
    # Vietnamese narration under the voices ("duck" by dub_duck_db, at least 20 dB, or
    # "remove"), and the voices' loudness (LUFS).
    dub_stretcher: str = "rubberband-r3"
    dub_max_stretch: float = 1.25
    dub_narration: str = "duck"
    dub_duck_db: float = 24.0
    dub_target_lufs: float = -16.0
    # Languages whose dub may use synthetic voices (tts:*): an admin's choice; elsewhere a
    # language with any synthetic recording keeps the Vietnamese sound.
    voice_allow_synthetic: tuple[str, ...] = ()
    # Explicit ffmpeg binary; "" = the one bundled with imageio-ffmpeg.
    ffmpeg: str = ""
    # Prefect's home for the embedded (serverless) mode.
    prefect_home: Path = field(default_factory=lambda: Path.home() / ".caunoi" / "prefect")
    # Language of messages: "vi" or "en".
    ui_lang: str = "vi"
    # S3-compatible publish targets: endpoint URL (e.g. MinIO); credentials come from the
    # standard AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY variables read by s3fs.
    s3_endpoint: str = ""
    # Server mode: Prefect's database ("" = the project's own PostgreSQL cluster below),
    # that cluster's folder and port, the Prefect server's port and the work pool's name.
    prefect_database_url: str = ""
    postgres_dir: Path = field(default_factory=lambda: Path.home() / ".caunoi" / "postgres")
    postgres_port: int = 5433
    prefect_port: int = 4200
    # Address the Prefect server listens on: 0.0.0.0 lets workers on other machines reach it
    # (a private network or a firewall in front; see README "Scaling").
    prefect_host: str = "127.0.0.1"
    work_pool: str = "caunoi"
    # Review web app: address, port, and cookies over HTTPS only (behind a TLS proxy).
    review_host: str = "127.0.0.1"
    review_port: int = 8765
    cookie_secure: bool = False
    # --- Input limits (pipeline.core.limits; checked by `caunoi check` and ingest first) ---
    # Longest recording, seconds (2 h).
    max_recording_s: float = 7200.0
    # Largest recording file, MB.
    max_recording_mb: int = 4096
    # Longest side of the recording's picture, pixels.
    max_resolution_px: int = 4096
    # Largest lesson.toml / script.md, KB.
    max_text_file_kb: int = 1024
    # Narration lines in script.md (headings not counted).
    max_script_lines: int = 3000
    # Characters in one narration line.
    max_sentence_chars: int = 1000
    # Characters in a title (title, [titles], chapter headings, authors).
    max_title_chars: int = 200
    # Largest glossary CSV / do-not-translate list, KB.
    max_glossary_kb: int = 2048
    # Largest XLIFF or TBX file given to an import, MB.
    max_exchange_mb: int = 20
    # Target languages of one lesson; render profiles of one lesson.
    max_languages: int = 16
    max_profiles: int = 8
    # `caunoi verify` of a bundle zip: most it may unpack to (MB), and most one entry over
    # 1 MB may inflate (times); a zip past either is refused unread (a zip bomb).
    max_bundle_mb: int = 16384
    max_zip_ratio: int = 100
    # Where an internal error's traceback is written (the terminal shows one sentence).
    log_dir: Path = field(default_factory=lambda: Path.home() / ".caunoi" / "logs")

    @property
    def job_slots(self) -> int:
        """How many jobs of one step may run at once (``parallel_jobs`` resolved)."""
        return self.parallel_jobs if self.parallel_jobs > 0 else max(1, os.cpu_count() or 1)

    @property
    def machine_slots(self) -> int:
        """CPU-bound jobs at once on this machine (``worker_slots`` resolved)."""
        return self.worker_slots if self.worker_slots > 0 else max(1, (os.cpu_count() or 1) // 2)

    def lesson_out(self, lesson_id: str) -> Path:
        return self.out_dir / lesson_id

    @property
    def review_url(self) -> str:
        """The review store's URL: ``database_url``, or a SQLite file under ``out_dir``."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.out_dir / 'review.sqlite3').resolve()}"

    def storage_options(self, target: str) -> dict[str, Any]:
        """fsspec options for a target or storage URL (the S3 endpoint for ``s3://``)."""
        if target.startswith("s3://") and self.s3_endpoint:
            return {"client_kwargs": {"endpoint_url": self.s3_endpoint}}
        return {}

    @property
    def tm_path(self) -> Path:
        return Path(self.tm_dir) if self.tm_dir else self.out_dir / "tm"


def _coerce(name: str, value: Any, source: str) -> Any:
    target = {f.name: f for f in dataclasses.fields(Settings)}[name]
    kind = str(target.type)
    try:
        if "Path" in kind:
            return Path(str(value)).expanduser()
        if "tuple" in kind:
            if isinstance(value, str):
                value = [v.strip() for v in value.split(",") if v.strip()]
            return tuple(str(v) for v in value)
        if kind == "int":
            return int(value)
        if kind == "float":
            return float(value)
        if kind == "bool":
            if isinstance(value, bool):
                return value
            if str(value).lower() in ("1", "true", "yes", "on", "0", "false", "no", "off"):
                return str(value).lower() in ("1", "true", "yes", "on")
            raise ValueError("expected true or false")
        return str(value)
    except (TypeError, ValueError) as e:
        raise ConfigError(path=source, detail=f"{name} = {value!r} ({e})") from e


def load_settings(
    config_file: Path | None = None,
    env: dict[str, str] | None = None,
    **overrides: Any,
) -> Settings:
    """Build settings from defaults, a TOML file, environment variables and overrides.

    Args:
        config_file: explicit ``caunoi.toml``; default ``$CAUNOI_CONFIG`` or ``./caunoi.toml``.
        env: the environment to read (default ``os.environ``).
        overrides: final values (e.g. from the command line); ``None`` values are ignored.

    Raises:
        ConfigError: unknown key or a value of the wrong type, naming the file.
    """
    env = dict(os.environ if env is None else env)
    names = {f.name for f in dataclasses.fields(Settings)}
    values: dict[str, Any] = {}
    path = config_file or Path(env.get("CAUNOI_CONFIG", "caunoi.toml"))
    if path.is_file():
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
            raise ConfigError(path=str(path), detail=str(e)) from e
        except RecursionError as e:
            raise ConfigError(path=str(path), detail="nested too deeply; settings are "
                              "flat 'key = value' lines") from e
        for key, value in data.items():
            if key not in names:
                raise ConfigError(path=str(path), detail=f"unknown key '{key}'")
            values[key] = _coerce(key, value, str(path))
    for key in names:
        env_key = f"CAUNOI_{key.upper()}"
        if env.get(env_key):
            values[key] = _coerce(key, env[env_key], env_key)
    for key, value in overrides.items():
        if value is not None:
            values[key] = _coerce(key, value, "command line")
    return Settings(**values)
