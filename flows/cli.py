"""``caunoi``: the command line. Thin: parses arguments, calls flows/pipeline, prints results.

Every failure exits non-zero with one plain sentence (Vietnamese, or English with --en).
"""

from __future__ import annotations

import argparse
import errno
import logging
import os
import sys
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from pipeline.core.config import Settings, load_settings
from pipeline.core.errors import CaunoiError, DiskFullError
from pipeline.core.i18n import t, ui_language

__all__ = ["main"]



def msg(key: str, **kw: object) -> str:
    return t(f"cli.{key}", **kw)


def _csv(value: str | None) -> tuple[str, ...] | None:
    if value is None:
        return None
    return tuple(v.strip() for v in value.split(",") if v.strip())


def _settings(args: argparse.Namespace) -> Settings:
    return load_settings(args.config, out_dir=getattr(args, "out", None),
                         aligner=getattr(args, "aligner", None))


def _print_report(stage: str, skipped: bool, detail: str) -> None:
    mark = f"[{msg('skipped')}] " if skipped else ""
    print(f"  • {stage}: {mark}{detail}", flush=True)


def cmd_produce(args: argparse.Namespace) -> int:
    settings = _settings(args)
    languages, profiles = _csv(args.languages), _csv(args.profiles)
    started = time.monotonic()
    if args.no_prefect:
        from pipeline.steps import ProduceOptions, produce

        result = produce(args.lesson_dir, ProduceOptions.from_settings(
            settings, languages, profiles), _print_report)
    else:
        from flows.env import configure_prefect_env

        configure_prefect_env(settings.prefect_home)
        from flows.produce import produce_lesson

        result = produce_lesson(args.lesson_dir, settings, languages, profiles)
    print(msg("done", lesson=result.lesson_id, seconds=time.monotonic() - started,
              out=result.out))
    for f in result.files:
        print(f"  {f}")
    print(msg("manifest", path=result.manifest))
    if result.approved_languages:
        print(msg("approved", langs=", ".join(result.approved_languages)))
    if result.pending_languages:
        print(msg("pending", langs=", ".join(result.pending_languages)))
    return 0


def _store(settings: Settings) -> Any:
    from pipeline.review.store import ReviewStore

    return ReviewStore(settings.review_url)


def _lesson_id(value: str) -> str:
    """A lesson id given directly, or read from a lesson folder."""
    from pipeline.ingest import lesson_id_of

    path = Path(value)
    return lesson_id_of(path) if (path / "lesson.toml").is_file() else value


def cmd_users(args: argparse.Namespace) -> int:
    import getpass

    settings = _settings(args)
    languages = {}
    for item in args.lang or []:
        code, _, role = item.partition(":")
        languages[code] = role or "reviewer"
    from pipeline.core.languages import load_registry

    registry = load_registry(settings.glossary_dir)
    for code in languages:
        registry.get(code, where="--lang")
    password = os.environ.get("CAUNOI_NEW_PASSWORD") or (
        sys.stdin.readline().rstrip("\n") if args.password_stdin
        else getpass.getpass(msg("password_prompt", user=args.username)))
    if len(password) < 8:
        print(msg("password_short"), file=sys.stderr)
        return 2
    _store(settings).add_user(args.username, password, languages, admin=args.admin)
    print(msg("user_added", user=args.username, langs=", ".join(
        f"{k}:{v}" for k, v in languages.items()) or "-", admin=" (admin)" if args.admin else ""))
    return 0


def cmd_review(args: argparse.Namespace) -> int:
    settings = _settings(args)
    if args.review_cmd == "serve":
        import uvicorn

        from pipeline.core.languages import load_registry
        from pipeline.review.security import load_secret
        from pipeline.review.web import WebOptions, create_app

        store = _store(settings)
        secret = load_secret(settings.out_dir / ".review-secret")
        def on_approved(lesson_id: str, lang: str) -> None:
            # Server mode: a run suspended at the review gate continues.
            if os.environ.get("PREFECT_API_URL"):
                from flows.server import resume_for_lesson

                resume_for_lesson(settings.out_dir, lesson_id, lang)

        app = create_app(store, load_registry(settings.glossary_dir), WebOptions(
            out_dir=settings.out_dir, secret=secret, glossary_dir=settings.glossary_dir,
            tm_dir=settings.tm_path, secure_cookies=settings.cookie_secure,
            on_approved=on_approved))
        host = args.host or settings.review_host
        port = args.port or settings.review_port
        print(msg("serving", url=f"http://{host}:{port}/"), flush=True)
        uvicorn.run(app, host=host, port=port, log_level="warning")
        return 0
    from pipeline.review.exchange import export_xliff, import_xliff

    if args.review_cmd == "export":
        lesson = _lesson_id(args.lesson)
        dst = args.file or Path(f"{lesson}.{args.lang}.xlf")
        n = export_xliff(_store(settings), lesson, args.lang, dst)
        print(msg("exported_cues", n=n, path=dst))
        return 0
    report = import_xliff(_store(settings), args.user, args.file)
    print(msg("import_report", applied=len(report.applied), unchanged=len(report.unchanged),
              conflicts=len(report.conflicts)))
    for idx, yours, current, version in report.conflicts:
        print(msg("import_conflict", cue=idx + 1, version=version, current=current,
                  yours=yours), file=sys.stderr)
    return 0 if not report.conflicts else 1


