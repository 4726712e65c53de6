"""Typed objects passed between stages. Times are integer milliseconds inside the code;
JSON files carry seconds as floats (converted only in ``to_json``/``from_json``)."""

from __future__ import annotations

import hashlib
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from pipeline.core.media import AudioInfo, MediaInfo, VideoInfo

__all__ = [
    "AlignedSentence",
    "Alignment",
    "Cue",
    "Ingested",
    "Lesson",
    "Sentence",
    "Status",
    "Transcript",
    "TranscriptSegment",
    "Word",
    "cue_id",
    "ms_to_s",
    "s_to_ms",
    "sentence_ids",
]

Status = Literal["matched", "skipped", "ad-lib"]


def ms_to_s(ms: int) -> float:
    return round(ms / 1000.0, 3)


def s_to_ms(s: float) -> int:
    return round(s * 1000.0)


def sentence_ids(texts: Iterable[str]) -> list[str]:
    """Stable ids of script sentences, in order: a hash of the NFC-normalised,
    space-collapsed text and the sentence's occurrence among identical sentences
    (``3f2a…-1`` for the first, ``-2`` for the second). Inserting, removing or editing
    another sentence never changes an id; editing this one always does."""
    seen: Counter[str] = Counter()
    ids = []
    for text in texts:
        norm = " ".join(unicodedata.normalize("NFC", text).split())
        digest = hashlib.sha256(norm.encode("utf-8")).hexdigest()[:16]
        seen[digest] += 1
        ids.append(f"{digest}-{seen[digest]}")
    return ids


def cue_id(sentence_id: str, part: int) -> str:
    """A cue's id: its sentence's id and its part within the sentence (from 1)."""
    return f"{sentence_id}.{part}"


@dataclass(frozen=True)
class Sentence:
    index: int
    chapter: str
    text: str
    # Stable id (see :func:`sentence_ids`); "" in data written before ids existed.
    id: str = ""


@dataclass(frozen=True)
class Lesson:
    """A validated lesson folder (the input contract of DESIGN.md)."""

    id: str
    dir: Path
    title: str
    languages: tuple[str, ...]
    profiles: tuple[str, ...]
    authors: tuple[str, ...]
    chapters: tuple[str, ...]
    sentences: tuple[Sentence, ...]
    recording: Path
    # sha256 of lesson.toml, script.md (after NFC) and the recording.
    hashes: dict[str, str] = field(default_factory=dict)
    # Titles in target languages written by the content team ([titles] in lesson.toml).
    titles: dict[str, str] = field(default_factory=dict)
    # Narration lines whose list numbers ("1. ", "2) ") were removed from the script.
    script_numbers_removed: int = 0

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        d["dir"], d["recording"] = str(self.dir), str(self.recording)
        return d

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Lesson:
        return cls(
            id=d["id"], dir=Path(d["dir"]), title=d["title"], languages=tuple(d["languages"]),
            profiles=tuple(d["profiles"]), authors=tuple(d["authors"]),
            chapters=tuple(d["chapters"]),
            sentences=tuple(Sentence(**s) for s in d["sentences"]),
            recording=Path(d["recording"]), hashes=dict(d["hashes"]),
            titles=dict(d.get("titles", {})),
            script_numbers_removed=int(d.get("script_numbers_removed", 0)),
        )


@dataclass(frozen=True)
class Ingested:
    """What ingest produced: the lesson, its recording's streams, the 16 kHz mono WAV."""

    lesson: Lesson
    media: MediaInfo
    audio_wav: Path
    audio_sha256: str
    # True when the WAV from an earlier run was reused (not serialised).
    audio_reused: bool = False

    def to_json(self) -> dict[str, Any]:
        return {"lesson": self.lesson.to_json(), "media": asdict(self.media),
                "audio_wav": str(self.audio_wav), "audio_sha256": self.audio_sha256}

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Ingested:
        m = d["media"]
        media = MediaInfo(
            path=m["path"], container=m["container"], duration_ms=m["duration_ms"],
            video=VideoInfo(**m["video"]) if m["video"] else None,
            audio=AudioInfo(**m["audio"]) if m["audio"] else None,
        )
        return cls(lesson=Lesson.from_json(d["lesson"]), media=media,
                   audio_wav=Path(d["audio_wav"]), audio_sha256=d["audio_sha256"])


@dataclass(frozen=True)
class Word:
    start_ms: int
    end_ms: int
    text: str
    probability: float = 1.0


@dataclass(frozen=True)
class TranscriptSegment:
    start_ms: int
    end_ms: int
    text: str
    words: tuple[Word, ...] = ()
    avg_logprob: float = 0.0
    no_speech_prob: float = 0.0


