"""Every user-facing string, in Vietnamese (the default) and English.

One catalogue per area (``WEB`` for the review pages, ``CLI`` for the command line,
``STEPS`` for the lines a run prints); :func:`t` looks a key up in the language chosen by
``Settings.ui_lang`` (applied with :func:`set_ui_language`), ``--en`` or ``?ui=en`` on a page.
Every catalogue is registered under its key prefix (:func:`register_catalogue`, the one
registry ``tests/test_messages.py`` reads); errors name their entry (``ERRORS``, in
``pipeline.core.i18n_errors``) with a ``key`` class attribute. :func:`pick` only chooses
between two values that are data (a language's two names), never between literal texts.
"""

from __future__ import annotations

import os

from pipeline.core.i18n_errors import ERRORS

__all__ = ["BUNDLE", "CATALOG", "CATALOGUES", "CLI", "ERRORS", "QA", "RENDER", "REVIEW", "STEPS",
           "WEB", "pick", "register_catalogue", "set_ui_language", "t", "ui_language"]

_UI_LANG: str | None = None
#: The languages every message exists in.
UI_LANGUAGES = ("vi", "en")


def set_ui_language(lang: str | None) -> None:
    """Fix the language of messages for this process (None: back to the environment)."""
    global _UI_LANG
    _UI_LANG = None if lang is None else _normalise(lang)


def _normalise(lang: str) -> str:
    return "en" if lang.strip().lower().startswith("en") else "vi"


def ui_language() -> str:
    """``vi`` (default) or ``en``: set_ui_language(), else ``$CAUNOI_UI_LANG``."""
    if _UI_LANG is not None:
        return _UI_LANG
    return _normalise(os.environ.get("CAUNOI_UI_LANG", "vi") or "vi")


def pick(vi: str, en: str, lang: str | None = None) -> str:
    """The Vietnamese or the English text, for ``lang`` or the process's language."""
    return en if _normalise(lang or ui_language()) == "en" else vi


WEB: dict[str, tuple[str, str]] = {
    "bad_request": ("Yêu cầu không hợp lệ.", "This request is not valid."),
    "internal_error": ("Đã có lỗi bên trong. Hãy thử lại sau; nếu vẫn lỗi, hãy báo quản trị viên.",
                       "Something went wrong inside. Try again later; if it persists, tell the administrator."),
    "app": ("Cầu Nối — duyệt bản dịch", "Cầu Nối — translation review"),
    "signin": ("Đăng nhập", "Sign in"),
    "signout": ("Đăng xuất", "Sign out"),
    "username": ("Tên đăng nhập", "Username"),
    "password": ("Mật khẩu", "Password"),
    "bad_login": ("Sai tên đăng nhập hoặc mật khẩu.", "Wrong username or password."),
    "login_again": ("Trang đăng nhập đã mở quá lâu (hoặc đã mở lại ở thẻ khác): hãy nhập mật khẩu và đăng nhập lại.",
                    "This sign-in page was open too long (or opened again in another tab): enter your password and sign in again."),
    "too_many": ("Sai quá nhiều lần. Hãy đợi 5 phút rồi thử lại.",
                 "Too many failed attempts. Wait 5 minutes and try again."),
    "my_work": ("Bài học cần duyệt", "Lessons to review"),
    "my_lessons": ("Bài học của bạn", "Your lessons"),
    "no_work": ("Chưa có bài học nào cho ngôn ngữ của bạn.", "No lessons for your languages yet."),
    "approved_cues": ("câu đã duyệt", "cues approved"),
    "lang_approved": ("Đã duyệt xong", "Approved"),
    "translation": ("Bản dịch", "Translation"),
    "save": ("Lưu", "Save"),
    "approve": ("Duyệt", "Approve"),
    "reject": ("Chưa đạt", "Reject"),
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
    "conflict_self": ("Câu này đã được lưu ở nơi khác (có thể là một thẻ khác) trước bạn. Bản hiện "
                      "tại ở dưới; bản của bạn vẫn còn trong ô để bạn sửa lại và lưu.",
                      "This cue was saved elsewhere (perhaps another tab) before this save. The "
                      "current text is below; yours is kept in the box so you can merge and "
                      "save again."),
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
    "back_home": ("Về trang chính", "Back to the home page"),
    # An error page's detail for administrators only (the setting that raises a limit).
    "admin_detail": ("Chi tiết (người quản trị): {detail}", "Details (administrators): {detail}"),
    "page": ("Trang", "Page"),
    "language_approved_msg": ("Ngôn ngữ này đã được duyệt.", "This language is approved."),
    "other_ui": ("English", "Tiếng Việt"),
    "empty": ("(chưa có bản dịch)", "(no translation yet)"),
}

