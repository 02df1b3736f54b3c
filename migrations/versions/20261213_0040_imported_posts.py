"""The posts an import made, one row each (``imported_posts``: the post, its import, the file's row it came from),
instead of the range of ids between its first and its last post, which also held the posts the same writer made
meanwhile elsewhere (another tab, the API): the done page listed them as imported.

The imports made before keep the posts their page listed (the range, less other writers' posts), without their
file's row. A post two such ranges held (two imports of one writer at once: PostgreSQL's ids interleave) goes to
the narrowest, then the older: a range inside another is the inner import's own, and only the posts of the outer
one between its ends stay ambiguous. The downgrade puts each import's range back, from its first post to its last.

Revision ID: 0040
Revises: 0039
Create Date: 2026-12-13 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0040'
down_revision: str | None = '0039'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BACKFILL = """
INSERT INTO imported_posts (post_id, import_id, file_row)
SELECT posts.id, (
    SELECT post_imports.id FROM post_imports
    WHERE posts.id BETWEEN post_imports.first_post_id AND post_imports.last_post_id
        AND post_imports.created_by_id = posts.created_by_id
    ORDER BY post_imports.last_post_id - post_imports.first_post_id, post_imports.id
    LIMIT 1
), NULL
FROM posts
WHERE EXISTS (
    SELECT 1 FROM post_imports
    WHERE posts.id BETWEEN post_imports.first_post_id AND post_imports.last_post_id
        AND post_imports.created_by_id = posts.created_by_id
)
"""

RANGES = """
UPDATE post_imports SET
    first_post_id = (SELECT min(post_id) FROM imported_posts WHERE import_id = post_imports.id),
    last_post_id = (SELECT max(post_id) FROM imported_posts WHERE import_id = post_imports.id)
"""


def upgrade() -> None:
    op.create_table(
        'imported_posts',
        sa.Column('post_id', sa.Integer(), nullable=False),
        sa.Column('import_id', sa.Integer(), nullable=False),
        sa.Column('file_row', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['import_id'], ['post_imports.id'], name='fk_imported_posts_import_id_post_imports'),
        sa.ForeignKeyConstraint(['post_id'], ['posts.id'], name='fk_imported_posts_post_id_posts'),
        sa.PrimaryKeyConstraint('post_id', name='pk_imported_posts'),
    )
    op.create_index('ix_imported_posts_import_id_post_id', 'imported_posts', ['import_id', 'post_id'], unique=False)
    op.execute(BACKFILL)
    with op.batch_alter_table('post_imports', schema=None) as batch_op:
        batch_op.drop_constraint('fk_post_imports_first_post_id_posts', type_='foreignkey')
        batch_op.drop_constraint('fk_post_imports_last_post_id_posts', type_='foreignkey')
        batch_op.drop_column('last_post_id')
        batch_op.drop_column('first_post_id')


def downgrade() -> None:
    with op.batch_alter_table('post_imports', schema=None) as batch_op:
        batch_op.add_column(sa.Column('first_post_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('last_post_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_post_imports_first_post_id_posts', 'posts', ['first_post_id'], ['id'])
        batch_op.create_foreign_key('fk_post_imports_last_post_id_posts', 'posts', ['last_post_id'], ['id'])
    op.execute(RANGES)
    op.drop_index('ix_imported_posts_import_id_post_id', table_name='imported_posts')
    op.drop_table('imported_posts')
