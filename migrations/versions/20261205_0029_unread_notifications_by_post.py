"""The unread notifications of a post, by an index: a post leaving review or the cabinet marks read the requests
that asked for that decision (``notifications.dispatch.settle``), in the change's transaction; without the index
each such change read every notification.

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-05 22:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0029'
down_revision: str | None = '0028'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index('ix_notifications_unread_post', 'notifications', ['post_id'], unique=False,
                    sqlite_where=sa.text('read_at IS NULL'), postgresql_where=sa.text('read_at IS NULL'))


def downgrade() -> None:
    op.drop_index('ix_notifications_unread_post', table_name='notifications', sqlite_where=sa.text('read_at IS NULL'),
                  postgresql_where=sa.text('read_at IS NULL'))
