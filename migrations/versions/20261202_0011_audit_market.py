"""Audit rows carry their post's market: a market's rows of a period are read through one index (the reports).

The rows already there get the market of their post's account. The append-only triggers are lifted for that one
UPDATE and put back (SQLite also rebuilds the table to add the foreign key, which drops them).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 03:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0011'
down_revision: str | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copies of the append-only triggers (approval.models.audit), as 0006 has them.
SQLITE_AUDIT_TRIGGERS = {
    "audit_entries_no_update": """CREATE TRIGGER audit_entries_no_update BEFORE UPDATE ON audit_entries
        BEGIN SELECT RAISE(ABORT, 'audit_entries is append-only: UPDATE refused'); END""",
    "audit_entries_no_delete": """CREATE TRIGGER audit_entries_no_delete BEFORE DELETE ON audit_entries
        BEGIN SELECT RAISE(ABORT, 'audit_entries is append-only: DELETE refused'); END""",
    "audit_entries_no_replace": """CREATE TRIGGER audit_entries_no_replace BEFORE INSERT ON audit_entries
        WHEN EXISTS (SELECT 1 FROM audit_entries WHERE id = NEW.id)
        BEGIN SELECT RAISE(ABORT, 'audit_entries is append-only: REPLACE refused'); END""",
}
BACKFILL = """
UPDATE audit_entries SET market_id = (
    SELECT accounts.market_id FROM posts JOIN accounts ON accounts.id = posts.account_id
    WHERE posts.id = audit_entries.post_id)
"""


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    _lift_triggers(sqlite)
    with op.batch_alter_table('audit_entries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('market_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_audit_entries_market_id_markets', 'markets', ['market_id'], ['id'])
    op.execute(BACKFILL)
    op.create_index('ix_audit_entries_market_id_at', 'audit_entries', ['market_id', 'at'], unique=False)
    _restore_triggers(sqlite)


def downgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    _lift_triggers(sqlite)
    op.drop_index('ix_audit_entries_market_id_at', table_name='audit_entries')
    with op.batch_alter_table('audit_entries', schema=None) as batch_op:
        batch_op.drop_constraint('fk_audit_entries_market_id_markets', type_='foreignkey')
        batch_op.drop_column('market_id')
    _restore_triggers(sqlite)


def _lift_triggers(sqlite: bool) -> None:
    if sqlite:
        for name in SQLITE_AUDIT_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    else:
        op.execute("ALTER TABLE audit_entries DISABLE TRIGGER audit_entries_append_only")


def _restore_triggers(sqlite: bool) -> None:
    if sqlite:
        for name, ddl in SQLITE_AUDIT_TRIGGERS.items():
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
            op.execute(ddl)
    else:
        op.execute("ALTER TABLE audit_entries ENABLE TRIGGER audit_entries_append_only")
