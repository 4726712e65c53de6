"""The dub: every approved recording cleaned, trimmed, loudness-matched and placed at its
sentence's start over the original sound track, whose Vietnamese speech is ducked or removed.

``dub(slots, recordings, narration_wav, out_wav, opts) -> DubResult`` is the one entry point.
A voice longer than its slot is compressed (up to ``max_stretch``); beyond that the plan
holds the picture (a step in the time map) and the sound track gets the same pause, so no
voice is ever cut and the mix stays in step with the picture.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import asdict
from pathlib import Path

import numpy as np

from pipeline.core.storage import sha256_file
from pipeline.voice.audio import (
    AudioSegment,
    apply_filter,
    decode,
    match_loudness,
    trim_silence,
    write_wav,
)
from pipeline.voice.plan import DubOptions, place, plan_dub, verify_options
from pipeline.voice.stretch import stretcher
from pipeline.voice.timemap import TimeMap
from pipeline.voice.types import DubPlan, DubResult, Recording, SentenceSlot

__all__ = ["dub", "dub_key", "duck_spans", "prepare_voice", "sound_track"]

log = logging.getLogger("caunoi.voice")


def dub_key(slots: Sequence[SentenceSlot], recordings: Sequence[Recording],
            narration_sha256: str, opts: DubOptions) -> str:
    """Cache key of a dub: the slots, the recordings' hashes, the original track's hash and
    the options (not the ffmpeg path). Anything else changing leaves the mix as it was."""
    data = {"slots": [asdict(s) for s in sorted(slots, key=lambda s: s.number)],
            "recordings": sorted((r.sentence_id, r.sha256) for r in recordings),
            "narration": narration_sha256,
            "options": {k: v for k, v in asdict(opts).items() if k != "ffmpeg"}}
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()


def prepare_voice(path: Path, opts: DubOptions) -> AudioSegment:
    """One recording made ready for the mix: high-pass (rumble, handling noise), gentle FFT
    noise reduction, silence trimmed, one gain to ``target_lufs`` (peaks kept under -1 dBFS)."""
    seg = decode(path, opts.sample_rate, opts.ffmpeg)
    clean = f"highpass=f={opts.highpass_hz},afftdn=nr={opts.denoise_db:g}:nf=-50"
    seg = trim_silence(apply_filter(seg, clean, "cleaning a voice recording", opts.ffmpeg))
    seg, _ = match_loudness(seg, opts.target_lufs, ffmpeg=opts.ffmpeg)
    return seg


def duck_spans(slots: Sequence[SentenceSlot], plan: DubPlan,
               opts: DubOptions) -> list[tuple[int, int]]:
    """Spans of original time where the original track is lowered: every sentence's
    Vietnamese speech and every voice (mapped back to original time), padded, merged."""
    voice_end = {p.number: p.slot_start_ms + p.voice_ms for p in plan.sentences}
    spans = sorted((max(0, s.start_ms - opts.duck_pad_ms),
                    min(s.end_ms, max(s.speech_end_ms, voice_end.get(s.number, 0)))
                    + opts.duck_pad_ms) for s in slots)
    merged: list[tuple[int, int]] = []
    for a, b in spans:
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], b))
        else:
            merged.append((a, b))
    return merged


def _envelope(n: int, rate: int, spans: Sequence[tuple[int, int]], gain: float,
              fade_ms: int) -> np.ndarray:
    """Per-sample gain: 1 outside ``spans``, ``gain`` inside, linear fades at the edges."""
    env = np.ones(n, dtype=np.float64)
    fade = max(1, fade_ms * rate // 1000)
    for a_ms, b_ms in spans:
        a, b = a_ms * rate // 1000, min(n, b_ms * rate // 1000)
        if a >= n:
            continue
        env[a:b] = gain
        down = np.linspace(1.0, gain, fade)
        lo = max(0, a - fade)
        env[lo:a] = np.minimum(env[lo:a], down[fade - (a - lo):])
        up = np.linspace(gain, 1.0, fade)[: max(0, min(n, b + fade) - b)]
        env[b:b + up.size] = np.minimum(env[b:b + up.size], up)
    return env


def sound_track(narration: AudioSegment, spans: Sequence[tuple[int, int]], tmap: TimeMap,
                opts: DubOptions) -> AudioSegment:
    """The original track with its speech ducked (or removed) and a silent pause at every
    hold, so it stays under the picture."""
    gain = 0.0 if opts.narration == "remove" else 10 ** (-opts.duck_db / 20)
    samples = np.asarray(narration.get_array_of_samples(), dtype=np.float64)
    env = _envelope(samples.size, narration.frame_rate, spans, gain, opts.fade_ms)
    ducked = narration._spawn(np.round(samples * env).astype(np.int16).tobytes())
    out, last = AudioSegment.empty(), 0
    for at, hold in tmap.holds:
        out += ducked[last:at] + AudioSegment.silent(hold, frame_rate=narration.frame_rate)
        last = at
    result: AudioSegment = out + ducked[last:]
    return result.set_frame_rate(narration.frame_rate)


def _voices(slots: Sequence[SentenceSlot], recordings: Sequence[Recording],
            root: Path | None, opts: DubOptions) -> dict[int, tuple[Recording, AudioSegment]]:
    by_id = {s.sentence_id: s.number for s in slots}
    voices: dict[int, tuple[Recording, AudioSegment]] = {}
    for rec in recordings:
        number = by_id.get(rec.sentence_id)
        if number is None:
            log.warning("recording %s: sentence %s is no longer in the script",
                        rec.file, rec.sentence_id)
            continue
        if number in voices:
            raise ValueError(f"two recordings for sentence {number}: "
                             f"{voices[number][0].file} and {rec.file}")
        path = Path(rec.file) if root is None or Path(rec.file).is_absolute() \
            else root / rec.file
        voices[number] = (rec, prepare_voice(path, opts))
    return voices


def _stretched(voices: Mapping[int, AudioSegment], plan: DubPlan,
               opts: DubOptions) -> dict[int, AudioSegment]:
    tool = stretcher(opts.stretcher)
    return {p.number: tool.stretch(voices[p.number], p.stretch, opts.ffmpeg)
            if p.stretch > 1.0 else voices[p.number] for p in plan.sentences}


def dub(slots: Sequence[SentenceSlot], recordings: Sequence[Recording], narration_wav: Path,
        out_wav: Path, opts: DubOptions | None = None,
        files_root: Path | None = None) -> DubResult:
    """Mix the recordings over the original track and write ``out_wav`` (mono PCM WAV).

    Args:
        slots: every narration sentence's slot (``sentence_slots`` of the alignment).
        recordings: the approved recordings of one language (at most one per sentence).
        narration_wav: the original sound track (any format ffmpeg reads).
        out_wav: where the mix goes (written atomically).
        opts: see :class:`DubOptions`.
        files_root: folder that relative ``Recording.file`` paths are under.

    Returns:
        The plan (placements, stretches, holds, time map) and what made the mix.
    """
    opts = verify_options(opts or DubOptions())
    voices = _voices(slots, recordings, files_root, opts)
    first = plan_dub(slots, {n: len(v) for n, (_, v) in voices.items()}, opts)
    ready = _stretched({n: v for n, (_, v) in voices.items()}, first, opts)
    plan = place(slots, {n: len(v) for n, v in ready.items()},
                 {p.number: p.stretch for p in first.sentences}, opts)
    narration = decode(narration_wav, opts.sample_rate, opts.ffmpeg)
    mix = sound_track(narration, duck_spans(slots, plan, opts), plan.timemap, opts)
    end = max((p.placed_end_ms for p in plan.sentences), default=0)
    if end > len(mix):
        mix += AudioSegment.silent(end - len(mix), frame_rate=mix.frame_rate)
    for p in plan.sentences:
        mix = mix.overlay(ready[p.number], position=p.placed_start_ms)
    write_wav(mix, out_wav)
    used = [voices[p.number][0] for p in plan.sentences]
    log.info("dub %s: %d voices, %d stretched, %d ms held", out_wav.name, len(used),
             sum(p.stretch > 1.0 for p in plan.sentences), plan.timemap.total_hold_ms)
    return DubResult(language=used[0].language if used else "", audio=str(out_wav),
                     duration_ms=len(mix), plan=plan,
                     recordings=tuple(r.sha256 for r in used), stretcher=opts.stretcher,
                     narration=opts.narration, sources=tuple(r.source for r in used),
                     options={k: v for k, v in asdict(opts).items() if k != "ffmpeg"},
                     speakers=tuple(r.credit for r in used),
                     consents=tuple(r.speaker_consent for r in used),
                     key=dub_key(slots, recordings, sha256_file(narration_wav), opts))
