"""The worker's queue read in its own order: the due-posts index ends with the post's id.

The claim takes the earliest due posts ``ORDER BY scheduled_at, id``. With ``(state, scheduled_at)`` alone, posts due
at the same minute (a campaign's launch, a queue after an outage) had to be read and sorted whole before the first
could be taken: with 10,000 due, each claim read all of them (4 ms, and 24 ms with the rows it loads). With ``id``
in the index the claim reads the first rows in order and stops.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-02 13:10:00
"""

from collections.abc import Sequence

from alembic import op


revision: str = '0016'
down_revision: str | None = '0015'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('posts', schema=None) as batch_op:
        batch_op.create_index('ix_posts_state_scheduled_at_id', ['state', 'scheduled_at', 'id'], unique=False)
        batch_op.drop_index('ix_posts_state_scheduled_at')


def downgrade() -> None:
    with op.batch_alter_table('posts', schema=None) as batch_op:
        batch_op.create_index('ix_posts_state_scheduled_at', ['state', 'scheduled_at'], unique=False)
        batch_op.drop_index('ix_posts_state_scheduled_at_id')
