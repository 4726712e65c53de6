"""``caunoi review serve|export|import`` and ``caunoi users add``."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from flows.cli.common import lesson_id, msg, review_store
from pipeline.core.config import Settings

__all__ = ["register"]


def cmd_users(args: argparse.Namespace, settings: Settings) -> int:
    import getpass

    from pipeline.core.languages import load_registry

    languages = {}
    for item in args.lang or []:
        code, _, role = item.partition(":")
        languages[code] = role or "reviewer"
    registry = load_registry(settings.glossary_dir)
    for code in languages:
        registry.get(code, where="--lang")
    password = os.environ.get("CAUNOI_NEW_PASSWORD") or (
        sys.stdin.readline().rstrip("\n") if args.password_stdin
        else getpass.getpass(msg("password_prompt", user=args.username)))
    if len(password) < 8:
        print(msg("password_short"), file=sys.stderr)
        return 2
    review_store(settings).add_user(args.username, password, languages, admin=args.admin)
    print(msg("user_added", user=args.username, langs=", ".join(
        f"{k}:{v}" for k, v in languages.items()) or "-", admin=" (admin)" if args.admin else ""))
    return 0


def _serve(args: argparse.Namespace, settings: Settings) -> int:
    import uvicorn

    from pipeline.core.languages import load_registry
    from pipeline.review.security import load_secret
    from pipeline.review.web import WebOptions, create_app

    def on_approved(lesson: str, lang: str) -> None:
        # Server mode: a run suspended at the review gate continues.
        if os.environ.get("PREFECT_API_URL"):
            from flows.server import resume_for_lesson

            resume_for_lesson(settings.out_dir, lesson, lang)

    app = create_app(review_store(settings), load_registry(settings.glossary_dir), WebOptions(
        out_dir=settings.out_dir, secret=load_secret(settings.out_dir / ".review-secret"),
        glossary_dir=settings.glossary_dir, tm_dir=settings.tm_path,
        secure_cookies=settings.cookie_secure, on_approved=on_approved))
    host = args.host or settings.review_host
    port = args.port or settings.review_port
    print(msg("serving", url=f"http://{host}:{port}/"), flush=True)
    uvicorn.run(app, host=host, port=port, log_level="warning")
    return 0


def cmd_review(args: argparse.Namespace, settings: Settings) -> int:
    if args.review_cmd == "serve":
        return _serve(args, settings)
    from pipeline.review.exchange import export_xliff, import_xliff

    if args.review_cmd == "export":
        lesson = lesson_id(args.lesson)
        dst = args.file or Path(f"{lesson}.{args.lang}.xlf")
        n = export_xliff(review_store(settings), lesson, args.lang, dst)
        print(msg("exported_cues", n=n, path=dst))
        return 0
    report = import_xliff(review_store(settings), args.user, args.file)
    print(msg("import_report", applied=len(report.applied), unchanged=len(report.unchanged),
              conflicts=len(report.conflicts)))
    for idx, yours, current, version in report.conflicts:
        print(msg("import_conflict", cue=idx + 1, version=version, current=current,
                  yours=yours), file=sys.stderr)
    return 0 if not report.conflicts else 1


def register(sub: Any) -> None:
    sp = sub.add_parser("review", help="Duyệt bản dịch: serve / export / import (XLIFF)")
    rsub = sp.add_subparsers(dest="review_cmd", required=True, metavar="ACTION")
    sv = rsub.add_parser("serve", help="chạy trang web duyệt (run the review web app)")
    sv.add_argument("--host", default=None)
    sv.add_argument("--port", type=int, default=None)
    sv.add_argument("--out", type=Path, default=None, help="thư mục kết quả (mặc định output/)")
    ex = rsub.add_parser("export", help="xuất XLIFF 2.0 cho người dịch (export XLIFF)")
    ex.add_argument("lesson", metavar="LESSON", help="mã bài học hoặc thư mục bài học")
    ex.add_argument("--lang", required=True)
    ex.add_argument("--file", type=Path, default=None, help="tệp .xlf đích")
    ex.add_argument("--out", type=Path, default=None)
    im = rsub.add_parser("import", help="nhập XLIFF đã dịch (import XLIFF)")
    im.add_argument("file", type=Path, metavar="FILE.xlf")
    im.add_argument("--user", required=True, help="người dịch/duyệt chịu trách nhiệm")
    im.add_argument("--out", type=Path, default=None)
    sp.set_defaults(func=cmd_review)

    sp = sub.add_parser("users", help="Người dùng: add")
    usub = sp.add_subparsers(dest="users_cmd", required=True, metavar="ACTION")
    ua = usub.add_parser("add", help="tạo người dùng (create a user)")
    ua.add_argument("username")
    ua.add_argument("--lang", action="append", metavar="CODE[:ROLE]",
                    help="ngôn ngữ và vai trò: hmn:reviewer, blt:translator")
    ua.add_argument("--admin", action="store_true")
    ua.add_argument("--password-stdin", action="store_true",
                    help="đọc mật khẩu từ stdin (read the password from stdin)")
    ua.add_argument("--out", type=Path, default=None)
    sp.set_defaults(func=cmd_users)
