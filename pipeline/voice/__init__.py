"""Voice in the viewer's language: per-sentence recordings, their checks and import, the dub
(placement, compression, holds, the time map), the audio-only outputs, voice backends.

The library only: the review store, pages, CLI, render and publish call into it.

Wiring, in data-flow order:
  1. recordings: ``check_recording`` on upload/import (``RecordingLimits.slot_ms`` from
     ``sentence_slots``), ``human_recording``/``synthetic_recording`` make the ``Recording``
     the store keeps (``is_stale`` against the sentence's approved text); ``plan_import``
     maps a folder of ``3.wav``-style files to sentence numbers for ``caunoi voice import``.
  2. the dub step: ``sentence_slots(alignment, lesson.sentences, duration)`` →
     ``dub(slots, approved recordings, lesson.recording, out.wav, DubOptions)`` →
     ``DubResult`` (``key`` = the step's cache key, ``sources``/``speakers`` for the
     manifest and the synthetic-voice rule), then ``export_audio`` (MP3 + Opus).
  3. render: the dub WAV as the job's audio, cues through ``move_spans``, chapters through
     ``move_chapters``, and ``hold_filter(plan.timemap, duration)`` first in the video chain
     (before subtitles are burned, so they are drawn in dubbed time).
"""

from pipeline.voice.backends import BACKENDS, VoiceBackend, VoiceOptions, voice_backend
from pipeline.voice.check import RecordingInfo, RecordingLimits, check_recording
from pipeline.voice.dub import dub
from pipeline.voice.importer import ImportItem, ImportPlan, plan_import
from pipeline.voice.outputs import AudioOutput, AudioOutputOptions, export_audio
from pipeline.voice.picture import hold_filter
from pipeline.voice.plan import DubOptions, place, plan_dub, sentence_slots
from pipeline.voice.recordings import human_recording, synthetic_recording
from pipeline.voice.stretch import STRETCHERS, stretcher
from pipeline.voice.timemap import TimeMap, move_chapters, move_spans
from pipeline.voice.types import (
    HUMAN,
    DubPlan,
    DubResult,
    PlacedSentence,
    Recording,
    SentenceSlot,
    text_sha256,
    tts_source,
)

__all__ = [
    "BACKENDS",
    "HUMAN",
    "STRETCHERS",
    "AudioOutput",
    "AudioOutputOptions",
    "DubOptions",
    "DubPlan",
    "DubResult",
    "ImportItem",
    "ImportPlan",
    "PlacedSentence",
    "Recording",
    "RecordingInfo",
    "RecordingLimits",
    "SentenceSlot",
    "TimeMap",
    "VoiceBackend",
    "VoiceOptions",
    "check_recording",
    "dub",
    "export_audio",
    "hold_filter",
    "human_recording",
    "move_chapters",
    "move_spans",
    "place",
    "plan_dub",
    "plan_import",
    "sentence_slots",
    "stretcher",
    "synthetic_recording",
    "text_sha256",
    "tts_source",
    "voice_backend",
]
