#!/usr/bin/env bash
# Install the Debian packages Cầu Nối needs, only if one is missing (idempotent).
# ffmpeg itself comes from the imageio-ffmpeg Python package (see README), not from Debian.
set -euo pipefail

PACKAGES=(
  espeak-ng          # Vietnamese voice: sample narration, weights-free aligner
  fonts-noto-core    # Noto Sans, Noto Sans Tai Viet, Khmer, Thai for subtitles
  fontconfig         # font lookup for libass and the sample generator
  tesseract-ocr      # OCR quality gate
  tesseract-ocr-vie  # ... with Vietnamese
  sox                # audio effects for benchmark lessons
  rubberband-cli     # Rubber Band R3 time stretcher of the dub (pipeline/voice/stretch.py)
  chromium           # real-browser tests of the review pages and offline player
  chromium-driver
  postgresql         # review-store tests against a real PostgreSQL server
)

missing=()
for pkg in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$pkg")
  fi
done
# Node.js runs the tests' JavaScript (portal.js under node, hls.js in Chromium). A machine
# that already has node and npm (from Debian or elsewhere) keeps them; otherwise Debian's.
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  missing+=(nodejs npm)
fi

if [ ${#missing[@]} -eq 0 ]; then
  echo "system packages: all present"
  exit 0
fi

echo "system packages: installing ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
