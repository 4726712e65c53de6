"""``caunoi``: the command line. Thin: parses arguments, calls flows/pipeline, prints results.

One module per group of subcommands (``lesson``, ``review``, ``publish``, ``admin``,
``server``), each with a ``register(subparsers)``. Every failure exits non-zero with one plain
sentence in the UI language (``ui_lang`` in caunoi.toml, ``CAUNOI_UI_LANG`` or ``--en``).
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from flows.cli import admin, lesson, publish, review, server, voice
from flows.cli.common import load_cli_settings
from flows.env import quiet_console_tracebacks
from flows.guard import RunGuard, default_log_dir, describe_failure
from pipeline.core.errors import CaunoiError
from pipeline.core.i18n import set_ui_language, t

__all__ = ["build_parser", "main"]


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="caunoi",
        description="Cầu Nối: video hướng dẫn tiếng Việt → video phụ đề dung lượng nhỏ "
                    "cho đồng bào vùng cao.")
    p.add_argument("--config", type=Path, default=None,
                   help="caunoi.toml (mặc định ./caunoi.toml)")
    p.add_argument("--en", action="store_true", help="English messages")
    p.add_argument("-v", "--verbose", action="store_true", help="chi tiết hơn / more detail")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for group in (lesson, admin, publish, server, review, voice):
        group.register(sub)
    return p


def _error(e: CaunoiError) -> int:
    print(t("errors.prefix") + str(e), file=sys.stderr)
    return e.exit_code


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; every failure ends as one sentence and its exit code.

    Exit codes: 0 done, 1 internal error (traceback in a log file, never on the terminal),
    2 bad input, 3 missing model or network, 4 disk full, 130 SIGINT, 143 SIGTERM.
    """
    args = build_parser().parse_args(argv)
    if args.en:
        set_ui_language("en")
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(name)s: %(message)s")
    quiet_console_tracebacks()
    log_dir = default_log_dir()
    with RunGuard() as guard:
        try:
            settings = load_cli_settings(args)
            set_ui_language(settings.ui_lang)
            log_dir = settings.log_dir
            code = int(args.func(args, settings))
        except (Exception, KeyboardInterrupt) as e:  # the one error path
            code = _error(describe_failure(e, log_dir, list(sys.argv if argv is None else argv),
                                           guard))
        finally:
            set_ui_language(None)
    guard.exit_now_if_interrupted(code)
    return code
