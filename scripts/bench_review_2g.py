"""A full review of a lesson in a real phone browser on emulated 2G (issue 15).

Headless Debian Chromium at 360×640, 2G emulated through CDP (40 kbit/s both ways, 800 ms
round trip). Measures what a reviewer waits for: the weight on the wire of the home page,
the lesson page, one cue's page, clip and still (when the app offers them), and the time of
a full review of one language of the lesson (type a text into every cue, approve it, then
approve the language), two ways:

- ``per-cue``: type + approve each cue from the lesson page, JavaScript off (what the app
  always offered: a page reload per cue) — the baseline;
- ``per-cue + script``: the same with JavaScript on (the optional script saves without
  reloading, when the app has one);
- ``queue``: one cue page after the other (type, "approve and next"), when the app has
  cue pages (the lesson page's ``a.cue-open``); else the same as per-cue;
- ``queue: main button``: the same, tapping each cue page's filled (main) button whatever
  it says, then approving on the lesson page what that left unapproved (issue 31);
- ``approve: per-cue`` / ``approve: bulk``: approvals alone (every cue already typed by a
  translator): one click per cue, or the bulk approval of clean cues when the app has it.

The review store is copied first (the lesson's store stays untouched). The typed text is a
bench marker (``bench N``) plus the source's numbers, so no translation is invented and the
number check stays quiet. Prints figures and the ratio to the per-cue run of the same
process (the baseline), the taps of each route (clicks; typing not counted) and the bytes
it received. Usage (after ``caunoi produce LESSON --out OUT``)::

    python scripts/bench_review_2g.py --out OUT --lesson sample-qr-payment --lang hmn
"""

from __future__ import annotations

import argparse
import re
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

PASSWORD = "bench password 1"
#: Full review (type + approve every cue, then the language) and approvals alone (the texts
#: are there already); the first of each group, page reloads without script, is its baseline.
ROUTES = ("per-cue", "per-cue + script", "queue", "queue: main button", "approve: per-cue",
          "approve: bulk")
#: Taps of the route being measured (clicks on buttons and links; typing is not counted).
TAPS = [0]
NUMBER = re.compile(r"\d+(?:[.,]\d+)*")


@contextmanager
def _server(out: Path, db: Path, lang: str, typed: str = "") -> Iterator[str]:
    from flows.app import create_app
    from flows.env import serve_app
    from pipeline.core.config import Settings
    from pipeline.core.languages import load_registry
    from pipeline.review.store import ReviewStore
    from pipeline.review.web_common import WebOptions

    settings = Settings()
    store = ReviewStore(f"sqlite:///{db}")
    store.add_user("bench", PASSWORD, {lang: "reviewer"})
    if typed:  # a translator typed every cue already (texts no check flags)
        # Every cue, and the title and chapter units that block the approval like cues.
        for k, c in enumerate(store.items(typed, lang)):
            store.save("bench", typed, lang, c.key, _clean_text_for(c.source, k), c.version)
    app = create_app(store, load_registry(settings.glossary_dir), WebOptions(
        out_dir=out, secret="b" * 40, glossary_dir=settings.glossary_dir,
        tm_dir=db.parent / "tm"))
    try:
        with serve_app(app) as url:
            yield url
    finally:
        store.engine.dispose()


class Wire:
    """Bytes on the wire per response (CDP encodedDataLength), by URL path."""

    def __init__(self, cdp: Any) -> None:
        self.urls: dict[str, str] = {}
        self.bytes: dict[str, int] = {}
        self.total = 0
        cdp.on("Network.responseReceived", self._response)
        cdp.on("Network.loadingFinished", self._finished)

    def _response(self, e: dict[str, Any]) -> None:
        self.urls[e["requestId"]] = e["response"]["url"]

    def _finished(self, e: dict[str, Any]) -> None:
        url = self.urls.get(e["requestId"], "")
        path = re.sub(r"^https?://[^/]+", "", url)
        self.bytes[path] = int(e.get("encodedDataLength", 0))
        self.total += self.bytes[path]

    def last(self, path: str) -> int:
        hits = [v for k, v in self.bytes.items() if k.split("?")[0] == path.split("?")[0]]
        return hits[-1] if hits else 0


def _text_for(source: str, k: int) -> str:
    """A bench marker (no digits), the source's numbers and its do-not-translate names."""
    from pipeline.core.config import Settings
    from pipeline.translate.glossary import do_not_translate

    names = [n for n in do_not_translate(Settings().glossary_dir) if n in source]
    return " ".join([f"bench {chr(97 + k % 26)}", *NUMBER.findall(source), *names])


def _clean_text_for(source: str, k: int) -> str:
    """A bench text no check flags (markers padded to a plausible length)."""
    text = _text_for(source, k)
    while len(text) < 0.7 * len(source):
        text += " bench"
    return text


def _tap(page: Any, target: Any, navigates: bool = True) -> None:
    TAPS[0] += 1
    if navigates:
        with page.expect_navigation():
            target.click()
    else:
        target.click()


def _approve_all(page: Any, route: str) -> None:
    button = page.locator("form[action$='/approve-all'] button")
    if not button.count():
        shot = f"/tmp/bench-{route}-stuck.png"
        page.screenshot(path=shot, full_page=True)
        raise SystemExit(f"{route}: the language cannot be approved (see {shot})")
    _tap(page, button)


