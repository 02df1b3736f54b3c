"""A notification keeps the action that caused it, so that its line can say what the cabinet decided on a suggested
message: "accepted", "sent back with changes" or "declined". The line used to say only that the cabinet "decided".

Rows written before keep no action and read as before.

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-03 18:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0022'
down_revision: str | None = '0021'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('action', sa.String(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_column('action')
