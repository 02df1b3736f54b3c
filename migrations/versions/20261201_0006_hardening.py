"""Hardening: sessions that can be ended, the audit hash chain, and on PostgreSQL a least-privilege role.

- ``users.session_epoch``: part of every session's key; raising it ends the user's sessions.
- ``audit_entries.chain_hash``: each row's link to the previous row of its post (``approval.models.audit``); the rows
  already there are linked here, oldest first, so ``approval audit verify`` covers the whole trail.
- ``approval_app`` (PostgreSQL, when the migrating user may create roles): the role the application should run as.
  It reads and writes the tables but may only read and append to ``audit_entries`` (no UPDATE, DELETE, TRUNCATE,
  no ALTER: it owns nothing), and cannot touch ``alembic_version``. Tables later migrations create get the same
  rights (default privileges). The role is cluster-wide and may serve other databases: the downgrade takes its
  rights on this database away and leaves the role itself (``DROP ROLE approval_app`` removes it).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 22:30:00
"""

import hashlib
import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

APP_ROLE = "approval_app"

# Frozen copies of the append-only triggers (approval.models.audit): SQLite drops them with the table it rebuilds.
SQLITE_AUDIT_TRIGGERS = {
    "audit_entries_no_update": """CREATE TRIGGER audit_entries_no_update BEFORE UPDATE ON audit_entries
        BEGIN SELECT RAISE(ABORT, 'audit_entries is append-only: UPDATE refused'); END""",
    "audit_entries_no_delete": """CREATE TRIGGER audit_entries_no_delete BEFORE DELETE ON audit_entries
        BEGIN SELECT RAISE(ABORT, 'audit_entries is append-only: DELETE refused'); END""",
    "audit_entries_no_replace": """CREATE TRIGGER audit_entries_no_replace BEFORE INSERT ON audit_entries
        WHEN EXISTS (SELECT 1 FROM audit_entries WHERE id = NEW.id)
        BEGIN SELECT RAISE(ABORT, 'audit_entries is append-only: REPLACE refused'); END""",
}

GRANT_ROLE = f"""
DO $$
DECLARE
    may_create boolean;
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{APP_ROLE}') THEN
        SELECT rolsuper OR rolcreaterole INTO may_create FROM pg_roles WHERE rolname = current_user;
        IF NOT may_create THEN
            RAISE NOTICE 'not creating role {APP_ROLE}: % may not create roles', current_user;
            RETURN;
        END IF;
        BEGIN
            CREATE ROLE {APP_ROLE} NOLOGIN;
        EXCEPTION WHEN duplicate_object OR unique_violation THEN
            NULL;  -- created meanwhile by a migration of another database of the cluster
        END;
    END IF;
    EXECUTE format('GRANT CONNECT ON DATABASE %I TO {APP_ROLE}', current_database());
    EXECUTE format('GRANT USAGE ON SCHEMA %I TO {APP_ROLE}', current_schema());
    EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA %I TO {APP_ROLE}', current_schema());
    EXECUTE format('GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA %I TO {APP_ROLE}', current_schema());
    EXECUTE format('ALTER DEFAULT PRIVILEGES IN SCHEMA %I GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {APP_ROLE}',
                   current_schema());
    EXECUTE format('ALTER DEFAULT PRIVILEGES IN SCHEMA %I GRANT USAGE, SELECT ON SEQUENCES TO {APP_ROLE}',
                   current_schema());
    REVOKE UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON audit_entries FROM {APP_ROLE};
    REVOKE ALL ON alembic_version FROM {APP_ROLE};
END
$$
"""

