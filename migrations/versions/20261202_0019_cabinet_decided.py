"""The project manager who sent a suggested message to the cabinet hears what it decided: the kind
``cabinet_decided`` for notifications, preferences and chat messages.

A cabinet's acceptance, request for changes or decline reached the post's author only; the project manager who sent
it there learnt nothing, and an accepted suggestion waited unscheduled. Nothing already written changes.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-02 17:30:00
"""

from collections.abc import Sequence

from alembic import op


revision: str = '0019'
down_revision: str | None = '0018'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KINDS_BEFORE = ('review_requested', 'cabinet_requested', 'changes_requested', 'rejected', 'declined', 'approved',
                'scheduled', 'published', 'missed', 'failed', 'unconfirmed', 'stop_on', 'review_reminder',
                'review_escalation')
KINDS = KINDS_BEFORE[:5] + ('cabinet_decided',) + KINDS_BEFORE[5:]
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
        op.execute(f"DELETE FROM {table} WHERE kind = 'cabinet_decided'")
    _kinds(KINDS_BEFORE)
