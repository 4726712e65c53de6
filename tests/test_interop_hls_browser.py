"""The published HLS played in a real browser (issue 32): Debian's Chromium with hls.js from
the npm registry (tests/js, installed by ``make test-js``; never shipped) and with Chromium's
own HLS player through the published ``index.html``. The clean video has no burned
subtitles, so the WebVTT rendition is what a viewer gets: each player must pick the default
(Vietnamese) track by itself and show a cue's text at that cue's time, as webvtt-py reads it.
Hmong cue texts are test markers ("[test hmn] …")."""

from __future__ import annotations

import dataclasses
import functools
import http.server
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pipeline.core.config import PROJECT_ROOT
from pipeline.publish.options import PublishOptions
from pipeline.publish.targets import publish
from tests.interop import vtt_cues
from tests.test_distribute import dist_settings, popts, produced

__all__ = ["dist_settings", "popts", "produced"]  # module fixtures shared with test_distribute

HLS_JS = PROJECT_ROOT / "tests" / "js" / "node_modules" / "hls.js" / "dist" / "hls.min.js"
CHROMIUM = Path("/usr/bin/chromium")
pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not CHROMIUM.is_file(), reason="Debian chromium missing")]

HLSJS_PAGE = """<!doctype html><meta charset="utf-8"><video id="v" muted playsinline></video>
<script src="hls.min.js"></script><script>
window.hls = new Hls();
hls.loadSource('short-qr/hls/master.m3u8');
hls.attachMedia(document.getElementById('v'));
</script>"""

# The showing track's language and the text of its active cues after seeking to ``t``.
SEEK = """async (t) => {
  const v = document.querySelector('video');
  await new Promise(done => { v.addEventListener('seeked', done, {once: true});
                              v.currentTime = t; });
  await new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)));
  const shown = [...v.textTracks].filter(k => k.mode === 'showing');
  return {t: v.currentTime, ready: v.readyState, langs: shown.map(k => k.language),
          texts: shown.flatMap(k => [...(k.activeCues || [])].map(c => c.text))};
}"""
SHOWING = """() => [...document.querySelector('video').textTracks]
  .some(k => k.mode === 'showing' && k.cues && k.cues.length > 0)"""


@pytest.fixture(scope="module")
def site(produced: Path, popts: PublishOptions,
         tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """The published lesson with HLS, and a page of the test's own that plays it with hls.js,
    served from 127.0.0.1."""
    if not HLS_JS.is_file():
        pytest.fail(f"{HLS_JS} is missing: run 'make test-js' (npm ci in tests/js)")
    root = tmp_path_factory.mktemp("hls-site")
    publish(produced, str(root), dataclasses.replace(popts, hls=True))
    shutil.copyfile(HLS_JS, root / "hls.min.js")
    (root / "hlsjs.html").write_text(HLSJS_PAGE, encoding="utf-8")

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Quiet, directory=str(root)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", root / "short-qr" / "hls"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def page(site: tuple[str, Path]) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(CHROMIUM), headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"])
        yield browser.new_page()
        browser.close()


def _check_cues(page: Any, hls: Path, lang: str) -> None:
    """A mid-cue moment shows that cue's text; before the first cue, none shows."""
    cues = vtt_cues(hls / f"subs-{lang}.vtt")
    start, end, text = cues[1]
    at = page.evaluate(SEEK, (start + end) / 2)
    assert at["langs"] == [lang] and at["texts"] == [text], at
    assert at["ready"] >= 2  # the picture at that moment is there too
    if cues[0][0] > 0.2:
        before = page.evaluate(SEEK, cues[0][0] / 2)
        assert before["texts"] == [], before


def test_hlsjs_shows_the_default_webvtt_rendition(page: Any, site: tuple[str, Path]) -> None:
    base, hls = site
    page.goto(f"{base}/hlsjs.html")
    page.wait_for_function(SHOWING, timeout=30_000)
    tracks = page.evaluate("hls.subtitleTracks.map(t => [t.lang, t.name, t.default])")
    assert tracks == [["vi", "Tiếng Việt", True], ["hmn", "Hmoob", False]]
    assert page.evaluate("hls.subtitleTrack") == 0  # chosen by hls.js from DEFAULT=YES
    _check_cues(page, hls, "vi")
    page.evaluate("hls.subtitleTrack = 1")
    page.wait_for_function("""() => [...document.querySelector('video').textTracks]
        .some(k => k.language === 'hmn' && k.mode === 'showing' && k.cues
                   && k.cues.length > 0)""", timeout=30_000)
    _check_cues(page, hls, "hmn")


def test_native_player_page_shows_the_subtitles(page: Any, site: tuple[str, Path]) -> None:
    base, hls = site
    page.goto(f"{base}/short-qr/hls/index.html")
    native = page.evaluate("document.querySelector('video').canPlayType("
                           "'application/vnd.apple.mpegurl')")
    if not native:
        pytest.skip("this Chromium has no native HLS player")
    page.wait_for_function(SHOWING, timeout=30_000)
    _check_cues(page, hls, "vi")
