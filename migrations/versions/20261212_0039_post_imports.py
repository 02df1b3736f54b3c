"""Posts imported from a spreadsheet: one row per import, ``post_imports``, unique per writer and key (SHA-256 of the
writer, the check page's form key and the file). The create transaction inserts it first: the same import sent twice
(a double click, a reload, a retry while a large file is made, another tab) waits on that index and makes its posts
once. The browser's session cookie was the only guard.

Nothing already written changes: the imports made before have no row.

Revision ID: 0039
Revises: 0038
Create Date: 2026-12-12 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0039'
down_revision: str | None = '0038'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'post_imports',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=False),
        sa.Column('key', sa.String(length=64), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('first_post_id', sa.Integer(), nullable=True),
        sa.Column('last_post_id', sa.Integer(), nullable=True),
        sa.Column('submitted', sa.Boolean(), nullable=False),
        sa.Column('post_count', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name='fk_post_imports_created_by_id_users'),
        sa.ForeignKeyConstraint(['first_post_id'], ['posts.id'], name='fk_post_imports_first_post_id_posts'),
        sa.ForeignKeyConstraint(['last_post_id'], ['posts.id'], name='fk_post_imports_last_post_id_posts'),
        sa.PrimaryKeyConstraint('id', name='pk_post_imports'),
        sa.UniqueConstraint('created_by_id', 'key', name='uq_post_imports_created_by_id_key'),
    )


def downgrade() -> None:
    op.drop_table('post_imports')
