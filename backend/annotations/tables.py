"""The SQLAlchemy table of annotations (migration 0001 creates the same table by hand).

Times are stored as UTC; the column is timezone-aware on PostgreSQL, naive UTC on SQLite.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Index, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

TABLE = "cc_annotations"


class Base(DeclarativeBase):
    """The annotations' own metadata, so another app's tables in one database are never touched."""


class AnnotationRow(Base):
    """One stored note."""

    __tablename__ = TABLE
    __table_args__ = (
        Index("ix_cc_annotations_model", "model_id"),
        Index("ix_cc_annotations_status", "status"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    target: Mapped[str] = mapped_column(String(16))
    model_id: Mapped[str] = mapped_column(String(512))
    instance_id: Mapped[str | None] = mapped_column(String(512), nullable=True)
    scope: Mapped[str] = mapped_column(String(1024))
    status: Mapped[str] = mapped_column(String(64))
    note: Mapped[str] = mapped_column(Text)
    author: Mapped[str] = mapped_column(String(256))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