def _per_cue(page: Any, script: bool, typing: bool) -> None:
    """Type (when ``typing``) and approve every cue from the lesson page."""
    for k in range(page.locator("div.cue").count()):
        cue = page.locator("div.cue").nth(k)
        if typing:
            cue.locator("textarea").fill(_text_for(cue.locator(".vi").inner_text(), k))
        button = cue.locator("button[value=approve]")
        if script:  # saved without reloading: wait for the answer, not a new page
            with page.expect_response(lambda r: r.request.method == "POST"):
                _tap(page, button, navigates=False)
        else:
            _tap(page, button)
    if script:
        page.reload()


def _queue(page: Any, main_button: bool = False) -> None:
    """One cue page after the other: type, "approve and next" (``main_button``: type, tap
    the page's filled button whatever it says, as a hurried reviewer does; then approve
    from the lesson page, JavaScript off, the cues that tapping left unapproved)."""
    _tap(page, page.locator("a.cue-open").first)
    k = 0
    while page.locator("form.cue-edit").count():
        form = page.locator("form.cue-edit").first
        form.locator("textarea").fill(_text_for(page.locator(".vi").first.inner_text(), k))
        button = "button[name=action]:not([class])" if main_button \
            else "button[value=approve_next]"
        _tap(page, form.locator(button).first)
        k += 1
    if main_button:
        left = page.locator("div.cue:not(.approved) button[value=approve]")
        while left.count():
            _tap(page, left.first)


def _review(page: Any, base: str, lesson: str, lang: str, route: str) -> float:
    """Seconds for a full review of ``lesson``/``lang`` along ``route``."""
    t0 = time.monotonic()
    page.goto(f"{base}/l/{lesson}/{lang}")
    if route.startswith("queue") and page.locator("a.cue-open").count():
        _queue(page, main_button=route == "queue: main button")
    elif route == "approve: bulk" and page.locator("button[value=bulk_approve]").count():
        with page.expect_navigation():
            page.locator("button[value=bulk_approve]").click()
    else:
        _per_cue(page, "script" in route, not route.startswith("approve"))
    _approve_all(page, route)
    return time.monotonic() - t0


def _browser(p: Any) -> Any:
    return p.chromium.launch(
        executable_path=shutil.which("chromium"), headless=True,
        args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
              "--disable-background-networking", "--disable-component-update"])


def _session(browser: Any, base: str, script: bool = False) -> tuple[Any, Any, Wire]:
    ctx = browser.new_context(viewport={"width": 360, "height": 640},
                              java_script_enabled=script)
    page = ctx.new_page()
    cdp = ctx.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
    cdp.send("Network.emulateNetworkConditions", {
        "offline": False, "latency": 800, "downloadThroughput": 40_000 / 8,
        "uploadThroughput": 40_000 / 8})
    wire = Wire(cdp)
    page.goto(f"{base}/login")
    page.fill("input[name=username]", "bench")
    page.fill("input[name=password]", PASSWORD)
    page.click("form[action='/login'] button")
    page.wait_for_load_state()
    return ctx, page, wire


def _weights(page: Any, wire: Wire, base: str, lesson: str, lang: str) -> dict[str, int]:
    out = {"home": wire.bytes.get("/", 0)}
    page.goto(f"{base}/l/{lesson}/{lang}")
    out["lesson page"] = wire.last(f"/l/{lesson}/{lang}")
    link = page.locator("a.cue-open")
    if link.count():
        href = link.first.get_attribute("href") or ""
        page.goto(base + href)
        out["cue page"] = wire.last(href.split("?")[0].split("#")[0])
        for what, sel in (("clip", "audio"), ("still", "img.still")):
            el = page.locator(sel)
            if el.count():
                src = el.first.get_attribute("src") or ""
                # Fetched with the page's cookies (the page's CSP forbids fetch()); media
                # are not compressed, so the body is what crosses the wire (+ headers).
                resp = page.context.request.get(base + src)
                out[what] = len(resp.body()) + sum(len(k) + len(v) + 4
                                                   for k, v in resp.headers.items())
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, required=True, help="output root of caunoi produce")
    ap.add_argument("--lesson", default="sample-qr-payment")
    ap.add_argument("--lang", default="hmn")
    args = ap.parse_args(argv)
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as p:
        browser = _browser(p)
        times: dict[str, float] = {}
        taps: dict[str, int] = {}
        sent: dict[str, int] = {}
        for route in ROUTES:
            db = Path(tmp) / f"{len(times)}.sqlite3"
            shutil.copy(args.out / "review.sqlite3", db)
            typed = args.lesson if route.startswith("approve") else ""
            with _server(args.out, db, args.lang, typed) as base:
                ctx, page, wire = _session(browser, base, script="script" in route)
                if not times:
                    weights = _weights(page, wire, base, args.lesson, args.lang)
                TAPS[0], before = 0, wire.total
                times[route] = _review(page, base, args.lesson, args.lang, route)
                taps[route], sent[route] = TAPS[0], wire.total - before
                ctx.close()
        browser.close()
    print(f"machine: 2-core shared box; {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    print("emulated 2G: 40 kbit/s down/up, 800 ms RTT, Chromium 360×640, cache off")
    for what, n in weights.items():
        print(f"  {what:12s} {n / 1024:7.1f} KB on the wire")
    for route, s in times.items():
        base_s = times["approve: per-cue" if route.startswith("approve") else "per-cue"]
        print(f"  {route:22s} {s:6.1f} s   ratio to its per-cue baseline: {s / base_s:.2f}"
              f"   {taps[route]:3d} taps  {sent[route] / 1024:6.1f} KB received")
    return 0


if __name__ == "__main__":
    sys.exit(main())
