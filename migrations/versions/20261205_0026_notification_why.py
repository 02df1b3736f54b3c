"""Notifications and chat messages keep the worker's reasons (``why``) beside the comment, so that a failure mailed to
a French reader ("the account is not connected to a publisher") is said in French, as the pages say it.

Rows written before keep their English comment only.

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-05 00:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0026'
down_revision: str | None = '0025'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("notifications", sa.Column("why", sa.JSON(), nullable=True))
    op.add_column("chat_messages", sa.Column("why", sa.JSON(), nullable=True))


def downgrade() -> None:
    op.drop_column("chat_messages", "why")  # SQLite drops them in place (3.35): no rebuild
    op.drop_column("notifications", "why")
