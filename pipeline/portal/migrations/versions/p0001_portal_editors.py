"""content-team portal: editors' teams and the lessons handed in from the portal

A database made before the portal had its own chain got these tables from review's
revision 0004 (same columns): they are kept as they are.

Revision ID: p0001
Revises: (the first of the portal's chain; needs review's users table)
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "p0001"
down_revision = None
branch_labels = ("portal",)
depends_on = None


def upgrade() -> None:
    made = set(sa.inspect(op.get_bind()).get_table_names())
    if "editor_teams" not in made:
        op.create_table(
            "editor_teams",
            sa.Column("id", sa.Integer(), primary_key=True),
            sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="CASCADE"),
                      nullable=False),
            sa.Column("team", sa.String(32), nullable=False),
            sa.UniqueConstraint("user_id", "team"),
        )
    if "portal_lessons" not in made:
        op.create_table(
            "portal_lessons",
            sa.Column("id", sa.String(64), primary_key=True),
            sa.Column("team", sa.String(32), nullable=False),
            sa.Column("title", sa.Text(), nullable=False, server_default=""),
            sa.Column("created_by", sa.String(64), nullable=False),
            sa.Column("created_at", sa.DateTime(), nullable=False),
            sa.Column("updated_at", sa.DateTime(), nullable=False),
        )


def downgrade() -> None:
    op.drop_table("portal_lessons")
    op.drop_table("editor_teams")