@dataclass(frozen=True)
class Transcript:
    """ASR output plus what made it (backend, model, prompt): provenance and cache key."""

    language: str
    backend: str
    model: str
    prompt: str
    segments: tuple[TranscriptSegment, ...]
    audio_sha256: str = ""
    # Spans of speech with no usable transcript: (start_ms, end_ms, reason), reason "loop"
    # (a repetition loop was dropped) or "empty" (the decoder returned nothing).
    unusable: tuple[tuple[int, int, str], ...] = ()

    @property
    def words(self) -> list[Word]:
        return [w for s in self.segments for w in s.words]

    def to_json(self) -> dict[str, Any]:
        return {
            "language": self.language, "backend": self.backend, "model": self.model,
            "prompt": self.prompt, "audio_sha256": self.audio_sha256,
            "segments": [
                {"start": ms_to_s(s.start_ms), "end": ms_to_s(s.end_ms), "text": s.text,
                 "avg_logprob": s.avg_logprob, "no_speech_prob": s.no_speech_prob,
                 "words": [{"start": ms_to_s(w.start_ms), "end": ms_to_s(w.end_ms),
                            "word": w.text, "probability": w.probability} for w in s.words]}
                for s in self.segments
            ],
            "no_transcript": [{"start": ms_to_s(a), "end": ms_to_s(b), "reason": r}
                              for a, b, r in self.unusable],
        }

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Transcript:
        segs = tuple(
            TranscriptSegment(
                start_ms=s_to_ms(s["start"]), end_ms=s_to_ms(s["end"]), text=s["text"],
                avg_logprob=s.get("avg_logprob", 0.0), no_speech_prob=s.get("no_speech_prob", 0.0),
                words=tuple(Word(s_to_ms(w["start"]), s_to_ms(w["end"]), w["word"],
                                 w.get("probability", 1.0)) for w in s["words"]),
            )
            for s in d["segments"]
        )
        gaps = tuple((s_to_ms(g["start"]), s_to_ms(g["end"]), str(g["reason"]))
                     for g in d.get("no_transcript", []))
        return cls(language=d["language"], backend=d["backend"], model=d["model"],
                   prompt=d["prompt"], segments=segs, audio_sha256=d.get("audio_sha256", ""),
                   unusable=gaps)


@dataclass(frozen=True)
class AlignedSentence:
    # Script sentence index; None for an ad-lib (speech that is not in the script).
    index: int | None
    chapter: str
    text: str
    start_ms: int
    end_ms: int
    status: Status
    confidence: float

    def to_json(self) -> dict[str, Any]:
        return {"index": self.index, "chapter": self.chapter, "text": self.text,
                "start": ms_to_s(self.start_ms), "end": ms_to_s(self.end_ms),
                "status": self.status, "confidence": round(self.confidence, 3)}

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> AlignedSentence:
        return cls(index=d["index"], chapter=d["chapter"], text=d["text"],
                   start_ms=s_to_ms(d["start"]), end_ms=s_to_ms(d["end"]),
                   status=d["status"], confidence=float(d["confidence"]))


@dataclass(frozen=True)
class Alignment:
    """Sentences with times; ``aligner`` names the method (provenance)."""

    aligner: str
    sentences: tuple[AlignedSentence, ...]

    def to_json(self) -> list[dict[str, Any]]:
        return [s.to_json() for s in self.sentences]

    @classmethod
    def from_json(cls, data: list[dict[str, Any]], aligner: str = "") -> Alignment:
        return cls(aligner=aligner, sentences=tuple(AlignedSentence.from_json(d) for d in data))


@dataclass(frozen=True)
class Cue:
    """One subtitle cue; ``lines`` already broken by the segmenter."""

    index: int
    sentence_index: int
    start_ms: int
    end_ms: int
    lines: tuple[str, ...]
    # Stable id ``<sentence id>.<part>`` (see :func:`cue_id`); "" before ids existed.
    id: str = ""
    # Part of its sentence, from 1 (0 when unknown).
    part: int = 0

    @property
    def text(self) -> str:
        return " ".join(self.lines)

    def to_json(self) -> dict[str, Any]:
        return {"index": self.index, "sentence": self.sentence_index,
                "start": ms_to_s(self.start_ms), "end": ms_to_s(self.end_ms),
                "lines": list(self.lines), "id": self.id, "part": self.part}

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Cue:
        return cls(d["index"], d["sentence"], s_to_ms(d["start"]), s_to_ms(d["end"]),
                   tuple(d["lines"]), d.get("id", ""), int(d.get("part", 0)))
