"""The project managers who schedule a post hear when its writer changes the time proposed for it once it is
approved or scheduled: the kind ``proposal_changed`` for notifications, preferences and chat messages (the kind's
column keeps its length: the new value is shorter than the longest).

They heard nothing: the proposal changed on the post's page alone. Nothing already written changes.

Revision ID: 0038
Revises: 0037
Create Date: 2026-12-11 09:00:00
"""

from collections.abc import Sequence

from alembic import op


revision: str = '0038'
down_revision: str | None = '0037'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KINDS_BEFORE = ('review_requested', 'cabinet_requested', 'changes_requested', 'rejected', 'declined',
                'cabinet_decided', 'approved', 'scheduled', 'published', 'missed', 'failed', 'unconfirmed', 'stop_on',
                'stop_off', 'review_reminder', 'review_escalation', 'accepted_changed', 'withdrawn', 'commented',
                'cabinet_reminder', 'cabinet_escalation', 'policy_refuses')
NEW_KINDS = ('proposal_changed',)
KINDS = KINDS_BEFORE + NEW_KINDS
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
    listed = ", ".join(f"'{v}'" for v in NEW_KINDS)
    for table in TABLES:
        op.execute(f"DELETE FROM {table} WHERE kind IN ({listed})")
    _kinds(KINDS_BEFORE)
