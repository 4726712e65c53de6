"""Messages of voice recording: the speaker's and the reviewer's pages and ``caunoi voice``
(registered under the prefix ``voice``)."""

from __future__ import annotations

from pipeline.core.i18n import register_catalogue

__all__ = ["VOICE"]

VOICE: dict[str, tuple[str, str]] = {
    # flows/cli/voice.py
    "cli_approved": ("Đã duyệt thêm {cues} câu ({approved}/{total} câu đã duyệt).",
                     "Approved {cues} more cues ({approved}/{total} approved)."),
    "cli_language_open": ("Chưa duyệt được cả ngôn ngữ {lang}: còn {left} câu có lỗi kiểm tra hoặc chưa dịch; hãy sửa trên trang duyệt.",
                          "The whole of {lang} is not approved yet: {left} cues still have check errors or no translation; fix them on the review page."),
    "cli_language_approved": ("Đã duyệt cả ngôn ngữ {lang}.", "The whole of {lang} is approved."),
    "cli_imported": ("Đã nhập {n} bản ghi giọng {lang} cho bài {lesson}.",
                     "Imported {n} {lang} voice recordings for lesson {lesson}."),
    "cli_exported": ("Đã xuất {n} bản ghi vào {path}.", "Exported {n} recordings to {path}."),
    "cli_status": ("{lang}: {done}/{total} câu đã có giọng được duyệt; {recorded} câu đã ghi, {stale} câu cũ (bản dịch đã đổi); chưa ghi: {missing}",
                   "{lang}: {done}/{total} sentences have an approved voice; {recorded} recorded, {stale} stale (the translation changed); not recorded: {missing}"),
    # pipeline/review/web_voice.py and templates/voice*.html
    "record_title": ("Ghi giọng đọc", "Record the voice"),
    "review_title": ("Duyệt giọng đọc", "Review the voices"),
    "progress": ("{done}/{total} câu đã có giọng", "{done}/{total} sentences have a voice"),
    "need_voice": ("Còn {n} câu cần giọng đọc", "{n} sentences still need a voice"),
    "sentence": ("Câu {n}", "Sentence {n}"),
    "vi_clip": ("Nghe tiếng Việt", "Listen to the Vietnamese"),
    "your_voice": ("Giọng đã ghi", "Recorded voice"),
    "record": ("Ghi âm", "Record"),
    "stop": ("Dừng", "Stop"),
    "send": ("Gửi bản ghi", "Send the recording"),
    "rerecord": ("Ghi lại", "Record again"),
    "next": ("Câu tiếp", "Next sentence"),
    "file_hint": ("Chọn hoặc ghi một tệp âm thanh đọc đúng câu này.",
                  "Choose or record an audio file reading exactly this sentence."),
    "consent_label": ("Tôi đồng ý cho dùng giọng của tôi trong video và tệp nghe của bài học, với tên:",
                      "I agree that my voice is used in the lesson's videos and audio files, with the name:"),
    "consent_save": ("Đồng ý", "I agree"),
    "not_approved": ("Câu này chưa được duyệt bản dịch.", "This sentence's translation is not approved yet."),
    "too_big": ("Tệp quá lớn (tối đa {mb} MB): hãy chỉ ghi câu này.", "The file is too large (at most {mb} MB): record only this sentence."),
    "rejected_by": ("{by} từ chối bản ghi này: {reason}", "{by} rejected this recording: {reason}"),
    "saved": ("Đã lưu bản ghi.", "The recording is saved."),
    "status_recorded": ("chờ duyệt", "waiting for review"),
    "status_approved": ("đã duyệt", "approved"),
    "status_rejected": ("bị từ chối", "rejected"),
    "stale": ("cũ: bản dịch đã đổi, cần ghi lại", "stale: the translation changed, record it again"),
    "reason": ("Lý do", "Reason"),
    "approve": ("Duyệt", "Approve"),
    "reject": ("Từ chối", "Reject"),
    "by": ("Người đọc: {name}", "Speaker: {name}"),
    "none": ("Chưa có bản ghi.", "Not recorded yet."),
    "open_record": ("Ghi giọng", "Record voice"),
    "open_review": ("Duyệt giọng", "Review voices"),
}

register_catalogue("voice", VOICE)
