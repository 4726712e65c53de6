"""units that are not narration: the lesson title, chapter headings, the bundle's words

Cues gain a ``kind`` ("cue" for the narration every existing row is; "title", "chapter",
"ui" for the units translated and approved like cues).

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN (no batch copy: on SQLite a copy would cascade-delete translations).
    op.add_column("cues", sa.Column("kind", sa.String(16), nullable=False,
                                    server_default="cue"))


def downgrade() -> None:
    op.execute(sa.text("DELETE FROM cues WHERE kind <> 'cue'"))
    with op.batch_alter_table("cues") as batch:
        batch.drop_column("kind")
