"""Typed objects of the voice stage: recordings, sentence slots, the dub plan and its result.

Times are integer milliseconds; JSON carries seconds (as the other stages' files do).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import asdict, dataclass, field
from typing import Any

from pipeline.core.types import ms_to_s, s_to_ms
from pipeline.voice.timemap import TimeMap

__all__ = [
    "HUMAN",
    "DubPlan",
    "DubResult",
    "PlacedSentence",
    "Recording",
    "SentenceSlot",
    "text_sha256",
    "tts_source",
]

#: ``Recording.source`` of a person's voice; synthetic voices are ``tts:<backend>``.
HUMAN = "human"
_TTS = re.compile(r"^tts:[a-z0-9][a-z0-9._-]*$")


def tts_source(backend: str) -> str:
    """The source label of a synthetic voice made by ``backend``."""
    source = f"tts:{backend}"
    if not _TTS.match(source):
        raise ValueError(f"bad voice backend name {backend!r}")
    return source


def text_sha256(text: str) -> str:
    """Hash of an approved sentence text (NFC, spaces collapsed): a recording made against
    one text is stale once the approved text hashes differently."""
    norm = " ".join(unicodedata.normalize("NFC", text).split())
    return hashlib.sha256(norm.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Recording:
    """One voice recording of one narration sentence's approved translation."""

    lesson_id: str
    # Language code of the voice (languages.toml).
    language: str
    # The script sentence's stable id (pipeline.core.types.sentence_ids).
    sentence_id: str
    # The sentence's number in the script, from 1 (what speakers and file names use).
    number: int
    # Who spoke it: the speaker's account name; for a synthetic voice, the backend.
    speaker: str
    # Where the audio is (relative to the lesson's voice folder, or absolute).
    file: str
    sha256: str
    duration_ms: int
    # text_sha256 of the approved translation the speaker read.
    text_sha256: str
    # "human" or "tts:<backend>": a synthetic voice can never say "human".
    source: str = HUMAN
    # The speaker agreed (when signing up) that their voice is published; a synthetic
    # voice has no speaker to agree and stays False.
    speaker_consent: bool = False
    # The name the speaker chose to be credited with ("" = the account name).
    speaker_name: str = ""

    @property
    def credit(self) -> str:
        """The name the outputs credit: the chosen name, else the account (or backend)."""
        return self.speaker_name or self.speaker

    def __post_init__(self) -> None:
        if self.source != HUMAN and not _TTS.match(self.source):
            raise ValueError(f"recording source must be 'human' or 'tts:<backend>', "
                             f"not {self.source!r}")
        if self.number < 1 or self.duration_ms < 0:
            raise ValueError("sentence numbers start at 1 and durations are not negative")

    @property
    def synthetic(self) -> bool:
        return self.source != HUMAN

    def is_stale(self, approved_text: str) -> bool:
        """True when the sentence's approved text is no longer the one recorded."""
        return text_sha256(approved_text) != self.text_sha256

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        d["duration"] = ms_to_s(d.pop("duration_ms"))
        return d

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Recording:
        d = dict(d)
        d["duration_ms"] = s_to_ms(d.pop("duration"))
        return cls(**d)


@dataclass(frozen=True)
class SentenceSlot:
    """Where a narration sentence sits in the original: its voice may start at ``start_ms``
    and run until ``end_ms`` (the next sentence's start, or the end of the recording);
    the Vietnamese speech itself ends at ``speech_end_ms`` (where a hold goes)."""

    number: int
    sentence_id: str
    start_ms: int
    end_ms: int
    speech_end_ms: int

    def __post_init__(self) -> None:
        if not self.start_ms <= self.speech_end_ms <= self.end_ms:
            raise ValueError(f"slot {self.number}: start ≤ speech end ≤ end does not hold")

    @property
    def length_ms(self) -> int:
        return self.end_ms - self.start_ms


