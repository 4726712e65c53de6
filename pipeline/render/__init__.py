"""Rendering stage: profiles (one table), title and chapter cards, fonts, encoding and
quality gates."""