CLI: dict[str, tuple[str, str]] = {
    "deployed": ("Đã tạo deployment {name}", "Deployment {name} created"),
    "server_ready": ("Máy chủ Prefect: {url} (nhóm máy chạy việc: {pool}). Trên mỗi máy chạy việc: PREFECT_API_URL={url} caunoi worker. Ctrl+C để dừng.",
                     "Prefect server: {url} (work pool: {pool}). On each worker machine: PREFECT_API_URL={url} caunoi worker. Ctrl+C to stop."),
    "worker": ("Máy chạy việc cho nhóm {pool} tại {url}, tối đa {limit} lượt cùng lúc. Ctrl+C để dừng.",
               "Worker for pool {pool} at {url}, at most {limit} runs at once. Ctrl+C to stop."),
    "worker_disk_full": ("Ổ đĩa của máy này đã đầy trong một lượt chạy: máy không nhận việc thêm trong {seconds} giây (hoặc đến khi xoá {marker}); lượt chạy đó sẽ chạy lại trên máy khác.",
                         "This machine's disk filled during a run: it takes no runs for {seconds} s (or until {marker} is deleted); that run will run again on another machine."),
    "done": ("Xong bài học {lesson} sau {seconds:.1f} giây. Kết quả ở: {out}",
             "Lesson {lesson} done in {seconds:.1f} s. Results are in: {out}"),
    "manifest": ("Danh mục tệp: {path}", "File manifest: {path}"),
    "pending": ("Bản dịch nháp chờ duyệt (translations/<ngôn ngữ>.json, .xlf cho người dịch): {langs}",
                "Draft translations awaiting review (translations/<lang>.json, .xlf for translators): {langs}"),
    "skipped": ("bỏ qua, không đổi", "skipped, unchanged"),
    "valid": ("Bài học hợp lệ: {lesson} ({n} câu, ngôn ngữ: {langs}, định dạng: {profiles})",
              "Lesson is valid: {lesson} ({n} sentences, languages: {langs}, profiles: {profiles})"),
    "numbers_removed": ("Đã bỏ số thứ tự ở đầu {n} dòng kịch bản ({path}): người thuyết minh không đọc chúng, nên chúng không vào phụ đề.",
                        "Removed the list numbers at the start of {n} script lines ({path}): the narrator does not say them, so they stay out of the subtitles."),
    "no_models": ("Chưa có mô hình nào trong {path}.", "No models in {path}."),
    "downloaded": ("Đã tải mô hình về {path}", "Model downloaded to {path}"),
    "aligned": ("Đã căn chỉnh: {path}", "Aligned: {path}"),
    "translated": ("Bản dịch nháp ở: {path}", "Draft translations are in: {path}"),
    "drafted": ("Kịch bản nháp ở: {path} (hãy sửa lại trước khi sản xuất)",
                "Draft script in: {path} (correct it before production)"),
    "approved": ("Đã duyệt, đã dựng video: {langs}", "Approved and rendered: {langs}"),
    "password_prompt": ("Mật khẩu cho {user}: ", "Password for {user}: "),
    "password_short": ("Mật khẩu cần ít nhất 8 ký tự.", "The password needs at least 8 characters."),
    "user_added": ("Đã tạo người dùng {user}: {langs}{admin}",
                   "User {user} created: {langs}{admin}"),
    "serving": ("Trang duyệt bản dịch: {url} (Ctrl+C để dừng)",
                "Review pages: {url} (Ctrl+C to stop)"),
    "import_report": ("Đã áp dụng {applied} câu, {unchanged} không đổi, {conflicts} xung đột.",
                      "Applied {applied} cues, {unchanged} unchanged, {conflicts} conflicts."),
    "import_conflict": ("Xung đột câu {cue}: bản hiện tại (phiên bản {version}) là «{current}», bản nhập «{yours}» chưa được lưu.",
                        "Conflict on cue {cue}: the current text (version {version}) is «{current}»; the imported «{yours}» was not saved."),
    "glossary_ok": ("Bảng thuật ngữ hợp lệ ({path}).", "Glossaries are valid ({path})."),
    "glossary_bad": ("{n} lỗi trong bảng thuật ngữ ({path}), xem ở trên.",
                     "{n} problems in the glossaries ({path}), listed above."),
    "exported": ("Đã xuất {n} thuật ngữ ra {path}", "Exported {n} terms to {path}"),
    "published": ("Đã xuất bản {n} tệp ({skipped} tệp không đổi) tới {target}",
                  "Published {n} files ({skipped} unchanged) to {target}"),
    "bundled": ("Gói mang đi: {folder} và {zip} ({mb:.1f} MB). Mở index.html trong trình duyệt.",
                "Offline bundle: {folder} and {zip} ({mb:.1f} MB). Open index.html in a browser."),
    "verified": ("Đã kiểm tra {n} tệp: {missing} thiếu, {corrupt} hỏng, {extra} thừa.",
                 "Checked {n} files: {missing} missing, {corrupt} corrupt, {extra} extra."),
    "verify_unsafe": ("không an toàn", "unsafe"),
    "verify_invalid": ("danh mục không hợp lệ", "invalid manifest"),
    "verify_missing": ("thiếu", "missing"),
    "verify_corrupt": ("hỏng", "corrupt"),
    "verify_extra": ("thừa", "extra"),
    "verified_unsafe": ("{n} mục không an toàn hoặc không hợp lệ (xem ở trên).",
                        "{n} unsafe or invalid entries (listed above)."),
    "serving_flows": ("Đang phục vụ {name} (máy chủ Prefect: PREFECT_API_URL). Ctrl+C để dừng.",
                      "Serving {name} (Prefect server: PREFECT_API_URL). Ctrl+C to stop."),
    "resumed": ("Đã tiếp tục lượt chạy đang chờ duyệt của {lesson}.",
                "Resumed the run of {lesson} that was waiting for review."),
    "not_waiting": ("Không có lượt chạy nào của {lesson} đang chờ duyệt.",
                    "No run of {lesson} is waiting for review."),
    "exported_cues": ("Đã xuất {n} câu phụ đề ra {path}", "Exported {n} cues to {path}"),
    "imported": ("Đã thêm {n} thuật ngữ (đề xuất) vào {path}",
                 "Added {n} proposed terms to {path}"),
}

