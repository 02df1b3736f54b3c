"""The administration log: who changed which setting (a market, an account and its connector, a user, an executive,
a campaign, a kiosk link, an API token, the wall's thresholds), when, from what to what. Append-only, like the
audit trail.

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-05 21:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0028'
down_revision: str | None = '0027'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: The triggers that make the log append-only, per dialect (as approval.models.audit's make the audit trail).
APPEND_ONLY_DDL = {
    "postgresql": [
        """
        CREATE FUNCTION admin_log_entries_append_only() RETURNS trigger AS $$
        BEGIN
            RAISE EXCEPTION 'admin_log_entries is append-only: % refused', TG_OP;
        END;
        $$ LANGUAGE plpgsql
        """,
        """
        CREATE TRIGGER admin_log_entries_append_only BEFORE UPDATE OR DELETE ON admin_log_entries
        FOR EACH ROW EXECUTE FUNCTION admin_log_entries_append_only()
        """,
        """
        CREATE TRIGGER admin_log_entries_no_truncate BEFORE TRUNCATE ON admin_log_entries
        FOR EACH STATEMENT EXECUTE FUNCTION admin_log_entries_append_only()
        """,
    ],
    "sqlite": [
        """
        CREATE TRIGGER admin_log_entries_no_update BEFORE UPDATE ON admin_log_entries
        BEGIN SELECT RAISE(ABORT, 'admin_log_entries is append-only: UPDATE refused'); END
        """,
        """
        CREATE TRIGGER admin_log_entries_no_delete BEFORE DELETE ON admin_log_entries
        BEGIN SELECT RAISE(ABORT, 'admin_log_entries is append-only: DELETE refused'); END
        """,
        """
        CREATE TRIGGER admin_log_entries_no_replace BEFORE INSERT ON admin_log_entries
        WHEN EXISTS (SELECT 1 FROM admin_log_entries WHERE id = NEW.id)
        BEGIN SELECT RAISE(ABORT, 'admin_log_entries is append-only: REPLACE refused'); END
        """,
    ],
}
APPEND_ONLY_DROP = {
    "postgresql": [
        "DROP TRIGGER admin_log_entries_no_truncate ON admin_log_entries",
        "DROP TRIGGER admin_log_entries_append_only ON admin_log_entries",
        "DROP FUNCTION admin_log_entries_append_only()",
    ],
    "sqlite": ["DROP TRIGGER admin_log_entries_no_update", "DROP TRIGGER admin_log_entries_no_delete",
               "DROP TRIGGER admin_log_entries_no_replace"],
}


#: The application's role (migration 0006) appends to the log and reads it, as it does the audit trail: the default
#: privileges gave it every right on a new table.
REVOKE_FROM_APP = """
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'approval_app') THEN
        REVOKE UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON admin_log_entries FROM approval_app;
    END IF;
END
$$
"""


def upgrade() -> None:
    op.create_table(
        'admin_log_entries',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('actor_id', sa.Integer(), nullable=True),
        sa.Column('actor_label', sa.String(length=300), nullable=False),
        sa.Column('subject', sa.String(length=20), nullable=False),
        sa.Column('subject_id', sa.Integer(), nullable=False),
        sa.Column('subject_label', sa.String(length=300), nullable=False),
        sa.Column('action', sa.String(length=20), nullable=False),
        sa.Column('changes', sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_admin_log_entries_actor_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_admin_log_entries')),
    )
    with op.batch_alter_table('admin_log_entries', schema=None) as batch_op:
        batch_op.create_index('ix_admin_log_entries_subject', ['subject', 'subject_id', 'id'], unique=False)
        batch_op.create_index('ix_admin_log_entries_actor_id', ['actor_id'], unique=False)
    for statement in APPEND_ONLY_DDL[op.get_bind().dialect.name]:
        op.execute(statement)
    if op.get_bind().dialect.name == "postgresql":
        op.execute(REVOKE_FROM_APP)


def downgrade() -> None:
    for statement in APPEND_ONLY_DROP[op.get_bind().dialect.name]:
        op.execute(statement)
    with op.batch_alter_table('admin_log_entries', schema=None) as batch_op:
        batch_op.drop_index('ix_admin_log_entries_actor_id')
        batch_op.drop_index('ix_admin_log_entries_subject')
    op.drop_table('admin_log_entries')
