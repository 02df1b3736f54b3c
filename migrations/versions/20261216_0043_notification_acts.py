"""The act that wrote each notification (``notifications.act_id``): one per transaction (a request, a command, a
worker's transaction), the same for every notice it wrote. The list gathered the notices of one act on the posts of
a set into one line by their time (within a minute of each other), and paged by notification: a set's line could be
cut at a page's end and shown again on the next with the rest of its count; the bell, which gathered the unread ones
among themselves, could count one line more or fewer than the list showed. With the act kept, a line is the notices
of one act and one set, and a page holds whole lines (``approval.notifications.inbox``).

Nothing already written changes: the notifications of before have no act and each stands alone. The column comes
without a default, so PostgreSQL adds it without rewriting the table; its index (a line's notices, by reader and act)
is built ``CONCURRENTLY`` there, outside the migration's transaction, so that notifications are still written while
it reads a large table (a build interrupted leaves an invalid index: the next upgrade drops it and builds it again).

Revision ID: 0043
Revises: 0042
Create Date: 2026-12-16 07:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0043'
down_revision: str | None = '0042'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column('notifications', sa.Column('act_id', sa.BigInteger(), nullable=True))
    if op.get_bind().dialect.name != 'postgresql':
        op.create_index('ix_notifications_user_id_act_id', 'notifications', ['user_id', 'act_id'], unique=False)
        return
    # CONCURRENTLY cannot run in a transaction: the column's addition (and the migrations before) is committed first.
    with op.get_context().autocommit_block():
        op.drop_index('ix_notifications_user_id_act_id', table_name='notifications', postgresql_concurrently=True,
                      if_exists=True)
        op.create_index('ix_notifications_user_id_act_id', 'notifications', ['user_id', 'act_id'], unique=False,
                        postgresql_concurrently=True)


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        with op.get_context().autocommit_block():
            op.drop_index('ix_notifications_user_id_act_id', table_name='notifications',
                          postgresql_concurrently=True, if_exists=True)
    else:
        op.drop_index('ix_notifications_user_id_act_id', table_name='notifications')
    with op.batch_alter_table('notifications') as batch_op:
        batch_op.drop_column('act_id')
