"""The annotations table.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create ``cc_annotations`` and its indexes on model and status (the page's two filters)."""
    op.create_table(
        "cc_annotations",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("target", sa.String(16), nullable=False),
        sa.Column("model_id", sa.String(512), nullable=False),
        sa.Column("instance_id", sa.String(512), nullable=True),
        sa.Column("scope", sa.String(1024), nullable=False),
        sa.Column("status", sa.String(64), nullable=False),
        sa.Column("note", sa.Text, nullable=False),
        sa.Column("author", sa.String(256), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sqlite_autoincrement=True,  # ids are never reused after a delete (CSV exports cite them)
    )
    op.create_index("ix_cc_annotations_model", "cc_annotations", ["model_id"])
    op.create_index("ix_cc_annotations_status", "cc_annotations", ["status"])


def downgrade() -> None:
    """Drop the table (and its indexes with it)."""
    op.drop_table("cc_annotations")
