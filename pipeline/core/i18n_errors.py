"""The ERRORS message catalogue: the one sentence of every ``CaunoiError`` subclass.

An error class names its entry (``key = "errors.no_audio_stream"``) and its context
attributes fill the entry's ``{placeholders}``; the entries are grouped by the module that
raises them. Vietnamese first, English second. Keys are the class name in snake case
without ``Error``; registered as ``errors.<key>`` by ``pipeline.core.i18n``.
"""

from __future__ import annotations

__all__ = ["ERRORS"]

ERRORS: dict[str, tuple[str, str]] = {
    # pipeline/core/errors.py
    "generic": ("Lỗi: {detail}",
               "Error: {detail}"),
    "config": ("Cấu hình sai trong {path}: {detail}",
              "Bad configuration in {path}: {detail}"),
    "unknown_name": ("Không có {kind} tên '{name}'. Các giá trị hợp lệ: {known}.",
                    "There is no {kind} called '{name}'. Valid values: {known}."),
    "unknown_language": ("Mã ngôn ngữ '{code}' trong {where} không có trong glossaries/languages.toml. Mã hợp lệ: {known}.",
                        "Language code '{code}' in {where} is not in glossaries/languages.toml. Known codes: {known}."),
    "lesson_not_found": ("Không tìm thấy thư mục bài học {path}: hãy kiểm tra lại đường dẫn.",
                        "Lesson folder {path} does not exist: check the path."),
    "lesson_config": ("Tệp {path} không hợp lệ: {detail}.",
                     "File {path} is not valid: {detail}."),
    "script_missing": ("Thiếu kịch bản {path}: hãy tạo tệp script.md với các câu thuyết minh tiếng Việt.",
                      "Script {path} is missing: create script.md with the Vietnamese narration sentences."),
    "script_empty": ("Kịch bản {path} không có câu thuyết minh nào: hãy viết mỗi câu trên một dòng.",
                    "Script {path} has no narration sentences: write one sentence per line."),
    "script_encoding": ("Tệp {path} không phải UTF-8 (byte lỗi ở vị trí {position}): hãy lưu lại tệp với mã hóa UTF-8.",
                       "File {path} is not UTF-8 (bad byte at offset {position}): save the file again as UTF-8."),
    "recording_missing": ("Thư mục {path} không có tệp recording.* (bản ghi màn hình có thuyết minh): hãy thêm vào.",
                         "Folder {path} has no recording.* file (the narrated screen recording): add one."),
    "media_unreadable": ("Không đọc được tệp media {path} (hỏng hoặc không phải video/âm thanh): hãy xuất lại bản ghi. Chi tiết: {detail}",
                        "Cannot read media file {path} (corrupt or not audio/video): export the recording again. Detail: {detail}"),
    "no_audio_stream": ("Bản ghi {path} không có tiếng: hãy ghi lại kèm lời thuyết minh tiếng Việt.",
                       "Recording {path} has no audio stream: record it again with the Vietnamese narration."),
    "empty_audio": ("Âm thanh trong {path} dài 0 giây hoặc hoàn toàn im lặng: hãy kiểm tra micro và ghi lại.",
                   "The audio in {path} is zero-length or completely silent: check the microphone and record again."),
    "ffmpeg": ("ffmpeg thất bại khi {action} ({path}): {stderr}",
              "ffmpeg failed while {action} ({path}): {stderr}"),
    "model_missing": ("Chưa có mô hình {name} tại {path}: chạy 'caunoi models download {hint}' trên máy có Internet rồi chép thư mục models/ sang.",
                     "Model {name} is not at {path}: run 'caunoi models download {hint}' on a machine with internet access and copy the models/ folder here."),
    "alignment": ("Không căn chỉnh được kịch bản với âm thanh của {path}: {detail}",
                 "Could not align the script with the audio of {path}: {detail}"),
    "disk_full": ("Hết dung lượng đĩa khi ghi {path}: hãy giải phóng chỗ trống rồi chạy lại (kết quả đã có vẫn được giữ nguyên).",
                 "The disk is full while writing {path}: free some space and run again (finished results are kept)."),
    "render_quality": ("Bản dựng {path} không đạt ngưỡng chất lượng ({detail}): đã bỏ tệp này. Hãy kiểm tra bản ghi gốc hoặc nâng chất lượng định dạng {profile}.",
                      "Render {path} is below its quality thresholds ({detail}): the file was discarded. Check the source recording or raise the quality of profile {profile}."),
    "run_interrupted": ("Đã dừng theo yêu cầu ({signal}). Các kết quả đã xong vẫn được giữ nguyên; chạy lại lệnh để tiếp tục.",
                       "Stopped on request ({signal}). Finished results are kept; run the command again to continue."),
    "internal": ("Lỗi nội bộ của Cầu Nối ({kind}{where}). Chi tiết ở tệp {log}: hãy gửi tệp đó cho nhóm phát triển.",
                "Internal error in Cầu Nối ({kind}{where}). The details are in {log}: please send that file to the developers."),
    "file_access": ("Không truy cập được {path} ({reason}): hãy kiểm tra đường dẫn và quyền truy cập.",
                   "Cannot access {path} ({reason}): check the path and its permissions."),
    "model_download": ("Không tải được mô hình {name} ({backend}): {detail}. Máy này có thể không vào được kho mô hình; hãy tải trên máy khác rồi chép thư mục {dest} sang.",
                      "Could not download model {name} ({backend}): {detail}. This machine may not reach the model hub; download elsewhere and copy {dest} here."),
    # The CLI's and the guard's lead-in before an error's sentence.
    "prefix": ("Lỗi: ",
              "Error: "),
    # pipeline/core/limits.py
    "input_limit": ("{path}: {what} là {got}, vượt giới hạn {limit}. Hãy {fix} (hoặc tăng '{setting}' trong caunoi.toml).",
                   "{path}: {what} is {got}, over the limit of {limit}. Please {fix} (or raise '{setting}' in caunoi.toml)."),
    "control_character": ("Tệp {path} có ký tự điều khiển {char} ở dòng {line}, cột {column}: hãy xoá ký tự đó (thường do sao chép từ phần mềm khác) rồi lưu lại.",
                         "File {path} has the control character {char} on line {line}, column {column}: delete it (usually pasted from another program) and save the file again."),
    "control_character_in_value": ("Tệp {path}: giá trị '{field}' (dòng {line}) chứa ký tự điều khiển {char}: hãy xoá ký tự đó (hoặc mã \\u… tương ứng) rồi lưu lại.",
                                  "File {path}: the value of '{field}' (line {line}) holds the control character {char}: delete it (or the \\u… escape that writes it) and save the file again."),
    # pipeline/core/shared.py
    "lesson_not_stored": ("Không có bài học '{lesson}' trong kho dùng chung {url}: hãy nộp bài học (lessons/{lesson}/) vào đó trước khi chạy.",
                         "There is no lesson '{lesson}' in the shared storage {url}: hand the lesson in (lessons/{lesson}/) before starting a run."),
    # pipeline/steps/plan.py
    "step_order": ("Bước '{step}' cần kết quả của bước '{needs}' nhưng bước đó chưa chạy.",
                  "Step '{step}' needs the result of step '{needs}', which has not run."),
    # pipeline/translate/glossary.py
    "glossary_refused": ("{path}: không thêm được thuật ngữ: {reason}",
                        "{path}: the term was not added: {reason}"),
    # pipeline/publish/errors.py
    "unsafe_path": ("Đường dẫn '{value}' trong {where} không an toàn ({reason}): chỉ chấp nhận đường dẫn tương đối nằm trong thư mục của bài học.",
                   "Path '{value}' in {where} is not safe ({reason}): only relative paths inside the lesson's folder are accepted."),
    "manifest_invalid": ("Tệp danh mục {path} không hợp lệ: {detail}. Hãy chạy lại 'caunoi produce' cho bài này.",
                        "Manifest {path} is not valid: {detail}. Run 'caunoi produce' for this lesson again."),
    "target_refused": ("Không ghi vào {path}: {reason_text}. Hãy chọn một thư mục mới hoặc trống.",
                      "Not writing to {path}: {reason_text}. Choose a new or empty folder."),
    "missing_final": ("Chưa có bản cuối đã duyệt ({profile}) cho: {missing}. Chưa ghi gì cả: hãy duyệt và dựng các ngôn ngữ này trước, hoặc bỏ chúng khỏi --languages.",
                     "No approved final ({profile}) for: {missing}. Nothing was written: approve and render these languages first, or leave them out of --languages."),
    # TargetRefusedError's reason_text, by ``reason``.
    "target_refused_protected": ("đó là thư mục kết quả, thư mục hiện tại hoặc thư mục cha của chúng",
                                "it is the output root, the current folder or a parent of one of them"),
    "target_refused_foreign": ("thư mục này có tệp không do Cầu Nối tạo ra",
                              "it holds files that Cầu Nối did not write"),
    "target_refused_not_dir": ("đó không phải là thư mục",
                              "it is not a folder"),
    "target_refused_symlink": ("đó là liên kết tượng trưng",
                              "it is a symbolic link"),
    "target_refused_exists": ("đã có một gói cũ ở đó; thêm --force để thay nó",
                             "a previous bundle is there; add --force to replace it"),
    "target_refused_foreign_zip": ("tệp zip này không phải gói của Cầu Nối",
                                  "this zip file is not a Cầu Nối bundle"),
    # ManifestInvalidError's detail (pipeline.publish.verify).
    "manifest_not_json": ("không phải JSON (dòng {line}, cột {column})",
                         "not JSON (line {line}, column {column})"),
    "manifest_bad_shape": ("cấu trúc không đúng (thiếu danh sách 'files' hoặc trường của một tệp)",
                          "wrong structure (no 'files' list, or a file without its fields)"),
    # pipeline/review/base.py
    "not_allowed": ("Người dùng {user} không có quyền {action} cho ngôn ngữ {lang}.",
                   "User {user} may not {action} for language {lang}."),
    "not_found": ("Không tìm thấy {what}.",
                 "{what} not found."),
    # pipeline/review/checks.py
    "input_refused": ("Nội dung có ký tự điều khiển hoặc ký tự đảo chiều chữ ẩn ({chars}). Hãy xoá chúng rồi gửi lại.",
                     "The text contains control or hidden direction characters ({chars}). Remove them and send it again."),
    "bad_username": ("Tên đăng nhập '{name}' không hợp lệ: dùng 2–64 chữ cái, chữ số, '.', '_' hoặc '-', bắt đầu bằng chữ cái hoặc chữ số.",
                    "The username '{name}' is not valid: use 2–64 letters, digits, '.', '_' or '-', starting with a letter or digit."),
    # pipeline/review/accounts.py
    "bad_team": ("Tên nhóm '{team}' không hợp lệ: dùng chữ thường không dấu, số, '-' hoặc '_' (tối đa 32 ký tự), hoặc '*' cho mọi nhóm.",
                "The team name '{team}' is not valid: use lowercase letters, digits, '-' or '_' (at most 32 characters), or '*' for every team."),
    "user_exists": ("Người dùng {user} đã có. Dùng 'caunoi users grant' hoặc 'caunoi users passwd'.",
                   "User {user} already exists. Use 'caunoi users grant' or 'caunoi users passwd'."),
    # pipeline/review: glossary proposals (the store)
    "term_refused": ("Chưa nhận được thuật ngữ: {reason}",
                    "The term was not accepted: {reason}"),
    "empty_term": ("Chưa nhận được thuật ngữ: thuật ngữ tiếng Việt hoặc cách dịch còn trống.",
                  "The term was not accepted: the Vietnamese term or its translation is empty."),
    # pipeline/portal/lessons.py
    "recording_unreadable": ("Tệp {name} không phải video hay âm thanh đọc được (hỏng, hoặc chỉ đổi đuôi tên tệp). Hãy xuất lại bản ghi từ phần mềm quay rồi gửi lại.",
                            "The file {name} is not readable video or audio (corrupt, or only renamed). Export the recording again from the recording software and send it again."),
    # pipeline/portal/uploads.py
    "upload_too_large": ("Tệp {name} quá lớn ({got}); giới hạn là {limit} (cài đặt {setting}).",
                        "The file {name} is too large ({got}); the limit is {limit} (setting {setting})."),
    "upload_quota": ("Bạn đang có {n} tệp tải lên chưa xong (tối đa {limit}). Hãy hoàn tất hoặc huỷ một tệp rồi thử lại.",
                    "You have {n} unfinished uploads (at most {limit}). Finish or cancel one, then try again."),
    "upload_not_found": ("Không tìm thấy phần tải lên này (có thể đã hết hạn). Hãy chọn lại tệp.",
                        "This upload was not found (it may have expired). Choose the file again."),
    "offset_mismatch": ("Phần gửi bắt đầu ở byte {got}, máy chủ đã có {offset} byte.",
                       "The chunk starts at byte {got}; the server has {offset} bytes."),
    "checksum_mismatch": ("Mã kiểm tra của phần vừa gửi không khớp: phần đó đã bị bỏ, hãy gửi lại.",
                         "The chunk's checksum does not match: it was discarded, send it again."),
    # flows/env.py
    "prefect_server": ("Máy chủ Prefect tạm thời không khởi động được sau {seconds} giây ({detail}): hãy chạy lại, đặt PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS lớn hơn, hoặc dùng 'caunoi produce --no-prefect'.",
                      "Prefect's temporary server did not start within {seconds} s ({detail}): run again, raise PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS, or use 'caunoi produce --no-prefect'."),
    # flows/deploy.py
    "server": ("Máy chủ Prefect không chạy được ({detail}): xem {log}.",
              "The Prefect server did not start ({detail}): see {log}."),
    # flows/postgres.py
    "postgres": ("Không chạy được PostgreSQL ({action}): {detail}. Hãy cài gói postgresql (scripts/setup_system.sh).",
                "Could not run PostgreSQL ({action}): {detail}. Install the postgresql package (scripts/setup_system.sh)."),
    # pipeline/voice/errors.py
    "voice_recording_unreadable": ("Không mở được bản ghi âm {path} (tệp hỏng hoặc không phải âm thanh): hãy ghi âm lại hoặc lưu lại tệp.",
                                  "Cannot open the voice recording {path} (corrupt or not audio): record it again or save the file again."),
    "recording_silent": ("Bản ghi âm {path} gần như im lặng (chỉ có {speech_ms} ms tiếng nói): hãy kiểm tra micro và ghi âm lại.",
                        "The voice recording {path} is almost silent (only {speech_ms} ms of speech): check the microphone and record again."),
    "recording_too_long": ("Bản ghi âm {path} dài {duration_s} giây, quá giới hạn {limit_s} giây cho mọi câu: hãy chỉ đọc câu này rồi dừng.",
                          "The voice recording {path} lasts {duration_s} s, over the {limit_s} s limit for any sentence: read only this sentence, then stop."),
    "recording_too_long_for_sentence": ("Tiếng nói trong bản ghi âm {path} dài {duration_s} giây, quá giới hạn {limit_s} giây ({ratio} × {slot_s} giây dành cho câu này): hãy chỉ đọc câu này rồi dừng.",
                                       "The speech in the voice recording {path} lasts {duration_s} s, over the {limit_s} s limit ({ratio} × this sentence's {slot_s} s): read only this sentence, then stop."),
    "import_unnamed_file": ("Tệp {path} không có số câu trong tên: hãy đặt tên theo số câu trong kịch bản, ví dụ 3.wav hoặc 03.m4a.",
                           "File {path} has no sentence number in its name: name it by its number in the script, e.g. 3.wav or 03.m4a."),
    "import_duplicate": ("Câu {number} có hai bản ghi âm ({first} và {second}): hãy giữ lại một tệp.",
                        "Sentence {number} has two recordings ({first} and {second}): keep only one of them."),
    "import_unknown_number": ("Tệp {path} mang số câu {number}, nhưng kịch bản chỉ có câu 1 đến {count}: hãy sửa tên tệp.",
                             "File {path} is numbered {number}, but the script has sentences 1 to {count} only: rename the file."),
    "import_gap": ("Thư mục {path} thiếu bản ghi âm của câu {numbers}: hãy ghi âm các câu đó hoặc kiểm tra lại tên tệp.",
                  "Folder {path} has no recording for sentence(s) {numbers}: record them or check the file names."),
    "synthetic_voice": ("Tệp {path} là giọng máy đọc ({source}), không thể ghi nhận là giọng của một người: hãy dùng bản ghi âm thật.",
                       "File {path} is a synthetic voice ({source}) and cannot be recorded as a person's voice: use a real recording."),
    "voice_backend": ("Bộ giọng đọc {backend} không đọc được tiếng {language}: {detail}",
                     "Voice backend {backend} cannot speak {language}: {detail}"),
    "stretcher_missing": ("Bộ co giãn thời gian {name} cần gói {package} chưa được cài: chạy scripts/setup_system.sh hoặc chọn bộ 'atempo'.",
                         "Time stretcher {name} needs {package}, which is not installed: run scripts/setup_system.sh or choose 'atempo'."),
    "tts_model_missing": ("Chưa có mô hình giọng đọc {name} tại {path}: hãy tải trên máy có Internet rồi chép thư mục đó sang.",
                         "Voice model {name} is not at {path}: download it on a machine with internet access and copy the folder here."),
    # pipeline/core/documents.py
    "script_unreadable": ("Không đọc được tệp {path}: không phải UTF-8, UTF-16 hay Windows-1258 (có thể là TCVN3/VNI). Hãy lưu lại tệp dạng UTF-8 hoặc Word (.docx).",
                         "Cannot read {path}: it is not UTF-8, UTF-16 or Windows-1258 (it may be TCVN3/VNI). Save the file again as UTF-8 or as Word (.docx)."),
    "script_document": ("Không mở được tài liệu {path} ({detail}): hãy lưu lại bằng Word/LibreOffice hoặc dạng văn bản UTF-8.",
                       "Cannot open the document {path} ({detail}): save it again from Word/LibreOffice or as UTF-8 text."),
    # pipeline/review/limits_web.py
    "builds_busy": ("Máy chủ đang bận tạo tệp xem trước. Hãy thử lại sau {seconds} giây.",
                   "The server is busy making previews. Try again in {seconds} seconds."),
    "too_many_requests": ("Quá nhiều yêu cầu trong thời gian ngắn. Hãy thử lại sau {seconds} giây.",
                         "Too many requests in a short time. Try again in {seconds} seconds."),
    # pipeline/portal/upload_lock.py
    "upload_busy": ("Phần tải lên này đang được ghi bởi một yêu cầu khác. Hãy đợi {seconds} giây rồi hỏi lại máy chủ đã nhận bao nhiêu.",
                   "This upload is being written by another request. Wait {seconds} seconds, then ask the server how much it has."),
    "upload_stalled": ("Không nhận được dữ liệu nào trong {seconds} giây: phần này bị bỏ, hãy gửi lại.",
                      "No data arrived for {seconds} seconds: the chunk was discarded, send it again."),
    # pipeline/publish/errors.py
    "source_changed": ("Tệp {path} không khớp với danh mục ({detail}): chưa chép gì cả. Hãy chạy lại 'caunoi produce' cho bài này.",
                      "File {path} does not match the manifest ({detail}): nothing was copied. Run 'caunoi produce' for this lesson again."),
    # pipeline/translate/tbx.py
    "tbx_refused": ("Tệp TBX {path} không nhập được: {detail}. Hãy xuất lại bằng 'caunoi glossary export' hoặc sửa mục đó.",
                   "TBX file {path} was not imported: {detail}. Export it again with 'caunoi glossary export' or fix that entry."),
    # pipeline/review/recordings.py
    "voice_consent_missing": ("Người dùng {user} chưa đồng ý cho dùng giọng của mình: hãy đánh dấu ô đồng ý trên trang ghi âm trước.",
                              "User {user} has not agreed to their voice being used: tick the consent box on the recording page first."),
    "voice_sentence_not_approved": ("Câu {number} chưa có bản dịch được duyệt: hãy chờ người duyệt duyệt câu này rồi ghi âm.",
                                    "Sentence {number} has no approved translation yet: wait until a reviewer approves it, then record."),
}
