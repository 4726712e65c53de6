#!/usr/bin/env python3
"""Write a phone-capture lesson: an upright (or landscape/square) screen recording of a
phone app with small Vietnamese UI text, narrated by ``espeak-ng -v vi``.

It is the kind of recording content teams make on the phone itself: any size (720×1280,
1080×2400, …), 60 fps with variable frame rate (stills are sparse, screen transitions slide
at the full rate), optionally stored sideways with rotation metadata. Deterministic: the same
arguments give byte-identical files. Used by the render tests and ``bench_render.py``, which
scores OCR against the answer key written next to the recording (``screens.json``: when each
screen is still and which lines of text it shows where, in display pixels).

Usage:
    python scripts/make_phone_lesson.py --out DIR [--id ID] [--size 720x1280] [--fps 60]
        [--rotate 0|90|270] [--sentences N] [--seed N]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import wave
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from pipeline.core.media import run_ffmpeg
from pipeline.render.fonts import font_file

TITLE = "Cài đặt định danh điện tử VNeID trên điện thoại"
RATE = 22050
#: The answer key written next to the recording.
SCREENS = "screens.json"
C1, C2 = "Mở ứng dụng và đăng nhập", "Kích hoạt tài khoản định danh"
# (chapter, narration sentence, app-bar title, rows of UI text)
STEPS: tuple[tuple[str, str, str, tuple[str, ...]], ...] = (
    (C1, "Hôm nay chúng ta học cách kích hoạt tài khoản định danh điện tử.", "Màn hình chính",
     ("Danh bạ", "Tin nhắn", "Zalo", "VNeID", "Cài đặt", "Thời tiết")),
    (C1, "Bấm vào biểu tượng VNeID để mở ứng dụng.", "VNeID",
     ("Đăng nhập", "Kích hoạt tài khoản", "Hướng dẫn sử dụng", "Câu hỏi thường gặp")),
    (C1, "Nhập số định danh cá nhân gồm mười hai chữ số.", "Đăng nhập",
     ("Số định danh cá nhân", "0 3 8 0 9 5 0 1 2 3 4 5", "Mật khẩu", "Quên mật khẩu?",
      "Tiếp tục")),
    (C2, "Chọn mục kích hoạt tài khoản ở cuối màn hình.", "Kích hoạt tài khoản",
     ("Mức độ 1: tự đăng ký", "Mức độ 2: tại công an xã", "Xác thực khuôn mặt",
      "Điều khoản sử dụng")),
    (C2, "Đặt điện thoại ngang mặt và giữ yên để xác thực khuôn mặt.", "Xác thực khuôn mặt",
     ("Đưa khuôn mặt vào khung", "Giữ yên điện thoại", "Đủ ánh sáng", "Bắt đầu quét")),
    (C2, "Nhập mã kích hoạt được gửi qua tin nhắn, rồi bấm xác nhận.", "Mã kích hoạt",
     ("Nhập mã gồm 6 chữ số", "Mã đã gửi tới số ***678", "Còn hiệu lực 5 phút",
      "Gửi lại mã", "Xác nhận")),
    (C2, "Khi màn hình báo thành công, tài khoản của bạn đã sẵn sàng.", "Thành công",
     ("Tài khoản đã kích hoạt", "Ví giấy tờ", "Thông báo", "Về trang chủ")),
)
TABS = ("Trang chủ", "Ví giấy tờ", "Thông báo", "Cá nhân")

# A second app (QR payment in a banking app), for --seed: a lesson whose screens, UI text and
# narration are not the default one's (benchmarks measure on a lesson not in the repository).
QR_TITLE = "Thanh toán bằng mã QR trên ứng dụng ngân hàng"
Q1, Q2, Q3 = ("Mở ứng dụng ngân hàng", "Quét mã và xác nhận thanh toán",
              "Xem lại và giữ an toàn")
QR_STEPS: tuple[tuple[str, str, str, tuple[str, ...]], ...] = (
    (Q1, "Trong bài này chúng ta học cách trả tiền bằng mã QR.", "Ngân hàng số",
     ("Chuyển tiền", "Quét mã QR", "Nạp tiền điện thoại", "Thanh toán hóa đơn", "Tiết kiệm")),
    (Q1, "Mở ứng dụng ngân hàng và nhập mật khẩu đăng nhập.", "Đăng nhập",
     ("Tên đăng nhập", "Mật khẩu", "Ghi nhớ đăng nhập", "Quên mật khẩu?", "Đăng nhập")),
    (Q1, "Trên màn hình chính, chọn mục quét mã QR.", "Trang chủ",
     ("Số dư tài khoản", "Quét mã QR", "Lịch sử giao dịch", "Ưu đãi của bạn")),
    (Q2, "Đưa camera vào mã QR dán ở quầy hàng.", "Quét mã QR",
     ("Đưa mã vào giữa khung", "Bật đèn pin", "Chọn ảnh có sẵn", "Mã của tôi")),
    (Q2, "Nếu không quét được, hãy lau camera và thử lại.", "Trợ giúp",
     ("Không quét được mã?", "Lau sạch camera", "Tăng độ sáng màn hình",
      "Gọi tổng đài 1900 5454")),
    (Q2, "Kiểm tra tên cửa hàng rồi nhập số tiền cần trả.", "Thông tin thanh toán",
     ("Cửa hàng Tạp hóa Hương Lan", "Số tiền: 125.000 đồng", "Nội dung: mua gạo",
      "Phí giao dịch: miễn phí", "Tiếp tục")),
    (Q2, "Nhập mã xác thực được gửi qua tin nhắn điện thoại.", "Xác thực giao dịch",
     ("Mã OTP gồm 6 chữ số", "Đã gửi tới số ***912", "Hiệu lực trong 2 phút",
      "Gửi lại mã", "Xác nhận")),
    (Q2, "Màn hình báo giao dịch thành công là bạn đã trả xong.", "Giao dịch thành công",
     ("Đã chuyển 125.000 đồng", "Mã giao dịch 4821", "Lưu ảnh biên lai", "Về trang chủ")),
    (Q3, "Bạn có thể xem lại giao dịch trong mục lịch sử.", "Lịch sử giao dịch",
     ("Hôm nay: Tạp hóa Hương Lan", "Hôm qua: Điện lực Sơn La", "Tuần trước: Nạp thẻ Viettel",
      "Tải sao kê")),
    (Q3, "Để an toàn, không đưa mật khẩu cho người khác.", "Bảo mật",
     ("Đổi mật khẩu", "Xác thực vân tay", "Thiết bị đã đăng nhập", "Khóa thẻ tạm thời")),
    (Q3, "Dùng xong, hãy đăng xuất khỏi ứng dụng.", "Cài đặt",
     ("Ngôn ngữ: Tiếng Việt", "Cỡ chữ", "Thông báo giao dịch", "Đăng xuất")),
)
QR_TABS = ("Trang chủ", "Giao dịch", "Ưu đãi", "Tài khoản")


def variant(seed: int) -> tuple[str, tuple[tuple[str, str, str, tuple[str, ...]], ...],
                                 tuple[str, ...]]:
    """Title, steps and tab labels of the lesson for ``seed`` (0: the default VNeID lesson;
    any other seed: the QR-payment app, rows of each screen in a seeded order)."""
    if seed == 0:
        return TITLE, STEPS, TABS
    import random

    rng = random.Random(seed)
    steps = tuple((c, text, title, tuple(rng.sample(rows, len(rows))))
                  for c, text, title, rows in QR_STEPS)
    return QR_TITLE, steps, QR_TABS


Box = tuple[int, int, int, int]


def draw_screen(size: tuple[int, int], step: int, seed: int = 0,
                texts: list[tuple[str, Box]] | None = None) -> Image.Image:
    """One app screen at ``size`` (display orientation): status bar, app bar, rows of
    small UI text, bottom tab bar. Each line of text drawn is added to ``texts`` with its
    box (the benchmark's answer key)."""
    w, h = size
    u = min(w, h) / 720  # UI unit: 1 at 720 px wide
    img = Image.new("RGB", size, (250, 250, 247))
    d = ImageDraw.Draw(img)

    def text(xy: tuple[float, float], line: str, font: ImageFont.FreeTypeFont,
             fill: tuple[int, int, int]) -> None:
        d.text(xy, line, font=font, fill=fill)
        if texts is not None:
            x0, y0, x1, y1 = d.textbbox(xy, line, font=font)
            texts.append((line, (round(x0), round(y0), round(x1), round(y1))))

    ui = ImageFont.truetype(font_file("Noto Sans"), round(28 * u))
    bold = ImageFont.truetype(font_file("Noto Sans", bold=True), round(34 * u))
    small = ImageFont.truetype(font_file("Noto Sans"), round(22 * u))
    _, steps, tabs = variant(seed)
    _, _, title, rows = steps[step % len(steps)]
    bar = round(48 * u)
    d.rectangle((0, 0, w, bar), fill=(20, 20, 24))
    text((round(24 * u), round(8 * u)), "9:41", font=small, fill=(230, 230, 230))
    text((w - round(110 * u), round(8 * u)), "4G  85%", font=small, fill=(230, 230, 230))
    d.rectangle((0, bar, w, bar + round(112 * u)), fill=(196, 30, 40))
    text((round(32 * u), bar + round(32 * u)), title, font=bold, fill=(255, 255, 255))
    y, left = bar + round(150 * u), round(32 * u)
    for i, row in enumerate(rows):
        box = (left, y, w - left, y + round(84 * u))
        d.rounded_rectangle(box, radius=round(14 * u), outline=(190, 190, 190),
                            width=max(1, round(2 * u)), fill=(255, 226, 140) if i == 1 else None)
        text((left + round(24 * u), y + round(22 * u)), row, font=ui, fill=(20, 20, 20))
        y += round(108 * u)
    tab_h = round(120 * u)
    d.rectangle((0, h - tab_h, w, h), fill=(240, 240, 240))
    if texts is not None:  # rows the tab bar covers (landscape) are not on screen
        texts[:] = [(t, b) for t, b in texts if b[3] <= h - tab_h]
    d.line((0, h - tab_h, w, h - tab_h), fill=(200, 200, 200), width=max(1, round(2 * u)))
    for k, tab in enumerate(tabs):
        cx = (k + 0.5) * w / len(tabs)
        d.ellipse((cx - 16 * u, h - tab_h + 18 * u, cx + 16 * u, h - tab_h + 50 * u),
                  fill=(196, 30, 40) if k == 0 else (150, 150, 150))
        tw = d.textlength(tab, font=small)
        text((cx - tw / 2, h - tab_h + round(62 * u)), tab, font=small, fill=(60, 60, 60))
    return img


def _frames(size: tuple[int, int], durations: list[float], fps: int, rotate: int,
            tmp: Path, seed: int = 0) -> tuple[Path, list[dict[str, object]]]:
    """PNG frames and a concat list: each screen shows as sparse stills (VFR), and the
    change to the next screen slides in at ``fps``. Also the answer key: when each screen
    is shown still and which lines of text it holds where."""
    entries: list[str] = []
    texts: list[list[tuple[str, Box]]] = [[] for _ in durations]
    screens = [draw_screen(size, i, seed, texts[i]) for i in range(len(durations))]
    key: list[dict[str, object]] = []
    n = 0

    def put(img: Image.Image, seconds: float) -> None:
        nonlocal n
        if rotate:  # stored sideways: the player turns it back by the rotation metadata
            img = img.rotate(-rotate, expand=True)
        name = f"f{n:05d}.png"
        img.save(tmp / name)
        entries.append(f"file '{name}'\nduration {seconds:.6f}\n")
        n += 1

    slide = max(2, fps // 4)
    for i, seconds in enumerate(durations):
        still = seconds - (slide / fps if i + 1 < len(durations) else 0.0)
        start = sum(durations[:i])
        key.append({"start_s": round(start, 6), "end_s": round(start + still, 6),
                    "lines": [{"text": t, "box": list(b)} for t, b in texts[i]]})
        for _ in range(max(1, round(still / 0.5))):  # a still screen: 2 frames a second
            put(screens[i], still / max(1, round(still / 0.5)))
        if i + 1 < len(durations):
            for k in range(1, slide + 1):
                frame = screens[i].copy()
                x = round(size[0] * (1 - k / slide))
                frame.paste(screens[i + 1], (x, 0))
                put(frame, 1 / fps)
    last = entries[-1].splitlines()[0]
    (tmp / "frames.txt").write_text("".join(entries) + last + "\n", encoding="utf-8")
    return tmp / "frames.txt", key


def _narration(n: int, tmp: Path, seed: int = 0) -> tuple[Path, list[float]]:
    steps = variant(seed)[1]
    pieces, durations = [np.zeros(int(0.6 * RATE), dtype=np.int16)], []
    for i in range(n):
        wav = tmp / f"s{i}.wav"
        subprocess.run(["espeak-ng", "-v", "vi", "-s", "160", "-w", str(wav),
                        steps[i % len(steps)][1]], check=True, capture_output=True)
        with wave.open(str(wav), "rb") as w:
            speech = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")
        pause = np.zeros(int(0.7 * RATE), dtype=np.int16)
        pieces += [speech, pause]
        durations.append((speech.size + pause.size + (pieces[0].size if i == 0 else 0)) / RATE)
    out = tmp / "narration.wav"
    with wave.open(str(out), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(np.concatenate(pieces).tobytes())
    return out, durations


def build(out: Path, lesson_id: str, size: tuple[int, int], fps: int, rotate: int,
          sentences: int, seed: int = 0) -> Path:
    title, steps, _ = variant(seed)
    lesson = out / lesson_id
    lesson.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="caunoi-phone-") as tmp_name:
        tmp = Path(tmp_name)
        wav, durations = _narration(sentences, tmp, seed)
        frames, key = _frames(size, durations, fps, rotate, tmp, seed)
        stored = tmp / "stored.mp4"
        run_ffmpeg(["-f", "concat", "-safe", "0", "-i", str(frames), "-i", str(wav),
                    "-map", "0:v", "-map", "1:a", "-fps_mode", "vfr", "-enc_time_base", f"1/{fps}",
                    "-vf", "format=yuv420p", "-c:v", "libx264", "-preset", "veryfast",
                    "-crf", "20", "-threads", "1", "-c:a", "aac", "-b:a", "64k",
                    "-map_metadata", "-1", "-fflags", "+bitexact", "-flags:v", "+bitexact",
                    "-flags:a", "+bitexact", str(stored)],
                   action="encoding the phone recording", path=stored)
        run_ffmpeg([*(["-display_rotation", str(rotate)] if rotate else []), "-i", str(stored),
                    "-c", "copy", "-map_metadata", "-1", "-fflags", "+bitexact",
                    "-movflags", "+faststart", str(lesson / "recording.mp4")],
                   action="writing the rotation metadata", path=lesson)
    # What is on screen when (display pixels, recording time): the benchmark scores OCR
    # against this instead of against OCR of the recording.
    (lesson / SCREENS).write_text(json.dumps({"size": list(size), "screens": key}, indent=1,
                                             ensure_ascii=False), encoding="utf-8")
    script = []
    for i in range(sentences):
        chapter, text = steps[i % len(steps)][:2]
        if i == 0 or chapter != steps[(i - 1) % len(steps)][0]:
            script += ["", f"# {chapter}"] if i else [f"# {chapter}"]
        script.append(text)
    (lesson / "script.md").write_text("\n".join(script) + "\n", encoding="utf-8")
    (lesson / "lesson.toml").write_text(
        f'title = "{title}"\nlanguages = []\nprofiles = ["compat"]\n'
        'authors = ["Cầu Nối phone-lesson generator (espeak-ng -v vi)"]\n', encoding="utf-8")
    return lesson


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--id", default="phone-vneid")
    p.add_argument("--size", default="720x1280", help="display size WxH")
    p.add_argument("--fps", type=int, default=60)
    p.add_argument("--rotate", type=int, default=0, choices=(0, 90, 270))
    p.add_argument("--sentences", type=int, default=len(STEPS))
    p.add_argument("--seed", type=int, default=0,
                   help="0: the VNeID lesson; other: a QR-payment lesson, rows in seeded order")
    a = p.parse_args(argv)
    w, h = (int(x) for x in a.size.lower().split("x"))
    print(build(a.out, a.id, (w, h), a.fps, a.rotate, a.sentences, a.seed))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
