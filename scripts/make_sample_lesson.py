#!/usr/bin/env python3
"""Write the sample lesson ``lessons/sample-qr-payment/`` (paying at the market with a QR code).

The narration is synthesised with espeak-ng, but deliberately *not* the way the DTW aligner
synthesises its templates (``pipeline/speech/align/synth.py``: ``-v vi`` and ``vi+f4`` at 150
wpm, no pauses): the narrator is the Southern variant with the ``m3`` voice at 136 wpm, pace
(±18 %), pitch and level change from sentence to sentence, the pauses between sentences are
uneven (0.14-1.5 s; three under 0.2 s, where sentences run together), four sentences have a
hesitation of 0.6-1.0 s at their first comma, the "microphone" band-limits the voice
(≈ 180-4200 Hz) and room tone plus a little noise fill the whole recording (no digital
silence). On this lesson the proportional baseline misses boundaries by seconds where DTW
stays within ~0.17 s, so the alignment tests can tell them apart.

The "screen recording" is a sequence of rendered phone-app screens with small (15 px)
Vietnamese UI text that changes with the narration. ``truth.json`` records the true start/end
of every spoken sentence. Deterministic (fixed tables, seeded noise): the same arguments give
byte-identical files.

Usage:
    python scripts/make_sample_lesson.py [--out lessons] [--sentences N] [--id ID]
                                         [--rate WPM] [--voice VOICE] [--force]
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
#: The narrator: not the aligner's template voices ("vi", "vi+f4") nor its speed (150 wpm).
VOICE = "vi-vn-x-south+m3"
WPM = 136
#: Per-sentence pace, pitch (espeak-ng 0-99) and level, cycled: a narrator is never metronomic.
PACE = (1.00, 0.84, 1.14, 0.93, 1.18, 0.88, 1.05, 0.82, 1.10, 0.96, 1.16, 0.86, 1.02, 1.12,
        0.90, 1.07, 0.95)
PITCH = (50, 42, 58, 46, 55, 40, 52, 60, 44, 50, 56, 41, 53, 47, 59, 45, 51)
LEVEL = (1.0, 0.8, 0.9, 0.65, 1.0, 0.75, 0.85, 0.7, 0.95, 0.8, 0.6, 0.9, 0.75, 1.0, 0.7, 0.85,
         0.8)
#: Pause after each sentence (s), cycled; some sentences run together (< 0.2 s: no pause a
#: detector can see), a chapter change and the end take longer.
PAUSE = (0.55, 0.3, 0.4, 0.35, 0.6, 0.25, 0.45, 0.9, 0.3, 0.14, 0.5, 0.7, 0.4, 0.16, 0.65,
         0.38, 0.5)
#: A hesitation (s) at the first comma of some sentences: longer than many sentence pauses.
HESITATE = (0.0, 0.9, 0.0, 0.0, 0.0, 0.0, 0.0, 0.7, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.6, 0.0)
CHAPTER_PAUSE, END_PAUSE, LEAD_IN = 1.5, 1.0, 0.8
#: Microphone pass band (Hz) and the room: tone level, noise level (dBFS RMS), seed.
BAND = (180.0, 4200.0)
ROOM_DBFS, NOISE_DBFS, SEED = -50.0, -58.0, 20261127


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


def synthesize(text: str, dst: Path, wpm: int, pitch: int, voice: str) -> np.ndarray:
    """Speak ``text`` with espeak-ng into ``dst``; return float samples at 22.05 kHz."""
    subprocess.run(["espeak-ng", "-v", voice, "-s", str(wpm), "-p", str(pitch), "-w", str(dst),
                    text], check=True, capture_output=True)
    with wave.open(str(dst), "rb") as w:
        assert w.getframerate() == RATE, w.getframerate()
        return np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(np.float64)


def trim(samples: np.ndarray, threshold: int = 300) -> np.ndarray:
    loud = np.flatnonzero(np.abs(samples) > threshold)
    return samples[loud[0]: loud[-1] + 1] if loud.size else samples


def band_limit(x: np.ndarray, low: float, high: float) -> np.ndarray:
    """Zero-phase band-pass with raised-cosine edges one octave wide (FFT of the whole take)."""
    spectrum = np.fft.rfft(x)
    f = np.fft.rfftfreq(x.size, 1 / RATE)
    with np.errstate(divide="ignore"):
        lo = np.clip(np.log2(np.maximum(f, 1e-9) / (low / 2)), 0, 1)
        hi = np.clip(np.log2(2 * high / np.maximum(f, 1e-9)), 0, 1)
    gain = np.sin(lo * np.pi / 2) ** 2 * np.sin(hi * np.pi / 2) ** 2
    return np.fft.irfft(spectrum * gain, n=x.size)


def room(n: int, rng: np.random.Generator) -> np.ndarray:
    """Room tone (brownish rumble with a slow swell) plus white noise, at the set levels."""
    rumble = band_limit(np.cumsum(rng.standard_normal(n)), 40.0, 900.0)
    swell = 1 + 0.3 * np.sin(2 * np.pi * np.arange(n) / (RATE * 7.3))
    rumble *= swell / max(float(np.sqrt(np.mean(rumble**2))), 1e-9)
    hiss = rng.standard_normal(n)
    return (rumble * 10 ** (ROOM_DBFS / 20) + hiss * 10 ** (NOISE_DBFS / 20)) * 32768


def narrate(steps: tuple[Step, ...], tmp: Path, wpm: int,
            voice: str) -> tuple[np.ndarray, list[dict[str, object]], list[int]]:
    """The narration as int16 samples, the true sentence times, and each step's end sample
    (where the next screen starts)."""
    pieces: list[np.ndarray] = [np.zeros(int(LEAD_IN * RATE))]
    truth: list[dict[str, object]] = []
    ends: list[int] = []
    pos = pieces[0].size
    for i, step in enumerate(steps):
        k = i % len(PACE)
        spoken = step.spoken or step.text
        parts = spoken.split(", ", 1) if HESITATE[k] else [spoken]
        said = [trim(synthesize(part, tmp / f"s{i}-{j}.wav", round(wpm * PACE[k]), PITCH[k],
                                voice)) for j, part in enumerate(parts)]
        if len(said) == 2:
            said.insert(1, np.zeros(int(HESITATE[k] * RATE)))
        speech = np.concatenate(said) * LEVEL[k]
        truth.append({"index": i, "text": step.text, "start": round(pos / RATE, 3),
                      "end": round((pos + speech.size) / RATE, 3)})
        pause = PAUSE[k]
        if i + 1 == len(steps):
            pause = END_PAUSE
        elif steps[i + 1].chapter != step.chapter:
            pause = CHAPTER_PAUSE
        pieces += [speech, np.zeros(int(pause * RATE))]
        pos += speech.size + pieces[-1].size
        ends.append(pos)
    voice_track = band_limit(np.concatenate(pieces), *BAND)
    mixed = voice_track + room(voice_track.size, np.random.default_rng(SEED))
    return np.clip(np.round(mixed), -32768, 32767).astype(np.int16), truth, ends


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


def encode(audio: np.ndarray, steps: tuple[Step, ...], ends: list[int], tmp: Path) -> Path:
    """Write the screens and the narration, and encode them into ``tmp/recording.mp4``."""
    concat: list[str] = []
    for i, step in enumerate(steps):
        # The screen for step i shows from its start until the next step starts.
        png = tmp / f"screen{i:02d}.png"
        draw_screen(step, i + 1, len(steps)).save(png)
        first = 0 if i == 0 else ends[i - 1]
        concat.append(f"file '{png.name}'\nduration {(ends[i] - first) / RATE:.3f}\n")
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
    return video


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
        audio, truth, ends = narrate(steps, tmp, rate_wpm, voice)
        video = encode(audio, steps, ends, tmp)
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
        f'authors = ["Cầu Nối sample generator (espeak-ng -v {voice})"]\n', encoding="utf-8")
    (lesson / "truth.json").write_text(json.dumps(truth, ensure_ascii=False, indent=2) + "\n",
                                       encoding="utf-8")
    return lesson


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", type=Path, default=Path("lessons"), help="lessons folder")
    p.add_argument("--id", default=LESSON_ID, help="lesson id (folder name)")
    p.add_argument("--sentences", type=int, default=len(STEPS),
                   help=f"number of sentences (the {len(STEPS)} of the script, cycled)")
    p.add_argument("--rate", type=int, default=WPM,
                   help="mean espeak-ng speed, words per minute (varied per sentence)")
    p.add_argument("--voice", default=VOICE, help="espeak-ng voice")
    p.add_argument("--force", action="store_true", help="rebuild even if present")
    args = p.parse_args(argv)
    if args.sentences < 1:
        p.error("--sentences must be at least 1")
    lesson = build(args.out, args.sentences, args.rate, args.voice, args.id, args.force)
    print(f"Bài học mẫu: {lesson}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
