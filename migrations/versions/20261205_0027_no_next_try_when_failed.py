"""A failed or unconfirmed post waits for no next try: the worker cleared ``next_attempt_at`` when a post waiting for a
new try then failed or was left unconfirmed only from this version on, and the API's ``publication`` of such a post
still said when it would be tried again. The rows written before are cleared here.

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-05 04:20:00
"""

from collections.abc import Sequence

from alembic import op


revision: str = '0027'
down_revision: str | None = '0026'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("UPDATE posts SET next_attempt_at = NULL "
               "WHERE state IN ('failed', 'unconfirmed') AND next_attempt_at IS NOT NULL")


def downgrade() -> None:
    pass  # a time no one would wait for: nothing to bring back
