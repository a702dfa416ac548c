"""Team review notes on models and instances, kept in a database (SQLite file or PostgreSQL).

The public face: ``open_store`` (the URL in effect, schema migrated with Alembic) and the
``AnnotationStore`` it returns; ``AnnotationsUnavailable`` is the one-line error the pages show
when the database cannot be used. Modules: ``records`` (what a note is, its checks), ``tables``
(the SQLAlchemy table), ``connect`` (URL and engine), ``migrate`` (Alembic), ``store``,
``export`` (CSV).
"""

from __future__ import annotations

from backend.annotations.connect import ENV_URL, AnnotationsUnavailable, database_url, describe_url
from backend.annotations.export import annotations_csv
from backend.annotations.records import (
    DEFAULT_STATUSES,
    GLOBAL_SCOPE,
    Annotation,
    AnnotationError,
    statuses_for,
)
from backend.annotations.store import AnnotationStore, open_store

__all__ = [
    "DEFAULT_STATUSES", "ENV_URL", "GLOBAL_SCOPE", "Annotation", "AnnotationError", "AnnotationStore",
    "AnnotationsUnavailable", "annotations_csv", "database_url", "describe_url", "open_store", "statuses_for",
]
