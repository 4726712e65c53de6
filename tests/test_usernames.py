"""Usernames (issue 28): one canonical spelling stored and printed, one TR39 skeleton for
uniqueness, the sign-in lock and sign-in lookup."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from flows.cli import main
from pipeline.review.store import ReviewStore
from tests import test_review_dbs as dbs
from tests.conftest import ReviewApp

fast_passwords = dbs.fast_passwords

PASSWORD = "correct horse 9"
CYRILLIC_A = "\u0430"
FULLWIDTH = "ｍａｉ"
BOLD = "\U0001d426\U0001d41a\U0001d422"  # mathematical bold m, a, i


@pytest.fixture
def store(tmp_path: Path) -> Iterator[ReviewStore]:
    s = ReviewStore(f"sqlite:///{tmp_path / 'review.sqlite3'}")
    s.add_user("mai", PASSWORD, {"blt": "reviewer"})
    yield s
    s.engine.dispose()


@pytest.fixture
def client(store: ReviewStore, review_app: ReviewApp) -> Iterator[TestClient]:
    with review_app.client(review_app.app(store)) as c:
        yield c


def _login(client: TestClient, user: str, password: str = PASSWORD) -> int:
    token = re.search(r'name="csrf" value="([^"]+)"', client.get("/login").text)
    assert token is not None
    return client.post("/login", data={"username": user, "password": password,
                                       "csrf": token.group(1)},
                       follow_redirects=False).status_code


def test_canonical_and_skeleton() -> None:
    from pipeline.core.usernames import canonical, find, skeleton

    assert canonical(FULLWIDTH) == canonical(BOLD) == canonical(" Mai ") == "mai"
    same = ["mai", FULLWIDTH, BOLD, "MAI", f"m{CYRILLIC_A}i", "rnai"]
    assert {skeleton(x) for x in same} == {skeleton("mai")}
    assert skeleton("ma1") == skeleton("mal")
    assert skeleton("m0i") == skeleton("moi")
    # Vietnamese letters stay apart from their plain neighbours.
    for a, b in [("mai", "mại"), ("dao", "đao"), ("lan", "lân"), ("tho", "thơ")]:
        assert skeleton(a) != skeleton(b), (a, b)
    assert find(f"m{CYRILLIC_A}i", ["lan", "mai"]) == "mai"
    assert find("MAI", ["mai", f"m{CYRILLIC_A}i"]) == "mai"  # exact spelling first
    assert find("rnai", ["mai", f"m{CYRILLIC_A}i"]) is None  # legacy look-alikes: ambiguous


def test_lookalike_second_account_refused(store: ReviewStore) -> None:
    for name in (f"m{CYRILLIC_A}i", "rnai", FULLWIDTH, "MAI"):
        with pytest.raises(Exception, match=r"already exists|looks the same|đã có|trông giống"):
            store.add_user(name, PASSWORD, {})
    with pytest.raises(Exception, match=r"(looks the same as|trông giống hệt) .*mai"):
        store.check_new_username(f"m{CYRILLIC_A}i")
    store.add_user("mại", PASSWORD, {})  # a real Vietnamese name, not a look-alike
    assert sorted(u.username for u in store.users()) == ["mai", "mại"]


def test_lock_counts_every_spelling(client: TestClient) -> None:
    """Wrong passwords under fullwidth, bold and Cyrillic spellings count against 'mai',
    and the right password under a mixed spelling does not sign in while locked."""
    for name in (FULLWIDTH, BOLD, f"m{CYRILLIC_A}i", "MAI", "ｍai"):
        assert _login(client, name, "bad") == 401
    assert _login(client, "mai") == 429
    assert _login(client, "ｍ𝐚i") == 429


def test_sign_in_finds_the_account_by_any_spelling(client: TestClient) -> None:
    assert _login(client, f"m{CYRILLIC_A}i") == 303
    assert _login(client, BOLD) == 303


def test_cli_prints_the_stored_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("CAUNOI_NEW_PASSWORD", PASSWORD)
    out = ["--out", str(tmp_path / "out")]
    assert main(["users", "add", "Mai", *out]) == 0
    printed = capsys.readouterr().out
    assert "mai" in printed and "Mai" not in printed
    assert main(["users", "add", f"M{CYRILLIC_A}i", *out]) == 2
    err = capsys.readouterr().err
    assert "mai" in err and len(err.strip().splitlines()) == 1