#: One message per quality check (``pipeline.translate.qa.CHECKS``): what is wrong and
#: what to fix, in plain words.
QA: dict[str, tuple[str, str]] = {
    "empty": ("Chưa có bản dịch. Hãy viết bản dịch cho câu này.",
              "There is no translation. Write the translation of this line."),
    "untranslated": ("Bản dịch giống hệt câu tiếng Việt. Hãy dịch câu này.",
                     "The translation is the same as the Vietnamese. Translate this line."),
    "numbers": ("Số, ngày hoặc số tiền khác với câu tiếng Việt. Hãy chép đúng từng số.",
                "A number, date or amount differs from the Vietnamese. Copy every number "
                "exactly."),
    "url": ("Địa chỉ web bị thiếu hoặc bị đổi. Hãy chép nguyên địa chỉ.",
            "A web address is missing or changed. Copy the address exactly."),
    "phone": ("Số điện thoại bị thiếu hoặc bị đổi. Hãy chép đúng từng chữ số.",
              "A phone number is missing or changed. Copy every digit exactly."),
    "placeholder": ("Bản dịch máy đã làm mất hoặc lặp một thuật ngữ (hoặc còn ký hiệu lạ như "
                    "<t1>). Hãy so với câu tiếng Việt và viết đủ, đúng các thuật ngữ.",
                    "The machine translation lost or repeated a term (or left a mark such as "
                    "<t1>). Compare with the Vietnamese and write every term correctly."),
    "glossary": ("Chưa dùng thuật ngữ trong bảng thuật ngữ. Nên dùng thuật ngữ đã duyệt.",
                 "The glossary term is not used. Prefer the approved term."),
    "dnt": ("Tên riêng phải giữ nguyên, không dịch. Hãy viết lại đúng tên.",
            "This name must stay as it is. Write the name exactly."),
    "length": ("Bản dịch dài hoặc ngắn bất thường. Hãy kiểm tra có thiếu hay thừa ý không.",
               "The translation is unusually long or short. Check nothing is missing or added."),
    "script": ("Sai chữ viết cho ngôn ngữ này. Hãy viết bằng chữ của ngôn ngữ đích.",
               "Wrong writing system for this language. Write in the language's own script."),
    "fields": ("Bản dịch phải giữ nguyên các chỗ trống trong ngoặc nhọn của câu tiếng Việt, "
               "viết y hệt, không dịch (máy sẽ điền số hoặc tên vào đó).",
               "The translation must keep the blanks in curly brackets of the Vietnamese "
               "exactly as written, untranslated (a number or name is filled in there)."),
    # The finding of a check, in words (appended to its message).
    "detail": ("Cần giữ: «{detail}».", "Keep: «{detail}»."),
    "numbers_detail": ("Câu tiếng Việt có: {want}; bản dịch có: {got}.",
                       "The Vietnamese has: {want}; the translation has: {got}."),
    "no_number": ("không có số nào", "no number"),
    "glossary_detail": ("Với «{vi}», hãy dùng «{term}».", "For «{vi}», use «{term}»."),
    "length_long": ("Bản dịch dài hơn nhiều so với câu tiếng Việt.",
                    "The translation is much longer than the Vietnamese."),
    "length_short": ("Bản dịch ngắn hơn nhiều so với câu tiếng Việt.",
                     "The translation is much shorter than the Vietnamese."),
}

