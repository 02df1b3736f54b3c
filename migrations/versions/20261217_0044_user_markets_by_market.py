"""The users of a market, by an index (``ix_user_markets_market_id_user_id``): the key of ``user_markets`` is
(user_id, market_id), which finds a user's markets but not a market's users. Whether a market has a project manager
of its own (who is asked for a review, who hears of its posts: ``approval.notifications.dispatch``) and the writers
of a user's markets (the posts' filter: ``approval.queries.posts``) read the whole table, or the whole of its key's
index. The user's id comes with the market's, so that PostgreSQL and SQLite answer from the index alone.

Built in the migration's transaction, on both backends, not ``CONCURRENTLY`` (0042, 0043): the table holds a row
per user and market and is written only when a user is added or their markets change; ``CREATE INDEX`` holds up
only those writes, for the moment its build takes, and no reader.

Revision ID: 0044
Revises: 0043
Create Date: 2026-12-17 07:00:00
"""

from collections.abc import Sequence

from alembic import op


revision: str = '0044'
down_revision: str | None = '0043'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index('ix_user_markets_market_id_user_id', 'user_markets', ['market_id', 'user_id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_user_markets_market_id_user_id', table_name='user_markets')
