"""The executive's cabinet hears what becomes of the suggestions it was sent, and a post's discussion is told to its
people: the kinds ``accepted_changed``, ``withdrawn``, ``commented``, ``cabinet_reminder`` and
``cabinet_escalation`` for notifications, preferences and chat messages (the kind's column one character longer for
the last one), and the reminder levels 3 and 4 (a suggestion left with the cabinet).

The cabinet heard only that a suggestion awaited it; a comment reached nobody; a suggestion could sit with the
cabinet for ever. Nothing already written changes.

Revision ID: 0031
Revises: 0030
Create Date: 2026-12-06 05:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0031'
down_revision: str | None = '0030'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KINDS_BEFORE = ('review_requested', 'cabinet_requested', 'changes_requested', 'rejected', 'declined',
                'cabinet_decided', 'approved', 'scheduled', 'published', 'missed', 'failed', 'unconfirmed', 'stop_on',
                'stop_off', 'review_reminder', 'review_escalation')
NEW_KINDS = ('accepted_changed', 'withdrawn', 'commented', 'cabinet_reminder', 'cabinet_escalation')
KINDS = KINDS_BEFORE + NEW_KINDS
#: table -> the name of its kind's CHECK constraint (the column's enum name)
TABLES = {'notifications': 'notification_kind', 'notification_preferences': 'preference_kind',
          'chat_messages': 'chat_kind'}


def _length(values: tuple[str, ...]) -> int:
    """The kind column's length, as the models' ``str_enum`` sets it: the longest value and 8 more."""
    return max(len(value) for value in values) + 8


def _kinds(values: tuple[str, ...], before: tuple[str, ...]) -> None:
    listed = ", ".join(f"'{v}'" for v in values)
    for table, name in TABLES.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(op.f(f'ck_{table}_{name}'), type_='check')
            batch_op.alter_column('kind', existing_type=sa.String(_length(before)), type_=sa.String(_length(values)),
                                  existing_nullable=False)
            batch_op.create_check_constraint(name, f"kind IN ({listed})")


def _levels(levels: str) -> None:
    with op.batch_alter_table('review_reminders', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_review_reminders_level_known'), type_='check')
        batch_op.create_check_constraint('level_known', f"level IN ({levels})")


def upgrade() -> None:
    _kinds(KINDS, KINDS_BEFORE)
    _levels("1, 2, 3, 4")


def downgrade() -> None:
    listed = ", ".join(f"'{v}'" for v in NEW_KINDS)
    for table in TABLES:
        op.execute(f"DELETE FROM {table} WHERE kind IN ({listed})")
    op.execute("DELETE FROM review_reminders WHERE level > 2")
    _levels("1, 2")
    _kinds(KINDS_BEFORE, KINDS)
