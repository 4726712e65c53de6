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
    empty = sa.text("''")
    with op.batch_alter_table("users") as b:
        b.add_column(sa.Column("disabled", sa.Boolean(), nullable=False,
                               server_default=sa.false()))
    with op.batch_alter_table("cues") as b:
        b.add_column(sa.Column("key", sa.String(80), nullable=False, server_default=empty))
        b.add_column(sa.Column("sentence_key", sa.String(80), nullable=False,
                               server_default=empty))
        b.add_column(sa.Column("part", sa.Integer(), nullable=False, server_default="0"))
        b.add_column(sa.Column("source_hash", sa.String(64), nullable=False,
                               server_default=empty))
        b.add_column(sa.Column("active", sa.Boolean(), nullable=False,
                               server_default=sa.true()))
    with op.batch_alter_table("translations") as b:
        b.add_column(sa.Column("source_hash", sa.String(64), nullable=False,
                               server_default=empty))
        b.add_column(sa.Column("suggestion", sa.Text(), nullable=False, server_default=empty))
        b.add_column(sa.Column("override", sa.Text(), nullable=False, server_default=empty))
    with op.batch_alter_table("translation_versions") as b:
        b.add_column(sa.Column("source_hash", sa.String(64), nullable=False,
                               server_default=empty))
        b.add_column(sa.Column("checks", sa.JSON(), nullable=True))
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
                digest = hashlib.sha256(row[3].encode("utf-8")).hexdigest()
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
    op.drop_index("ix_sessions_user", table_name="sessions")
    op.drop_index("ix_cues_lesson_key", table_name="cues")
    op.drop_table("sessions")
    with op.batch_alter_table("translation_versions") as b:
        b.drop_column("checks")
        b.drop_column("source_hash")
    with op.batch_alter_table("translations") as b:
        for name in ("override", "suggestion", "source_hash"):
            b.drop_column(name)
    with op.batch_alter_table("cues") as b:
        for name in ("active", "source_hash", "part", "sentence_key", "key"):
            b.drop_column(name)
    with op.batch_alter_table("users") as b:
        b.drop_column("disabled")
