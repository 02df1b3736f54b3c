"""The hub wall, kiosk links, calendar feed tokens, list indexes.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 22:30:00

On PostgreSQL, the text search of the lists: ``unaccent`` behind an IMMUTABLE wrapper (an index expression must be
immutable, and ``unaccent(text)`` is only STABLE since its dictionary could change), and a GIN index of the
revisions' words with the 'simple' configuration (no stemming: the markets write in several languages).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


# Frozen copies of approval.models.hub's trigger DDL: a migration must not change when the models do.
COUNT_BACKFILL = ("INSERT INTO post_counts (account_id, state, n) "
                  "SELECT account_id, state, count(*) FROM posts GROUP BY account_id, state")

COUNT_TRIGGERS = {
    "postgresql": [
        """CREATE FUNCTION post_counts_after_insert() RETURNS trigger AS $$
        BEGIN

        INSERT INTO post_counts (account_id, state, n)
        SELECT account_id, state, sum(delta) FROM (SELECT account_id, state, 1 AS delta FROM new_rows) AS changes
        GROUP BY account_id, state HAVING sum(delta) <> 0 ORDER BY account_id, state
        ON CONFLICT (account_id, state) DO UPDATE SET n = post_counts.n + excluded.n
;
            RETURN NULL;
        END;
        $$ LANGUAGE plpgsql""",
        """CREATE FUNCTION post_counts_after_update() RETURNS trigger AS $$
        BEGIN

        INSERT INTO post_counts (account_id, state, n)
        SELECT account_id, state, sum(delta) FROM (SELECT account_id, state, 1 AS delta FROM new_rows UNION ALL SELECT account_id, state, -1 FROM old_rows) AS changes
        GROUP BY account_id, state HAVING sum(delta) <> 0 ORDER BY account_id, state
        ON CONFLICT (account_id, state) DO UPDATE SET n = post_counts.n + excluded.n
;
            RETURN NULL;
        END;
        $$ LANGUAGE plpgsql""",
        """CREATE FUNCTION post_counts_after_delete() RETURNS trigger AS $$
        BEGIN

        INSERT INTO post_counts (account_id, state, n)
        SELECT account_id, state, sum(delta) FROM (SELECT account_id, state, -1 AS delta FROM old_rows) AS changes
        GROUP BY account_id, state HAVING sum(delta) <> 0 ORDER BY account_id, state
        ON CONFLICT (account_id, state) DO UPDATE SET n = post_counts.n + excluded.n
;
            RETURN NULL;
        END;
        $$ LANGUAGE plpgsql""",
        """CREATE TRIGGER post_counts_insert AFTER INSERT ON posts REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION post_counts_after_insert()""",
        """CREATE TRIGGER post_counts_update AFTER UPDATE ON posts REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION post_counts_after_update()""",
        """CREATE TRIGGER post_counts_delete AFTER DELETE ON posts REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION post_counts_after_delete()""",
    ],
    "sqlite": [
        """CREATE TRIGGER post_counts_insert AFTER INSERT ON posts BEGIN
    INSERT INTO post_counts (account_id, state, n) VALUES (NEW.account_id, NEW.state, 1)
    ON CONFLICT (account_id, state) DO UPDATE SET n = n + 1;
END""",
        """CREATE TRIGGER post_counts_update AFTER UPDATE OF state, account_id ON posts
WHEN OLD.state <> NEW.state OR OLD.account_id <> NEW.account_id BEGIN
    UPDATE post_counts SET n = n - 1 WHERE account_id = OLD.account_id AND state = OLD.state;
    INSERT INTO post_counts (account_id, state, n) VALUES (NEW.account_id, NEW.state, 1)
    ON CONFLICT (account_id, state) DO UPDATE SET n = n + 1;
END""",
        """CREATE TRIGGER post_counts_delete AFTER DELETE ON posts BEGIN
    UPDATE post_counts SET n = n - 1 WHERE account_id = OLD.account_id AND state = OLD.state;
