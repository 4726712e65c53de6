"""Interface strings of the review pages: Vietnamese first, English switchable (?ui=en)."""

from __future__ import annotations

STRINGS: dict[str, tuple[str, str]] = {
    "app": ("Cầu Nối — duyệt bản dịch", "Cầu Nối — translation review"),
    "signin": ("Đăng nhập", "Sign in"),
    "signout": ("Đăng xuất", "Sign out"),
    "username": ("Tên đăng nhập", "Username"),
    "password": ("Mật khẩu", "Password"),
    "bad_login": ("Sai tên đăng nhập hoặc mật khẩu.", "Wrong username or password."),
    "too_many": ("Sai quá nhiều lần. Hãy đợi 5 phút rồi thử lại.",
                 "Too many failed attempts. Wait 5 minutes and try again."),
    "my_work": ("Bài học cần duyệt", "Lessons to review"),
    "no_work": ("Chưa có bài học nào cho ngôn ngữ của bạn.", "No lessons for your languages yet."),
    "approved_cues": ("câu đã duyệt", "cues approved"),
    "lang_approved": ("Đã duyệt xong", "Approved"),
    "waiting": ("Đang chờ duyệt", "Waiting for review"),
    "vietnamese": ("Tiếng Việt", "Vietnamese"),
    "translation": ("Bản dịch", "Translation"),
    "save": ("Lưu", "Save"),
    "approve": ("Duyệt", "Approve"),
    "reject": ("Chưa đạt", "Reject"),
    "watch": ("Xem video tại đây", "Watch this moment"),
    "history": ("Lịch sử", "History"),
    "origin": ("Nguồn", "Origin"),
    "state_draft": ("nháp", "draft"),
    "state_approved": ("đã duyệt", "approved"),
    "state_rejected": ("chưa đạt", "rejected"),
    "approve_all": ("Duyệt toàn bộ ngôn ngữ này", "Approve this whole language"),
    "approve_all_wait": ("Duyệt từng câu trước, rồi mới duyệt toàn bộ.",
                         "Approve every cue first, then the whole language."),
    "saved": ("Đã lưu.", "Saved."),
    "conflict": ("Người khác đã sửa câu này trước bạn. Bản hiện tại ở dưới; bản của bạn vẫn còn "
                 "trong ô để bạn sửa lại và lưu.",
                 "Someone else changed this cue first. The current text is below; yours is kept "
                 "in the box so you can merge and save again."),
    "current": ("Bản hiện tại", "Current text"),
    "yours": ("Bản của bạn", "Your text"),
    "forbidden": ("Bạn không có quyền làm việc này.", "You are not allowed to do this."),
    "comment": ("Góp ý", "Comment"),
    "send": ("Gửi", "Send"),
    "propose": ("Đề xuất thuật ngữ", "Propose a term"),
    "term_vi": ("Thuật ngữ tiếng Việt", "Vietnamese term"),
    "term_target": ("Cách dịch", "Translation"),
    "note": ("Ghi chú", "Note"),
    "proposals": ("Thuật ngữ đề xuất", "Proposed terms"),
    "accept": ("Nhận", "Accept"),
    "decline": ("Bỏ", "Decline"),
    "back": ("Quay lại", "Back"),
    "page": ("Trang", "Page"),
    "qa": ("Cảnh báo", "Warnings"),
    "language_approved_msg": ("Ngôn ngữ này đã được duyệt.", "This language is approved."),
    "other_ui": ("English", "Tiếng Việt"),
    "empty": ("(chưa có bản dịch)", "(no translation yet)"),
}


def t(key: str, ui: str) -> str:
    vi, en = STRINGS[key]
    return en if ui == "en" else vi