#: Review integrity: refusals, accounts, glossary decisions (web and CLI).
REVIEW: dict[str, tuple[str, str]] = {
    "empty_approve": ("Không thể duyệt câu trống. Hãy viết bản dịch rồi lưu trước.",
                      "An empty cue cannot be approved. Write the translation and save it first."),
    "qa_blocked": ("Chưa duyệt được: còn lỗi kiểm tra ở dưới. Hãy sửa, hoặc người duyệt ghi lý do "
                   "để duyệt vượt qua.",
                   "Not approved: the checks below found errors. Fix them, or as the approver "
                   "write a reason to approve anyway."),
    "override_reason": ("Lý do duyệt dù còn lỗi", "Reason to approve despite the errors"),
    "approve_anyway": ("Duyệt dù còn lỗi", "Approve anyway"),
    "needs_review": ("Câu tiếng Việt đã thay đổi: hãy duyệt lại. Bản dịch cũ:",
                     "The Vietnamese line changed: review it again. The old translation:"),
    "state_needs_review": ("cần duyệt lại", "needs review"),
    "not_found": ("Không tìm thấy trang này.", "Page not found."),
    "user_done": ("Xong: {action} {user}.", "Done: {action} {user}."),
    "user_row": ("{user}\t{state}\t{roles}", "{user}\t{state}\t{roles}"),
    "user_active": ("đang dùng", "active"),
    "user_disabled": ("đã khoá", "disabled"),
    # The reviewer's workbench (issue 15).
    "f_": ("Tất cả", "All"),
    "f_untranslated": ("Chưa dịch", "Untranslated"),
    "f_errors": ("Có lỗi", "Has errors"),
    "f_warnings": ("Có cảnh báo", "Has warnings"),
    "f_needs_review": ("Cần duyệt", "Needs review"),
    "f_approved": ("Đã duyệt", "Approved"),
    "filter_empty": ("Không còn câu nào ở mục này.", "No cues left here."),
    "open_cue": ("Mở câu {n}", "Open cue {n}"),
    "listen": ("Nghe câu này", "Listen to this cue"),
    "still_alt": ("Hình của câu với phụ đề như trong video", "The cue's picture with its subtitle as the video shows it"),
    "still_caption": ("Phụ đề sẽ hiện như thế này trong video.", "This is how the subtitle will show in the video."),
    "watch_at": ("Xem video từ câu này", "Watch the video from this cue"),
    "save_next": ("Lưu và sang câu tiếp", "Save and next"),
    "approve_next": ("Duyệt và sang câu tiếp", "Approve and next"),
    "queue_done": ("Hết câu ở mục này. Làm tốt lắm!", "No more cues here. Well done!"),
    "reject_reason": ("Lý do chưa đạt (người dịch sẽ thấy)", "Why it is rejected (the translator sees it)"),
    "reject_needs_reason": ("Hãy ghi lý do chưa đạt để người dịch biết cần sửa gì.",
                            "Write why it is rejected, so the translator knows what to fix."),
    "rejected_saved": ("Đã ghi: chưa đạt. Người dịch sẽ thấy lý do.", "Marked as rejected. The translator will see why."),
    "approved_saved": ("Đã duyệt.", "Approved."),
    "bulk_approve": ("Duyệt {n} câu không có lỗi hay cảnh báo", "Approve the {n} cues with no errors or warnings"),
    "bulk_done": ("Đã duyệt {n} câu.", "{n} cues approved."),
    "suggestions": ("Gợi ý", "Suggestions"),
    "tm_hit": ("Bộ nhớ dịch · giống {score}% · câu gốc: {source}", "Translation memory · {score}% alike · for: {source}"),
    "mt_draft": ("Bản dịch máy", "Machine draft"),
    "use": ("Dùng gợi ý này", "Use this"),
    "glossary_terms": ("Thuật ngữ trong câu", "Terms in this line"),
    "no_suggestions": ("Chưa có gợi ý cho câu này.", "No suggestions for this line yet."),
    "suggestion_copied": ("Đã chép gợi ý vào ô. Sửa nếu cần rồi bấm Lưu.", "The suggestion is in the box. Edit it if needed, then save."),
    "rejected_for_you": ("Câu cần sửa lại", "Lines to fix"),
    "rejected_by": ("{by} ghi: {reason}", "{by} wrote: {reason}"),
    "progress": ("{done}/{total} đã duyệt", "{done}/{total} approved"),
    "origin_human": ("người dịch", "a translator"),
    "origin_mt": ("bản dịch máy", "machine translation"),
    "origin_tm": ("bộ nhớ dịch", "translation memory"),
    "origin_pipeline": ("hệ thống", "the pipeline"),
    "origin_edited_by": ("Người sửa: {who}", "Edited by: {who}"),
    "origin_kept": ("giữ lại từ bản trước ({who})", "kept from the earlier version ({who})"),
    "cue_n": ("Câu {n}/{total}", "Cue {n}/{total}"),
    "seconds": ("{a}–{b} giây", "{a}–{b} s"),
    "next_server": ("Đã duyệt. Video cuối của ngôn ngữ này đang được dựng tự động.",
                    "Approved. The final video of this language is being made automatically."),
    # After "language_approved_msg" (not said twice).
    "next_ready": ("Video cuối của ngôn ngữ này đã dựng xong.",
                   "The final video of this language is ready."),
    "next_failed": ("Dựng video cuối bị lỗi: hãy báo người quản trị hệ thống.",
                    "Making the final video failed: tell the system administrator."),
    "run_row": ("{kind}: {state}", "{kind}: {state}"),
    "run_produce": ("Cả bài học", "Whole lesson"),
    "run_render": ("Dựng video", "Video render"),
    "run_publish": ("Phát hành", "Publishing"),
    "run_queued": ("đang xếp hàng", "queued"),
    "run_running": ("đang chạy", "running"),
    "run_waiting": ("đang chờ duyệt", "waiting for review"),
    "run_done": ("xong", "done"),
    "run_failed": ("lỗi", "failed"),
    "run_cancelled": ("đã huỷ", "cancelled"),
    "final_video": ("Xem video cuối", "Watch the final video"),
    "saved_here": ("Đã lưu câu này.", "This cue is saved."),
    "offline": ("Chưa gửi được (mất mạng?). Bấm lại để thử.",
                "Not sent (no network?). Tap again to retry."),
}

