"""nothing: the portal's tables (editor_teams, portal_lessons) moved to the portal's own
chain of migrations (pipeline/portal/migrations, version table alembic_version_portal)

Revision 0004 made them in review's chain until the portal stood on its own; a database
already at 0004 keeps them (the portal's first migration finds them there and leaves them
as they are). Kept as an empty step so such databases stay on review's history; review's
next migration is 0005.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
