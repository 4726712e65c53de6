"""Generated lessons with known sentence times, one narrator condition each, for
``bench_align.py`` (and the speech tests).

Every lesson: 10 sentences, narrated by one of espeak-ng's three Vietnamese variants (random
pitch and pace), pauses of 0.3–1 s and two of 2–4 s, one sentence of the script never said,
one ad-lib not in the script, room tone instead of digital silence. The condition adds:

- ``clean``      nothing more (reference)
- ``telephone``  a cheap phone or headset: 300–3400 Hz band, resampled to 8 kHz, 8-bit
                 mu-law codec, compressor and line noise, back to the lesson rate
- ``reverb``     a reverberant room (sox reverb)
- ``voice-vi``, ``voice-central``, ``voice-south``  that espeak-ng voice, pitch and pace far
                 from the aligner's templates
- ``music``      a music bed 10–15 dB below the speech
- ``pace``       every sentence at its own pace (0.75–1.35×)
- ``pauses``     every pause 0.3–4 s, and one sentence paused 1.5–4 s in its middle
- ``restarts``   two sentences restarted after a few syllables, two hesitations "ờ" inside
- ``mixed``      all of them: regional voice, per-sentence pace, long pauses, restarts,
                 reverb, music bed, through the telephone band and codec
- ``shift-up``, ``shift-down``  the narrator's voice moved 200–300 cents up or down with
                 sox ``pitch`` (formants move with the pitch: another vocal tract)
- ``phone-clip`` a clipping phone microphone: brick-wall 300–3400 Hz band (sox ``sinc``),
                 then 3–6 dB of gain past full scale that saturates, 8 kHz and back
- ``band-music`` a band-limited narrator (brick-wall 300–3400 Hz) over a quiet full-band
                 music bed 15–20 dB down
- ``shift-phone`` both: a shifted voice through the clipping phone

  These five have 12 sentences, any voice at 125–195 wpm and pitch 20–80, pauses of
  0.12–1.2 s (sentences run together) and two of 2–4 s, a level changing ±6 dB from sentence
  to sentence, a noisy room (20–30 dB) and reverberation half the time.

Script texts: ``tune`` lessons draw from ``POOL`` (tune aligners on these), ``unseen`` ones
from ``POOL_UNSEEN`` (another topic, other ad-libs: quote figures from these), ``fresh`` ones
from ``POOL_FRESH`` (a third topic, written after the aligner was tuned: held out too).

Truth: a restarted sentence starts with its first attempt; a hesitation is inside its sentence.
"""

from __future__ import annotations

import subprocess
import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pipeline.core.vi_numbers import spoken_form

RATE = 22050
CONDITIONS = ("clean", "telephone", "reverb", "voice-vi", "voice-central", "voice-south",
              "music", "pace", "pauses", "restarts", "mixed",
              "shift-up", "shift-down", "phone-clip", "band-music", "shift-phone")
