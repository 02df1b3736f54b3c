"""A stop switch's posts stay held once it is off: the post keeps which switch held it.

``approval stop off`` releases nothing (CONTRACT): the posts a switch held wait for a project manager to give them a
new time. Until now the worker released them as soon as no switch covered them. ``posts.held_by_stop_id`` names the
switch the worker found holding the post; an embargo's hold (none there) still lifts with the embargo. Posts held
when this migration runs were held by a stop switch if their last ``hold`` audit row names one.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-02 13:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0017'
down_revision: str | None = '0016'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        # SQLite adds a column with its reference in place; a batch would rebuild the table and drop its triggers.
        op.execute("ALTER TABLE posts ADD COLUMN held_by_stop_id INTEGER "
                   "CONSTRAINT fk_posts_held_by_stop_id_stop_switches REFERENCES stop_switches (id)")
    else:
        op.add_column('posts', sa.Column('held_by_stop_id', sa.Integer(), nullable=True))
        op.create_foreign_key('fk_posts_held_by_stop_id_stop_switches', 'posts', 'stop_switches',
                              ['held_by_stop_id'], ['id'])
    posts = sa.table('posts', sa.column('id', sa.Integer), sa.column('state', sa.String),
                     sa.column('held_at', sa.DateTime), sa.column('held_by_stop_id', sa.Integer))
    audit = sa.table('audit_entries', sa.column('id', sa.Integer), sa.column('post_id', sa.Integer),
                     sa.column('action', sa.String), sa.column('payload', sa.JSON))
    connection = op.get_bind()
    held = connection.execute(sa.select(posts.c.id).where(posts.c.state == 'scheduled',
                                                          posts.c.held_at.is_not(None))).scalars().all()
    for post_id in held:
        payload = connection.execute(
            sa.select(audit.c.payload).where(audit.c.post_id == post_id, audit.c.action == 'hold')
            .order_by(audit.c.id.desc()).limit(1)
        ).scalar()
        stop_id = (payload or {}).get('stop_id')
        if stop_id:
            connection.execute(posts.update().where(posts.c.id == post_id).values(held_by_stop_id=stop_id))


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        # SQLite drops a referencing column by rebuilding the table, which drops its triggers: put them back.
        with op.batch_alter_table('posts', schema=None) as batch_op:
            batch_op.drop_column('held_by_stop_id')
        for ddl in SQLITE_COUNT_TRIGGERS:
            op.execute(ddl)
        return
    op.drop_constraint('fk_posts_held_by_stop_id_stop_switches', 'posts', type_='foreignkey')
    op.drop_column('posts', 'held_by_stop_id')


#: Frozen copies of the posts' counting triggers on SQLite, as 0007 creates them.
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
