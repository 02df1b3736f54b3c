"""Publishing: attempts, stop switches, the outbox, leases and slots on posts, connectors on accounts, grace periods
on markets, embargoes on campaigns; the worker's steps in the audit trail; on PostgreSQL, a backstop refusing a
change of a post's state that no audit row of the same transaction records.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 22:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TIME = sa.DateTime(timezone=True)
ACTIONS_BEFORE = ('submit', 'recall', 'approve', 'request_changes', 'reject', 'accept', 'decline', 'schedule',
                  'unschedule', 'withdraw', 'mark_published', 'retry', 'confirm_published', 'create', 'edit')
ACTIONS_AFTER = ACTIONS_BEFORE + ('claim', 'publish', 'fail', 'lose', 'postpone', 'hold', 'release', 'miss')

# Frozen copies of the append-only triggers (approval.models.audit): SQLite drops them with the table it rebuilds.
SQLITE_AUDIT_TRIGGERS = [
    """CREATE TRIGGER audit_entries_no_update BEFORE UPDATE ON audit_entries
        BEGIN SELECT RAISE(ABORT, 'audit_entries is append-only: UPDATE refused'); END""",
    """CREATE TRIGGER audit_entries_no_delete BEFORE DELETE ON audit_entries
        BEGIN SELECT RAISE(ABORT, 'audit_entries is append-only: DELETE refused'); END""",
    """CREATE TRIGGER audit_entries_no_replace BEFORE INSERT ON audit_entries
        WHEN EXISTS (SELECT 1 FROM audit_entries WHERE id = NEW.id)
        BEGIN SELECT RAISE(ABORT, 'audit_entries is append-only: REPLACE refused'); END""",
]

# The backstop (PostgreSQL): each audit row notes, for its transaction only, "post:state" in one setting; at commit,
# every change of posts.state must find its note. set_config(..., true) is undone with a rolled-back savepoint, as the
# audit row is, and cleared at the transaction's end. One setting name for all posts: PostgreSQL keeps every custom
# setting name a connection ever used, so a name per post would grow without bound on pooled connections.
POSTGRES_BACKSTOP = [
    """
    CREATE FUNCTION audit_entries_note_state() RETURNS trigger AS $$
    BEGIN
        PERFORM set_config('approval.audited',
                           coalesce(current_setting('approval.audited', true), '') || ','
                           || NEW.post_id || ':' || NEW.to_state,
                           true);
        RETURN NULL;
    END;
    $$ LANGUAGE plpgsql
    """,
    """
    CREATE TRIGGER audit_entries_note_state AFTER INSERT ON audit_entries
    FOR EACH ROW EXECUTE FUNCTION audit_entries_note_state()
    """,
    """
    CREATE FUNCTION posts_state_change_audited() RETURNS trigger AS $$
    BEGIN
        IF position(',' || NEW.id || ':' || NEW.state || ',' IN
                    coalesce(current_setting('approval.audited', true), '') || ',') = 0 THEN
            RAISE EXCEPTION 'posts.state of post % changed to % without its audit row', NEW.id, NEW.state
                USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        RETURN NULL;
    END;
    $$ LANGUAGE plpgsql
    """,
    """
    CREATE CONSTRAINT TRIGGER posts_state_change_audited AFTER UPDATE OF state ON posts
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW WHEN (OLD.state IS DISTINCT FROM NEW.state) EXECUTE FUNCTION posts_state_change_audited()
    """,
]
POSTGRES_BACKSTOP_DROP = [
    "DROP TRIGGER posts_state_change_audited ON posts",
    "DROP FUNCTION posts_state_change_audited()",
    "DROP TRIGGER audit_entries_note_state ON audit_entries",
    "DROP FUNCTION audit_entries_note_state()",
]


def _audit_actions(values: tuple[str, ...]) -> None:
    listed = ", ".join(f"'{v}'" for v in values)
    sqlite = op.get_bind().dialect.name == "sqlite"
    with op.batch_alter_table('audit_entries', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_audit_entries_audit_action'), type_='check')
        batch_op.create_check_constraint('audit_action', f"action IN ({listed})")
    if sqlite:
        for statement in SQLITE_AUDIT_TRIGGERS:
            op.execute(statement)


def upgrade() -> None:
    op.create_table('stop_switches',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('scope', sa.Enum('market', 'campaign', 'all', name='stop_scope', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('market_id', sa.Integer(), nullable=True),
    sa.Column('campaign_id', sa.Integer(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('turned_on_by_id', sa.Integer(), nullable=True),
    sa.Column('turned_on_at', TIME, nullable=False),
    sa.Column('turned_off_by_id', sa.Integer(), nullable=True),
    sa.Column('turned_off_at', TIME, nullable=True),
    sa.CheckConstraint("(scope = 'market' AND market_id IS NOT NULL AND campaign_id IS NULL) OR (scope = 'campaign' AND campaign_id IS NOT NULL AND market_id IS NULL) OR (scope = 'all' AND market_id IS NULL AND campaign_id IS NULL)", name=op.f('ck_stop_switches_scope_target')),
    sa.CheckConstraint('length(reason) > 0', name=op.f('ck_stop_switches_reason_given')),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_stop_switches_campaign_id_campaigns')),
    sa.ForeignKeyConstraint(['market_id'], ['markets.id'], name=op.f('fk_stop_switches_market_id_markets')),
    sa.ForeignKeyConstraint(['turned_off_by_id'], ['users.id'], name=op.f('fk_stop_switches_turned_off_by_id_users')),
    sa.ForeignKeyConstraint(['turned_on_by_id'], ['users.id'], name=op.f('fk_stop_switches_turned_on_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stop_switches'))
    )
    op.create_index('ix_stop_switches_active', 'stop_switches', ['turned_off_at', 'scope'], unique=False)
    op.create_table('outbox_messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('idempotency_key', sa.String(length=64), nullable=False),
    sa.Column('post_id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('body', sa.JSON(), nullable=False),
    sa.Column('created_at', TIME, nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_outbox_messages_account_id_accounts')),
    sa.ForeignKeyConstraint(['post_id'], ['posts.id'], name=op.f('fk_outbox_messages_post_id_posts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox_messages')),
    sa.UniqueConstraint('idempotency_key', name=op.f('uq_outbox_messages_idempotency_key'))
    )
    op.create_index(op.f('ix_outbox_messages_post_id'), 'outbox_messages', ['post_id'], unique=False)
    op.create_table('publication_attempts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('post_id', sa.Integer(), nullable=False),
    sa.Column('revision_id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('idempotency_key', sa.String(length=64), nullable=False),
    sa.Column('connector', sa.String(length=20), nullable=False),
    sa.Column('outcome', sa.Enum('sending', 'published', 'rate_limited', 'temporary_error', 'refused', 'needs_reconnect', 'unknown', name='publication_outcome', native_enum=False, create_constraint=True, length=23), nullable=False),
    sa.Column('remote_id', sa.String(length=200), nullable=True),
    sa.Column('url', sa.String(length=2000), nullable=True),
    sa.Column('message', sa.Text(), nullable=True),
    sa.Column('started_at', TIME, nullable=False),
    sa.Column('finished_at', TIME, nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_publication_attempts_account_id_accounts')),
    sa.ForeignKeyConstraint(['post_id'], ['posts.id'], name=op.f('fk_publication_attempts_post_id_posts')),
    sa.ForeignKeyConstraint(['revision_id'], ['revisions.id'], name=op.f('fk_publication_attempts_revision_id_revisions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_publication_attempts'))
    )
    op.create_index('ix_publication_attempts_account_id_started_at', 'publication_attempts', ['account_id', 'started_at'], unique=False)
    op.create_index('ix_publication_attempts_post_id_id', 'publication_attempts', ['post_id', 'id'], unique=False)
    op.create_index('uq_publication_attempts_sending', 'publication_attempts', ['post_id'], unique=True, sqlite_where=sa.text("outcome = 'sending'"), postgresql_where=sa.text("outcome = 'sending'"))
    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('connector', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('connector_url', sa.String(length=2000), nullable=True))
        batch_op.add_column(sa.Column('connector_secret', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('publishing_post_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_accounts_publishing_post_id_posts', 'posts', ['publishing_post_id'], ['id'])
        batch_op.create_check_constraint('connector_known', "connector IS NULL OR connector IN ('outbox', 'webhook')")
        batch_op.create_check_constraint('webhook_has_url',
                                         "connector IS NULL OR connector <> 'webhook' OR connector_url IS NOT NULL")
    with op.batch_alter_table('campaigns', schema=None) as batch_op:
        batch_op.add_column(sa.Column('embargo_until', TIME, nullable=True))
    with op.batch_alter_table('markets', schema=None) as batch_op:
        batch_op.add_column(sa.Column('grace_minutes', sa.Integer(), server_default='15', nullable=False))
        batch_op.create_check_constraint('grace_minutes_range', "grace_minutes BETWEEN 0 AND 1440")
    with op.batch_alter_table('posts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('publish_key', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('claim_token', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('claimed_until', TIME, nullable=True))
        batch_op.add_column(sa.Column('next_attempt_at', TIME, nullable=True))
        batch_op.add_column(sa.Column('missed_at', TIME, nullable=True))
        batch_op.add_column(sa.Column('held_at', TIME, nullable=True))
        batch_op.create_check_constraint(
            'publishing_is_claimed', "state <> 'publishing' OR (claim_token IS NOT NULL AND claimed_until IS NOT NULL)")
        batch_op.create_index('ix_posts_state_claimed_until', ['state', 'claimed_until'], unique=False)
        batch_op.create_index('ix_posts_state_scheduled_at', ['state', 'scheduled_at'], unique=False)
        batch_op.create_index('ix_posts_state_held_at', ['state', 'held_at'], unique=False)
    _audit_actions(ACTIONS_AFTER)
    if op.get_bind().dialect.name == "postgresql":
        for statement in POSTGRES_BACKSTOP:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for statement in POSTGRES_BACKSTOP_DROP:
            op.execute(statement)
    _audit_actions(ACTIONS_BEFORE)
    with op.batch_alter_table('posts', schema=None) as batch_op:
        batch_op.drop_index('ix_posts_state_held_at')
        batch_op.drop_index('ix_posts_state_scheduled_at')
        batch_op.drop_index('ix_posts_state_claimed_until')
        batch_op.drop_constraint(op.f('ck_posts_publishing_is_claimed'), type_='check')
        batch_op.drop_column('held_at')
        batch_op.drop_column('missed_at')
        batch_op.drop_column('next_attempt_at')
        batch_op.drop_column('claimed_until')
        batch_op.drop_column('claim_token')
        batch_op.drop_column('publish_key')
    with op.batch_alter_table('markets', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_markets_grace_minutes_range'), type_='check')
        batch_op.drop_column('grace_minutes')
    with op.batch_alter_table('campaigns', schema=None) as batch_op:
        batch_op.drop_column('embargo_until')
    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_accounts_webhook_has_url'), type_='check')
        batch_op.drop_constraint(op.f('ck_accounts_connector_known'), type_='check')
        batch_op.drop_constraint(op.f('fk_accounts_publishing_post_id_posts'), type_='foreignkey')
        batch_op.drop_column('publishing_post_id')
        batch_op.drop_column('connector_secret')
        batch_op.drop_column('connector_url')
        batch_op.drop_column('connector')
    op.drop_index('uq_publication_attempts_sending', table_name='publication_attempts', sqlite_where=sa.text("outcome = 'sending'"), postgresql_where=sa.text("outcome = 'sending'"))
    op.drop_index('ix_publication_attempts_post_id_id', table_name='publication_attempts')
    op.drop_index('ix_publication_attempts_account_id_started_at', table_name='publication_attempts')
    op.drop_table('publication_attempts')
    op.drop_index(op.f('ix_outbox_messages_post_id'), table_name='outbox_messages')
    op.drop_table('outbox_messages')
    op.drop_index('ix_stop_switches_active', table_name='stop_switches')
    op.drop_table('stop_switches')