def cmd_check(args: argparse.Namespace) -> int:
    from pipeline.core.languages import load_registry
    from pipeline.core.media import probe
    from pipeline.ingest import IngestOptions, load_lesson

    settings = _settings(args)
    lesson = load_lesson(args.lesson_dir, load_registry(settings.glossary_dir), IngestOptions(
        out_dir=settings.out_dir, languages=_csv(args.languages), profiles=_csv(args.profiles),
        default_profiles=settings.profiles))
    info = probe(lesson.recording)
    if info.audio is None:
        from pipeline.core.errors import NoAudioStreamError

        raise NoAudioStreamError(path=str(lesson.recording))
    print(msg("valid", lesson=lesson.id, n=len(lesson.sentences),
              langs=", ".join(lesson.languages), profiles=", ".join(lesson.profiles)))
    return 0


def _aligned(lesson_dir: Path, opts: Any) -> tuple[Any, Any]:
    """Ingest, transcribe (when a model exists) and align, printing each step."""
    from pipeline.steps import step_align, step_ingest, step_transcribe

    ingested = step_ingest(lesson_dir, opts, _print_report)
    transcript = step_transcribe(ingested, opts, _print_report)
    return ingested, step_align(ingested, transcript, opts, _print_report)


def cmd_align(args: argparse.Namespace) -> int:
    from pipeline.steps import ProduceOptions

    opts = ProduceOptions.from_settings(_settings(args))
    if args.asr_backend:
        opts = ProduceOptions.from_settings(replace(opts.settings, asr_backend=args.asr_backend))
    ingested, _ = _aligned(args.lesson_dir, opts)
    out = opts.settings.lesson_out(ingested.lesson.id)
    print(msg("aligned", path=out / "alignment.json"))
    print((out / "alignment-report.md").read_text(encoding="utf-8"))
    return 0


def cmd_translate(args: argparse.Namespace) -> int:
    from pipeline.steps import (
        ProduceOptions,
        step_subtitles,
        step_translate,
    )

    opts = ProduceOptions.from_settings(_settings(args), languages=_csv(args.languages))
    if args.mt_backend:
        opts = ProduceOptions.from_settings(replace(opts.settings, mt_backend=args.mt_backend),
                                            languages=opts.languages)
    ingested, alignment = _aligned(args.lesson_dir, opts)
    step_subtitles(ingested, alignment, opts.registry.source, opts, _print_report)
    for code in ingested.lesson.languages[1:]:
        step_translate(ingested, opts.registry.get(code), opts, _print_report)
    print(msg("translated", path=opts.settings.lesson_out(ingested.lesson.id) / "translations"))
    return 0


def cmd_glossary(args: argparse.Namespace) -> int:
    from pipeline.core.languages import load_registry
    from pipeline.translate.glossary import check_glossaries, export_tbx, import_tbx, load_glossary

    settings = _settings(args)
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
    n = import_tbx(args.file, settings.glossary_dir, args.lang, args.source)
    print(msg("imported", n=n, path=settings.glossary_dir / f"{args.lang}.csv"))
    return 0


def _storage_options(target: str) -> dict[str, Any]:
    """S3-compatible stores: the endpoint comes from $CAUNOI_S3_ENDPOINT (e.g. MinIO)."""
    endpoint = os.environ.get("CAUNOI_S3_ENDPOINT", "")
    if target.startswith("s3://") and endpoint:
        return {"client_kwargs": {"endpoint_url": endpoint}}
    return {}


def cmd_publish(args: argparse.Namespace) -> int:
    from pipeline.publish.distribute import publish

    settings = _settings(args)
    lesson = _lesson_id(str(args.lesson_dir))
    target = args.to or str(settings.out_dir / "published")
    result = publish(settings.lesson_out(lesson), target, list(_csv(args.languages) or []),
                     list(_csv(args.profiles) or []), hls=args.hls,
                     storage_options=_storage_options(target))
    print(msg("published", n=len(result.files), skipped=len(result.skipped), target=target))
    return 0


