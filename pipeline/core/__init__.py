"""The small core every stage shares: typed objects, settings, errors, messages, the one
ffmpeg, atomic storage, the stage cache and the language registry."""
