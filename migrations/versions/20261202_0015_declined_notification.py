"""A cabinet's decline is told as a decline: notifications, preferences and chat messages take the kind ``declined``.

A suggested message declined by an executive's cabinet reached its author as "Your post was rejected", the project
manager's word. Declines are now their own kind; those already written stay ``rejected``.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02 11:00:00
"""

from collections.abc import Sequence

from alembic import op


revision: str = '0015'
down_revision: str | None = '0014'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KINDS_BEFORE = ('review_requested', 'cabinet_requested', 'changes_requested', 'rejected', 'approved', 'scheduled',
                'published', 'missed', 'failed', 'unconfirmed', 'stop_on', 'review_reminder', 'review_escalation')
KINDS = KINDS_BEFORE[:4] + ('declined',) + KINDS_BEFORE[4:]
#: table -> the name of its kind's CHECK constraint (the column's enum name)
TABLES = {'notifications': 'notification_kind', 'notification_preferences': 'preference_kind',
          'chat_messages': 'chat_kind'}


def _kinds(values: tuple[str, ...]) -> None:
    listed = ", ".join(f"'{v}'" for v in values)
    for table, name in TABLES.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(op.f(f'ck_{table}_{name}'), type_='check')
            batch_op.create_check_constraint(name, f"kind IN ({listed})")


def upgrade() -> None:
    _kinds(KINDS)


def downgrade() -> None:
    for table in TABLES:
        op.execute(f"UPDATE {table} SET kind = 'rejected' WHERE kind = 'declined'")
    _kinds(KINDS_BEFORE)