def cmd_bundle(args: argparse.Namespace) -> int:
    from pipeline.core.languages import load_registry
    from pipeline.publish.distribute import make_bundle

    settings = _settings(args)
    registry = load_registry(settings.glossary_dir)
    # Vietnamese always comes along, for the bilingual teachers who use the bundle.
    languages = list(dict.fromkeys([*(_csv(args.languages) or ()), "vi"]))
    for code in languages:
        registry.get(code, where="--languages")
    names = {c: f"{lang.name_native} ({lang.name_vi})" for c, lang in registry.languages.items()}
    outs = [settings.lesson_out(_lesson_id(str(d))) for d in args.lesson_dirs]
    folder, zip_path, notes = make_bundle(outs, languages, args.profile, args.to, names)
    for note in notes:
        print(f"  ! {note}")
    size = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
    print(msg("bundled", folder=folder, zip=zip_path, mb=size / 1024 / 1024))
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    from pipeline.publish.distribute import verify

    report = verify(args.path, _storage_options(args.path))
    for kind in ("missing", "corrupt", "extra"):
        for path in getattr(report, kind):
            print(f"{kind}: {path}", file=sys.stderr)
    print(msg("verified", n=report.checked, missing=len(report.missing),
              corrupt=len(report.corrupt), extra=len(report.extra)))
    return 0 if report.ok else 1


def cmd_flows(args: argparse.Namespace) -> int:
    """Server mode (needs PREFECT_API_URL): serve the deployment, start runs, inspect, resume."""
    settings = _settings(args)
    from flows.env import configure_prefect_env

    configure_prefect_env(settings.prefect_home)
    from flows import server

    if args.flows_cmd == "serve":
        print(msg("serving_flows", name=server.DEPLOYMENT), flush=True)
        server.produce_lesson_reviewed.serve(name="caunoi", limit=args.limit)
        return 0
    if args.flows_cmd == "run":
        from prefect.deployments import run_deployment

        run = run_deployment(server.DEPLOYMENT, timeout=0, parameters={
            "lesson_dir": str(args.lesson_dir.resolve()), "out_dir": str(settings.out_dir),
            "languages": list(_csv(args.languages) or []) or None,
            "profiles": list(_csv(args.profiles) or []) or None})
        print(run.id)  # type: ignore[union-attr]
        return 0
    if args.flows_cmd == "state":
        from uuid import UUID

        from prefect import get_client

        with get_client(sync_client=True) as client:
            state = client.read_flow_run(UUID(args.run_id)).state
        print(state.name if state else "UNKNOWN")
        return 0
    lesson = _lesson_id(args.lesson)
    resumed = server.resume_for_lesson(settings.out_dir, lesson, args.lang)
    print(msg("resumed" if resumed else "not_waiting", lesson=lesson))
    return 0 if resumed else 1


def cmd_languages(args: argparse.Namespace) -> int:
    from pipeline.core.languages import load_registry

    registry = load_registry(_settings(args).glossary_dir)
    for lang in registry.languages.values():
        name = lang.name_en if ui_language() == "en" else lang.name_vi
        print(f"{lang.code:5} {name:28} {lang.name_native:14} {'/'.join(lang.scripts):10} "
              f"{lang.font}")
    return 0


