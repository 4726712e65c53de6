"""Speech stages: transcribe (Whisper) and align (aligners registry) → Alignment.

Cutting aligned sentences into cues and writing subtitle files is ``pipeline.subtitles``."""
