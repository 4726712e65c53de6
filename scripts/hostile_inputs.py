#!/usr/bin/env python3
"""Print the table of careless and hostile inputs (``tests/test_robust_inputs.py``'s
``CASES``) with the exit code and the last line each one really gives, as a Markdown table.

    python scripts/hostile_inputs.py LESSON_DIR [NAME-FRAGMENT ...]

LESSON_DIR is a good lesson (``scripts/make_sample_lesson.py --sentences 4``); every case runs
on a fresh copy of it in a temporary folder, in English (``--en``).
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.test_robust_inputs import CASES, run_case


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__)
        return 2
    os.environ["CAUNOI_UI_LANG"] = "en"
    src, wanted = Path(argv[0]).resolve(), argv[1:]
    print("| # | input | exit | s | message |\n|---|---|---|---|---|")
    for i, case in enumerate(CASES, 1):
        if wanted and not any(w in case.name for w in wanted):
            continue
        with tempfile.TemporaryDirectory(prefix="caunoi-hostile-") as d:
            t0 = time.monotonic()
            code, message, _ = run_case(case, src, Path(d))
            seconds = time.monotonic() - t0
        message = message.replace(d, "…").replace("|", "\\|")
        flag = "" if code in case.codes else " **UNEXPECTED**"
        print(f"| {i} | {case.name} | {code}{flag} | {seconds:.1f} | {message} |", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
