"""Every notification of a post, by an index (it held only the unread ones): a post whose later notice overtakes its
earlier ones (``notifications.dispatch._overtake``) cancels their mail still waiting for a digest or another try,
read or not, and that search had no index but the mail queue's. On a database whose statistics are current,
PostgreSQL read the whole table for it, once per publishing pass of the worker: with a million notifications, a
scan each time posts went out. The index of the unread ones alone goes: this one serves its searches as well.

Revision ID: 0042
Revises: 0041
Create Date: 2026-12-15 07:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0042'
down_revision: str | None = '0041'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index('ix_notifications_post_id', 'notifications', ['post_id'], unique=False)
    op.drop_index('ix_notifications_unread_post', table_name='notifications', sqlite_where=sa.text('read_at IS NULL'),
                  postgresql_where=sa.text('read_at IS NULL'))


def downgrade() -> None:
    op.create_index('ix_notifications_unread_post', 'notifications', ['post_id'], unique=False,
                    sqlite_where=sa.text('read_at IS NULL'), postgresql_where=sa.text('read_at IS NULL'))
    op.drop_index('ix_notifications_post_id', table_name='notifications')