STEPS: dict[str, tuple[str, str]] = {
    "skipped_unchanged": ("bỏ qua (không đổi)", "skipped (unchanged)"),
    "ingest": ("{lesson}: {sentences} câu, {chapters} chương, {seconds:.1f} s",
               "{lesson}: {sentences} sentences, {chapters} chapters, {seconds:.1f} s"),
    "no_asr_model": ("{error} → dùng bộ căn chỉnh không cần mô hình",
                     "{error} → using the aligner that needs no model"),
    "transcribed": ("{path} ({n} đoạn)", "{path} ({n} segments)"),
    "transcript_not_needed": ("không cần bản ghi lời: bộ căn chỉnh {aligner} dựa vào kịch bản",
                              "no transcript needed: the {aligner} aligner works from the "
                              "script"),
    "aligned": ("{path} ({aligner}: {matched} khớp, {skipped} bỏ qua, {adlib} ngoài kịch bản; "
                "báo cáo: {report})",
                "{path} ({aligner}: {matched} matched, {skipped} skipped, {adlib} not in the "
                "script; report: {report})"),
    "subtitles": ("{n} phụ đề → {path}", "{n} subtitles → {path}"),
    "translated": ("{drafts} bản nháp, {waiting} chờ người dịch{xliff}, {flagged} cảnh báo QA",
                   "{drafts} drafts, {waiting} waiting for a translator{xliff}, "
                   "{flagged} QA warnings"),
    "review": ("đã duyệt: {approved}; chờ duyệt: {waiting} (caunoi review serve)",
               "approved: {approved}; awaiting review: {waiting} (caunoi review serve)"),
    "audio": ("{path} ({loudness:g} LUFS)", "{path} ({loudness:g} LUFS)"),
    "rendered": ("{path} ({kb:.0f} KB, {kb_min:.0f} KB/phút, {seconds:.1f} s{gates})",
                 "{path} ({kb:.0f} KB, {kb_min:.0f} KB/min, {seconds:.1f} s{gates})"),
    "gates": (", SSIM {ssim:.3f}", ", SSIM {ssim:.3f}"),
    "gates_ocr": (", OCR dấu {ocr:.0%}", ", OCR diacritics {ocr:.0%}"),
    "awaiting": ("chờ duyệt: {langs}", "awaiting review: {langs}"),
}

