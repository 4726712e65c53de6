#!/usr/bin/env python3
"""Write stand-in "community" voice recordings of the sample lesson: one file per narration
sentence, named by its number (``1.wav`` … ``17.wav``), spoken by espeak-ng's English voice
with a different pitch and speed per sentence, with a little leading and trailing room noise.

English stands in for a minority language (nobody here speaks Hmong or Tai Dam); the English
lines are the team's own translations of the sample script (scripts/make_sample_lesson.py).
These files are NOT labelled synthetic on purpose: they play the part of a person's phone
recordings in tests and benchmarks. Deterministic (seeded noise).

Usage:
    python scripts/make_voice_recordings.py --out DIR [--sentences N] [--format wav|m4a|ogg]
                                            [--slow 1.0]
"""

from __future__ import annotations

import argparse
import io
import subprocess
import sys
import wave
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from pipeline.core.media import run_ffmpeg

#: The team's English stand-ins for the sample's title and chapter headings (Vietnamese →
#: English), approved with the narration in the voice demo.
ENGLISH_UNITS = {
    "Trả tiền bằng mã QR khi đi chợ": "Paying with a QR code at the market",
    "Chuẩn bị trước khi thanh toán": "Getting ready to pay",
    "Quét mã và trả tiền": "Scan the code and pay",
}

ENGLISH = (
    "Hello everyone, today we learn how to pay with a QR code at the market.",
    "First, open the bank app on your phone.",
    "Enter your password or use your fingerprint to log in.",
    "On the main screen you will see your balance and the function buttons.",
    "Check that the phone is connected, even if the signal is weak.",
    "Sellers often stick the QR code on the counter or on a small card.",
    "Tap the Scan QR button in the middle of the screen.",
    "Hold the camera close to the code and keep your hand steady until the phone vibrates.",
    "The app shows the receiver's name, for example Miss Mai who sells vegetables.",
    "Read the name carefully to be sure you pay the right person.",
    "Enter the amount, for example 45,000 dong for two bunches of greens.",
    "In the message box you can write: bought greens.",
    "Tap Confirm, then enter the six digit OTP code sent by text message.",
    "When the screen says the payment succeeded, show it to the seller.",
    "The seller will get a message that the money has arrived.",
    "Never read your OTP code to anyone, even someone who says they work for the bank.",
    "Good luck with your buying and selling, and stay safe.",
)
RATE = 22_050


def espeak(text: str, pitch: int, wpm: int) -> np.ndarray:
    raw = subprocess.run(["espeak-ng", "-v", "en-us", "-p", str(pitch), "-s", str(wpm),
                          "--stdout", text], capture_output=True, check=True).stdout
    with wave.open(io.BytesIO(raw)) as w:
        return np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(np.float32)


def voice(number: int, slow: float, rng: np.random.Generator) -> np.ndarray:
    """Sentence ``number``'s recording: 0.3 s room noise, the speech, 0.4 s room noise."""
    text = ENGLISH[number - 1]
    pitch, wpm = 30 + (number * 13) % 45, round((150 + (number * 17) % 50) / slow)
    speech = espeak(text, pitch, wpm)
    lead, tail = np.zeros(int(0.3 * RATE)), np.zeros(int(0.4 * RATE))
    out = np.concatenate([lead, speech, tail])
    out += rng.normal(0, 60, out.size)  # about -55 dBFS of room noise
    pcm: np.ndarray = np.clip(out, -32768, 32767).astype("<i2")
    return pcm


def write(path: Path, samples: np.ndarray, fmt: str) -> None:
    wav = path.with_suffix(".wav")
    with wave.open(str(wav), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(samples.tobytes())
    if fmt != "wav":
        codec = {"m4a": ["-c:a", "aac", "-b:a", "48k"], "ogg": ["-c:a", "libopus", "-b:a", "24k"],
                 "mp3": ["-c:a", "libmp3lame", "-b:a", "48k"]}[fmt]
        run_ffmpeg(["-i", str(wav), *codec, str(path.with_suffix(f".{fmt}"))], "encoding", wav)
        wav.unlink()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--sentences", type=int, default=len(ENGLISH))
    p.add_argument("--format", default="wav", choices=["wav", "m4a", "ogg", "mp3"])
    p.add_argument("--slow", type=float, default=1.0, help="speak this many times slower")
    args = p.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(30)
    for n in range(1, args.sentences + 1):
        write(args.out / f"{n}.{args.format}", voice(n, args.slow, rng), args.format)
    print(args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
