"""The editor role and the portal's tables on SQLite and PostgreSQL (the portal's own
migrations)."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from flows.cli import main
from pipeline.portal.store import BadTeamError, PortalStore
from pipeline.review.store import ReviewStore
from tests import test_review_dbs as dbs

db_url, fast_passwords, pg_server = dbs.db_url, dbs.fast_passwords, dbs.pg_server
PASSWORD = "correct horse 9"


def test_editor_teams_on_both_databases(db_url: str) -> None:
    store = ReviewStore(db_url)
    portal = PortalStore.on(store)
    editors, lessons = portal.editors, portal.lessons
    try:
        with store.engine.connect() as conn:
            tables = set(sa.inspect(conn).get_table_names())
        assert {"editor_teams", "portal_lessons"} <= tables
        editors.add_user("lan", PASSWORD, {}, teams=("laocai",))
        editors.add_user("chi", PASSWORD, {}, teams=("*",))
        store.add_user("mai", PASSWORD, {"hmn": "reviewer"})
        store.add_user("boss", PASSWORD, {}, admin=True)
        assert editors.teams("lan") == ("laocai",)
        assert editors.teams("chi") == ("*",) and editors.teams("boss") == ("*",)
        assert editors.teams("mai") == ()
        assert editors.can_edit_team("lan", "laocai")
        assert not editors.can_edit_team("lan", "hagiang")
        assert editors.can_edit_team("chi", "hagiang")
        # An editor is not a translator of any language.
        assert store.roles("lan") == {} and not store.can("lan", "hmn", "edit")
        editors.grant("mai", {}, teams=("hagiang", "hagiang"))
        assert editors.teams("mai") == ("hagiang",)
        assert editors.teams_by_user()["mai"] == ("hagiang",)
        editors.revoke("mai", [], teams=("hagiang",))
        assert editors.teams("mai") == () and store.roles("mai") == {"hmn": "reviewer"}
        with pytest.raises(BadTeamError):
            editors.grant("lan", {}, teams=("../x",))
        store.set_disabled("lan")
        assert editors.teams("lan") == ()

        lessons.add("qr-1", "laocai", "Mã QR", "lan")
        lessons.add("tea-2", "hagiang", "Bán chè", "chi")
        lessons.touch("qr-1", "lan", "portal_run")
        assert [r.id for r in lessons.of_teams(("laocai",))] == ["qr-1"]
        assert {r.id for r in lessons.of_teams(("*",))} == {"qr-1", "tea-2"}
        row = lessons.row("tea-2")
        assert row is not None and row.created_by == "chi"
        store.remove_user("chi")  # the lesson stays, with who handed it in
        assert lessons.row("tea-2") is not None
    finally:
        store.engine.dispose()


@pytest.mark.parametrize(("package", "chain"), [
    # 0006: units (title, chapters, interface words); 0005: voice recordings; 0004: empty
    # since the portal left
    ("review", ["0006", "0005", "0004", "0003", "0002", "0001"]),
    ("portal", ["p0001"]),
])
def test_migrations_are_one_linear_history_each(package: str, chain: list[str]) -> None:
    """Review's chain and the portal's: each one head, no branches."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    cfg = Config()
    cfg.set_main_option("script_location", str(
        Path(__file__).parents[1] / "pipeline" / package / "migrations"))
    script = ScriptDirectory.from_config(cfg)
    assert script.get_heads() == [chain[0]]
    assert [r.revision for r in script.walk_revisions()] == chain


def test_users_cli_grants_the_editor_role(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("CAUNOI_NEW_PASSWORD", PASSWORD)
    out = ["--out", str(tmp_path / "out")]
    assert main(["users", "add", "lan", "--editor", "laocai", *out]) == 0
    assert main(["users", "grant", "lan", "--editor", "*", *out]) == 0
    assert main(["users", "list", *out]) == 0
    listed = capsys.readouterr().out
    assert "editor:*" in listed and "editor:laocai" in listed
    assert main(["users", "revoke", "lan", "--editor", "*", *out]) == 0
    store = ReviewStore(f"sqlite:///{tmp_path / 'out' / 'review.sqlite3'}")
    assert PortalStore.on(store).editors.teams("lan") == ("laocai",)
    store.engine.dispose()
    assert main(["users", "grant", "lan", "--editor", "Bad Team", *out]) == 2
