"""Each market points at its policy version in force, so the gate reads it with the market.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26 08:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NAME = 'fk_markets_policy_version_id_policy_versions'


def upgrade() -> None:
    with op.batch_alter_table('markets', schema=None) as batch_op:
        batch_op.add_column(sa.Column('policy_version_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(NAME, 'policy_versions', ['policy_version_id'], ['id'])
    # The version in force was the highest one.
    op.execute(
        "UPDATE markets SET policy_version_id = (SELECT id FROM policy_versions WHERE market_id = markets.id "
        "ORDER BY number DESC LIMIT 1)"
    )


def downgrade() -> None:
    with op.batch_alter_table('markets', schema=None) as batch_op:
        batch_op.drop_constraint(NAME, type_='foreignkey')
        batch_op.drop_column('policy_version_id')