#: The conditions of issue 29 (narrators the templates do not resemble, clipped phones).
HARD_CONDITIONS = CONDITIONS[11:]
N_SENTENCES = 10
POOL = (
    "Xin chào bà con, hôm nay chúng ta học cách trả tiền bằng mã QR khi đi chợ.",
    "Trước hết, hãy mở ứng dụng ngân hàng trên điện thoại của bạn.",
    "Nhập mật khẩu hoặc dùng vân tay để đăng nhập.",
    "Trên màn hình chính, bạn sẽ thấy số dư tài khoản và các nút chức năng.",
    "Hãy kiểm tra điện thoại có kết nối mạng, dù chỉ là sóng yếu.",
    "Người bán hàng thường dán mã QR ở quầy hoặc trên tấm bìa nhỏ.",
    "Bấm vào nút Quét mã QR ở giữa màn hình.",
    "Đưa camera lại gần mã QR, giữ tay thật chắc cho đến khi điện thoại rung nhẹ.",
    "Ứng dụng sẽ hiện tên người nhận, ví dụ cô Mai bán rau.",
    "Nhập số tiền cần trả, ví dụ 45.000 đồng cho hai bó rau cải.",
    "Bấm nút Xác nhận, rồi nhập mã OTP gồm 6 chữ số được gửi qua tin nhắn.",
    "Không bao giờ đọc mã OTP cho người khác, kể cả người tự xưng là nhân viên ngân hàng.",
    "Sau khi thanh toán xong, bạn nên kiểm tra lại lịch sử giao dịch.",
    "Nếu mạng yếu, hãy chờ một lát rồi thử lại, đừng bấm nhiều lần.",
    "Bạn có thể lưu mã QR của mình để người mua quét khi bán hàng trên Zalo.",
    "Hãy đặt mật khẩu khó đoán và không ghi mật khẩu lên giấy.",
    "Khi cần giúp đỡ, hãy hỏi tổ công nghệ số cộng đồng ở thôn bản.",
)
POOL_UNSEEN = (
    "Chào mọi người, hôm nay mình hướng dẫn cách đóng tiền điện qua điện thoại.",
    "Đầu tiên, bạn cần có hóa đơn tiền điện hoặc mã khách hàng in trên hóa đơn.",
    "Mở ứng dụng ví điện tử và chọn mục thanh toán hóa đơn.",
    "Trong danh sách dịch vụ, bấm vào ô có chữ tiền điện.",
    "Chọn công ty điện lực của tỉnh mình, ví dụ điện lực miền Bắc.",
    "Gõ mã khách hàng gồm 13 ký tự, viết liền không có dấu cách.",
    "Ứng dụng sẽ hiện tên chủ hộ và số tiền của tháng này.",
    "Bạn đọc kỹ tên chủ hộ, nếu sai thì quay lại nhập mã khác.",
    "Nếu số tiền đúng, bấm nút thanh toán màu xanh ở dưới cùng.",
    "Ví sẽ hỏi mật khẩu sáu số, bạn nhập cẩn thận từng số một.",
    "Màn hình báo giao dịch thành công kèm theo một mã số giao dịch.",
    "Bạn nên chụp lại màn hình này để giữ làm bằng chứng.",
    "Tháng sau, ứng dụng nhớ mã khách hàng nên bạn không phải gõ lại.",
    "Có thể bật chức năng tự động thanh toán vào ngày mười lăm hằng tháng.",
    "Nếu bị trừ tiền mà hóa đơn chưa cập nhật, hãy chờ khoảng hai ngày.",
    "Sau hai ngày vẫn chưa được, gọi tổng đài chăm sóc khách hàng để hỏi.",
    "Tuyệt đối không chuyển tiền cho ai gọi điện tự xưng là nhân viên điện lực.",
)
ADLIBS_UNSEEN = (
    "Ờ, cái này nhiều người hay nhầm lắm.",
    "Nào, bây giờ mình làm tiếp nhé.",
    "Khoan đã, để mình kéo màn hình xuống một chút.",
)
POOL_FRESH = (
    "Chào cả nhà, bài này chỉ cách đặt lịch khám bệnh trên điện thoại.",
    "Bạn mở ứng dụng của bệnh viện huyện đã cài từ hôm trước.",
    "Ở góc trên bên phải có nút đăng ký, bạn bấm vào đó.",
    "Điền họ tên đầy đủ, ngày sinh và số căn cước công dân.",
    "Chọn khoa muốn khám, ví dụ khoa nhi cho con nhỏ.",
    "Lịch sẽ hiện những ngày còn chỗ bằng màu xanh lá cây.",
    "Bấm vào buổi sáng thứ ba, lúc tám giờ ba mươi phút.",
    "Nếu có thẻ bảo hiểm y tế, hãy chụp hai mặt của thẻ.",
    "Ảnh phải rõ chữ, không bị lóa đèn và không bị mất góc.",
    "Kiểm tra lại mọi thông tin rồi bấm gửi yêu cầu.",
    "Bệnh viện sẽ nhắn tin xác nhận trong vòng một giờ.",
    "Trong tin nhắn có số thứ tự, bạn nhớ giữ lại tin này.",
    "Đến ngày khám, mang theo thẻ và đến sớm mười lăm phút.",
    "Đưa số thứ tự cho quầy tiếp đón, không cần xếp hàng lấy số nữa.",
    "Muốn đổi ngày, vào mục lịch của tôi và chọn hủy lịch.",
    "Người già chưa quen máy có thể nhờ con cháu làm giúp.",
    "Ứng dụng không bao giờ đòi chuyển tiền trước để giữ chỗ.",
)
ADLIBS_FRESH = (
    "Ơ, mạng hôm nay hơi chậm, chờ mình tí nhé.",
    "Đấy, đơn giản thế thôi bà con ạ.",
    "Hừm, để mình xem lại chỗ này đã.",
)
ADLIBS = (
    "À, bà con nhớ để ý chỗ này nhé.",
    "Ừ, chỗ này hơi khó, chúng ta làm chậm lại một chút.",
    "Vâng, mọi người nhìn lên màn hình nhé.",
)
VOICES = ("vi", "vi-vn-x-central", "vi-vn-x-south")


