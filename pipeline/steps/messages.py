"""The step plan's own report lines that are not the core ``step.*`` ones (issue 31's
follow-up: an alignment kept when only the installed models changed)."""

from __future__ import annotations

from pipeline.core.i18n import register_catalogue

__all__ = ["STEPS_NOTES"]

STEPS_NOTES: dict[str, tuple[str, str]] = {
    "align_kept": (
        "{path} (giữ bản căn của {used}: kịch bản và bản ghi không đổi; bản căn tốt hơn "
        "{better} nay đã dùng được — muốn căn lại thì chạy 'caunoi produce LESSON_DIR "
        "--realign': mọi ngôn ngữ đã duyệt được dựng lại trong cùng lần chạy)",
        "{path} (kept the {used} alignment: the script and recording did not change; the "
        "better aligner {better} can now run — to re-align on purpose, run 'caunoi produce "
        "LESSON_DIR --realign': every approved language is re-rendered in the same run)"),
    "align_kept_same": (
        "{path} (giữ bản căn của {used}: kịch bản và bản ghi không đổi)",
        "{path} (kept the {used} alignment: the script and recording did not change)"),
    "realign_all_languages": (
        "--realign căn lại cả bài: mọi ngôn ngữ đã duyệt đều phải dựng lại, nên không dùng "
        "cùng --languages.",
        "--realign re-aligns the whole lesson: every approved language must be rendered "
        "again, so it does not go with --languages."),
    "finals_outdated": (
        "{path} (video cuối đã cũ của ngôn ngữ ngoài lần chạy này được chuyển sang {folder}/, "
        "không phát hành: {files})",
        "{path} (stale finals of languages outside this run moved to {folder}/, not "
        "published: {files})"),
}

register_catalogue("steps", STEPS_NOTES)
