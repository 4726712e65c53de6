"""voice in the viewer's language: per-sentence recordings and the speakers' consent

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "voice_recordings",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("lesson_id", sa.String(64),
                  sa.ForeignKey("lessons.id", ondelete="CASCADE"), nullable=False),
        sa.Column("lang", sa.String(16), nullable=False),
        sa.Column("sentence_key", sa.String(80), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("file", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
        sa.Column("speaker", sa.String(64), nullable=False),
        sa.Column("speaker_name", sa.String(128), nullable=False, server_default=""),
        sa.Column("source", sa.String(64), nullable=False, server_default="human"),
        sa.Column("text_sha256", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False, server_default="recorded"),
        sa.Column("reason", sa.Text(), nullable=False, server_default=""),
        sa.Column("reviewer", sa.String(64), nullable=False, server_default=""),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.UniqueConstraint("lesson_id", "lang", "sentence_key"),
    )
    op.create_table(
        "voice_speakers",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="CASCADE"),
                  nullable=False, unique=True),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("consent", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("consented_at", sa.DateTime(), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("voice_speakers")
    op.drop_table("voice_recordings")
