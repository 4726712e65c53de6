"""The editor role and the portal's tables on SQLite and PostgreSQL (migration 0004)."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from flows.cli import main
from pipeline.portal.registry import add_lesson, lesson_row, lessons_of, touch
from pipeline.review.accounts import BadTeamError
from pipeline.review.store import ReviewStore
from tests import test_review_dbs as dbs

db_url, fast_passwords, pg_server = dbs.db_url, dbs.fast_passwords, dbs.pg_server
PASSWORD = "correct horse 9"


def test_editor_teams_on_both_databases(db_url: str) -> None:
    store = ReviewStore(db_url)
    try:
        with store.engine.connect() as conn:
            tables = set(sa.inspect(conn).get_table_names())
        assert {"editor_teams", "portal_lessons"} <= tables
        store.add_user("lan", PASSWORD, {}, teams=("laocai",))
        store.add_user("chi", PASSWORD, {}, teams=("*",))
        store.add_user("mai", PASSWORD, {"hmn": "reviewer"})
        store.add_user("boss", PASSWORD, {}, admin=True)
        assert store.editor_teams("lan") == ("laocai",)
        assert store.editor_teams("chi") == ("*",) and store.editor_teams("boss") == ("*",)
        assert store.editor_teams("mai") == ()
        assert store.can_edit_team("lan", "laocai") and not store.can_edit_team("lan", "hagiang")
        assert store.can_edit_team("chi", "hagiang")
        # An editor is not a translator of any language.
        assert store.roles("lan") == {} and not store.can("lan", "hmn", "edit")
        store.grant("mai", {}, teams=("hagiang", "hagiang"))
        assert store.editor_teams("mai") == ("hagiang",)
        assert {u.username: u.teams for u in store.users()}["mai"] == ("hagiang",)
        store.revoke("mai", [], teams=("hagiang",))
        assert store.editor_teams("mai") == () and store.roles("mai") == {"hmn": "reviewer"}
        with pytest.raises(BadTeamError):
            store.grant("lan", {}, teams=("../x",))
        store.set_disabled("lan")
        assert store.editor_teams("lan") == ()

        add_lesson(store, "qr-1", "laocai", "Mã QR", "lan")
        add_lesson(store, "tea-2", "hagiang", "Bán chè", "chi")
        touch(store, "qr-1", "lan", "portal_run")
        assert [r.id for r in lessons_of(store, ("laocai",))] == ["qr-1"]
        assert {r.id for r in lessons_of(store, ("*",))} == {"qr-1", "tea-2"}
        row = lesson_row(store, "tea-2")
        assert row is not None and row.created_by == "chi"
        store.remove_user("chi")  # the lesson stays, with who handed it in
        assert lesson_row(store, "tea-2") is not None
    finally:
        store.engine.dispose()


def test_migrations_are_one_linear_history() -> None:
    """0001 -> 0002 -> 0003 (workbench) -> 0004 (portal): one head, no branches."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    import pipeline.review

    cfg = Config()
    cfg.set_main_option("script_location",
                        str(Path(pipeline.review.__file__).parent / "migrations"))
    script = ScriptDirectory.from_config(cfg)
    assert script.get_heads() == ["0004"]
    chain = [r.revision for r in script.walk_revisions()]
    assert chain == ["0004", "0003", "0002", "0001"]


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
    assert store.editor_teams("lan") == ("laocai",)
    store.engine.dispose()
    assert main(["users", "grant", "lan", "--editor", "Bad Team", *out]) == 2
