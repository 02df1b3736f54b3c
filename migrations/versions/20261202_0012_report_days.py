"""The reports' daily figures per market (approval.models.reports): computed once a UTC day is over, read back.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 07:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0012'
down_revision: str | None = '0011'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('report_days',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('market_id', sa.Integer(), nullable=False),
    sa.Column('figures', sa.JSON(), nullable=False),
    sa.Column('computed_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['market_id'], ['markets.id'], name=op.f('fk_report_days_market_id_markets'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('day', 'market_id', name=op.f('pk_report_days'))
    )


def downgrade() -> None:
    op.drop_table('report_days')
