"""The audit rows of one action in a period are read through an index on the action and the time: the posts list's
``action`` filter (the posts behind a count of the reports page: the slots failed or missed, the rejections, the
publications late...) reads those few rows, not every row of the period (``ix_audit_entries_at``), nor a market's
(``ix_audit_entries_market_id_at``), three or four times a page.

Nothing already written changes.

Revision ID: 0032
Revises: 0031
Create Date: 2026-12-06 12:00:00
"""

from collections.abc import Sequence

from alembic import op


revision: str = '0032'
down_revision: str | None = '0031'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index('ix_audit_entries_action_at', 'audit_entries', ['action', 'at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_audit_entries_action_at', table_name='audit_entries')
