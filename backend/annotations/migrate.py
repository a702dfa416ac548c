"""Create or upgrade the annotations schema with Alembic, from code, at start-up.

The Alembic ``Config`` is built here (no alembic.ini), with the migrations folder found next to
this file, so it works from any working directory and from an installed package. Every worker
runs it; one at a time, under a lock taken in the same transaction (PostgreSQL: an advisory
lock; SQLite: BEGIN IMMEDIATE), so the second finds the schema at head and does nothing.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import Engine

from backend.annotations.connect import WRITE

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
VERSION_TABLE = "cc_annotations_version"  # not alembic_version: a shared database may hold another app's
_LOCK_KEY = 0x63636E6F  # "ccno": the advisory lock of this schema


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the database to ``revision``; SQLAlchemy errors propagate (the store words them)."""
    from alembic import command
    from alembic.config import Config

    with engine.connect().execution_options(**{WRITE: True}) as conn:
        with conn.begin():
            if conn.dialect.name == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _LOCK_KEY})
            config = Config()
            config.set_main_option("script_location", str(MIGRATIONS))
            config.set_main_option("version_table", VERSION_TABLE)
            config.attributes["connection"] = conn
            command.upgrade(config, revision)


def current_revision(engine: Engine) -> str | None:
    """The schema's revision (None before the first upgrade), for tests and diagnostics."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn, opts={"version_table": VERSION_TABLE}).get_current_revision()
