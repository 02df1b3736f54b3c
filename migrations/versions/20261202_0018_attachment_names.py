"""Each post keeps the name its author gave a file: ``revision_media.name``.

Files are stored once by digest and shared by every post that uploaded the same bytes, in any market; the pages showed
the file's ``original_name``, the first uploader's, so a community manager could read the name another market's
colleague gave the same picture. The name now belongs to the file's place in a revision, as its alternative text
does. Existing rows take the file's name where their revision's author is the one who uploaded the file (the only
name known); others stay without a name rather than show someone else's.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-02 17:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0018'
down_revision: str | None = '0017'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A plain ADD COLUMN on SQLite too (a constant default): the table is not rebuilt.
    op.add_column('revision_media', sa.Column('name', sa.String(length=255), server_default='', nullable=False))
    op.execute("UPDATE revision_media SET name = (SELECT media_files.original_name FROM media_files "
               "WHERE media_files.id = revision_media.media_file_id) "
               "WHERE EXISTS (SELECT 1 FROM media_files JOIN revisions ON revisions.id = revision_media.revision_id "
               "WHERE media_files.id = revision_media.media_file_id "
               "AND media_files.uploaded_by_id = revisions.author_id)")


def downgrade() -> None:
    with op.batch_alter_table('revision_media', schema=None) as batch_op:
        batch_op.drop_column('name')
