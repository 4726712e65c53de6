"""Messages of the cue and lesson pages added for issue 31 (who does what on a phone):
registered under the prefix ``cue`` when the cue page's module is imported."""

from __future__ import annotations

from pipeline.core.i18n import register_catalogue

__all__ = ["CUE"]

CUE: dict[str, tuple[str, str]] = {
    "state_empty": ("chưa dịch", "untranslated"),
    "still_no_text": ("Chưa có bản dịch nên hình chưa có phụ đề. Gõ bản dịch vào ô ở trên để "
                      "xem trước.",
                      "No translation yet, so the picture has no subtitle. Type one in the box "
                      "above to preview it."),
    "next": ("Sang câu tiếp", "Next cue"),
    "save_change": ("Lưu thay đổi (sẽ cần duyệt lại)", "Save the change (it needs review again)"),
    "approved_note": ("Câu này đã duyệt. Sửa chữ thì câu cần duyệt lại.",
                      "This cue is approved. Changing its text sends it back for review."),
    "terms_missing": ("Thuật ngữ chưa có cách dịch trong bảng thuật ngữ: {terms}. Hãy đề xuất "
                      "cách dịch ở cuối trang.",
                      "Terms with no translation in the glossary yet: {terms}. Propose one at "
                      "the bottom of the page."),
    "wait_translation": ("{n} câu chờ người dịch", "{n} cues waiting for a translator"),
    "wait_review": ("{n} câu chờ duyệt", "{n} cues waiting for review"),
    "wait_language": ("Mọi câu đã duyệt: chờ người duyệt duyệt cả ngôn ngữ",
                      "Every cue approved: waiting for the reviewer to approve the language"),
    # What reviewers and managers read says who to ask; the command is for administrators.
    "no_reviewer": ("Chưa ai được giao duyệt {lang}: các câu sẽ chờ mãi. Hãy nhờ người quản "
                    "trị hệ thống giao việc duyệt ngôn ngữ này cho một người.",
                    "Nobody reviews {lang} yet, so these cues will wait for ever: ask the "
                    "system administrator to give someone the reviewer role for this "
                    "language."),
    "next_later": ("Đã duyệt. Video cuối của ngôn ngữ này được dựng ở lần chạy tới của bài "
                   "học: hãy báo người quản trị hệ thống.",
                   "Approved. The final video of this language is made at the lesson's next "
                   "run: tell the system administrator."),
    "admin_command": ("Lệnh (người quản trị): {cmd}", "Command (administrators): {cmd}"),
}

register_catalogue("cue", CUE)