#: The offline bundle's page (pipeline.publish.page): plain words for a village audience.
BUNDLE: dict[str, tuple[str, str]] = {
    "page_title": ("Cầu Nối — bài học xem không cần mạng", "Cầu Nối — lessons to watch offline"),
    # The words of a language's section (and the header and picker): the source texts of the
    # bundle's interface units (pipeline.publish.interface), short and without placeholders.
    "tagline": ("Bài học xem không cần mạng", "Lessons to watch offline"),
    "choose": ("Chọn ngôn ngữ", "Choose a language"),
    "title_in_source": ("(tên bài bằng tiếng Việt)", "(title in Vietnamese)"),
    "watch": ("Xem", "Watch"),
    "download": ("Lưu video", "Save the video"),
    "listen": ("Chỉ nghe", "Listen only"),
    "help": ("Bấm vào hình để xem. Phụ đề đã có sẵn trong video.",
             "Tap the picture to play. The subtitles are part of the video."),
    "top": ("Lên đầu trang", "Back to the top"),
    "sound_source": ("Giọng đọc là tiếng Việt: chưa có giọng đọc tiếng này.",
                     "The voice speaks Vietnamese: there is no voice in this language yet."),
    "minutes": ("{m} phút {s} giây", "{m} min {s} s"),
    "seconds": ("{s} giây", "{s} s"),
    "megabytes": ("{mb} MB", "{mb} MB"),
    # The language of a lesson's sound: a dub's community voices, or the Vietnamese narration.
    "sound": ("🎧 {language}", "🎧 {language}"),
    # Vietnamese writes a decimal comma.
    "decimal": ("{units},{tenths}", "{units}.{tenths}"),
}

#: Words burned into the picture of a render (pipeline.render.burn): the video's own
#: language is Vietnamese, whatever the UI language of the run.
RENDER: dict[str, tuple[str, str]] = {
    "draft_watermark": ("BẢN NHÁP", "DRAFT"),
}

#: Every catalogue by its key prefix ("" = bare keys, the review pages' ``WEB``).
CATALOGUES: dict[str, dict[str, tuple[str, str]]] = {}
#: Every message under one key space: ``<prefix>.<key>`` (bare for ``WEB``).
CATALOG: dict[str, tuple[str, str]] = {}


def register_catalogue(prefix: str, entries: dict[str, tuple[str, str]]) -> None:
    """Make ``entries`` reachable as ``t("<prefix>.<key>")``; a catalogue kept in another
    package registers itself here when its module is imported."""
    if CATALOGUES.get(prefix, entries) is not entries:
        raise ValueError(f"message prefix {prefix!r} is registered twice")
    CATALOGUES[prefix] = entries
    CATALOG.update({f"{prefix}.{k}" if prefix else k: v for k, v in entries.items()})


for _prefix, _entries in (("", WEB), ("cli", CLI), ("step", STEPS), ("bundle", BUNDLE),
                          ("qa", QA), ("review", REVIEW), ("render", RENDER)):
    register_catalogue(_prefix, _entries)

# The error sentences live beside this module (it stays short); a package with its own
# catalogue registers it when imported (pipeline.portal: "portal").
register_catalogue("errors", ERRORS)


def t(key: str, lang: str | None = None, /, **values: object) -> str:
    """The message ``key`` in ``lang`` (default: the process's language), formatted."""
    vi, en = CATALOG[key]
    text = pick(vi, en, lang)
    return text.format(**values) if values else text
