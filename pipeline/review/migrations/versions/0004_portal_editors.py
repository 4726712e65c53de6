"""content-team portal: editors' teams and the lessons handed in from the portal

Works whether or not a ``0003_*`` migration exists (another change of the same release
may add one): this revision follows the newest of 0003/0002 found beside it.

Revision ID: 0004
Revises: 0003 or 0002
"""

from __future__ import annotations

import re
from pathlib import Path

import sqlalchemy as sa
from alembic import op


def _previous() -> str:
    for path in sorted(Path(__file__).parent.glob("0003_*.py")):
        found = re.search(r"^revision\s*=\s*['\"]([^'\"]+)['\"]",
                          path.read_text(encoding="utf-8"), re.M)
        if found:
            return found.group(1)
    return "0002"


revision = "0004"
down_revision = _previous()
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "editor_teams",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("team", sa.String(32), nullable=False),
        sa.UniqueConstraint("user_id", "team"),
    )
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
