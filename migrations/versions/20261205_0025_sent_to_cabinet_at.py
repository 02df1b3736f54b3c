"""Each post keeps when it was first sent to its executive's cabinet (``posts.sent_to_cabinet_at``): the cabinet sees
a post only from then on. It saw every post of its executives' accounts but drafts, the project managers' review and
rejections before anything reached it included, with their comments.

Filled from the trail: the first ``with_cabinet`` step of each post.

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-05 00:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0025'
down_revision: str | None = '0024'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("posts", sa.Column("sent_to_cabinet_at", sa.DateTime(timezone=True), nullable=True))
    op.execute("""
        UPDATE posts SET sent_to_cabinet_at = (
            SELECT min(audit_entries.at) FROM audit_entries
            WHERE audit_entries.post_id = posts.id AND audit_entries.to_state = 'with_cabinet')
        WHERE EXISTS (SELECT 1 FROM audit_entries
                      WHERE audit_entries.post_id = posts.id AND audit_entries.to_state = 'with_cabinet')
    """)


def downgrade() -> None:
    op.drop_column("posts", "sent_to_cabinet_at")  # SQLite drops it in place (3.35): no rebuild, the triggers stay
