"""Subtitles: cues from aligned sentences and line fitting (``segment``), Vietnamese word
breaks (``vi_words``), SRT/WebVTT/ASS writing and per-script styles (``formats``).

Speech produces an ``Alignment``; translate, render, review and publish consume cues through
this package and never import ``pipeline.speech``."""
