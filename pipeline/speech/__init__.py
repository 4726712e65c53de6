"""Speech stages: transcribe (Whisper) → align (aligners registry) → segment → subtitles."""
