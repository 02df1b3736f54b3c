"""The style gate's seal on a post (``posts.gate_seal``, ``approval.policies.seal``): a digest of what the gate read
(the revision's text, the market's policy version, languages, network, campaign) and of the gate's own code, written
when a transition into ``scheduled`` found no error. The publishing worker, finding the same seal for the inputs at
its claim, knows without running the gate again that the text still passes under the policy in force.

Nothing written before changes: the posts scheduled before have no seal, and the worker checks them as it always
did. The column comes without a default, so PostgreSQL adds it without rewriting the table.

Revision ID: 0045
Revises: 0044
Create Date: 2026-12-18 07:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0045'
down_revision: str | None = '0044'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column('posts', sa.Column('gate_seal', sa.String(length=64), nullable=True))


def downgrade() -> None:
    # A plain ALTER TABLE on both (SQLite 3.35 and later drop a column in place): a rebuild of the table would drop
    # its triggers.
    op.drop_column('posts', 'gate_seal')
