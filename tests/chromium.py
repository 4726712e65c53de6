"""Debian's Chromium for the real-browser tests (Playwright's own browser download fails on
these machines): one launcher with the flags every test needs."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ("--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync")


@contextmanager
def chromium(*extra: str) -> Iterator[Any]:
    """A headless Debian Chromium under Playwright, closed on the way out."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                    args=[*ARGS, *extra])
        try:
            yield browser
        finally:
            browser.close()
