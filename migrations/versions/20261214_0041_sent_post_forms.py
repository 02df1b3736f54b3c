"""New-post forms sent, one row per form and writer (``sent_post_forms``, unique per writer and the key the form
was drawn with), with the post or the set it made. The creation's transaction inserts it first: the same form sent
twice (a double click, a retry, the back button, the cookie of before the first answer) waits on that index and
makes its post, or its set of up to a dozen, once. The browser's session cookie was the only guard.

Nothing already written changes: the posts made before have no row.

Revision ID: 0041
Revises: 0040
Create Date: 2026-12-14 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0041'
down_revision: str | None = '0040'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'sent_post_forms',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=False),
        sa.Column('form_key', sa.String(length=64), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('post_id', sa.Integer(), nullable=True),
        sa.Column('set_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name='fk_sent_post_forms_created_by_id_users'),
        sa.ForeignKeyConstraint(['post_id'], ['posts.id'], name='fk_sent_post_forms_post_id_posts'),
        sa.ForeignKeyConstraint(['set_id'], ['post_sets.id'], name='fk_sent_post_forms_set_id_post_sets'),
        sa.PrimaryKeyConstraint('id', name='pk_sent_post_forms'),
        sa.UniqueConstraint('created_by_id', 'form_key', name='uq_sent_post_forms_created_by_id_form_key'),
    )


def downgrade() -> None:
    op.drop_table('sent_post_forms')
