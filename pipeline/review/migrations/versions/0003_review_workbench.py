"""reviewer's workbench: the reason a cue was rejected, shown to its translator

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN (no batch table copy: see 0002).
    op.add_column("translations", sa.Column("rejection", sa.Text(), nullable=False,
                                            server_default=sa.text("''")))


def downgrade() -> None:
    op.drop_column("translations", "rejection")
