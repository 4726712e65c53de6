"""``caunoi produce | check | align | translate``: the step plan, whole or a prefix."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flows.cli.common import csv_list, msg, print_report
from pipeline.core.config import Settings
from pipeline.core.i18n import t

if TYPE_CHECKING:
    from pipeline.core.types import Lesson

__all__ = ["register"]


def cmd_produce(args: argparse.Namespace, settings: Settings) -> int:
    from pipeline.steps import ProduceOptions, ProduceResult, produce

    languages, profiles = csv_list(args.languages), csv_list(args.profiles)
    if args.realign and languages:
        # A re-alignment makes every approved language's final stale: all are rendered again.
        print(t("steps.realign_all_languages"), file=sys.stderr)
        return 2
    started = time.monotonic()
    result: ProduceResult
    if args.no_prefect:
        result = produce(args.lesson_dir, ProduceOptions(settings, languages, profiles,
                                                         realign=args.realign), print_report)
    else:
        from flows.env import configure_prefect_env

        _validate(args, settings)  # bad input refused in a second, before Prefect starts
        configure_prefect_env(settings.prefect_home)
        from flows.produce import produce_lesson

        result = produce_lesson(args.lesson_dir, settings, languages, profiles,
                                realign=args.realign)
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


def cmd_check(args: argparse.Namespace, settings: Settings) -> int:
    """Every input and every limit; the audio is decoded to a temporary file only."""
    lesson = _validate(args, settings)
    if lesson.script_numbers_removed:
        print(msg("numbers_removed", n=lesson.script_numbers_removed, path=args.lesson_dir))
    print(msg("valid", lesson=lesson.id, n=len(lesson.sentences),
              langs=", ".join(lesson.languages), profiles=", ".join(lesson.profiles)))
    return 0


def _validate(args: argparse.Namespace, settings: Settings) -> Lesson:
    """The lesson, its glossaries and its recording (probe and audio decode) against every
    limit: a truncated recording probes fine and was found only after Prefect started."""
    from pipeline.core.languages import load_registry
    from pipeline.core.limits import check_glossary_files
    from pipeline.core.media import probe
    from pipeline.ingest import check_audio_decodes, check_media, load_lesson
    from pipeline.steps.options import ingest_options

    opts = ingest_options(settings, csv_list(args.languages), csv_list(args.profiles))
    limits = opts.limits
    lesson = load_lesson(args.lesson_dir, load_registry(settings.glossary_dir), opts)
    check_glossary_files(settings.glossary_dir, lesson.languages, limits)
    media = probe(lesson.recording)
    check_media(lesson, media, limits)
    check_audio_decodes(lesson.recording, media, limits, settings.ffmpeg)
    return lesson


def _run_until(lesson_dir: Path, settings: Settings, until: str,
               languages: tuple[str, ...] | None = None) -> Any:
    """The plan up to ``until``, without Prefect, printing each step."""
    from pipeline.steps import PLAN, LessonRun, ProduceOptions, run_plan

    run = LessonRun(lesson_dir, ProduceOptions(settings, languages, renders=False), print_report)
    return run_plan(run, PLAN, until=until)


def cmd_align(args: argparse.Namespace, settings: Settings) -> int:
    run = _run_until(args.lesson_dir, settings, "align")
    print(msg("aligned", path=run.out / "alignment.json"))
    print((run.out / "alignment-report.md").read_text(encoding="utf-8"))
    return 0


def cmd_translate(args: argparse.Namespace, settings: Settings) -> int:
    run = _run_until(args.lesson_dir, settings, "translate", csv_list(args.languages))
    print(msg("translated", path=run.out / "translations"))
    return 0


def cmd_draft_script(args: argparse.Namespace, settings: Settings) -> int:
    """Draft ``script.md`` from the recording's transcript (needs the Whisper model)."""
    from pipeline.core.storage import atomic_write_text
    from pipeline.ingest import draftable_recording
    from pipeline.speech.draft import draft_lesson
    from pipeline.steps.options import ingest_options, transcribe_options

    draftable_recording(args.lesson_dir, ingest_options(settings).limits)
    text = draft_lesson(args.lesson_dir, transcribe_options(settings), settings.ffmpeg)
    if args.out is None:
        print(text, end="")
        return 0
    atomic_write_text(args.out, text)
    print(msg("drafted", path=args.out))
    return 0


def _lesson_parser(sub: Any, name: str, help_: str) -> argparse.ArgumentParser:
    sp: argparse.ArgumentParser = sub.add_parser(name, help=help_, description=help_)
    sp.add_argument("lesson_dir", type=Path, metavar="LESSON_DIR", help="thư mục bài học")
    sp.add_argument("--out", type=Path, default=None, help="thư mục kết quả (mặc định output/)")
    return sp


def register(sub: Any) -> None:
    """Add the lesson subcommands to the top-level parser's subparsers."""
    from pipeline.speech.align import ALIGNERS
    from pipeline.speech.transcribe import BACKENDS
    from pipeline.translate.mt import BACKENDS as MT_BACKENDS

    aligners = ["auto", *ALIGNERS]
    sp = _lesson_parser(sub, "produce", "Sản xuất bài học: phụ đề + video nhẹ (produce a lesson)")
    sp.add_argument("--languages", help="ngôn ngữ, ví dụ vi,hmn,blt")
    sp.add_argument("--profiles", help="định dạng, ví dụ compat,tiny,modern,audio")
    sp.add_argument("--aligner", choices=aligners, help="bộ căn chỉnh (aligner)")
    sp.add_argument("--realign", action="store_true",
                    help="căn lại dù kịch bản và bản ghi không đổi (sau khi cài mô hình); "
                         "dựng lại mọi ngôn ngữ đã duyệt (re-align on purpose)")
    sp.add_argument("--no-prefect", action="store_true",
                    help="chạy thẳng không qua Prefect (gỡ lỗi)")
    sp.set_defaults(func=cmd_produce)

    sp = _lesson_parser(sub, "check", "Kiểm tra bài học, không tạo gì (validate a lesson)")
    sp.add_argument("--languages")
    sp.add_argument("--profiles")
    sp.set_defaults(func=cmd_check)

    sp = _lesson_parser(sub, "align",
                        "Căn chỉnh kịch bản với lời thuyết minh (align script to narration)")
    sp.add_argument("--aligner", choices=aligners, help="bộ căn chỉnh (aligner)")
    sp.add_argument("--asr-backend", choices=sorted(BACKENDS),
                    help="bộ nhận dạng giọng nói (ASR backend)")
    sp.set_defaults(func=cmd_align)

    sp = sub.add_parser("draft-script", help="Kịch bản nháp từ bản ghi âm (draft a script)",
                        description="Kịch bản nháp từ bản ghi âm, mỗi câu một dòng, để sửa lại "
                                    "(a draft script.md from the recording, one sentence a line)")
    sp.add_argument("lesson_dir", type=Path, metavar="LESSON_DIR", help="thư mục bài học")
    sp.add_argument("--out", type=Path, default=None,
                    help="tệp kết quả, ví dụ LESSON_DIR/script.md (mặc định: in ra màn hình)")
    sp.set_defaults(func=cmd_draft_script)

    sp = _lesson_parser(sub, "translate", "Dịch phụ đề sang các ngôn ngữ (translate the subtitles)")
    sp.add_argument("--languages", help="ngôn ngữ đích, ví dụ hmn,blt,km")
    sp.add_argument("--mt-backend", choices=sorted(MT_BACKENDS), help="bộ dịch máy (MT backend)")
    sp.set_defaults(func=cmd_translate)