END""",
    ],
}
COUNT_TRIGGERS_DROP = {
    "postgresql": [
        """DROP TRIGGER post_counts_delete ON posts""",
        """DROP TRIGGER post_counts_update ON posts""",
        """DROP TRIGGER post_counts_insert ON posts""",
        """DROP FUNCTION post_counts_after_delete()""",
        """DROP FUNCTION post_counts_after_update()""",
        """DROP FUNCTION post_counts_after_insert()""",
    ],
    "sqlite": [
        """DROP TRIGGER post_counts_delete""",
        """DROP TRIGGER post_counts_update""",
        """DROP TRIGGER post_counts_insert""",
    ],
}

revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: (name, table, columns) of the read side's indexes (approval.models.hub.LIST_INDEXES).
INDEXES = (
    ("ix_posts_state_id", "posts", ["state", "id"]),
    ("ix_posts_state_updated_at", "posts", ["state", "updated_at"]),
    ("ix_posts_account_id_id", "posts", ["account_id", "id"]),
    ("ix_posts_account_id_state_submitted_at", "posts", ["account_id", "state", "submitted_at"]),
    ("ix_posts_account_id_state_scheduled_at", "posts", ["account_id", "state", "scheduled_at"]),
    ("ix_posts_account_id_published_at", "posts", ["account_id", "published_at"]),
    ("ix_posts_created_by_id_id", "posts", ["created_by_id", "id"]),
    ("ix_posts_campaign_id_id", "posts", ["campaign_id", "id"]),
    ("ix_posts_published_at", "posts", ["published_at"]),
    ("ix_posts_missed_at", "posts", ["missed_at"]),
    ("ix_posts_updated_at", "posts", ["updated_at"]),
    ("ix_posts_current_revision_id", "posts", ["current_revision_id"]),
    ("ix_revisions_created_at", "revisions", ["created_at"]),
    ("ix_audit_entries_at", "audit_entries", ["at"]),
)

SEARCH_DDL = [
    "CREATE EXTENSION IF NOT EXISTS unaccent",
    "CREATE FUNCTION approval_unaccent(text) RETURNS text AS $$ SELECT public.unaccent('public.unaccent', $1) $$ "
    "LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT",
    "CREATE INDEX ix_revisions_body_search ON revisions "
    "USING gin (to_tsvector('simple'::regconfig, approval_unaccent(body)))",
]
SEARCH_DROP = [
    "DROP INDEX ix_revisions_body_search",
    "DROP FUNCTION approval_unaccent(text)",
    "DROP EXTENSION IF EXISTS unaccent",
]


def upgrade() -> None:
    op.create_table('kiosk_links',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('token', sa.String(length=64), nullable=False),
    sa.Column('markets', sa.JSON(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_kiosk_links_created_by_id_users'),
                            ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_kiosk_links')),
    sa.UniqueConstraint('token', name=op.f('uq_kiosk_links_token'))
    )
    op.create_table('feed_tokens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('prefix', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_feed_tokens_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_feed_tokens')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_feed_tokens_token_hash'))
    )
    with op.batch_alter_table('feed_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_feed_tokens_user_id'), ['user_id'], unique=False)
    op.create_table('wall_settings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('review_amber_minutes', sa.Integer(), nullable=False),
    sa.Column('review_red_minutes', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('review_amber_minutes > 0 AND review_red_minutes > review_amber_minutes',
                       name=op.f('ck_wall_settings_thresholds_ordered')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_wall_settings'))
    )
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns, unique=False)
    op.create_table('post_counts',
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.Enum('draft', 'in_review', 'changes_requested', 'with_cabinet', 'approved', 'scheduled',
                               'publishing', 'published', 'failed', 'unconfirmed', 'rejected', 'declined', 'withdrawn',
                               name='post_count_state', native_enum=False, create_constraint=True, length=25),
              nullable=False),
    sa.Column('n', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_post_counts_account_id_accounts'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('account_id', 'state', name=op.f('pk_post_counts'))
    )
    dialect = op.get_bind().dialect.name
    op.execute(COUNT_BACKFILL)
    for statement in COUNT_TRIGGERS[dialect]:
        op.execute(statement)
    if op.get_bind().dialect.name == "postgresql":
        for statement in SEARCH_DDL:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for statement in SEARCH_DROP:
            op.execute(statement)
    for statement in COUNT_TRIGGERS_DROP[op.get_bind().dialect.name]:
        op.execute(statement)
    op.drop_table('post_counts')
    for name, table, _columns in reversed(INDEXES):
        op.drop_index(name, table_name=table)
    op.drop_table('wall_settings')
    with op.batch_alter_table('feed_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_feed_tokens_user_id'))
    op.drop_table('feed_tokens')
    op.drop_table('kiosk_links')