def cmd_models(args: argparse.Namespace) -> int:
    from pipeline.core.model_files import download_asr, download_mt, list_models

    settings = _settings(args)
    if args.models_cmd == "download":
        if args.mt:
            from pipeline.steps import _mt_options

            for fam in _csv(args.mt) or ():
                path = download_mt(_mt_options(settings), fam)
                print(msg("downloaded", path=path))
            if not args.asr_given:
                return 0
        path = download_asr(settings.model_dir, args.backend, args.asr)
        print(msg("downloaded", path=path))
        return 0
    models = list_models(settings.model_dir)
    if not models:
        print(msg("no_models", path=settings.model_dir))
    for m in models:
        print(f"{m.backend:15} {m.name:20} {m.bytes / 1e6:8.1f} MB  {m.path}")
    return 0


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

    def lesson_cmd(name: str, help_: str) -> argparse.ArgumentParser:
        sp = sub.add_parser(name, help=help_, description=help_)
        sp.add_argument("lesson_dir", type=Path, metavar="LESSON_DIR", help="thư mục bài học")
        sp.add_argument("--out", type=Path, default=None, help="thư mục kết quả (mặc định output/)")
        return sp

    sp = lesson_cmd("produce", "Sản xuất bài học: phụ đề + video nhẹ (produce a lesson)")
    sp.add_argument("--languages", help="ngôn ngữ, ví dụ vi,hmn,blt")
    sp.add_argument("--profiles", help="định dạng, ví dụ compat,tiny,modern,audio")
    sp.add_argument("--aligner", help="bộ căn chỉnh: auto, transcript, dtw, proportional")
    sp.add_argument("--no-prefect", action="store_true",
                    help="chạy thẳng không qua Prefect (gỡ lỗi)")
    sp.set_defaults(func=cmd_produce)

    sp = lesson_cmd("check", "Kiểm tra bài học, không tạo gì (validate a lesson)")
    sp.add_argument("--languages")
    sp.add_argument("--profiles")
    sp.set_defaults(func=cmd_check)

    sp = lesson_cmd("align", "Căn chỉnh kịch bản với lời thuyết minh (align script to narration)")
    sp.add_argument("--aligner", help="bộ căn chỉnh: auto, transcript, dtw, proportional")
    sp.add_argument("--asr-backend", choices=["openai-whisper", "faster-whisper"],
                    help="bộ nhận dạng giọng nói (ASR backend)")
    sp.set_defaults(func=cmd_align)

    sp = lesson_cmd("translate", "Dịch phụ đề sang các ngôn ngữ (translate the subtitles)")
    sp.add_argument("--languages", help="ngôn ngữ đích, ví dụ hmn,blt,km")
    sp.add_argument("--mt-backend", choices=["transformers", "ctranslate2"],
                    help="bộ dịch máy (MT backend)")
    sp.set_defaults(func=cmd_translate)

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

    sp = lesson_cmd("publish", "Xuất bản bài học đã duyệt (publish approved outputs)")
    sp.add_argument("--to", default=None,
                    help="thư mục hoặc URL fsspec, ví dụ s3://bucket/lessons (mặc định output/published)")
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

    sp = sub.add_parser("flows", help="Chế độ máy chủ Prefect: serve / run / state / resume")
    fsub = sp.add_subparsers(dest="flows_cmd", required=True, metavar="ACTION")
    fs = fsub.add_parser("serve", help="phục vụ deployment (serve the deployment)")
    fs.add_argument("--limit", type=int, default=2, help="số lượt chạy song song")
    fs.add_argument("--out", type=Path, default=None)
    fr = fsub.add_parser("run", help="bắt đầu một lượt chạy (start a run)")
    fr.add_argument("lesson_dir", type=Path, metavar="LESSON_DIR")
    fr.add_argument("--languages")
    fr.add_argument("--profiles")
    fr.add_argument("--out", type=Path, default=None)
    fst = fsub.add_parser("state", help="trạng thái lượt chạy (state of a run)")
    fst.add_argument("run_id")
    fre = fsub.add_parser("resume", help="tiếp tục lượt chạy đang chờ (resume a waiting run)")
    fre.add_argument("lesson", metavar="LESSON")
    fre.add_argument("--lang", required=True)
    fre.add_argument("--out", type=Path, default=None)
    sp.set_defaults(func=cmd_flows)

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

    sp = sub.add_parser("languages", help="Danh sách ngôn ngữ (language registry)")
    sp.set_defaults(func=cmd_languages)

    sp = sub.add_parser("models", help="Mô hình: list / download")
    msub = sp.add_subparsers(dest="models_cmd", required=True, metavar="ACTION")
    msub.add_parser("list", help="mô hình đã có (installed models)")
    dl = msub.add_parser("download", help="tải mô hình (cần Internet) / download models")
    dl.add_argument("--asr", default=None, help="tên mô hình Whisper (tiny, base, small...)")
    dl.add_argument("--mt", default=None, help="mô hình dịch: madlad, nllb (phân cách bằng dấu phẩy)")
    dl.add_argument("--backend", default="openai-whisper",
                    choices=["openai-whisper", "faster-whisper"])
    sp.set_defaults(func=cmd_models)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if getattr(args, "command", "") == "models" and args.models_cmd == "download":
        args.asr_given = args.asr is not None
        args.asr = args.asr or "small"
    if args.en:
        os.environ["CAUNOI_UI_LANG"] = "en"
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(name)s: %(message)s")
    try:
        return int(args.func(args))
    except CaunoiError as e:
        print(f"Lỗi: {e}" if ui_language() == "vi" else f"Error: {e}", file=sys.stderr)
        return e.exit_code
    except KeyboardInterrupt:
        print(msg("interrupted"), file=sys.stderr)
        return 130
    except OSError as e:
        if e.errno == errno.ENOSPC:
            err = DiskFullError(path=e.filename or "?")
            print(f"Lỗi: {err}" if ui_language() == "vi" else f"Error: {err}", file=sys.stderr)
            return err.exit_code
        raise


if __name__ == "__main__":
    raise SystemExit(main())