@dataclass
class Truth:
    text: str
    start: float
    end: float
    status: str  # matched, skipped, ad-lib


def read(path: Path) -> np.ndarray:
    with wave.open(str(path)) as w:
        return np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(np.float32) / 32768


def write_wav(path: Path, x: np.ndarray, rate: int = RATE) -> None:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes((np.clip(x, -1, 1) * 32767).astype("<i2").tobytes())


def sox(x: np.ndarray, tmp: Path, *effects: str, rate: int = RATE,
        out_rate: int = RATE) -> np.ndarray:
    src, dst = tmp / "sox_in.wav", tmp / "sox_out.wav"
    write_wav(src, x, rate)
    # -R: sox's dither and random effects repeat, so a seed gives the same lesson every run.
    subprocess.run(["sox", "-R", str(src), str(dst), *effects, "rate", str(out_rate)],
                   check=True, capture_output=True)
    return read(dst)


def mu_law(x: np.ndarray, bits: int = 8) -> np.ndarray:
    """G.711-like companding codec: 8-bit mu-law quantisation and back."""
    mu = 255.0
    y = np.sign(x) * np.log1p(mu * np.abs(np.clip(x, -1, 1))) / np.log1p(mu)
    levels = 2 ** (bits - 1)
    y = np.round(y * levels) / levels
    return np.asarray(np.sign(y) * np.expm1(np.abs(y) * np.log1p(mu)) / mu, dtype=np.float32)


def telephone(x: np.ndarray, level: float, rng: np.random.Generator, tmp: Path) -> np.ndarray:
    """A cheap phone or headset: 300–3400 Hz, 8 kHz, compressor, line noise, mu-law codec,
    then back to the lesson rate."""
    x = x / max(1e-6, float(np.abs(x).max())) * 0.8
    narrow = sox(x, tmp, "sinc", "300-3400", "compand", "0.02,0.2",
                 "-60,-60,-30,-15,0,-5", "-3", out_rate=8000)
    line = rng.normal(0, 1, narrow.size).astype(np.float32)
    narrow = narrow + line * level / 10 ** (30 / 20)
    return sox(mu_law(narrow), tmp, rate=8000)


def clipping_phone(x: np.ndarray, rng: np.random.Generator, tmp: Path) -> np.ndarray:
    """A phone microphone that clips: brick-wall 300–3400 Hz, 3–6 dB of gain past full
    scale (saturated, not limited), through 8 kHz and back."""
    x = x / max(1e-6, float(np.abs(x).max())) * 0.95
    narrow = sox(x, tmp, "sinc", "300-3400", out_rate=8000)
    gain = 10 ** (rng.uniform(3, 6) / 20)
    hot = np.clip(narrow / max(1e-6, float(np.abs(narrow).max())) * gain, -1, 1)
    return sox(np.asarray(hot, dtype=np.float32), tmp, rate=8000)


class Narrator:
    def __init__(self, voice: str, wpm: int, pitch: int, tmp: Path) -> None:
        self.voice, self.wpm, self.pitch, self.tmp = voice, wpm, pitch, tmp

    def say(self, text: str, factor: float = 1.0) -> np.ndarray:
        dst = self.tmp / "say.wav"
        subprocess.run(["espeak-ng", "-v", self.voice, "-s", str(self.wpm), "-p",
                        str(self.pitch), "-w", str(dst), spoken_form(text)], check=True,
                       capture_output=True)
        x = read(dst)
        loud = np.flatnonzero(np.abs(x) > 0.01)
        x = x[loud[0]: loud[-1] + 1]
        return sox(x, self.tmp, "tempo", "-s", f"{factor:.3f}") if factor != 1.0 else x


