"""Post sets: one message written for several accounts at once (the new-post form's several accounts). Each member is
a post of its own (its own review, approval and time); ``posts.set_id`` names the set it was written in, None for a
post written alone.

Revision ID: 0037
Revises: 0036
Create Date: 2026-12-10 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0037'
down_revision: str | None = '0036'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'post_sets',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name='fk_post_sets_created_by_id_users'),
        sa.PrimaryKeyConstraint('id', name='pk_post_sets'),
    )
    if op.get_bind().dialect.name == "sqlite":
        # SQLite adds a column with its reference in place; a batch would rebuild the table and drop its triggers.
        op.execute("ALTER TABLE posts ADD COLUMN set_id INTEGER "
                   "CONSTRAINT fk_posts_set_id_post_sets REFERENCES post_sets (id)")
    else:
        # Nullable, no default: PostgreSQL adds it without rewriting the table.
        op.add_column('posts', sa.Column('set_id', sa.Integer(), nullable=True))
        op.create_foreign_key('fk_posts_set_id_post_sets', 'posts', 'post_sets', ['set_id'], ['id'])
    op.create_index('ix_posts_set_id', 'posts', ['set_id'])


def downgrade() -> None:
    op.drop_index('ix_posts_set_id', table_name='posts')
    if op.get_bind().dialect.name == "sqlite":
        # SQLite drops a referencing column by rebuilding the table, which drops its triggers: put them back.
        with op.batch_alter_table('posts', schema=None) as batch_op:
            batch_op.drop_column('set_id')
        for ddl in SQLITE_COUNT_TRIGGERS:
            op.execute(ddl)
    else:
        op.drop_constraint('fk_posts_set_id_post_sets', 'posts', type_='foreignkey')
        op.drop_column('posts', 'set_id')
    op.drop_table('post_sets')


#: Frozen copies of the posts' counting triggers on SQLite, as 0007 creates them (0017 puts them back the same way).
SQLITE_COUNT_TRIGGERS = [
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
]
