"""A writer proposes when a post goes out (``posts.proposed_at``, UTC): a project manager approves and schedules it
at that instant in one step. A proposal, not content: it is no part of a revision and its SHA-256.

Revision ID: 0036
Revises: 0035
Create Date: 2026-12-09 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0036'
down_revision: str | None = '0035'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Nullable, no default: SQLite adds it in place, PostgreSQL without rewriting the table.
    op.add_column("posts", sa.Column("proposed_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    op.drop_column("posts", "proposed_at")
