"""Each publishing attempt keeps the worker's own words as a message id and its parameters (``why``), beside the
English ``message``, so that the pages say "no complete answer within 15 s" in their reader's language.

Attempts recorded before keep their English message only: the pages show it as it is.

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-05 00:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0024'
down_revision: str | None = '0023'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("publication_attempts", sa.Column("why", sa.JSON(), nullable=True))


def downgrade() -> None:
    op.drop_column("publication_attempts", "why")  # SQLite drops it in place (3.35): no rebuild
