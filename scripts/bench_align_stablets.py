#!/usr/bin/env python3
"""stable-ts's ``model.align()`` on kept benchmark lessons, for the stable-ts row of
``bench_align_voices.py`` (the same lessons, the same Whisper base weights converted by
``whisper_ct2_to_openai.py``). stable-ts is not a project dependency: run this with a
scratch environment's Python that has it, e.g.

    /tmp/stvenv/bin/python scripts/bench_align_stablets.py --lessons DIR \
        --model /tmp/oamodels/whisper/base.pt --out stable-ts.json

Each script sentence gets the start of its first forced word and the end of its last
(words mapped back by count, the script's spoken form forced as stable-ts is given it);
stable-ts reports no skipped sentences: one it gives under 100 ms counts as skipped.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
import wave
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from pipeline.core.config import load_settings
from pipeline.core.languages import load_registry
from pipeline.core.types import AlignedSentence, Alignment
from pipeline.core.vi_numbers import spoken_form
from pipeline.ingest import IngestOptions, ingest


def _sentences(words: list[tuple[str, float, float]], texts: list[str],
               lesson: object) -> list[AlignedSentence]:
    out, k = [], 0
    for s, text in zip(lesson.sentences, texts, strict=True):  # type: ignore[attr-defined]
        n = len(text.split())
        mine = words[k: k + n]
        k += n
        if not mine or mine[-1][2] - mine[0][1] < 0.1:
            out.append(AlignedSentence(s.index, s.chapter, s.text, 0, 0, "skipped", 0.0))
        else:
            out.append(AlignedSentence(s.index, s.chapter, s.text, int(1000 * mine[0][1]),
                                       int(1000 * mine[-1][2]), "matched", 0.5))
    return out


def main() -> int:
    import stable_whisper
    import torch

    p = argparse.ArgumentParser()
    p.add_argument("--lessons", type=Path, required=True)
    p.add_argument("--model", required=True)
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--only", default="", help="only lessons whose name ends with this")
    args = p.parse_args()
    torch.set_num_threads(2)
    model = stable_whisper.load_model(args.model, device="cpu")
    registry = load_registry(load_settings().glossary_dir)
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for d in sorted(args.lessons.iterdir()):
            if not (d / "truth.json").is_file() or not d.name.endswith(args.only):
                continue
            ing = ingest(d, registry, IngestOptions(out_dir=Path(tmp)))
            with wave.open(str(ing.audio_wav)) as w:
                audio = np.frombuffer(w.readframes(w.getnframes()), "<i2").astype(
                    np.float32) / 32768
            texts = [spoken_form(s.text) for s in ing.lesson.sentences]
            t0 = time.perf_counter()
            result = model.align(audio, " ".join(texts), language="vi")
            seconds = time.perf_counter() - t0
            words = [(w.word, float(w.start), float(w.end)) for w in result.all_words()]
            al = Alignment("stable-ts", tuple(_sentences(words, texts, ing.lesson)))
            results[ing.lesson.id] = {"alignment": al.to_json(), "seconds": seconds}
            # Written after every lesson: an interrupted run keeps what it measured.
            part = args.out.with_suffix(".part")
            part.write_text(json.dumps(results, ensure_ascii=False), encoding="utf-8")
            part.replace(args.out)
            print(d.name, f"{seconds:.1f}s", len(words), sum(len(t.split()) for t in texts),
                  flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
