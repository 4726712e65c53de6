"""stable cue identity, QA per version, server-side sessions, disabled users

Cues gain their stable key (``<sentence id>.<part>``) and source hash; translations and
their versions record the source hash they translate; versions keep their QA results.
Existing cues get keys computed from their stored text (the sentence text is the cues of a
sentence joined by spaces, which is how the segmenter cut it), so approved work stays on
its sentence.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import hashlib
from itertools import groupby

import sqlalchemy as sa
from alembic import op

from pipeline.core.types import cue_id, sentence_ids

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def _columns() -> None:
    # Plain ADD COLUMN (no batch table copy: on SQLite a copy drops the old table, and its
    # ON DELETE CASCADE would empty the tables that point at it).
    empty = sa.text("''")
    op.add_column("users", sa.Column("disabled", sa.Boolean(), nullable=False,
                                     server_default=sa.false()))
    for name, size in (("key", 80), ("sentence_key", 80), ("source_hash", 64)):
        op.add_column("cues", sa.Column(name, sa.String(size), nullable=False,
                                        server_default=empty))
    op.add_column("cues", sa.Column("part", sa.Integer(), nullable=False, server_default="0"))
    op.add_column("cues", sa.Column("active", sa.Boolean(), nullable=False,
                                    server_default=sa.true()))
    op.add_column("translations", sa.Column("source_hash", sa.String(64), nullable=False,
                                            server_default=empty))
    for name in ("suggestion", "override"):
        op.add_column("translations", sa.Column(name, sa.Text(), nullable=False,
                                                server_default=empty))
    op.add_column("translation_versions", sa.Column("source_hash", sa.String(64),
                                                    nullable=False, server_default=empty))
    op.add_column("translation_versions", sa.Column("checks", sa.JSON(), nullable=True))
    op.create_table(
        "sessions",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("csrf", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )


def _carry_over() -> None:
    """Give existing cues their keys and hashes; translations the hash of their cue."""
    conn = op.get_bind()
    rows = conn.execute(sa.text(
        "SELECT id, lesson_id, sentence, source FROM cues ORDER BY lesson_id, sentence, idx"))
    for _, lesson_rows in groupby(rows.fetchall(), key=lambda r: r[1]):
        groups = [list(g) for _, g in groupby(lesson_rows, key=lambda r: r[2])]
        ids = sentence_ids(" ".join(r[3] for r in g) for g in groups)
        for sid, group in zip(ids, groups, strict=True):
            for part, row in enumerate(group, 1):
                digest = hashlib.sha256(" ".join(row[3].split()).encode("utf-8")).hexdigest()
                conn.execute(sa.text(
                    "UPDATE cues SET key = :k, sentence_key = :s, part = :p, "
                    "source_hash = :h WHERE id = :id"),
                    {"k": cue_id(sid, part), "s": sid, "p": part, "h": digest, "id": row[0]})
    conn.execute(sa.text(
        "UPDATE translations SET source_hash = "
        "(SELECT cues.source_hash FROM cues WHERE cues.id = translations.cue_id)"))
    conn.execute(sa.text(
        "UPDATE translation_versions SET source_hash = (SELECT translations.source_hash "
        "FROM translations WHERE translations.id = translation_versions.translation_id)"))


def upgrade() -> None:
    _columns()
    _carry_over()
    op.create_index("ix_cues_lesson_key", "cues", ["lesson_id", "key"], unique=True)
    op.create_index("ix_sessions_user", "sessions", ["user_id"])


def downgrade() -> None:
    """One way: going back would key translations by position again, the very thing this
    migration removes (and on SQLite dropping columns copies tables, which cascades)."""
    raise NotImplementedError("0002 is a one-way migration: restore a backup to go back")
