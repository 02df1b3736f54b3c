"""Each post keeps how far its discussion had gone when it was first sent to its executive's cabinet
(``posts.comments_before_cabinet``: the id of its last comment then, 0 for none): the cabinet reads the comments
after it. It read those written at or after the sending's time, and a comment stamped by a web process whose clock
differed from the sending's fell on the wrong side (the trail is now cut by the sending's audit row, its id).

Filled for the posts already sent as they were read until now: the last comment written before the sending's time.

Revision ID: 0034
Revises: 0033
Create Date: 2026-12-07 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0034'
down_revision: str | None = '0033'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("posts", sa.Column("comments_before_cabinet", sa.Integer(), nullable=True))
    op.execute("""
        UPDATE posts SET comments_before_cabinet = COALESCE((
            SELECT max(comments.id) FROM comments
            WHERE comments.post_id = posts.id AND comments.created_at < posts.sent_to_cabinet_at), 0)
        WHERE sent_to_cabinet_at IS NOT NULL
    """)


def downgrade() -> None:
    op.drop_column("posts", "comments_before_cabinet")  # SQLite drops it in place (3.35): no rebuild, the triggers stay
