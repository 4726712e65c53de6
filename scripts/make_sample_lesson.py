#!/usr/bin/env python3
"""Write the sample lesson ``lessons/sample-qr-payment/`` (paying at the market with a QR code).

The narration is synthesised with ``espeak-ng -v vi``; the "screen recording" is a sequence of
rendered phone-app screens with small (15 px) Vietnamese UI text that changes with the
narration. ``truth.json`` records the true start/end of every spoken sentence (used by the
alignment benchmark). Deterministic: the same arguments give byte-identical files.

Usage:
    python scripts/make_sample_lesson.py [--out lessons] [--sentences N] [--rate WPM] [--force]
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from pipeline.core.media import run_ffmpeg
from pipeline.render.fonts import font_file

LESSON_ID = "sample-qr-payment"
TITLE = "Trả tiền bằng mã QR khi đi chợ"
RATE = 22050  # espeak-ng's output rate


@dataclass(frozen=True)
class Step:
    chapter: str
    text: str            # as written in the script
    spoken: str          # as the narrator says it (numbers spelled out)
    screen: str          # which app screen is shown
    highlight: int = -1  # index of the highlighted UI row


C1 = "Chuẩn bị trước khi thanh toán"
C2 = "Quét mã và trả tiền"
STEPS: tuple[Step, ...] = (
    Step(C1, "Xin chào bà con, hôm nay chúng ta học cách trả tiền bằng mã QR khi đi chợ.",
         "", "home"),
    Step(C1, "Trước hết, hãy mở ứng dụng ngân hàng trên điện thoại của bạn.", "", "apps", 2),
    Step(C1, "Nhập mật khẩu hoặc dùng vân tay để đăng nhập.", "", "login", 1),
    Step(C1, "Trên màn hình chính, bạn sẽ thấy số dư tài khoản và các nút chức năng.", "",
         "main", 0),
    Step(C1, "Hãy kiểm tra điện thoại có kết nối mạng, dù chỉ là sóng yếu.", "", "main", -1),
    Step(C1, "Người bán hàng thường dán mã QR ở quầy hoặc trên tấm bìa nhỏ.", "", "qrcard"),
    Step(C2, "Bấm vào nút Quét mã QR ở giữa màn hình.", "", "main", 1),
    Step(C2, "Đưa camera lại gần mã QR, giữ tay thật chắc cho đến khi điện thoại rung nhẹ.", "",
         "scan"),
    Step(C2, "Ứng dụng sẽ hiện tên người nhận, ví dụ cô Mai bán rau.", "", "pay", 0),
    Step(C2, "Hãy đọc kỹ tên người nhận để chắc chắn mình trả đúng người.", "", "pay", 0),
    Step(C2, "Nhập số tiền cần trả, ví dụ 45.000 đồng cho hai bó rau cải.",
         "Nhập số tiền cần trả, ví dụ bốn mươi lăm nghìn đồng cho hai bó rau cải.", "pay", 1),
    Step(C2, "Ở ô nội dung, bạn có thể ghi mua rau cải.", "", "pay", 2),
    Step(C2, "Bấm nút Xác nhận, rồi nhập mã OTP gồm 6 chữ số được gửi qua tin nhắn.",
         "Bấm nút Xác nhận, rồi nhập mã Ô Tê Pê gồm sáu chữ số được gửi qua tin nhắn.",
         "otp", 0),
    Step(C2, "Khi màn hình báo giao dịch thành công, hãy đưa cho người bán xem.", "", "done"),
    Step(C2, "Người bán sẽ nhận được tin báo tiền đã vào tài khoản.", "", "done"),
    Step(C2, "Không bao giờ đọc mã OTP cho người khác, kể cả người tự xưng là nhân viên ngân hàng.",
         "Không bao giờ đọc mã Ô Tê Pê cho người khác, kể cả người tự xưng là nhân viên ngân hàng.",
         "warn"),
    Step(C2, "Chúc bà con mua bán thuận lợi và an toàn.", "", "home"),
)

# Phone-app screens: a title and the rows of small UI text (15 px at 1280x720).
SCREENS: dict[str, tuple[str, tuple[str, ...]]] = {
    "home": ("Màn hình điện thoại", ("Danh bạ", "Tin nhắn", "Máy ảnh", "Ngân hàng Số",
                                     "Cài đặt")),
    "apps": ("Ứng dụng", ("Zalo", "Máy ảnh", "Ngân hàng Số", "Dịch vụ công", "Thời tiết")),
    "login": ("Ngân hàng Số — Đăng nhập", ("Số điện thoại: 0912 345 678", "Mật khẩu: ••••••",
                                            "Đăng nhập bằng vân tay", "Quên mật khẩu?")),
    "main": ("Trang chủ", ("Số dư: 1.250.000 đ", "Quét mã QR", "Chuyển tiền",
                            "Lịch sử giao dịch", "Nạp tiền điện thoại")),
    "qrcard": ("Quầy rau cô Mai", ("Mã QR thanh toán", "Chủ tài khoản: LÒ THỊ MAI",
                                   "Quét để trả tiền", "Cảm ơn quý khách!")),
    "scan": ("Quét mã QR", ("Đưa mã QR vào khung hình", "Giữ yên điện thoại",
                            "Đang nhận diện…", "Bật đèn flash")),
    "pay": ("Chuyển tiền", ("Người nhận: LÒ THỊ MAI", "Số tiền: 45.000 đ",
                            "Nội dung: Mua rau cải", "Phí giao dịch: 0 đ", "Tiếp tục")),
    "otp": ("Xác nhận giao dịch", ("Nhập mã OTP (6 chữ số)", "Mã đã gửi tới số ***678",
                                   "Còn hiệu lực 60 giây", "Xác nhận")),
    "done": ("Giao dịch thành công", ("Đã chuyển: 45.000 đ", "Tới: LÒ THỊ MAI",
                                      "Nội dung: Mua rau cải", "Mã giao dịch: FT2611250001",
                                      "Về trang chủ")),
    "warn": ("Cảnh báo lừa đảo", ("Không chia sẻ mã OTP", "Ngân hàng không bao giờ hỏi OTP",
                                  "Gọi tổng đài khi nghi ngờ", "Đã hiểu")),
}


def synthesize(text: str, dst: Path, rate_wpm: int, voice: str) -> np.ndarray:
    """Speak ``text`` with espeak-ng into ``dst``; return int16 samples at 22.05 kHz."""
    subprocess.run(["espeak-ng", "-v", voice, "-s", str(rate_wpm), "-w", str(dst), text],
                   check=True, capture_output=True)
    with wave.open(str(dst), "rb") as w:
        assert w.getframerate() == RATE, w.getframerate()
        return np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").copy()


def trim(samples: np.ndarray, threshold: int = 300) -> np.ndarray:
    loud = np.flatnonzero(np.abs(samples.astype(np.int32)) > threshold)
    return samples[loud[0]: loud[-1] + 1] if loud.size else samples


def draw_screen(step: Step, number: int, total: int) -> Image.Image:
    img = Image.new("RGB", (1280, 720), (38, 44, 52))
    d = ImageDraw.Draw(img)
    ui = ImageFont.truetype(font_file("Noto Sans"), 15)
    ui_bold = ImageFont.truetype(font_file("Noto Sans", bold=True), 17)
    big = ImageFont.truetype(font_file("Noto Sans", bold=True), 30)
    mid = ImageFont.truetype(font_file("Noto Sans"), 22)
    # Phone body and screen.
    d.rounded_rectangle((140, 30, 460, 690), radius=28, fill=(15, 15, 18))
    d.rectangle((156, 70, 444, 650), fill=(250, 250, 247))
    d.text((170, 44), "9:41          4G", font=ui, fill=(220, 220, 220))
    title, rows = SCREENS[step.screen]
    d.rectangle((156, 70, 444, 112), fill=(0, 120, 90))
    d.text((168, 80), title, font=ui_bold, fill=(255, 255, 255))
    y = 130
    for i, row in enumerate(rows):
        box = (166, y - 6, 434, y + 30)
        if i == step.highlight:
            d.rounded_rectangle(box, radius=8, fill=(255, 226, 140), outline=(210, 120, 0),
                                width=2)
        else:
            d.rounded_rectangle(box, radius=8, outline=(200, 200, 200), width=1)
        d.text((178, y), row, font=ui, fill=(20, 20, 20))
        y += 48
    if step.screen in ("qrcard", "scan"):
        rng = np.random.default_rng(7)  # a fixed fake QR pattern
        cells = rng.integers(0, 2, (21, 21))
        for (r, c), v in np.ndenumerate(cells):
            if v:
                d.rectangle((220 + c * 8, 380 + r * 8, 227 + c * 8, 387 + r * 8), fill=(0, 0, 0))
    # Teaching panel on the right.
    d.text((540, 80), step.chapter, font=big, fill=(255, 210, 90))
    d.text((540, 140), f"Bước {number}/{total}", font=mid, fill=(200, 220, 255))
    words, line, y = step.text.split(), "", 200
    for w in words:  # simple wrap for the panel text
        trial = f"{line} {w}".strip()
        if d.textlength(trial, font=mid) > 680:
            d.text((540, y), line, font=mid, fill=(240, 240, 240))
            line, y = w, y + 34
        else:
            line = trial
    d.text((540, y), line, font=mid, fill=(240, 240, 240))
    return img


def build(out_root: Path, n_sentences: int, rate_wpm: int, voice: str, lesson_id: str,
          force: bool) -> Path:
    lesson = out_root / lesson_id
    if (lesson / "recording.mp4").is_file() and not force:
        print(f"{lesson} đã có sẵn (dùng --force để tạo lại).")
        return lesson
    # Longer lessons (benchmarks) cycle through the script.
    steps = tuple(STEPS[i % len(STEPS)] for i in range(n_sentences))
    with tempfile.TemporaryDirectory(prefix="caunoi-sample-") as tmpdir:
        tmp = Path(tmpdir)
        pieces: list[np.ndarray] = []
        truth: list[dict[str, object]] = []
        concat: list[str] = []
        pos = int(0.8 * RATE)
        pieces.append(np.zeros(pos, dtype=np.int16))
        for i, step in enumerate(steps):
            speech = trim(synthesize(step.spoken or step.text, tmp / f"s{i}.wav", rate_wpm, voice))
            start = pos
            pieces.append(speech)
            pos += speech.size
            truth.append({"index": i, "text": step.text, "start": round(start / RATE, 3),
                          "end": round(pos / RATE, 3)})
            new_chapter = i + 1 < len(steps) and steps[i + 1].chapter != step.chapter
            pause = int((1.4 if new_chapter else 0.6) * RATE)
            if i + 1 == len(steps):
                pause = int(1.0 * RATE)
            pieces.append(np.zeros(pause, dtype=np.int16))
            pos += pause
            # The screen for step i shows from its start until the next step starts.
            png = tmp / f"screen{i:02d}.png"
            draw_screen(step, i + 1, len(steps)).save(png)
            first = 0.0 if i == 0 else start / RATE
            end = pos / RATE
            concat.append(f"file '{png.name}'\nduration {end - first:.3f}\n")
        audio = np.concatenate(pieces)
        wav = tmp / "narration.wav"
        with wave.open(str(wav), "wb") as w:
            w.setnchannels(1)
            w.setsampwidth(2)
            w.setframerate(RATE)
            w.writeframes(audio.tobytes())
        last = f"screen{len(steps) - 1:02d}.png"
        (tmp / "screens.txt").write_text("".join(concat) + f"file '{last}'\n", encoding="utf-8")
        video = tmp / "recording.mp4"
        run_ffmpeg(["-f", "concat", "-safe", "0", "-i", str(tmp / "screens.txt"), "-i", str(wav),
                    "-map", "0:v", "-map", "1:a", "-vf", "fps=15,format=yuv420p",
                    "-c:v", "libx264", "-preset", "veryfast", "-crf", "18", "-threads", "1",
                    "-c:a", "aac", "-b:a", "64k", "-t", f"{audio.size / RATE:.3f}",
                    "-map_metadata", "-1", "-fflags", "+bitexact", "-flags:v", "+bitexact",
                    "-flags:a", "+bitexact", "-movflags", "+faststart", str(video)],
                   action="encoding the sample recording", path=video)
        if lesson.exists():
            shutil.rmtree(lesson)
        lesson.mkdir(parents=True)
        shutil.copyfile(video, lesson / "recording.mp4")
    script = [f"# {steps[0].chapter}"]
    for i, step in enumerate(steps):
        if i and step.chapter != steps[i - 1].chapter:
            script += ["", f"# {step.chapter}"]
        script.append(step.text)
    (lesson / "script.md").write_text("\n".join(script) + "\n", encoding="utf-8")
    (lesson / "lesson.toml").write_text(
        f'title = "{TITLE}"\nlanguages = ["hmn", "blt"]\nprofiles = ["compat"]\n'
        'authors = ["Cầu Nối sample generator (espeak-ng -v vi)"]\n', encoding="utf-8")
    (lesson / "truth.json").write_text(json.dumps(truth, ensure_ascii=False, indent=2) + "\n",
                                       encoding="utf-8")
    return lesson


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", type=Path, default=Path("lessons"), help="lessons folder")
    p.add_argument("--id", default=LESSON_ID, help="lesson id (folder name)")
    p.add_argument("--sentences", type=int, default=len(STEPS),
                   help=f"number of sentences (the {len(STEPS)} of the script, cycled)")
    p.add_argument("--rate", type=int, default=150, help="espeak-ng speed, words per minute")
    p.add_argument("--voice", default="vi", help="espeak-ng voice")
    p.add_argument("--force", action="store_true", help="rebuild even if present")
    args = p.parse_args(argv)
    if args.sentences < 1:
        p.error("--sentences must be at least 1")
    lesson = build(args.out, args.sentences, args.rate, args.voice, args.id, args.force)
    print(f"Bài học mẫu: {lesson}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
