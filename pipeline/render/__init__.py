"""Rendering stage: profiles (one table: short side, max frame rate), layout (the output
frame from the profile and the recording's orientation), title card, the burned subtitle file
(burn), ffmpeg graphs (graph, ffmpeg-python), encode, quality gates, legibility, frames
(VFR-aware sampling and the poster moment) and fonts."""