def music(n: int, rng: np.random.Generator) -> np.ndarray:
    """A slow chord progression with a plucked rhythm and a soft pad."""
    t = np.arange(n) / RATE
    root = rng.choice([196.0, 220.0, 246.9])
    out = 0.3 * np.sin(2 * np.pi * root / 2 * t)
    beat = int(rng.uniform(0.4, 0.6) * RATE)
    for k, start in enumerate(range(0, n, beat)):
        seg = t[: min(beat, n - start)]
        f = root * (1.0, 1.26, 1.5, 1.12, 1.33, 1.68)[(k // 4) % 6]
        out[start: start + seg.size] += np.sin(2 * np.pi * f * seg) * np.exp(-seg * 4)
    return np.asarray(out, dtype=np.float32)


def _script(rng: np.random.Generator, pool: tuple[str, ...], n: int = N_SENTENCES) -> list[str]:
    return [pool[k] for k in rng.choice(len(pool), size=n, replace=False)]


def _narrator(condition: str, rng: np.random.Generator, tmp: Path) -> Narrator:
    if condition in HARD_CONDITIONS:
        return Narrator(str(rng.choice(VOICES)), int(rng.integers(125, 196)),
                        int(rng.integers(20, 81)), tmp)
    if condition.startswith("voice-") or condition == "mixed":
        voice = {"voice-vi": "vi", "voice-central": VOICES[1], "voice-south": VOICES[2]}.get(
            condition, str(rng.choice(VOICES[1:])))
        return Narrator(voice, int(rng.integers(115, 190)), int(rng.choice([20, 25, 75, 80])),
                        tmp)
    return Narrator(str(rng.choice(VOICES)), int(rng.integers(130, 176)),
                    int(rng.integers(35, 66)), tmp)


def _finish(condition: str, speech: np.ndarray, rng: np.random.Generator,
            tmp: Path) -> np.ndarray:
    if condition.startswith("shift"):
        cents = rng.uniform(200, 300) * (-1 if condition == "shift-down" or (
            condition == "shift-phone" and rng.random() < 0.5) else 1)
        speech = sox(speech, tmp, "pitch", f"{cents:.0f}")
    level = float(np.sqrt(np.mean(speech[np.abs(speech) > 0.01] ** 2)))
    room = rng.normal(0, 1, speech.size).astype(np.float32)
    speech = speech + room * level / 10 ** (45 / 20)  # room tone 45 dB down
    if condition in HARD_CONDITIONS:  # a noisy room (20–30 dB), reverberant half the time
        hiss = np.cumsum(rng.normal(0, 1, speech.size)).astype(np.float32)
        hiss = hiss - np.convolve(hiss, np.ones(441) / 441, mode="same")
        speech = speech + hiss / (np.std(hiss) + 1e-9) * level / 10 ** (rng.uniform(20, 30) / 20)
        if rng.random() < 0.5:
            speech = sox(speech, tmp, "reverb", str(int(rng.integers(30, 60))), "50",
                         str(int(rng.integers(50, 90))))
    if condition in ("reverb", "mixed"):
        speech = sox(speech, tmp, "reverb", str(int(rng.integers(40, 70))), "50",
                     str(int(rng.integers(60, 100))))
    if condition in ("music", "mixed"):
        snr = rng.uniform(10, 15)
        bed = music(speech.size, rng)
        speech = speech + bed * level / (np.sqrt(np.mean(bed**2)) + 1e-9) / 10 ** (snr / 20)
    if condition == "band-music":
        narrow = sox(speech, tmp, "sinc", "300-3400")
        snr = rng.uniform(15, 20)
        bed = music(speech.size, rng)
        speech = narrow + bed * level / (np.sqrt(np.mean(bed**2)) + 1e-9) / 10 ** (snr / 20)
    if condition in ("telephone", "mixed"):
        speech = telephone(speech, level, rng, tmp)
    if condition in ("phone-clip", "shift-phone"):
        speech = clipping_phone(speech, rng, tmp)
    return np.asarray(speech / max(1e-6, float(np.abs(speech).max())) * 0.8, dtype=np.float32)


def make_lesson(condition: str, seed: int, root: Path, tmp: Path,
                texts_from: str = "tune") -> tuple[Path, list[Truth], str]:
    """Write ``root/<condition>-<seed>/`` (script.md, lesson.toml, recording.wav) and return
    it with the true sentence times and a one-line description."""
    # Each condition draws its own script, narrator and structure from the seed.
    which = ("tune", "unseen", "fresh").index(texts_from)
    rng = np.random.default_rng([seed, CONDITIONS.index(condition), which])
    hard = condition in HARD_CONDITIONS
    texts = _script(rng, (POOL, POOL_UNSEEN, POOL_FRESH)[which], 12 if hard else N_SENTENCES)
    adlib = (ADLIBS, ADLIBS_UNSEEN, ADLIBS_FRESH)[which][seed % 3]
    nar = _narrator(condition, rng, tmp)
    skipped_at = int(rng.integers(1, len(texts) - 1))
    adlib_after = int(rng.integers(0, len(texts) - 1))
    if hard and adlib_after == skipped_at:  # every hard lesson has its ad-lib
        adlib_after = skipped_at - 1
    long_pause_after = {int(k) for k in rng.choice(len(texts), size=2, replace=False)}
    odd = [int(k) for k in rng.choice([k for k in range(len(texts)) if k != skipped_at], 4,
                                      replace=False)]
    truth: list[Truth] = []
    pieces = [np.zeros(int(rng.uniform(0.3, 1.2) * RATE), dtype=np.float32)]

    def pos() -> float:
        return sum(p.size for p in pieces) / RATE

    def pause(seconds: float) -> None:
        pieces.append(np.zeros(int(seconds * RATE), dtype=np.float32))

    long_pauses = condition in ("pauses", "mixed")
    split_at = next(k for k in range(len(texts)) if k not in (*odd, skipped_at)) \
        if long_pauses else -1

    for k, text in enumerate(texts):
        if k == skipped_at:
            truth.append(Truth(text, pos(), pos(), "skipped"))
            continue
        factor = float(rng.uniform(0.75, 1.35)) if condition in ("pace", "mixed") else 1.0
        start = pos()
        words = text.split()
        restarts = condition in ("restarts", "mixed")
        if restarts and k in odd[:2]:
            pieces.append(nar.say(" ".join(words[: int(rng.integers(2, 4))]), factor))
            pause(rng.uniform(0.2, 0.5))
        if k == split_at:
            cut = len(words) // 2
            pieces.append(nar.say(" ".join(words[:cut]), factor))
            pause(rng.uniform(1.5, 4.0))
            pieces.append(nar.say(" ".join(words[cut:]), factor))
        elif restarts and k in odd[2:]:
            cut = int(rng.integers(2, max(3, len(words) - 1)))
            pieces.append(nar.say(" ".join(words[:cut]), factor))
            pause(0.15)
            pieces.append(nar.say("ờ", 0.6))
            pause(0.2)
            pieces.append(nar.say(" ".join(words[cut:]), factor))
        else:
            # Hard conditions: the level changes from sentence to sentence (±6 dB).
            pieces.append(nar.say(text, factor) * (10 ** (rng.uniform(-6, 6) / 20) if hard
                                                   else 1.0))
        truth.append(Truth(text, start, pos(), "matched"))
        pause(rng.uniform(2.0, 4.0) if k in long_pause_after
              else rng.uniform(0.12, 1.2) if hard
              else rng.uniform(0.3, 4.0 if long_pauses else 1.0))
        if k == adlib_after:
            start = pos()
            pieces.append(nar.say(adlib))
            truth.append(Truth(adlib, start, pos(), "ad-lib"))
            pause(rng.uniform(0.3, 1.0))
    audio = _finish(condition, np.concatenate(pieces), rng, tmp)
    lesson = root / f"{condition}-{seed}"
    lesson.mkdir(parents=True, exist_ok=True)
    write_wav(lesson / "recording.wav", audio)
    (lesson / "script.md").write_text("# Bài thử\n" + "\n".join(texts) + "\n", encoding="utf-8")
    (lesson / "lesson.toml").write_text(f'title = "Bài thử {seed}"\nlanguages = []\n',
                                        encoding="utf-8")
    return lesson, truth, f"{nar.voice} {nar.wpm} wpm pitch {nar.pitch}"
