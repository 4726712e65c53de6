"""The portal's Alembic migrations: their own chain and version table
(``alembic_version_portal``), run after review's on the same database."""
