"""Databases made before the portal had its own chain of migrations (review's revision 0004
made the portal's tables then) open with today's code: nothing lost, same schema as a new
database, the portal's chain recorded in its own version table."""

from __future__ import annotations

import gzip
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from pipeline.portal.store import PortalStore
from pipeline.review.store import ReviewStore
from tests import test_review_dbs as dbs
from tests.test_review_dbs import upgrade_to

#: Review's newest revision (an old database is brought up to it on opening).
REVIEW_HEAD = "0006"
#: Tables review's migrations after 0004 add (0005: voice recordings).
ADDED_SINCE = {"voice_recordings", "voice_speakers"}
#: Columns they add to tables that were there (0006: what a cue row is, issue 31).
ADDED_COLUMNS = {"cues": {"kind"}}

db_url, fast_passwords, pg_server = dbs.db_url, dbs.fast_passwords, dbs.pg_server
PASSWORD = "correct horse 9"
#: Made by the code of commit 9c03f80 with tests/data/make_review_db_9c03f80.py: users
#: lan (editor of laocai) and mai (hmn reviewer), lesson qr-1 with two approved cues and
#: its language approved, portal lesson qr-1, 8 audit entries; at review revision 0004.
OLD_DB = Path(__file__).parent / "data" / "review-db-9c03f80.sqlite3.gz"


def _schema(url: str) -> dict[str, Any]:
    """Every table's columns (type, nullability), keys and indexes, but Alembic's own."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            insp = sa.inspect(conn)
            return {t: ([(c["name"], str(c["type"]), c["nullable"])
                         for c in insp.get_columns(t)],
                        sorted(map(str, insp.get_unique_constraints(t))),
                        sorted(str((f["constrained_columns"], f["referred_table"],
                                    f["options"])) for f in insp.get_foreign_keys(t)),
                        sorted(map(str, insp.get_indexes(t))))
                    for t in insp.get_table_names() if not t.startswith("alembic_version")}
    finally:
        engine.dispose()


def _without(table: str, schema: Any) -> Any:
    """A table's schema of :func:`_schema` less the columns added since the old code."""
    columns, *rest = schema
    return ([c for c in columns if c[0] not in ADDED_COLUMNS.get(table, set())], *rest)


def _versions(store: ReviewStore) -> tuple[list[str], list[str]]:
    with store.engine.connect() as conn:
        return ([v for (v,) in conn.execute(sa.text("SELECT version_num FROM alembic_version"))],
                [v for (v,) in conn.execute(sa.text(
                    "SELECT version_num FROM alembic_version_portal"))])


def test_a_database_made_by_the_old_code_opens_unchanged(tmp_path: Path) -> None:
    path = tmp_path / "old" / "review.sqlite3"
    path.parent.mkdir()
    path.write_bytes(gzip.decompress(OLD_DB.read_bytes()))
    url = f"sqlite:///{path}"
    before = _schema(url)
    store = ReviewStore(url)
    portal = PortalStore.on(store)
    try:
        assert _versions(store) == ([REVIEW_HEAD], ["p0001"])
        after = _schema(url)  # what was there is unchanged; review's later tables added
        assert {k: _without(k, v) for k, v in after.items() if k not in ADDED_SINCE} == before
        assert set(after) - set(before) == ADDED_SINCE
        fresh = tmp_path / "new.sqlite3"
        new = ReviewStore(f"sqlite:///{fresh}")
        PortalStore.on(new)
        new.engine.dispose()
        assert _schema(f"sqlite:///{fresh}") == after  # a new database: the same schema
        # Nothing lost: audit, accounts, roles, teams, cues, approvals, portal lessons.
        assert len(store.audit()) == 8
        assert store.authenticate("lan", PASSWORD) is not None
        assert portal.editors.teams("lan") == ("laocai",)
        assert store.roles("mai") == {"hmn": "reviewer"}
        assert [c.text for c in store.cues("qr-1", "hmn")] == ["Nyem 0", "Nyem 1"]
        assert store.is_approved("qr-1", "hmn")
        row = portal.lessons.row("qr-1")
        assert row is not None and (row.team, row.created_by) == ("laocai", "lan")
        # And it keeps working: a new editor, a new portal lesson, a new save.
        portal.editors.add_user("chi", PASSWORD, {}, teams=("hagiang",))
        portal.lessons.add("tea-2", "hagiang", "Bán chè", "chi")
        assert {r.id for r in portal.lessons.of_teams(("*",))} == {"qr-1", "tea-2"}
        cue = store.cues("qr-1", "hmn")[0]
        assert store.save("mai", "qr-1", "hmn", cue.key, "Nyem 0 (2)", cue.version).ok
        assert not store.is_approved("qr-1", "hmn")
    finally:
        store.engine.dispose()


def test_an_old_layout_database_upgrades_on_both_engines(db_url: str) -> None:
    """The old layout rebuilt on SQLite and PostgreSQL: review's chain at 0004 with the
    portal's tables made beside it (as the old 0004 made them), no portal version table."""
    from pipeline.portal.tables import EditorTeam, PortalLesson

    engine = sa.create_engine(db_url)
    with engine.begin() as conn:
        upgrade_to(conn, "0004")
        EditorTeam.__table__.create(conn)  # type: ignore[attr-defined]
        PortalLesson.__table__.create(conn)  # type: ignore[attr-defined]
        conn.execute(sa.text("INSERT INTO portal_lessons (id, team, title, created_by, "
                             "created_at, updated_at) VALUES ('qr-1', 'laocai', 'Mã QR', "
                             "'lan', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"))
    engine.dispose()
    store = ReviewStore(db_url)
    try:
        portal = PortalStore.on(store)
        assert _versions(store) == ([REVIEW_HEAD], ["p0001"])
        row = portal.lessons.row("qr-1")
        assert row is not None and row.team == "laocai"
        portal.editors.add_user("lan", PASSWORD, {}, teams=("laocai",))
        assert portal.editors.can_edit_team("lan", "laocai")
    finally:
        store.engine.dispose()
