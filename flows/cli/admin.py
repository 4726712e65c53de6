"""``caunoi glossary | languages | models``: the registries and the model folder."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from flows.cli.common import csv_list, msg
from pipeline.core.config import Settings
from pipeline.core.i18n import ui_language

__all__ = ["register"]


def cmd_glossary(args: argparse.Namespace, settings: Settings) -> int:
    from pipeline.core.languages import load_registry
    from pipeline.translate.glossary import check_glossaries, load_glossary
    from pipeline.translate.tbx import export_tbx, import_tbx

    registry = load_registry(settings.glossary_dir)
    if args.glossary_cmd == "check":
        problems = check_glossaries(settings.glossary_dir, registry)
        for p in problems:
            print(p, file=sys.stderr)
        print(msg("glossary_ok" if not problems else "glossary_bad", n=len(problems),
                  path=settings.glossary_dir))
        return 0 if not problems else 2
    registry.get(args.lang, where="--lang")
    if args.glossary_cmd == "export":
        n = export_tbx(load_glossary(settings.glossary_dir, args.lang), args.file)
        print(msg("exported", n=n, path=args.file))
        return 0
    from pipeline.core.limits import Limits, check_exchange_file

    check_exchange_file(args.file, Limits.from_settings(settings))
    n = import_tbx(args.file, settings.glossary_dir, args.lang, args.source)
    print(msg("imported", n=n, path=settings.glossary_dir / f"{args.lang}.csv"))
    return 0


def cmd_languages(args: argparse.Namespace, settings: Settings) -> int:
    from pipeline.core.languages import load_registry

    for lang in load_registry(settings.glossary_dir).languages.values():
        name = lang.name_en if ui_language() == "en" else lang.name_vi
        print(f"{lang.code:5} {name:28} {lang.name_native:14} {'/'.join(lang.scripts):10} "
              f"{lang.font}")
    return 0


def cmd_models(args: argparse.Namespace, settings: Settings) -> int:
    from pipeline.speech.models import download_asr, list_models
    from pipeline.steps.options import mt_options
    from pipeline.translate.mt import download_mt

    if args.models_cmd == "download":
        for fam in csv_list(args.mt) or ():
            print(msg("downloaded", path=download_mt(mt_options(settings), fam)))
        if args.mt and args.asr is None:
            return 0
        path = download_asr(settings.model_dir, args.backend, args.asr or "small")
        print(msg("downloaded", path=path))
        return 0
    models = list_models(settings.model_dir)
    if not models:
        print(msg("no_models", path=settings.model_dir))
    for m in models:
        print(f"{m.backend:15} {m.name:20} {m.bytes / 1e6:8.1f} MB  {m.path}")
    return 0


def register(sub: Any) -> None:
    from pipeline.speech.transcribe import BACKENDS

    sp = sub.add_parser("glossary", help="Bảng thuật ngữ: check / export / import (TBX)")
    gsub = sp.add_subparsers(dest="glossary_cmd", required=True, metavar="ACTION")
    gsub.add_parser("check", help="kiểm tra mọi bảng thuật ngữ (validate all term lists)")
    ex = gsub.add_parser("export", help="xuất TBX (export TBX)")
    ex.add_argument("--lang", required=True)
    ex.add_argument("file", type=Path, metavar="FILE.tbx")
    im = gsub.add_parser("import", help="nhập TBX như đề xuất (import TBX as proposed terms)")
    im.add_argument("file", type=Path, metavar="FILE.tbx")
    im.add_argument("--lang", required=True)
    im.add_argument("--source", required=True,
                    help="nguồn của các thuật ngữ (bắt buộc) / where the terms come from")
    sp.set_defaults(func=cmd_glossary)

    sp = sub.add_parser("languages", help="Danh sách ngôn ngữ (language registry)")
    sp.set_defaults(func=cmd_languages)

    sp = sub.add_parser("models", help="Mô hình: list / download")
    msub = sp.add_subparsers(dest="models_cmd", required=True, metavar="ACTION")
    msub.add_parser("list", help="mô hình đã có (installed models)")
    dl = msub.add_parser("download", help="tải mô hình (cần Internet) / download models")
    dl.add_argument("--asr", default=None, help="tên mô hình Whisper (tiny, base, small...)")
    dl.add_argument("--mt", default=None,
                    help="mô hình dịch: madlad, nllb (phân cách bằng dấu phẩy)")
    dl.add_argument("--backend", default="openai-whisper", choices=sorted(BACKENDS))
    sp.set_defaults(func=cmd_models)
