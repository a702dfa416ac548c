"""Alembic's entry point: runs the migrations on the connection ``backend.annotations.migrate`` passes."""

from __future__ import annotations

from alembic import context

from backend.annotations.tables import Base

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    version_table=context.config.get_main_option("version_table") or "alembic_version",
    render_as_batch=connection.dialect.name == "sqlite",  # ALTER TABLE on SQLite, for later revisions
)
with context.begin_transaction():
    context.run_migrations()
