"""``caunoi voice import|export|status`` (recordings made offline with a phone's recorder app)
and ``caunoi review approve`` (for reviewers who translate in a CAT tool)."""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path
from typing import Any

from flows.cli.common import lesson_id, review_store
from pipeline.core.config import Settings
from pipeline.core.i18n import t

__all__ = ["cmd_review_approve", "register", "register_review_approve"]


def _store(settings: Settings) -> Any:
    from pipeline.core.languages import load_registry
    from pipeline.review.checks import Checker

    store = review_store(settings)
    store.checker = Checker(load_registry(settings.glossary_dir), settings.glossary_dir)
    return store


def cmd_review_approve(args: argparse.Namespace, settings: Settings) -> int:
    """Approve every cue whose checks show no error, then the language, as ``--user``."""
    store = _store(settings)
    lesson = lesson_id(args.lesson)
    store.require(args.user, args.lang, "approve")
    done = store.approve_clean(args.user, lesson, args.lang)
    whole = store.approve_language(args.user, lesson, args.lang, settings.tm_path)
    approved, total = store.progress(lesson, args.lang)
    print(t("voice.cli_approved", cues=len(done), approved=approved, total=total))
    if not whole:
        print(t("voice.cli_language_open", lang=args.lang, left=total - approved),
              file=sys.stderr)
        return 1
    print(t("voice.cli_language_approved", lang=args.lang))
    return 0


def _import(args: argparse.Namespace, settings: Settings) -> int:
    from pipeline.core.types import Sentence
    from pipeline.review.recordings import SentenceNotApprovedError, slot_ms
    from pipeline.voice.check import RecordingLimits, check_recording
    from pipeline.voice.importer import plan_import

    store = _store(settings)
    lesson = lesson_id(args.lesson)
    store.require(args.user, args.lang, "record")
    if args.approve:  # before anything is checked or stored
        store.require(args.user, args.lang, "approve")
    views = store.recordings.sentences(lesson, args.lang)
    plan = plan_import(args.src, [Sentence(v.sentence.number - 1, "", v.sentence.source,
                                           v.sentence.key) for v in views])
    waiting = [v.sentence.number for v in views if not v.sentence.approved]
    if waiting:  # nothing is checked or stored before every text can be read
        raise SentenceNotApprovedError(number=waiting[0])
    checked = []
    for item in plan.items:  # every file is checked before any is stored
        limits = RecordingLimits(slot_ms=slot_ms(views, item.number))
        checked.append((item, check_recording(item.path, limits)))
    if args.consent:
        store.recordings.consent(args.user, args.name or "")
    for item, info in checked:
        store.recordings.store(args.user, lesson, args.lang, item.sentence_id, item.path,
                               info, settings.out_dir)
        if args.approve:
            store.recordings.decide(args.user, lesson, args.lang, item.sentence_id, True)
    print(t("voice.cli_imported", n=len(checked), lang=args.lang, lesson=lesson))
    return _status(store, lesson, [args.lang])


def _status(store: Any, lesson: str, langs: list[str]) -> int:
    for lang in langs:
        views = store.recordings.sentences(lesson, lang)
        done = sum(v.done for v in views)
        stale = [v.sentence.number for v in views if v.stale]
        missing = [v.sentence.number for v in views if v.recording is None]
        print(t("voice.cli_status", lang=lang, done=done, total=len(views),
                recorded=len(views) - len(missing), stale=len(stale),
                missing=", ".join(map(str, missing)) or "-"))
    return 0


def _export(args: argparse.Namespace, settings: Settings) -> int:
    store = review_store(settings)
    lesson = lesson_id(args.lesson)
    args.dst.mkdir(parents=True, exist_ok=True)
    n = 0
    for view in store.recordings.sentences(lesson, args.lang):
        rec = view.recording
        if rec is None or not Path(rec.file).is_file():
            continue
        shutil.copyfile(rec.file, args.dst / f"{view.sentence.number}{Path(rec.file).suffix}")
        n += 1
    print(t("voice.cli_exported", n=n, path=args.dst))
    return 0


def cmd_voice(args: argparse.Namespace, settings: Settings) -> int:
    if args.voice_cmd == "import":
        return _import(args, settings)
    if args.voice_cmd == "export":
        return _export(args, settings)
    store = review_store(settings)
    lesson = lesson_id(args.lesson)
    return _status(store, lesson, [args.lang] if args.lang else store.languages_of(lesson))


def register(sub: Any) -> None:
    sp = sub.add_parser("voice", help="Giọng đọc theo từng câu: import / export / status "
                                      "(voice recordings per sentence)")
    vsub = sp.add_subparsers(dest="voice_cmd", required=True, metavar="ACTION")
    im = vsub.add_parser("import", help="nhập thư mục bản ghi 1.wav, 02.m4a … "
                                        "(import a folder of recordings named by number)")
    ex = vsub.add_parser("export", help="xuất bản ghi ra thư mục (export the recordings)")
    st = vsub.add_parser("status", help="bao nhiêu câu đã có giọng (how many have a voice)")
    for p in (im, ex, st):
        p.add_argument("lesson", metavar="LESSON_DIR", help="thư mục hoặc mã bài học")
        p.add_argument("--out", type=Path, default=None)
    im.add_argument("--lang", required=True)
    ex.add_argument("--lang", required=True)
    st.add_argument("--lang", default=None)
    im.add_argument("--from", dest="src", type=Path, required=True, metavar="DIR")
    im.add_argument("--user", required=True, help="người đọc (the speaker's account)")
    im.add_argument("--approve", action="store_true",
                    help="duyệt luôn, USER phải là người duyệt (approve as USER, a reviewer)")
    im.add_argument("--consent", action="store_true",
                    help="người đọc đã đồng ý cho dùng giọng (the speaker agreed)")
    im.add_argument("--name", default=None, help="tên người đọc muốn ghi (credited name)")
    ex.add_argument("--to", dest="dst", type=Path, required=True, metavar="DIR")
    sp.set_defaults(func=cmd_voice)


def register_review_approve(rsub: Any) -> None:
    ap = rsub.add_parser("approve", help="duyệt mọi câu không lỗi rồi cả ngôn ngữ "
                                         "(approve every clean cue, then the language)")
    ap.add_argument("lesson", metavar="LESSON_ID", help="mã bài học hoặc thư mục bài học")
    ap.add_argument("--lang", required=True)
    ap.add_argument("--user", required=True, help="người duyệt (the reviewer)")
    ap.add_argument("--out", type=Path, default=None)