REVOKE_ROLE = f"""
DO $$
BEGIN
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = '{APP_ROLE}') THEN
        EXECUTE format('ALTER DEFAULT PRIVILEGES IN SCHEMA %I REVOKE ALL ON TABLES FROM {APP_ROLE}', current_schema());
        EXECUTE format('ALTER DEFAULT PRIVILEGES IN SCHEMA %I REVOKE ALL ON SEQUENCES FROM {APP_ROLE}',
                       current_schema());
        EXECUTE format('REVOKE ALL ON ALL TABLES IN SCHEMA %I FROM {APP_ROLE}', current_schema());
        EXECUTE format('REVOKE ALL ON ALL SEQUENCES IN SCHEMA %I FROM {APP_ROLE}', current_schema());
        EXECUTE format('REVOKE ALL ON SCHEMA %I FROM {APP_ROLE}', current_schema());
        EXECUTE format('REVOKE ALL ON DATABASE %I FROM {APP_ROLE}', current_database());
    END IF;
END
$$
"""


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_epoch', sa.Integer(), server_default='0', nullable=False))

    if sqlite:
        for name in SQLITE_AUDIT_TRIGGERS:
            op.execute(f"DROP TRIGGER {name}")
    else:
        op.execute("ALTER TABLE audit_entries DISABLE TRIGGER audit_entries_append_only")
    op.add_column('audit_entries', sa.Column('chain_hash', sa.String(length=64), nullable=True))
    _link_existing_rows()
    with op.batch_alter_table('audit_entries', schema=None) as batch_op:
        batch_op.alter_column('chain_hash', existing_type=sa.String(length=64), nullable=False)
    if sqlite:
        for ddl in SQLITE_AUDIT_TRIGGERS.values():
            op.execute(ddl)
    else:
        op.execute("ALTER TABLE audit_entries ENABLE TRIGGER audit_entries_append_only")
        op.execute(GRANT_ROLE)


def downgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        for name in SQLITE_AUDIT_TRIGGERS:
            op.execute(f"DROP TRIGGER {name}")
    else:
        op.execute(REVOKE_ROLE)
    with op.batch_alter_table('audit_entries', schema=None) as batch_op:
        batch_op.drop_column('chain_hash')
    if sqlite:
        for ddl in SQLITE_AUDIT_TRIGGERS.values():
            op.execute(ddl)
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('session_epoch')


# A frozen copy of the link (approval.models.audit.link_hash) as this migration computed it: the model may change
# later, the rows this migration linked may not.
CHAINED_COLUMNS = ("post_id", "action", "from_state", "to_state", "actor_id", "at", "comment", "revision_id", "payload")
AUDIT = sa.table(
    "audit_entries", sa.column("id", sa.Integer), sa.column("post_id", sa.Integer), sa.column("action", sa.String),
    sa.column("from_state", sa.String), sa.column("to_state", sa.String), sa.column("actor_id", sa.Integer),
    sa.column("at", sa.DateTime(timezone=True)), sa.column("comment", sa.Text), sa.column("revision_id", sa.Integer),
    sa.column("payload", sa.JSON),
)


def _link_hash(previous: str | None, values: Any) -> str:
    canonical = [previous or "", [_canonical(name, values[name]) for name in CHAINED_COLUMNS]]
    encoded = json.dumps(canonical, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(encoded.encode("utf-8")).hexdigest()


def _canonical(name: str, value: Any) -> Any:
    if value is None:
        return {} if name == "payload" else None
    if isinstance(value, datetime):
        if value.tzinfo is None:  # as SQLite hands it back
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    if name == "payload":
        return json.loads(json.dumps(value, sort_keys=True))
    return getattr(value, "value", value)


def _link_existing_rows() -> None:
    """Link the rows already in the trail, each post's oldest first, as the application links new ones."""
    bind = op.get_bind()
    update = sa.text("UPDATE audit_entries SET chain_hash = :link WHERE id = :id")
    post_id, previous = None, None
    links = []
    for row in bind.execute(sa.select(AUDIT).order_by(AUDIT.c.post_id, AUDIT.c.id)).mappings():
        if row["post_id"] != post_id:
            post_id, previous = row["post_id"], None
        previous = _link_hash(previous, row)
        links.append({"link": previous, "id": row["id"]})
        if len(links) >= 1000:
            bind.execute(update, links)
            links.clear()
    if links:
        bind.execute(update, links)
