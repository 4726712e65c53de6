"""Alembic environment of the portal's chain (version table ``alembic_version_portal``)."""

from __future__ import annotations

from pipeline.portal.tables import Base
from pipeline.review.migrations import run

run(Base.metadata, "alembic_version_portal")
