"""A user whose password an admin typed (a page, or `approval user create`) chooses their own at their first login
(``users.must_change_password``): the pages send them to their profile until they do.

The users created before keep the password they have: nobody is asked to change it.

Revision ID: 0035
Revises: 0034
Create Date: 2026-12-08 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0035'
down_revision: str | None = '0034'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A constant default: SQLite adds it in place (no rebuild of the table), PostgreSQL without rewriting it.
    op.add_column("users", sa.Column("must_change_password", sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade() -> None:
    op.drop_column("users", "must_change_password")  # SQLite drops it in place (3.35): no rebuild