@dataclass(frozen=True)
class PlacedSentence:
    """One voice in the dub: its slot (original time), where it starts in dubbed time, the
    compression applied (1.0 = none) and the hold inserted after it (0 = none)."""

    number: int
    sentence_id: str
    slot_start_ms: int
    slot_end_ms: int
    placed_start_ms: int
    voice_ms: int
    stretch: float
    hold_ms: int

    @property
    def placed_end_ms(self) -> int:
        return self.placed_start_ms + self.voice_ms

    def to_json(self) -> dict[str, Any]:
        return {"number": self.number, "sentence_id": self.sentence_id,
                "slot": [ms_to_s(self.slot_start_ms), ms_to_s(self.slot_end_ms)],
                "placed_start": ms_to_s(self.placed_start_ms), "voice": ms_to_s(self.voice_ms),
                "stretch": round(self.stretch, 4), "hold": ms_to_s(self.hold_ms)}

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> PlacedSentence:
        return cls(number=d["number"], sentence_id=d["sentence_id"],
                   slot_start_ms=s_to_ms(d["slot"][0]), slot_end_ms=s_to_ms(d["slot"][1]),
                   placed_start_ms=s_to_ms(d["placed_start"]), voice_ms=s_to_ms(d["voice"]),
                   stretch=float(d["stretch"]), hold_ms=s_to_ms(d["hold"]))


@dataclass(frozen=True)
class DubPlan:
    """Every voice's placement and the time map they make (original → dubbed)."""

    sentences: tuple[PlacedSentence, ...]
    timemap: TimeMap = field(default_factory=TimeMap)

    def to_json(self) -> dict[str, Any]:
        return {"sentences": [s.to_json() for s in self.sentences],
                "timemap": self.timemap.to_json()}

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> DubPlan:
        return cls(tuple(PlacedSentence.from_json(s) for s in d["sentences"]),
                   TimeMap.from_json(d["timemap"]))


@dataclass(frozen=True)
class DubResult:
    """The dubbed mix and what made it: the plan, the recordings' hashes (the cache key),
    the options, the stretcher, and the mix's measured loudness."""

    language: str
    audio: str
    duration_ms: int
    plan: DubPlan
    # sha256 of every recording used, in sentence order.
    recordings: tuple[str, ...]
    stretcher: str
    narration: str
    # Sources of the voices used ("human", "tts:espeak"...), for labels and the publish rule.
    sources: tuple[str, ...] = ()
    options: dict[str, Any] = field(default_factory=dict)
    # Who spoke, in sentence order (account names; "tts:<backend>" for synthetic voices).
    speakers: tuple[str, ...] = ()
    # dub_key of the inputs: the same key means the same mix (the step's cache key).
    key: str = ""
    # Each voice's consent to publication, in sentence order (Recording.speaker_consent).
    consents: tuple[bool, ...] = ()

    @property
    def synthetic(self) -> bool:
        return any(s != HUMAN for s in self.sources)

    def to_json(self) -> dict[str, Any]:
        return {"language": self.language, "audio": self.audio,
                "duration": ms_to_s(self.duration_ms), "plan": self.plan.to_json(),
                "recordings": list(self.recordings), "stretcher": self.stretcher,
                "narration": self.narration, "sources": list(self.sources),
                "options": dict(self.options), "speakers": list(self.speakers),
                "key": self.key, "consents": list(self.consents)}

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> DubResult:
        return cls(language=d["language"], audio=d["audio"],
                   duration_ms=s_to_ms(d["duration"]), plan=DubPlan.from_json(d["plan"]),
                   recordings=tuple(d["recordings"]), stretcher=d["stretcher"],
                   narration=d["narration"], sources=tuple(d.get("sources", ())),
                   options=dict(d.get("options", {})), speakers=tuple(d.get("speakers", ())),
                   key=d.get("key", ""), consents=tuple(d.get("consents", ())))
