"""``caunoi review serve|export|import|approve`` and ``caunoi users add|list|passwd|disable|enable|
remove|grant|revoke``."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from flows.cli.common import lesson_id, msg, review_store
from pipeline.core.config import Settings
from pipeline.core.i18n import t

__all__ = ["register"]


def _roles(items: list[str] | None, settings: Settings) -> dict[str, str]:
    from pipeline.core.languages import load_registry

    registry = load_registry(settings.glossary_dir)
    languages = {}
    for item in items or []:
        code, _, role = item.partition(":")
        registry.get(code, where="--lang")
        languages[code] = role or "reviewer"
    return languages


def _password(args: argparse.Namespace) -> str | None:
    import getpass

    password = os.environ.get("CAUNOI_NEW_PASSWORD") or (
        sys.stdin.readline().rstrip("\n") if args.password_stdin
        else getpass.getpass(msg("password_prompt", user=args.username)))
    if len(password) < 8:
        print(msg("password_short"), file=sys.stderr)
        return None
    return password


def cmd_users(args: argparse.Namespace, settings: Settings) -> int:
    """``caunoi users add|list|passwd|disable|enable|remove|grant|revoke`` (language roles
    from review, editor teams from the portal, in one transaction and audit entry)."""
    from pipeline.portal.store import PortalStore

    store = review_store(settings)
    editors = PortalStore.on(store).editors
    cmd, teams = args.users_cmd, tuple(getattr(args, "editor", None) or ())
    if cmd == "list":
        team_rows = editors.teams_by_user()
        for u in store.users():
            roles = ", ".join([f"{k}:{v}" for k, v in sorted(u.roles.items())]
                              + [f"editor:{team}" for team in team_rows.get(u.username, ())])
            state = t("review.user_disabled" if u.disabled else "review.user_active")
            print(t("review.user_row", user=u.username, state=state,
                    roles=(roles or "-") + (" (admin)" if u.admin else "")))
        return 0
    if cmd in ("add", "passwd"):
        languages: dict[str, str] = {}
        if cmd == "add":  # a taken name or a bad role is said before asking for a password
            name = store.check_new_username(args.username)
            languages = _roles(args.lang, settings)
        password = _password(args)
        if password is None:
            return 2
        if cmd == "add":
            editors.add_user(args.username, password, languages, admin=args.admin,
                             teams=teams)
            print(msg("user_added", user=name, langs=", ".join(
                [f"{k}:{v}" for k, v in languages.items()]
                + [f"editor:{x}" for x in teams]) or "-",
                admin=" (admin)" if args.admin else ""))
            return 0
        store.set_password(args.username, password)
    elif cmd in ("disable", "enable"):
        store.set_disabled(args.username, cmd == "disable")
    elif cmd == "remove":
        store.remove_user(args.username)
    elif cmd == "grant":
        editors.grant(args.username, _roles(args.lang, settings), admin=args.admin,
                      teams=teams)
    elif cmd == "revoke":
        editors.revoke(args.username, [x.partition(":")[0] for x in args.lang or []],
                       admin=args.admin, teams=teams)
    print(t("review.user_done", action=cmd, user=args.username))
    return 0


def _serve(args: argparse.Namespace, settings: Settings) -> int:
    import dataclasses

    import uvicorn

    from flows.app import create_app
    from flows.launcher import make_launcher
    from pipeline.core.languages import load_registry
    from pipeline.review.security import load_secret
    from pipeline.steps.web_options import web_options

    if getattr(args, "lessons", None):
        settings = dataclasses.replace(settings, lessons_dir=args.lessons)

    def on_approved(lesson: str, lang: str) -> None:
        # Server mode: a run suspended at the review gate continues.
        if os.environ.get("PREFECT_API_URL"):
            from flows.server import resume_for_lesson

            resume_for_lesson(settings, lesson, lang)  # reads the shared storage if any

    web, portal = web_options(settings, load_secret(settings.out_dir / ".review-secret"),
                              on_approved,
                              # Server mode (PREFECT_API_URL set): deployment runs; else
                              # one background process.
                              make_launcher(settings))
    app = create_app(review_store(settings), load_registry(settings.glossary_dir), web, portal)
    host = args.host or settings.review_host
    port = args.port or settings.review_port
    print(msg("serving", url=f"http://{host}:{port}/"), flush=True)
    uvicorn.run(app, host=host, port=port, log_level="warning")
    return 0


def cmd_review(args: argparse.Namespace, settings: Settings) -> int:
    if args.review_cmd == "serve":
        return _serve(args, settings)
    if args.review_cmd == "approve":
        from flows.cli.voice import cmd_review_approve

        return cmd_review_approve(args, settings)
    from pipeline.review.exchange import export_xliff, import_xliff

    if args.review_cmd == "export":
        lesson = lesson_id(args.lesson)
        dst = args.file or Path(f"{lesson}.{args.lang}.xlf")
        n = export_xliff(review_store(settings), lesson, args.lang, dst)
        print(msg("exported_cues", n=n, path=dst))
        return 0
    from pipeline.core.languages import load_registry
    from pipeline.review.checks import Checker

    store = review_store(settings)
    store.checker = Checker(load_registry(settings.glossary_dir), settings.glossary_dir)
    from pipeline.core.limits import Limits

    report = import_xliff(store, args.user, args.file, Limits.from_settings(settings))
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
    sv.add_argument("--lessons", type=Path, default=None,
                    help="thư mục bài học nộp từ trang web (mặc định lessons/)")
    ex = rsub.add_parser("export", help="xuất XLIFF 2.0 cho người dịch (export XLIFF)")
    ex.add_argument("lesson", metavar="LESSON", help="mã bài học hoặc thư mục bài học")
    ex.add_argument("--lang", required=True)
    ex.add_argument("--file", type=Path, default=None, help="tệp .xlf đích")
    ex.add_argument("--out", type=Path, default=None)
    im = rsub.add_parser("import", help="nhập XLIFF đã dịch (import XLIFF)")
    im.add_argument("file", type=Path, metavar="FILE.xlf")
    im.add_argument("--user", required=True, help="người dịch/duyệt chịu trách nhiệm")
    im.add_argument("--out", type=Path, default=None)
    from flows.cli.voice import register_review_approve

    register_review_approve(rsub)
    sp.set_defaults(func=cmd_review)

    _register_users(sub)


def _register_users(sub: Any) -> None:
    sp = sub.add_parser("users", help="Người dùng: add / list / passwd / disable / enable / "
                                      "remove / grant / revoke")
    usub = sp.add_subparsers(dest="users_cmd", required=True, metavar="ACTION")
    helps = {"add": "tạo người dùng (create a user; an existing name is refused)",
             "list": "liệt kê người dùng (list users and roles)",
             "passwd": "đổi mật khẩu, đăng xuất mọi phiên (new password, ends sessions)",
             "disable": "khoá người dùng, đăng xuất mọi phiên (disable, ends sessions)",
             "enable": "mở khoá người dùng (enable again)",
             "remove": "xoá người dùng (remove a user)",
             "grant": "thêm vai trò (give roles: --lang hmn:reviewer, --editor TEAM, --admin)",
             "revoke": "bỏ vai trò, đăng xuất mọi phiên (take roles away, ends sessions)"}
    for name, text in helps.items():
        ua = usub.add_parser(name, help=text)
        ua.add_argument("--out", type=Path, default=None)
        if name == "list":
            continue
        ua.add_argument("username")
        if name in ("add", "grant", "revoke"):
            ua.add_argument("--lang", action="append", metavar="CODE[:ROLE]",
                            help="ngôn ngữ và vai trò: hmn:reviewer, blt:translator")
            ua.add_argument("--admin", action="store_true")
            ua.add_argument("--editor", action="append", metavar="TEAM",
                            help="biên tập viên của nhóm nội dung ('*' = mọi nhóm) "
                                 "(content-team editor; '*' = every team)")
        if name in ("add", "passwd"):
            ua.add_argument("--password-stdin", action="store_true",
                            help="đọc mật khẩu từ stdin (read the password from stdin)")
    sp.set_defaults(func=cmd_users)
