"""Every notification of a post, by an index (it held only the unread ones): a post whose later notice overtakes its
earlier ones (``notifications.dispatch._overtake``) cancels their mail still waiting for a digest or another try,
read or not, and that search had no index but the mail queue's. On a database whose statistics are current,
PostgreSQL read the whole table for it, once per publishing pass of the worker: with a million notifications, a
scan each time posts went out. The index of the unread ones alone goes: this one serves its searches as well.

On PostgreSQL both are built and dropped ``CONCURRENTLY``, outside the migration's transaction: a plain
``CREATE INDEX`` holds a lock that stops every INSERT into notifications (every change told, the worker's passes)
for as long as it reads a large table. A build interrupted leaves an invalid index behind: the next upgrade drops it
and builds it again. SQLite builds them in the migration's transaction, as before.

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
    if op.get_bind().dialect.name != 'postgresql':
        op.create_index('ix_notifications_post_id', 'notifications', ['post_id'], unique=False)
        op.drop_index('ix_notifications_unread_post', table_name='notifications',
                      sqlite_where=sa.text('read_at IS NULL'), postgresql_where=sa.text('read_at IS NULL'))
        return
    # CONCURRENTLY cannot run in a transaction: the migrations before this one are committed first (Alembic).
    with op.get_context().autocommit_block():
        op.drop_index('ix_notifications_post_id', table_name='notifications', postgresql_concurrently=True,
                      if_exists=True)
        op.create_index('ix_notifications_post_id', 'notifications', ['post_id'], unique=False,
                        postgresql_concurrently=True)
        op.drop_index('ix_notifications_unread_post', table_name='notifications', postgresql_concurrently=True,
                      if_exists=True)


def downgrade() -> None:
    if op.get_bind().dialect.name != 'postgresql':
        op.create_index('ix_notifications_unread_post', 'notifications', ['post_id'], unique=False,
                        sqlite_where=sa.text('read_at IS NULL'), postgresql_where=sa.text('read_at IS NULL'))
        op.drop_index('ix_notifications_post_id', table_name='notifications')
        return
    with op.get_context().autocommit_block():
        op.drop_index('ix_notifications_unread_post', table_name='notifications', postgresql_concurrently=True,
                      if_exists=True)
        op.create_index('ix_notifications_unread_post', 'notifications', ['post_id'], unique=False,
                        postgresql_where=sa.text('read_at IS NULL'), postgresql_concurrently=True)
        op.drop_index('ix_notifications_post_id', table_name='notifications', postgresql_concurrently=True,
                      if_exists=True)
