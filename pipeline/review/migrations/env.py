"""Alembic environment of review's chain: the connection comes from the caller
(``Database.migrate``), not from a .ini file."""

from __future__ import annotations

from pipeline.review.migrations import run
from pipeline.review.tables import Base

run(Base.metadata)
