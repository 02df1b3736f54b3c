"""Media on revisions: files, their order and alternative text, bound by the revision's SHA-256.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 22:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table('media_files',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.Enum('image', 'video', name='media_kind', native_enum=False, create_constraint=True, length=13), nullable=False),
    sa.Column('mime', sa.String(length=100), nullable=False),
    sa.Column('bytes', sa.BigInteger(), nullable=False),
    sa.Column('width', sa.Integer(), nullable=False),
    sa.Column('height', sa.Integer(), nullable=False),
    sa.Column('duration_s', sa.Double(), nullable=True),
    sa.Column('codec', sa.String(length=32), nullable=True),
    sa.Column('frame_rate', sa.Double(), nullable=True),
    sa.Column('frames', sa.Integer(), nullable=True),
    sa.Column('has_location', sa.Boolean(), nullable=False),
    sa.Column('storage_key', sa.String(length=200), nullable=False),
    sa.Column('thumbnail_key', sa.String(length=200), nullable=True),
    sa.Column('original_name', sa.String(length=255), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', TIME, nullable=False),
    sa.CheckConstraint('length(sha256) = 64', name=op.f('ck_media_files_sha256_length')),
    sa.CheckConstraint('bytes > 0', name=op.f('ck_media_files_bytes_positive')),
    sa.CheckConstraint('width > 0 AND height > 0', name=op.f('ck_media_files_dimensions_positive')),
    sa.CheckConstraint("kind <> 'video' OR duration_s IS NOT NULL", name=op.f('ck_media_files_video_has_duration')),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['users.id'], name=op.f('fk_media_files_uploaded_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_media_files')),
    sa.UniqueConstraint('sha256', name=op.f('uq_media_files_sha256'))
    )
    op.create_table('revision_media',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('revision_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('media_file_id', sa.Integer(), nullable=False),
    sa.Column('alt', sa.Text(), nullable=False),
    sa.CheckConstraint('position >= 0', name=op.f('ck_revision_media_position_not_negative')),
    sa.ForeignKeyConstraint(['media_file_id'], ['media_files.id'], name=op.f('fk_revision_media_media_file_id_media_files')),
    sa.ForeignKeyConstraint(['revision_id'], ['revisions.id'], name=op.f('fk_revision_media_revision_id_revisions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_revision_media')),
    sa.UniqueConstraint('revision_id', 'position', name=op.f('uq_revision_media_revision_id_position')),
    sa.UniqueConstraint('revision_id', 'media_file_id', name=op.f('uq_revision_media_revision_id_media_file_id'))
    )
    op.create_index('ix_revision_media_media_file_id', 'revision_media', ['media_file_id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_revision_media_media_file_id', table_name='revision_media')
    op.drop_table('revision_media')
    op.drop_table('media_files')
