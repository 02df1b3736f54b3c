"""The body of a key's first call as it left (``publication_attempts.body``): every later try under that key
sends it again byte for byte. Built afresh, it carried the post's new slot after a person's retry or a missed slot,
and a receiver that ties a key to its payload refused the very retry the key is for.

Revision ID: 0030
Revises: 0029
Create Date: 2026-12-06 01:05:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0030'
down_revision: str | None = '0029'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("publication_attempts", sa.Column("body", sa.Text(), nullable=True))


def downgrade() -> None:
    op.drop_column("publication_attempts", "body")  # SQLite drops it in place (3.35): no rebuild
