"""Each collaborator of the review store, built alone on a :class:`Database` (no facade):
what a newcomer changing one idea (accounts, cue sync, versions, approvals, proposals,
audit, the portal's editors and lessons) runs first."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.core.types import Cue
from pipeline.portal.store import MIGRATIONS, VERSION_TABLE, Editors, PortalLessons
from pipeline.review.accounts import Accounts, AlsoKept
from pipeline.review.approvals import Approvals
from pipeline.review.audit import Audit
from pipeline.review.cues import Cues
from pipeline.review.db import Database, NotAllowedError
from pipeline.review.proposals import EmptyTermError, Proposals
from pipeline.review.sync import CueSync
from pipeline.review.versions import Versions
from pipeline.translate.drafts import TranslatedCue
from tests import test_review_dbs as dbs

fast_passwords = dbs.fast_passwords
PASSWORD = "correct horse 9"


class NoChecks:
    """A QA checker that finds nothing (the checks have their own tests)."""

    def check(self, lang: str, source: str, target: str) -> list[object]:
        return []


@pytest.fixture
def db(tmp_path: Path) -> Database:
    return Database(f"sqlite:///{tmp_path / 'review.sqlite3'}")


def _lesson(db: Database) -> None:
    cues = [Cue(0, 0, 0, 900, ("Một.",), "aaaaaaaaaaaaaaaa-1.1", 1),
            Cue(1, 1, 1000, 1900, ("Hai.",), "bbbbbbbbbbbbbbbb-1.1", 1)]
    CueSync(db).sync_lesson("l1", "T", cues, {"hmn": [
        TranslatedCue(c.index, c.index, c.start_ms, c.end_ms, c.text, f"D{c.index}",
                      "mt:test", cue_id=c.id) for c in cues]})


def test_audit_alone(db: Database) -> None:
    audit = Audit(db)
    audit.event("ana", "export", "l1", "hmn", {"n": 2})
    with db.session() as s:
        audit.write(s, "bo", "other")
    assert [(e.username, e.action, e.detail) for e in audit.entries("l1")] == [
        ("ana", "export", {"n": 2})]
    assert len(audit.entries()) == 2


def test_accounts_alone(db: Database) -> None:
    accounts = Accounts(db)
    kept: list[int] = []
    accounts.add_user("mai", PASSWORD, {"hmn": "reviewer"},
                      also=AlsoKept({"extra": 1}, lambda _s, uid: kept.append(uid)))
    user = accounts.authenticate("MAI", PASSWORD)
    assert user is not None and kept == [user.id]
    token = accounts.start_session(user)
    assert accounts.signed_in(token) is not None
    assert accounts.can("mai", "hmn", "approve") and not accounts.can("mai", "en", "view")
    accounts.revoke("mai", ["hmn"])
    assert accounts.signed_in(token) is None and accounts.roles("mai") == {}
    add = next(e for e in Audit(db).entries() if e.action == "user_add")
    assert add.detail == {"user": "mai", "languages": {"hmn": "reviewer"}, "admin": False,
                          "extra": 1}


def test_sync_and_reading_alone(db: Database) -> None:
    _lesson(db)
    cues = Cues(db)
    assert [c.text for c in cues.cues("l1", "hmn")] == ["D0", "D1"]
    assert cues.languages_of("l1") == ["hmn"] and cues.progress("l1", "hmn") == (0, 2)
    assert cues.machine_draft("l1", "hmn", "aaaaaaaaaaaaaaaa-1.1") == "D0"


def test_versions_alone(db: Database) -> None:
    _lesson(db)
    accounts = Accounts(db)
    accounts.add_user("tom", PASSWORD, {"hmn": "translator"})
    versions = Versions(db, accounts, checker=NoChecks())  # type: ignore[arg-type]
    first = versions.save("tom", "l1", "hmn", 0, "T0", 1)
    stale = versions.save("tom", "l1", "hmn", 0, "T0 again", 1)
    assert first.ok and (stale.ok, stale.reason, stale.text) == (False, "conflict", "T0")
    with pytest.raises(NotAllowedError):
        versions.save("tom", "l1", "hmn", 0, "T0", 2, "approve")
    versions.comment("tom", "l1", "hmn", 0, "a note")
    assert [c.text for c in Cues(db).comments("l1", "hmn", 0)] == ["a note"]


def test_approvals_alone(db: Database) -> None:
    _lesson(db)
    accounts = Accounts(db)
    accounts.add_user("mai", PASSWORD, {"hmn": "reviewer"})
    approvals = Approvals(db, accounts)
    assert not approvals.approve_language("mai", "l1", "hmn")  # cues not approved yet
    versions = Versions(db, accounts, checker=NoChecks())  # type: ignore[arg-type]
    assert versions.approve_clean("mai", "l1", "hmn") == [0, 1]
    assert approvals.approve_language("mai", "l1", "hmn")
    approval = approvals.approval("l1", "hmn")
    assert approval is not None and approval.approved_by == "mai"
    current = Cues(db).cues("l1", "hmn")[1].version
    assert versions.save("mai", "l1", "hmn", 1, "changed", current).ok  # re-opens the language
    assert not approvals.is_approved("l1", "hmn")


def test_proposals_alone(db: Database) -> None:
    accounts = Accounts(db)
    accounts.add_user("mai", PASSWORD, {"hmn": "reviewer"})
    proposals = Proposals(db, accounts)
    proposals.propose_term("mai", "hmn", " mã QR ", "QR code", "")
    with pytest.raises(EmptyTermError):
        proposals.propose_term("mai", "hmn", "", "x", "")
    assert [(p.vi, p.proposed_by) for p in proposals.proposals()] == [("mã QR", "mai")]


def test_portal_editors_and_lessons_alone(db: Database) -> None:
    db.migrate(MIGRATIONS, VERSION_TABLE)
    editors, lessons = Editors(db), PortalLessons(db)
    editors.add_user("lan", PASSWORD, {}, teams=("laocai",))
    assert editors.teams("lan") == ("laocai",) and editors.teams("nobody") == ()
    lessons.add("qr-1", "laocai", "Mã QR", "lan")
    assert [r.id for r in lessons.of_teams(editors.teams("lan"))] == ["qr-1"]
    add = next(e for e in Audit(db).entries() if e.action == "user_add")
    assert add.detail["teams"] == ["laocai"]
