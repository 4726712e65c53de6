#!/usr/bin/env python3
"""Dub an aligned lesson with a folder of per-sentence recordings and write the audio-only
dub, using the voice library alone (no review store yet): import by file name, check, dub,
MP3 + Opus. Prints each voice's placement and the files' sizes per minute.

Run ``caunoi align LESSON_DIR --out OUT`` first (it writes ingest.json and alignment.json).
Without ``--recordings`` the stand-in English recordings of the sample lesson are made
(scripts/make_voice_recordings.py; ``--slow 1.3`` makes some too long for their slots).

Usage:
    python scripts/demo_dub.py LESSON_DIR --out OUT [--recordings DIR] [--slow 1.0]
                               [--stretcher rubberband-r3] [--narration duck|remove]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from pipeline.core.types import Alignment, Ingested
from pipeline.ingest import lesson_id_of
from pipeline.voice import (
    DubOptions,
    dub,
    export_audio,
    human_recording,
    plan_import,
    sentence_slots,
)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("lesson", type=Path)
    p.add_argument("--out", type=Path, default=Path("output"))
    p.add_argument("--recordings", type=Path, default=None)
    p.add_argument("--slow", default="1.0")
    p.add_argument("--stretcher", default=DubOptions().stretcher)
    p.add_argument("--narration", default="duck", choices=["duck", "remove"])
    p.add_argument("--language", default="en")
    args = p.parse_args(argv)
    work = args.out / lesson_id_of(args.lesson)
    ingested = Ingested.from_json(json.loads((work / "ingest.json").read_text("utf-8")))
    alignment = Alignment.from_json(json.loads((work / "alignment.json").read_text("utf-8")))
    lesson = ingested.lesson
    folder = args.recordings or work / "voice" / args.language / "incoming"
    if args.recordings is None:
        subprocess.run([sys.executable, str(Path(__file__).parent / "make_voice_recordings.py"),
                        "--out", str(folder), "--slow", args.slow,
                        "--sentences", str(len(lesson.sentences))], check=True)
    slots = sentence_slots(alignment, lesson.sentences, ingested.media.duration_ms)
    recordings = [human_recording(item.path, lesson_id=lesson.id, language=args.language,
                                  sentence_id=item.sentence_id, number=item.number,
                                  speaker="demo", approved_text=lesson.sentences[
                                      item.number - 1].text)[0]
                  for item in plan_import(folder, lesson.sentences).items]
    t0 = time.perf_counter()
    opts = DubOptions(stretcher=args.stretcher, narration=args.narration)
    result = dub(slots, recordings, lesson.recording, work / "voice" / f"{args.language}.wav",
                 opts)
    spent = time.perf_counter() - t0
    mp3, opus = export_audio(Path(result.audio), work / "voice", f"{lesson.id}.{args.language}")
    print(" nr  slot (s)        placed (s)  voice (s)  stretch  hold (s)")
    for s in result.plan.sentences:
        print(f"{s.number:>3}  {s.slot_start_ms / 1000:6.2f}-{s.slot_end_ms / 1000:6.2f}  "
              f"{s.placed_start_ms / 1000:9.2f}  {s.voice_ms / 1000:9.2f}  {s.stretch:7.3f}  "
              f"{s.hold_ms / 1000:8.2f}")
    print(f"dub: {len(recordings)} voices in {spent:.1f} s, {result.duration_ms / 1000:.2f} s "
          f"long (original {ingested.media.duration_ms / 1000:.2f} s), {result.stretcher}, "
          f"narration {result.narration}")
    for out in (mp3, opus):
        print(f"{Path(out.path).name}: {out.bytes} bytes, {out.kb_per_minute:.1f} KB/min")
    (work / "voice" / f"{args.language}.dub.json").write_text(
        json.dumps(result.to_json(), ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
