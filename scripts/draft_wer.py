#!/usr/bin/env python3
"""Word error rate of a draft ``script.md`` (``caunoi draft-script``) against the real one.

Headings (lines starting with ``#``) and blank lines are dropped, the text is NFC-normalised,
lower-cased and split into words (punctuation dropped); ``--spoken`` first writes numbers as
they are read (``45.000`` → ``bốn mươi lăm nghìn``), as the narrator says them. WER is the
word-level edit distance over the number of reference words.

Usage:
    python scripts/draft_wer.py lessons/sample-qr-payment/script.md /tmp/draft.md [--spoken]
"""

from __future__ import annotations

import argparse
import re
import sys
import unicodedata
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from pipeline.core.vi_numbers import spoken_form


def words(path: Path, spoken: bool = False) -> list[str]:
    """The words of a script file, headings and punctuation dropped."""
    lines = [line for line in path.read_text("utf-8").splitlines()
             if line.strip() and not line.lstrip().startswith("#")]
    text = " ".join(spoken_form(line) if spoken else line for line in lines)
    return re.findall(r"\w+", unicodedata.normalize("NFC", text).lower())


def edit_distance(ref: list[str], hyp: list[str]) -> int:
    """Word-level Levenshtein distance (substitutions, insertions, deletions)."""
    row = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        diagonal, row[0] = row[0], i
        for j, h in enumerate(hyp, 1):
            diagonal, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, diagonal + (r != h))
    return row[-1]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    p.add_argument("reference", type=Path)
    p.add_argument("draft", type=Path)
    p.add_argument("--spoken", action="store_true", help="numbers written as they are read")
    args = p.parse_args(argv)
    ref, hyp = words(args.reference, args.spoken), words(args.draft, args.spoken)
    edits = edit_distance(ref, hyp)
    print(f"WER {edits / max(1, len(ref)):.3f} ({edits} edits / {len(ref)} reference words, "
          f"{len(hyp)} draft words)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
