"""``caunoi publish | bundle | verify``: distribution."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path
from typing import Any

from flows.cli.common import csv_list, lesson_id, msg, review_store
from pipeline.core.config import Settings

__all__ = ["register"]


def _lesson_out(settings: Settings, value: str, where: str) -> Path:
    """The output folder of a lesson named by folder or id; the id is checked as data."""
    from pipeline.publish.paths import check_lesson_id

    return settings.lesson_out(check_lesson_id(lesson_id(value), where))


def _check_standing(outs: list[Path], settings: Settings, languages: Iterable[str]) -> None:
    """A final made before the approval that stands now is not published (see
    ``pipeline.steps.standing``)."""
    from pipeline.steps.publish import has_review_store
    from pipeline.steps.standing import check_finals_stand

    if not has_review_store(settings):
        return  # no review store here (outputs copied from elsewhere): nothing to compare
    store = review_store(settings)
    try:
        for out in outs:
            check_finals_stand(out, store, languages)
    finally:
        store.engine.dispose()


def cmd_publish(args: argparse.Namespace, settings: Settings) -> int:
    from pipeline.publish.targets import publish
    from pipeline.steps.options import publish_options

    target = args.to or str(settings.out_dir / "published")
    opts = publish_options(
        settings, target, languages=csv_list(args.languages) or (),
        profiles=csv_list(args.profiles) or (), hls=args.hls)
    out = _lesson_out(settings, str(args.lesson_dir), "LESSON_DIR")
    _check_standing([out], settings, opts.languages)
    result = publish(out, target, opts)
    print(msg("published", n=len(result.files), skipped=len(result.skipped), target=target))
    return 0


def cmd_bundle(args: argparse.Namespace, settings: Settings) -> int:
    from pipeline.publish.bundle import make_bundle
    from pipeline.steps.options import publish_options
    from pipeline.steps.publish import interface_words

    opts = publish_options(settings, force=args.force)
    # The source language always comes along, for the bilingual teachers who use the bundle.
    languages = list(dict.fromkeys([*(csv_list(args.languages) or ()),
                                    opts.registry.source.code]))
    # Each language's section in its approved words (the review store's interface units).
    opts = replace(opts, interface=interface_words(settings, languages))
    outs = [_lesson_out(settings, str(d), "LESSON_DIR") for d in args.lesson_dirs]
    _check_standing(outs, settings, languages)
    result = make_bundle(outs, languages, args.profile, args.to, opts)
    print(msg("bundled", folder=result.folder, zip=result.zip,
              mb=result.folder_bytes / 1024 / 1024))
    return 0


def cmd_verify(args: argparse.Namespace, settings: Settings) -> int:
    from pipeline.core.limits import Limits
    from pipeline.publish.verify import verify

    report = verify(args.path, settings.storage_options(args.path), Limits.from_settings(settings))
    for p in report.problems:
        detail = f" ({p.detail})" if p.detail else ""
        print(f"{msg('verify_' + p.kind)}: {p.path}{detail}", file=sys.stderr)
    print(msg("verified", n=report.checked, missing=len(report.missing),
              corrupt=len(report.corrupt), extra=len(report.extra)))
    bad = len(report.paths("unsafe")) + len(report.paths("invalid"))
    if bad:
        print(msg("verified_unsafe", n=bad))
    return 0 if report.ok else 1


def register(sub: Any) -> None:
    sp = sub.add_parser("publish", help="Xuất bản bài học đã duyệt (publish approved outputs)")
    sp.add_argument("lesson_dir", type=Path, metavar="LESSON_DIR", help="thư mục bài học")
    sp.add_argument("--out", type=Path, default=None, help="thư mục kết quả (mặc định output/)")
    sp.add_argument("--to", default=None, help="thư mục hoặc URL fsspec, ví dụ "
                    "s3://bucket/lessons (mặc định output/published)")
    sp.add_argument("--languages", help="chỉ các ngôn ngữ này")
    sp.add_argument("--profiles", help="chỉ các định dạng này")
    sp.add_argument("--hls", action="store_true",
                    help="thêm HLS (thang chất lượng, video sạch, phụ đề WebVTT)")
    sp.set_defaults(func=cmd_publish)

    sp = sub.add_parser("bundle", help="Gói mang đi cho USB/kiosk (offline bundle)")
    sp.add_argument("lesson_dirs", nargs="+", type=Path, metavar="LESSON_DIR")
    sp.add_argument("--languages", help="ngôn ngữ, ví dụ hmn,blt (tiếng Việt luôn có)")
    sp.add_argument("--profile", default="compat")
    sp.add_argument("--out", type=Path, default=None, help="thư mục kết quả (mặc định output/)")
    sp.add_argument("--to", type=Path, required=True, help="thư mục gói (và .zip cạnh nó)")
    sp.add_argument("--force", action="store_true",
                    help="thay gói cũ do Cầu Nối tạo (không bao giờ thay thư mục khác)")
    sp.set_defaults(func=cmd_bundle)

    sp = sub.add_parser("verify", help="Kiểm tra tổng kiểm (verify checksums of a bundle/target)")
    sp.add_argument("path", help="thư mục gói, tệp .zip, nơi xuất bản, hoặc URL")
    sp.set_defaults(func=cmd_verify)
