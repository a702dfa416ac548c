"""Alembic migrations of the annotations schema (a package so that installs carry them)."""
