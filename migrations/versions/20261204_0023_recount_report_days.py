"""The reports' kept daily figures are computed again: a cabinet sending a suggested message back was counted among
the project managers' decisions, and lowered the approval rate of every day it happened on.

The figures are a cache of the audit trail (``approval.models.reports``): the rows go, and the next report, or the
worker after midnight, computes each closed day again from the trail. Nothing else changes; downgrading keeps
nothing to restore.

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-04 21:30:00
"""

from collections.abc import Sequence

from alembic import op


revision: str = '0023'
down_revision: str | None = '0022'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("DELETE FROM report_days")


def downgrade() -> None:
    pass
