"""The PORTAL message catalogue: the content-team portal (``pipeline.portal``) and the run
launchers (``flows/launcher.py``); keys are used as ``portal.<key>`` through
``pipeline.core.i18n.t`` (registered there when ``pipeline.portal`` is imported).
Vietnamese first, English second."""

from __future__ import annotations

__all__ = ["PORTAL"]

#: The content-team portal (pipeline.portal) and the run launchers (flows/launcher.py).
PORTAL: dict[str, tuple[str, str]] = {
    "nav": ("Bài học của nhóm", "Team lessons"),
    "title": ("Cầu Nối — bài học của nhóm nội dung", "Cầu Nối — content team lessons"),
    "new_lesson": ("Nộp bài học mới", "Hand in a new lesson"),
    "teams": ("Nhóm", "Teams"),
    "no_lessons": ("Chưa có bài học nào. Hãy nộp bài học đầu tiên.",
                   "No lessons yet. Hand in the first one."),
    "kind_produce": ("Sản xuất", "Production"),
    "kind_render": ("Dựng bản cuối", "Final render"),
    "kind_publish": ("Phát hành", "Publishing"),
    "state_queued": ("đang chờ lượt", "queued"),
    "state_running": ("đang chạy", "running"),
    "state_waiting": ("chờ duyệt bản dịch", "waiting for review"),
    "state_done": ("xong", "done"),
    "state_failed": ("lỗi", "failed"),
    "state_cancelled": ("đã huỷ", "cancelled"),
    "steps_done": ("bước xong", "steps done"),
    "not_run": ("Chưa chạy.", "Not run yet."),
    "lang_final": ("đã duyệt, có bản cuối", "approved, final ready"),
    "lang_approved": ("đã duyệt, chưa dựng bản cuối", "approved, final not rendered yet"),
    # The review pages' own count and words ("review.progress"): title, headings and cues.
    "lang_review": ("đang duyệt · {done}/{total} đã duyệt", "in review · {done}/{total} approved"),
    "lang_source": ("bản gốc, chưa có video cuối", "source language, no final video yet"),
    "lang_none": ("chưa có bản dịch", "no translation yet"),
    "lang_stale": ("cần chạy lại: bài đã sửa sau lần chạy cuối",
                   "needs a new run: the lesson changed after its last run"),
    "lesson_title": ("Tên bài học (tiếng Việt)", "Lesson title (Vietnamese)"),
    "team": ("Nhóm", "Team"),
    "languages": ("Ngôn ngữ", "Languages"),
    "profiles": ("Định dạng video", "Video profiles"),
    "script": ("Kịch bản (script.md): gõ vào đây…", "Script (script.md): type it here…"),
    "chapter": ("Tên chương", "Chapter name"),
    "script_hint": ("Mỗi dòng một câu thuyết minh.", "One narration sentence per line."),
    "script_file": ("…hoặc chọn tệp kịch bản: Word (.docx), LibreOffice (.odt) hoặc văn bản "
                    "(.txt, .md), tối đa {kb} KB chữ",
                    "…or choose a script file: Word (.docx), LibreOffice (.odt) or text (.txt, "
                    ".md), at most {kb} KB of text"),
    "script_file_any": ("…hoặc chọn tệp kịch bản mới (.docx, .odt, .txt, .md)",
                        "…or choose a new script file (.docx, .odt, .txt, .md)"),
    "profile_compat": ("mọi điện thoại", "every phone"),
    "profile_tiny": ("mạng 2G", "2G networks"),
    "profile_modern": ("điện thoại Android mới", "newer Android phones"),
    "profile_audio": ("chỉ nghe, điện thoại phím bấm", "listen only, feature phones"),
    "profile_size": ("{words} · ~{mb} MB/phút", "{words} · ~{mb} MB/minute"),
    "kind_video": ("video", "video"),
    "kind_audio": ("âm thanh", "audio"),
    "numbers_removed": ("Đã bỏ số thứ tự ở đầu {n} dòng kịch bản: người thuyết minh không đọc "
                        "chúng, nên chúng không vào phụ đề.",
                        "The list numbers at the start of {n} script lines were removed: the "
                        "narrator does not read them, so they stay out of the subtitles."),
    "fix_recording": ("Thay bản ghi", "Replace the recording"),
    "fix_script": ("Sửa kịch bản", "Fix the script"),
    "fix_settings": ("Sửa ngôn ngữ và định dạng", "Fix languages and profiles"),
    "why_check": ("Chưa chạy được: hãy sửa lỗi ở phần Kiểm tra trước.",
                  "Cannot run yet: fix the problem under Check first."),
    "why_busy": ("Đang chạy: đợi lượt này xong.", "Running: wait until this run ends."),
    "no_mt": ("chưa cài mô hình dịch cho {langs}: người dịch sẽ dịch tay",
              "no translation model installed for {langs}: translators translate by hand"),
    "lang_no_mt": ("Không có bản dịch máy: người dịch dịch tay từ đầu.",
                   "No machine draft: translators translate from scratch."),
    # Editors read who can fix it; the command is shown to administrators only.
    "no_reviewer": ("Chưa có ai duyệt ngôn ngữ này nên bản dịch sẽ chờ mãi: hãy nhờ người "
                    "quản trị hệ thống thêm người duyệt.",
                    "Nobody reviews this language, so the translation will wait forever: ask "
                    "the system administrator to add a reviewer."),
    "no_reviewer_cmd": ("Lệnh (người quản trị): caunoi users add TÊN --lang {lang}:reviewer",
                        "Command (administrators): caunoi users add NAME --lang "
                        "{lang}:reviewer"),
    "model_missing_editor": ("Máy chủ chưa có mô hình {name} cần cho việc này. Người quản trị "
                             "hệ thống cài được mô hình: hãy báo cho họ, rồi chạy lại.",
                             "The server does not have the model {name} this needs. The "
                             "system administrator can install it: tell them, then run "
                             "again."),
    "better_aligner": ("Đã có cách căn thời gian tốt hơn ({better}) từ khi máy chủ có mô hình "
                       "nghe tiếng nói. Bản căn hiện tại ({used}) được giữ nguyên, nên bản đã "
                       "duyệt không phải dựng lại. Muốn căn lại cả bài, hãy nhờ người quản trị "
                       "hệ thống: mọi ngôn ngữ đã duyệt sẽ được dựng lại trong cùng lần chạy.",
                       "A better way to time the subtitles ({better}) can run since the server "
                       "got a speech model. The current alignment ({used}) is kept, so approved "
                       "videos need no new render. To re-align the lesson, ask the system "
                       "administrator: every approved language is then rendered again in the "
                       "same run."),
    "better_aligner_cmd": ("Lệnh (người quản trị): caunoi produce {lesson} --realign",
                           "Command (administrators): caunoi produce {lesson} --realign"),
    "changed_notice": ("Có thay đổi: một ngôn ngữ vừa được duyệt, hoặc lượt chạy vừa xong.",
                       "Something changed: a language was approved, or the run ended."),
    "js_left": ("còn khoảng {t}", "about {t} left"),
    "resume_go": ("Đến ô chọn bản ghi ↓", "To the recording slot ↓"),
    "js_resume": ("Có tệp đang gửi dở: {name} ({mb} MB). Chọn lại đúng tệp đó để gửi tiếp "
                  "từ chỗ đã dừng.",
                  "An upload was left unfinished: {name} ({mb} MB). Choose that same file "
                  "again to continue where it stopped."),
    "settings": ("Ngôn ngữ và định dạng", "Languages and profiles"),
    "save_settings": ("Lưu ngôn ngữ và định dạng", "Save languages and profiles"),
    "lesson_changed": ("Đã lưu. Bấm Chạy lại để làm bản dịch và video theo lựa chọn mới.",
                       "Saved. Press Run again to make translations and videos as chosen."),
    "delete": ("Xoá bài học", "Delete the lesson"),
    "delete_confirm": ("Tôi hiểu: bài học, bản ghi, kịch bản và mọi video đã làm sẽ bị xoá.",
                       "I understand: the lesson, its recording, script and every video made "
                       "are deleted."),
    "delete_btn": ("Xoá hẳn bài học này", "Delete this lesson for good"),
    "lesson_deleted": ("Đã xoá bài học: bản ghi, kịch bản, video và các câu trên trang duyệt "
                       "không còn nữa.",
                       "The lesson was deleted: its recording, script, videos and its cues on "
                       "the review pages are gone."),
    "delete_unconfirmed": ("Hãy đánh dấu ô xác nhận để xoá.",
                           "Tick the confirmation box to delete."),
    "recording": ("Bản ghi (video hoặc âm thanh)", "Recording (video or audio)"),
    "limits": ("Giới hạn: tệp tối đa {mb} MB, dài tối đa {minutes} phút. Mạng yếu cũng được: "
               "tệp được gửi từng phần và gửi tiếp khi có mạng lại.",
               "Limits: files up to {mb} MB and {minutes} minutes long. A weak connection is "
               "fine: the file goes in parts and continues when the network is back."),
    "hand_in": ("Nộp bài học", "Hand in the lesson"),
    "js_too_big": ("Tệp quá lớn: tối đa {mb} MB. Hãy xuất lại nhỏ hơn hoặc chia bài học.",
                   "The file is too large: at most {mb} MB. Export it smaller or split the "
                   "lesson."),
    "js_retry": ("Mất kết nối, đang thử gửi tiếp…", "Connection lost, trying to continue…"),
    "js_sent": ("Đã gửi xong tệp.", "The file is sent."),
    "js_failed": ("Chưa gửi được:", "Not sent:"),
    "check": ("Kiểm tra", "Check"),
    "check_ok": ("Bài học hợp lệ: {n} câu, bản ghi dài {seconds} giây.",
                 "The lesson is valid: {n} sentences, a {seconds} s recording."),
    "sentences": ("Các câu trong kịch bản", "The script's sentences"),
    "run": ("Chạy", "Run"),
    "step_done": ("xong", "done"),
    "step_running": ("đang chạy", "running"),
    "step_pending": ("chưa tới", "pending"),
    "step_failed": ("lỗi", "failed"),
    "step_waiting": ("chờ duyệt", "waiting for review"),
    "step_reused": ("đã dùng lại kết quả trước", "the earlier result was reused"),
    "step_finished": ("xong", "done"),
    "stepname_ingest": ("Nhận bài học", "Reading the lesson"),
    "stepname_audio": ("Chuẩn bị âm thanh", "Preparing the audio"),
    "stepname_transcribe": ("Nhận dạng lời nói", "Speech recognition"),
    "stepname_align": ("Căn chỉnh với kịch bản", "Aligning with the script"),
    "stepname_subtitles": ("Phụ đề tiếng Việt", "Vietnamese subtitles"),
    "stepname_translate": ("Dịch nháp", "Draft translation"),
    "stepname_review": ("Duyệt bản dịch", "Translation review"),
    "stepname_dub": ("Lồng tiếng", "Voice-over"),
    "stepname_render": ("Dựng video", "Rendering the videos"),
    "stepname_manifest": ("Hoàn tất", "Finishing"),
    "no_launcher": ("Trang web này chưa được cài để chạy bài học. Hãy báo người quản trị.",
                    "This web app is not set up to run lessons. Tell the administrator."),
    "start": ("Bắt đầu chạy", "Start the run"),
    "start_again": ("Chạy lại (chỉ phần đã thay đổi)", "Run again (only what changed)"),
    "reload": ("Tải lại trang", "Reload"),
    "review_link": ("trang duyệt", "review page"),
    "deviations": ("Báo cáo sai lệch", "Deviation report"),
    "no_alignment": ("Có sau khi chạy bước căn chỉnh.", "Available once alignment has run."),
    "no_deviations": ("Mọi câu đều được đọc, không có lời ngoài kịch bản.",
                      "Every sentence was read; no speech outside the script."),
    "dev_skipped": ("Câu không được đọc", "Sentence not read"),
    "dev_adlib": ("Lời ngoài kịch bản", "Speech not in the script"),
    "sentence_n": ("câu {n}", "sentence {n}"),
    "no_transcript": ("(không có bản ghi lời)", "(no transcript)"),
    "previews": ("Xem trước", "Previews"),
    "no_previews": ("Chưa có video.", "No videos yet."),
    # Beside each preview: the file itself, to share (a phone's player may hide its own).
    "download": ("Tải về", "Download"),
    "draft": ("bản nháp", "draft"),
    "publish": ("Phát hành", "Publish"),
    "publish_btn": ("Phát hành", "Publish"),
    "bundle_btn": ("Đóng gói xem không cần mạng", "Make an offline bundle"),
    "nothing_to_publish": ("Chưa có ngôn ngữ nào đã duyệt và có bản cuối.",
                           "No language is approved with its final yet."),
    "edit_script": ("Sửa kịch bản", "Edit the script"),
    "rerun_hint": ("Sau khi lưu, bấm Chạy lại: chỉ những bước bị ảnh hưởng mới chạy lại.",
                   "After saving, press Run again: only the steps the change affects run."),
    "save_script": ("Lưu kịch bản", "Save the script"),
    "replace_recording": ("Thay bản ghi", "Replace the recording"),
    "upload": ("Gửi tệp", "Upload"),
    "created": ("Đã nhận bài học. Xem kết quả kiểm tra ở dưới rồi bấm Bắt đầu chạy.",
                "The lesson is in. Read the check below, then press Start the run."),
    "script_saved": ("Đã lưu kịch bản.", "The script is saved."),
    "recording_saved": ("Đã thay bản ghi.", "The recording is replaced."),
    "run_started_msg": ("Đã bắt đầu chạy.", "The run has started."),
    "publish_started": ("Đã bắt đầu phát hành.", "Publishing has started."),
    "bundle_started": ("Đang đóng gói để xem không cần mạng: liên kết tải về hiện ở đây khi "
                       "xong.", "Making the offline bundle: the download link shows here when "
                       "it is done."),
    "script_too_big": ("Kịch bản quá dài: tối đa {kb} KB.", "The script is too long: at most "
                       "{kb} KB."),
    "bad_title": ("Hãy ghi tên bài học (tối đa {n} ký tự, không có ký tự điều khiển).",
                  "Write the lesson's title (at most {n} characters, no control characters)."),
    "bad_team": ("Bạn không thuộc nhóm này.", "You are not in this team."),
    "bad_languages": ("Hãy chọn ít nhất một ngôn ngữ dịch trong danh sách.",
                      "Choose at least one target language from the list."),
    "bad_profiles": ("Định dạng video không có trong danh sách.",
                     "A video profile is not in the list."),
    "upload_kept": ("Đã nhận tệp {name}: không cần chọn lại (chọn tệp khác để thay).",
                    "{name} is already received: no need to choose it again (choose another "
                    "file to replace it)."),
    "no_recording": ("Hãy chọn tệp bản ghi.", "Choose the recording file."),
    "bad_publish": ("Chỉ phát hành được ngôn ngữ đã duyệt và có bản cuối: hãy chọn ít nhất một.",
                    "Only approved languages with a final can be published: choose at least "
                    "one."),
    "run_busy": ("Bài học đang chạy hoặc đang chờ lượt: hãy đợi lượt chạy này xong rồi chạy lại.",
                 "The lesson is running or waiting for its turn: wait until this run ends, "
                 "then run it again."),
    "run_queued": ("đang chờ lượt chạy", "waiting for its turn"),
    "run_started": ("đã bắt đầu", "started"),
    "run_lost": ("Tiến trình chạy đã dừng bất thường (máy khởi động lại hoặc bị tắt). Hãy chạy "
                 "lại: các bước đã xong sẽ không chạy lại.",
                 "The run's process stopped unexpectedly (restart or killed). Run it again: "
                 "finished steps are not redone."),
    "run_produced": ("xong: {n} tệp", "done: {n} files"),
    # Server mode: what editors read of a run on the Prefect server (never its state message,
    # which may name a command or an exception; administrators read that, and the log has it).
    "run_running": ("đang chạy", "running"),
    "run_waiting": ("đang chờ duyệt bản dịch: bản cuối của một ngôn ngữ được dựng khi ngôn ngữ "
                    "đó được duyệt",
                    "waiting for translations to be approved: a language's final is made "
                    "once that language is approved"),
    "run_done": ("xong", "done"),
    "run_cancelled": ("đã dừng giữa chừng", "stopped before the end"),
    "run_failed": ("Lượt chạy dừng vì lỗi. Người quản trị hệ thống xem được lý do trong nhật ký "
                   "máy chủ: hãy báo cho họ, rồi chạy lại.",
                   "The run stopped with an error. The system administrator can read why in "
                   "the server's log: tell them, then run again."),
    "run_failed_model": ("Máy chủ chưa có mô hình cần cho việc này. Người quản trị hệ thống cài "
                         "được mô hình: hãy báo cho họ, rồi chạy lại.",
                         "The server does not have a model this needs. The system "
                         "administrator can install it: tell them, then run again."),
    "run_failed_machine": ("Máy chạy việc gặp sự cố (không phải do bài học): lượt chạy thường "
                           "tự chạy lại sau vài phút. Nếu không, hãy báo người quản trị hệ "
                           "thống.",
                           "The machine doing the run had a fault (not the lesson's): the run "
                           "usually starts again by itself within minutes. If it does not, "
                           "tell the system administrator."),
    "run_again_editor": ("Các tệp của bài học đã đổi từ lần chạy trước: hãy bấm Chạy lại, rồi "
                         "phát hành.",
                         "The lesson's files changed since its last run: press Run again, "
                         "then publish."),
    "run_drafted": ("đã tạo kịch bản nháp: {n} câu", "draft script made: {n} sentences"),
    "script_later": ("Chưa có kịch bản? Để trống cả hai ô: sau khi nộp, có thể tạo kịch bản "
                     "nháp từ bản ghi.",
                     "No script yet? Leave both empty: once handed in, a draft script can be "
                     "made from the recording."),
    "draft_offer": ("Bài học chưa có kịch bản. Máy có thể nghe bản ghi và viết ra từng câu "
                    "thành bản nháp; nhóm nghe lại, sửa rồi lưu làm kịch bản.",
                    "This lesson has no script yet. The machine can listen to the recording "
                    "and write out each sentence as a draft; the team listens again, corrects "
                    "it and saves it as the script."),
    "draft_btn": ("Tạo kịch bản nháp từ bản ghi", "Draft a script from the recording"),
    "draft_or_type": ("…hoặc tự gõ kịch bản", "…or type the script"),
    "draft_running": ("Đang tạo kịch bản nháp từ bản ghi (vài phút); trang tự tải lại khi "
                      "xong.",
                      "Drafting a script from the recording (a few minutes); the page reloads "
                      "when it is done."),
    "draft_failed": ("Chưa tạo được kịch bản nháp: {reason}",
                     "The draft script could not be made: {reason}"),
    "draft_ready": ("Đã có kịch bản nháp ({n} câu) từ bản ghi: hãy sửa rồi lưu ở phần Sửa "
                    "kịch bản.",
                    "A draft script ({n} sentences) was made from the recording: correct it "
                    "and save it under Edit the script."),
    "draft_edit": ("Sửa bản nháp", "Correct the draft"),
    "draft_note": ("Đây là bản nháp máy nghe từ bản ghi, chưa phải kịch bản: máy nghe sai "
                   "nhiều chữ. Hãy nghe lại bản ghi, sửa từng câu (chỗ […] là đoạn máy không "
                   "nghe ra) rồi bấm Lưu kịch bản.",
                   "This is a machine draft heard from the recording, not yet the script: "
                   "the machine mishears many words. Listen to the recording again, correct "
                   "each sentence ([…] marks what it could not hear), then save the script."),
    "draft_started": ("Đã bắt đầu tạo kịch bản nháp.", "Drafting the script has started."),
    "draft_not_needed": ("Bài học đã có kịch bản (hoặc chưa có bản ghi): không cần bản nháp.",
                         "The lesson already has a script (or has no recording): no draft "
                         "is needed."),
    "run_published": ("đã phát hành {n} tệp vào thư mục {target} của máy chủ",
                      "published {n} files to the server's folder {target}"),
    "run_bundled": ("đã đóng gói để xem không cần mạng: tải về ở trang bài học",
                    "the offline bundle is made: download it on the lesson's page"),
    "download_bundle": ("Tải gói xem không cần mạng (.zip, {mb} MB)",
                        "Download the offline bundle (.zip, {mb} MB)"),
}
