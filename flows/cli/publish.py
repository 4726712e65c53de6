"""``caunoi publish | bundle | verify``: distribution."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from flows.cli.common import csv_list, lesson_id, msg
from pipeline.core.config import Settings

__all__ = ["register"]


def cmd_publish(args: argparse.Namespace, settings: Settings) -> int:
    from pipeline.publish.distribute import publish

    lesson = lesson_id(str(args.lesson_dir))
    target = args.to or str(settings.out_dir / "published")
    result = publish(settings.lesson_out(lesson), target, list(csv_list(args.languages) or []),
                     list(csv_list(args.profiles) or []), hls=args.hls,
                     storage_options=settings.storage_options(target))
    print(msg("published", n=len(result.files), skipped=len(result.skipped), target=target))
    return 0


def cmd_bundle(args: argparse.Namespace, settings: Settings) -> int:
    from pipeline.core.languages import load_registry
    from pipeline.publish.distribute import make_bundle

    registry = load_registry(settings.glossary_dir)
    # The source language always comes along, for the bilingual teachers who use the bundle.
    languages = list(dict.fromkeys([*(csv_list(args.languages) or ()), registry.source.code]))
    for code in languages:
        registry.get(code, where="--languages")
    names = {c: f"{lang.name_native} ({lang.name_vi})" for c, lang in registry.languages.items()}
    outs = [settings.lesson_out(lesson_id(str(d))) for d in args.lesson_dirs]
    folder, zip_path, notes = make_bundle(outs, languages, args.profile, args.to, names)
    for note in notes:
        print(f"  ! {note}")
    size = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
    print(msg("bundled", folder=folder, zip=zip_path, mb=size / 1024 / 1024))
    return 0


def cmd_verify(args: argparse.Namespace, settings: Settings) -> int:
    from pipeline.publish.distribute import verify

    report = verify(args.path, settings.storage_options(args.path))
    for kind in ("missing", "corrupt", "extra"):
        for path in getattr(report, kind):
            print(f"{kind}: {path}", file=sys.stderr)
    print(msg("verified", n=report.checked, missing=len(report.missing),
              corrupt=len(report.corrupt), extra=len(report.extra)))
    return 0 if report.ok else 1


def register(sub: Any) -> None:
    sp = sub.add_parser("publish", help="Xuất bản bài học đã duyệt (publish approved outputs)")
    sp.add_argument("lesson_dir", type=Path, metavar="LESSON_DIR", help="thư mục bài học")
    sp.add_argument("--out", type=Path, default=None, help="thư mục kết quả (mặc định output/)")
    sp.add_argument("--to", default=None, help="thư mục hoặc URL fsspec, ví dụ "
                    "s3://bucket/lessons (mặc định output/published)")
    sp.add_argument("--languages", help="chỉ các ngôn ngữ này")
    sp.add_argument("--profiles", help="chỉ các định dạng này")
    sp.add_argument("--hls", action="store_true", help="thêm HLS (tiny+compat, phụ đề WebVTT)")
    sp.set_defaults(func=cmd_publish)

    sp = sub.add_parser("bundle", help="Gói mang đi cho USB/kiosk (offline bundle)")
    sp.add_argument("lesson_dirs", nargs="+", type=Path, metavar="LESSON_DIR")
    sp.add_argument("--languages", help="ngôn ngữ, ví dụ hmn,blt (tiếng Việt luôn có)")
    sp.add_argument("--profile", default="compat")
    sp.add_argument("--out", type=Path, default=None, help="thư mục kết quả (mặc định output/)")
    sp.add_argument("--to", type=Path, required=True, help="thư mục gói (và .zip cạnh nó)")
    sp.set_defaults(func=cmd_bundle)

    sp = sub.add_parser("verify", help="Kiểm tra tổng kiểm (verify checksums of a bundle/target)")
    sp.add_argument("path", help="thư mục gói, nơi xuất bản, hoặc URL")
    sp.set_defaults(func=cmd_verify)
