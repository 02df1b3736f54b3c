"""The people told that a stop switch went on hear that it went off: the kind ``stop_off`` for notifications,
preferences and chat messages.

They heard nothing of its end, while the posts it held waited for a project manager to give them a new time.
Nothing already written changes.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-03 14:50:00
"""

from collections.abc import Sequence

from alembic import op


revision: str = '0021'
down_revision: str | None = '0020'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KINDS_BEFORE = ('review_requested', 'cabinet_requested', 'changes_requested', 'rejected', 'declined',
                'cabinet_decided', 'approved', 'scheduled', 'published', 'missed', 'failed', 'unconfirmed', 'stop_on',
                'review_reminder', 'review_escalation')
KINDS = KINDS_BEFORE[:13] + ('stop_off',) + KINDS_BEFORE[13:]
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
        op.execute(f"DELETE FROM {table} WHERE kind = 'stop_off'")
    _kinds(KINDS_BEFORE)
