"""Review's Alembic migrations, and :func:`run`, the environment every chain of migrations
on the review database uses (review's here, the portal's in ``pipeline.portal``)."""

from __future__ import annotations

from sqlalchemy import MetaData, engine_from_config, pool

__all__ = ["run"]


def run(target_metadata: MetaData, default_table: str = "alembic_version") -> None:
    """Run the current Alembic context's migrations on the caller's connection
    (``config.attributes["connection"]``), recording them in its version table."""
    from alembic import context

    config = context.config
    table = str(config.attributes.get("version_table", default_table))
    connectable = config.attributes.get("connection")
    if connectable is not None:
        context.configure(connection=connectable, target_metadata=target_metadata,
                          render_as_batch=True, version_table=table)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = engine_from_config(config.get_section(config.config_ini_section) or {},
                                prefix="sqlalchemy.", poolclass=pool.NullPool)
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata,
                          render_as_batch=True, version_table=table)
        with context.begin_transaction():
            context.run_migrations()
