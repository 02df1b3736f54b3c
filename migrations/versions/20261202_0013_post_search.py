"""PostgreSQL's text search reads the posts' current texts: a ``search`` document on each post, kept by a trigger.

The lists search the current text of each post. The words were indexed per revision, so a search read every matching
revision (old ones included) and then looked up the posts whose current revision it was. Each post now carries the
words of its current revision (``to_tsvector('simple', approval_unaccent(body))``), set by a trigger whenever the
post points at another revision, whoever writes it; a GIN index on it answers the search with the posts themselves.
The revisions' index goes. SQLite (a LIKE over the current revisions) is unchanged. The models do not declare the
column (migrations/env.py leaves it out of the comparison): no Python code reads or writes it.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02 08:00:00
"""

from collections.abc import Sequence

from alembic import op


revision: str = '0013'
down_revision: str | None = '0012'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UPGRADE = [
    "ALTER TABLE posts ADD COLUMN search tsvector",
    """CREATE FUNCTION approval_post_search() RETURNS trigger AS $$
    BEGIN
        NEW.search := (SELECT to_tsvector('simple'::regconfig, approval_unaccent(body))
                       FROM revisions WHERE id = NEW.current_revision_id);
        RETURN NEW;
    END
    $$ LANGUAGE plpgsql""",
    "CREATE TRIGGER posts_search BEFORE INSERT OR UPDATE OF current_revision_id ON posts "
    "FOR EACH ROW EXECUTE FUNCTION approval_post_search()",
    "UPDATE posts SET search = to_tsvector('simple'::regconfig, approval_unaccent(revisions.body)) "
    "FROM revisions WHERE revisions.id = posts.current_revision_id",
    "CREATE INDEX ix_posts_search ON posts USING gin (search)",
    "DROP INDEX ix_revisions_body_search",
]
DOWNGRADE = [
    "CREATE INDEX ix_revisions_body_search ON revisions "
    "USING gin (to_tsvector('simple'::regconfig, approval_unaccent(body)))",
    "DROP INDEX ix_posts_search",
    "DROP TRIGGER posts_search ON posts",
    "DROP FUNCTION approval_post_search()",
    "ALTER TABLE posts DROP COLUMN search",
]


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for statement in UPGRADE:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for statement in DOWNGRADE:
            op.execute(statement)
