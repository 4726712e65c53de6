"""Where each voice goes: sentence slots from the alignment, the stretch each voice needs,
the holds that remain, and the time map they make. Pure arithmetic, no audio."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from pipeline.core.errors import ConfigError
from pipeline.core.types import Alignment, Sentence
from pipeline.voice.timemap import TimeMap
from pipeline.voice.types import DubPlan, PlacedSentence, SentenceSlot

__all__ = ["DubOptions", "Narration", "place", "plan_dub", "sentence_slots", "verify_options"]

#: What happens to the original (Vietnamese) sound track under the dub.
Narration = Literal["duck", "remove"]


@dataclass(frozen=True)
class DubOptions:
    # Loudness every voice is brought to (EBU R128 integrated, LUFS).
    target_lufs: float = -16.0
    # Strongest time compression of a voice longer than its slot; beyond it the picture holds.
    max_stretch: float = 1.25
    # The time stretcher (pipeline.voice.stretch.STRETCHERS). scripts/bench_dub.py, 17 voices,
    # time-scaled STOI at 1.1/1.25/1.5×: rubberband-r3 0.975/0.976/0.964, atempo
    # 0.951/0.954/0.945, ffmpeg's rubberband filter 0.933/0.903/0.882; ~3.4× atempo's time
    # (a third of a second per sentence). Without rubberband-cli: "atempo".
    stretcher: str = "rubberband-r3"
    # Silence kept between one voice's end and the next sentence's start.
    gap_ms: int = 120
    # "duck": the original track is lowered by duck_db wherever Vietnamese is spoken or a
    # voice plays and kept as it is elsewhere (music, clicks, room); "remove": silenced there.
    narration: Narration = "duck"
    duck_db: float = 24.0
    # Ducked spans start/end this much before/after the speech, with fades this long.
    duck_pad_ms: int = 150
    fade_ms: int = 60
    # Cleaning: high-pass corner (rumble, handling noise) and afftdn noise reduction (dB).
    highpass_hz: int = 80
    denoise_db: float = 10.0
    # Mix rate: speech needs no more; the finals' AAC and the MP3 resample to less.
    sample_rate: int = 24_000
    # ffmpeg binary ("" = the project's one, pipeline.core.media.ffmpeg_exe).
    ffmpeg: str = ""


def verify_options(opts: DubOptions) -> DubOptions:
    """Refuse options that contradict each other or the issue's promises (a ducked
    narration must be at least 20 dB down, compression between 1× and 2×)."""
    problems = []
    if not 1.0 <= opts.max_stretch <= 2.0:
        problems.append(f"max_stretch={opts.max_stretch} (1.0-2.0)")
    if opts.narration not in ("duck", "remove"):
        problems.append(f"narration={opts.narration!r} (duck or remove)")
    if opts.narration == "duck" and opts.duck_db < 20:
        problems.append(f"duck_db={opts.duck_db} (at least 20 dB)")
    if opts.gap_ms < 0 or opts.duck_pad_ms < 0 or opts.fade_ms < 0:
        problems.append("gap_ms, duck_pad_ms and fade_ms are not negative")
    if problems:
        raise ConfigError(path="dub options", detail="; ".join(problems))
    return opts


def sentence_slots(alignment: Alignment, sentences: Sequence[Sentence],
                   duration_ms: int) -> tuple[SentenceSlot, ...]:
    """Each script sentence's slot: from its aligned start to the next sentence's start (the
    last one: to the end of the recording). Ad-libs have no slot."""
    timed = sorted((s for s in alignment.sentences if s.index is not None),
                   key=lambda s: (s.start_ms, s.index))
    slots = []
    for k, s in enumerate(timed):
        assert s.index is not None
        end = timed[k + 1].start_ms if k + 1 < len(timed) else max(duration_ms, s.end_ms)
        end = max(end, s.start_ms)
        slots.append(SentenceSlot(number=s.index + 1, sentence_id=sentences[s.index].id,
                                  start_ms=s.start_ms, end_ms=end,
                                  speech_end_ms=min(max(s.end_ms, s.start_ms), end)))
    return tuple(slots)


def _room(slot: SentenceSlot, opts: DubOptions) -> int:
    return max(slot.length_ms - opts.gap_ms, 0)


def plan_dub(slots: Sequence[SentenceSlot], voice_ms: Mapping[int, int],
             opts: DubOptions) -> DubPlan:
    """The stretch each voice needs (``voice_ms``: sentence number → trimmed length) and the
    placement it gives. A voice that fits is left alone; a longer one is compressed up to
    ``max_stretch``; what still does not fit becomes a hold after the Vietnamese speech."""
    factors: dict[int, float] = {}
    lengths: dict[int, int] = {}
    for slot in slots:
        if slot.number not in voice_ms:
            continue
        need, room = voice_ms[slot.number], _room(slot, opts)
        factor = 1.0 if need <= room else (
            opts.max_stretch if room == 0 else min(need / room, opts.max_stretch))
        factors[slot.number] = factor
        lengths[slot.number] = round(need / factor)
    return place(slots, lengths, factors, opts)


def place(slots: Sequence[SentenceSlot], lengths: Mapping[int, int],
          factors: Mapping[int, float], opts: DubOptions) -> DubPlan:
    """Place voices of the given (final) ``lengths`` at their slots' starts; holds make room
    for whatever overruns its slot."""
    placed, holds, shift = [], [], 0
    for slot in sorted(slots, key=lambda s: s.start_ms):
        if slot.number not in lengths:
            continue
        length = lengths[slot.number]
        # Not _room(): a slot shorter than the gap still keeps the gap after its voice.
        hold = max(0, length + opts.gap_ms - slot.length_ms)
        placed.append(PlacedSentence(
            number=slot.number, sentence_id=slot.sentence_id, slot_start_ms=slot.start_ms,
            slot_end_ms=slot.end_ms, placed_start_ms=slot.start_ms + shift, voice_ms=length,
            stretch=factors.get(slot.number, 1.0), hold_ms=hold))
        if hold:
            holds.append((slot.speech_end_ms, hold))
            shift += hold
    return DubPlan(tuple(placed), TimeMap.from_holds(holds))
