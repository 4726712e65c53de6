"""The review app on a real server: a headless Chromium session on a phone-sized screen,
and many reviewers saving at once (slow)."""

from __future__ import annotations

import os
import random
import re
import shutil
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from flows.env import serve_app
from pipeline.core.config import PROJECT_ROOT
from pipeline.core.types import Cue
from pipeline.review.store import ReviewStore
from pipeline.translate.drafts import TranslatedCue
from tests import test_review_dbs as dbs
from tests.conftest import ReviewApp

LESSON = "qr-market"
PASSWORD = "correct horse 9"
N_CUES = 6


db_url, pg_server = dbs.db_url, dbs.pg_server


@pytest.fixture
def server(tmp_path: Path, review_app: ReviewApp,
           db_url: str) -> Iterator[tuple[str, ReviewStore]]:
    store = ReviewStore(db_url)
    store.sync_lesson(LESSON, "Trả tiền bằng mã QR",
                      [Cue(i, i, 1000 * i, 1000 * i + 900, (f"Câu tiếng Việt số {i}.",))
                       for i in range(N_CUES)],
                      {"blt": [TranslatedCue(cue=i, sentence=i, start_ms=1000 * i,
                                             end_ms=1000 * i + 900,
                                             source=f"Câu tiếng Việt số {i}.",
                                             target=f"DRAFT-{i}", origin="mt:test")
                               for i in range(N_CUES)]})
    app = review_app.app(store, out_dir=tmp_path, glossary_dir=tmp_path)
    with serve_app(app) as url:
        yield url, store
    store.engine.dispose()


def _login(client: httpx.Client, user: str) -> None:
    token = re.search(r'name="csrf" value="([^"]+)"', client.get("/login").text)
    assert token is not None
    r = client.post("/login", data={"username": user, "password": PASSWORD,
                                    "csrf": token.group(1)})
    assert r.status_code == 303, r.text


@pytest.mark.slow
def test_concurrent_reviewers_lose_nothing(server: tuple[str, ReviewStore]) -> None:
    """Reviewers × saves with QA re-run on every save: every save is accepted (after
    retrying on a conflict) or refused with 409, none is lost. Size from
    CAUNOI_LOAD=<reviewers>x<saves> (default 20x100)."""
    base, store = server
    reviewers, saves_each = (int(n) for n in os.environ.get("CAUNOI_LOAD", "20x100")
                             .split("x"))
    for k in range(reviewers):
        store.add_user(f"r{k}", PASSWORD, {"blt": "reviewer"})
    successes: list[tuple[int, int, str]] = []  # (cue, version written, text)
    conflicts = Counter[str]()
    lock = threading.Lock()
    errors: list[str] = []

    def work(k: int) -> None:
        rng = random.Random(k)
        with httpx.Client(base_url=base, follow_redirects=False, timeout=60) as client:
            _login(client, f"r{k}")
            page = client.get(f"/l/{LESSON}/blt").text
            csrf = re.search(r'name="csrf" value="([^"]+)"', page)
            assert csrf is not None
            versions = {int(m[0]): int(m[1]) for m in re.findall(
                r'id="c(\d+)".*?name="version" value="(\d+)"', page, re.S)}
            for n in range(saves_each):
                cue = rng.randrange(N_CUES)
                text = f"r{k}-save{n}"
                while True:
                    r = client.post(f"/l/{LESSON}/blt/c/{cue}", data={
                        "csrf": csrf.group(1), "version": versions[cue], "action": "save",
                        "text": text})
                    if r.status_code == 303:
                        versions[cue] += 1
                        with lock:
                            successes.append((cue, versions[cue], text))
                        break
                    if r.status_code != 409:
                        errors.append(f"{r.status_code} {r.text[:200]}")
                        return
                    with lock:
                        conflicts[f"r{k}"] += 1
                    m = re.search(r'name="version" value="(\d+)"', r.text)
                    assert m is not None
                    versions[cue] = int(m.group(1))  # merge: retry on the current version

    started = time.perf_counter()
    threads = [threading.Thread(target=work, args=(k,)) for k in range(reviewers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    assert not errors, errors[:3]
    assert len(successes) == reviewers * saves_each
    # Zero lost updates: every accepted save is a distinct version in the history, in order,
    # and the current text is the last accepted save.
    final = {c.idx: c for c in store.cues(LESSON, "blt")}
    for cue in range(N_CUES):
        mine = sorted((v, text) for c, v, text in successes if c == cue)
        history = [(h.version, h.text) for h in store.history(LESSON, "blt", cue)]
        assert history[1:] == mine
        assert [v for v, _ in history] == list(range(1, len(history) + 1))
        if mine:
            assert (final[cue].version, final[cue].text) == mine[-1]
    audit = Counter(a.action for a in store.audit(LESSON))
    assert audit["save"] == len(successes)
    assert audit["conflict"] == sum(conflicts.values())
    # QA ran on every accepted save: each version carries its findings.
    checked = sum(h.checks is not None for c in range(N_CUES)
                  for h in store.history(LESSON, "blt", c)[1:])
    assert checked == len(successes)
    lost = len(successes) - sum(len(store.history(LESSON, "blt", c)) - 1
                                for c in range(N_CUES))
    print(f"\n{store.engine.dialect.name}: {reviewers} reviewers × {saves_each} saves "
          "(QA on every save): "
          f"{len(successes)} accepted, {sum(conflicts.values())} refused as conflicts "
          f"(retried), {lost} lost, {elapsed:.1f} s, {len(successes) / elapsed:.0f} saves/s")


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("chromium") is None, reason="Debian chromium not installed")
def test_phone_browser_sign_in_edit_approve(server: tuple[str, ReviewStore]) -> None:
    from playwright.sync_api import expect, sync_playwright

    base, store = server
    store.add_user("mai", PASSWORD, {"blt": "reviewer"})
    shots = PROJECT_ROOT / "output" / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=shutil.which("chromium"), headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync"])
        page = browser.new_page(viewport={"width": 360, "height": 640})
        page.goto(f"{base}/login")
        page.fill("input[name=username]", "mai")
        page.fill("input[name=password]", PASSWORD)
        page.click("button")
        page.click(f"a[href='/l/{LESSON}/blt']")
        cue = page.locator("#c1")
        cue.locator("textarea").fill("BROWSER-EDIT 1")
        cue.locator("button[value=save]").click()
        assert page.locator(".msg").first.is_visible()
        # The optional script saves without reloading: wait for its answer.
        expect(page.locator("#c1 .live")).not_to_have_text("…")
        page.locator("#c1 button[value=approve]").click()
        page.locator("#c1").scroll_into_view_if_needed()
        page.screenshot(path=str(shots / "review-360x640.png"))
        width = page.evaluate("document.documentElement.scrollWidth")
        browser.close()
    assert width <= 360  # no sideways scrolling on a phone
    cue1 = next(c for c in store.cues(LESSON, "blt") if c.idx == 1)
    assert (cue1.text, cue1.state) == ("BROWSER-EDIT 1", "approved")
