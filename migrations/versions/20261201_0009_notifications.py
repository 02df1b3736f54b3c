"""Notifications: in-app items, the mail outbox, preferences, reminders, chat webhooks.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 22:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table('market_notification_settings',
    sa.Column('market_id', sa.Integer(), nullable=False),
    sa.Column('reminder_minutes', sa.Integer(), server_default='240', nullable=False),
    sa.Column('chat_webhook_url', sa.String(length=2000), nullable=True),
    sa.CheckConstraint('reminder_minutes BETWEEN 15 AND 10080', name=op.f('ck_market_notification_settings_reminder_minutes_range')),
    sa.ForeignKeyConstraint(['market_id'], ['markets.id'], name=op.f('fk_market_notification_settings_market_id_markets'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('market_id', name=op.f('pk_market_notification_settings'))
    )
    op.create_table('notification_preferences',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('review_requested', 'cabinet_requested', 'changes_requested', 'rejected', 'approved', 'scheduled', 'published', 'missed', 'failed', 'unconfirmed', 'stop_on', 'review_reminder', 'review_escalation', name='preference_kind', native_enum=False, create_constraint=True, length=25), nullable=False),
    sa.Column('mode', sa.Enum('immediate', 'daily', 'off', name='preference_mode', native_enum=False, create_constraint=True, length=17), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_notification_preferences_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'kind', name=op.f('pk_notification_preferences'))
    )
    op.create_table('notification_profiles',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('timezone', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_notification_profiles_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_notification_profiles'))
    )
    op.create_table('chat_messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('market_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('review_requested', 'cabinet_requested', 'changes_requested', 'rejected', 'approved', 'scheduled', 'published', 'missed', 'failed', 'unconfirmed', 'stop_on', 'review_reminder', 'review_escalation', name='chat_kind', native_enum=False, create_constraint=True, length=25), nullable=False),
    sa.Column('post_id', sa.Integer(), nullable=True),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.Column('at', TIME, nullable=False),
    sa.Column('due_at', TIME, nullable=False),
    sa.Column('attempts', sa.Integer(), server_default='0', nullable=False),
    sa.Column('claim', sa.String(length=32), nullable=True),
    sa.Column('claimed_until', TIME, nullable=True),
    sa.Column('sent_at', TIME, nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['market_id'], ['markets.id'], name=op.f('fk_chat_messages_market_id_markets'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['post_id'], ['posts.id'], name=op.f('fk_chat_messages_post_id_posts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_chat_messages'))
    )
    op.create_index('ix_chat_messages_queue', 'chat_messages', ['due_at'], unique=False, sqlite_where=sa.text('sent_at IS NULL'), postgresql_where=sa.text('sent_at IS NULL'))
    op.create_table('notifications',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('review_requested', 'cabinet_requested', 'changes_requested', 'rejected', 'approved', 'scheduled', 'published', 'missed', 'failed', 'unconfirmed', 'stop_on', 'review_reminder', 'review_escalation', name='notification_kind', native_enum=False, create_constraint=True, length=25), nullable=False),
    sa.Column('post_id', sa.Integer(), nullable=True),
    sa.Column('market_id', sa.Integer(), nullable=True),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.Column('at', TIME, nullable=False),
    sa.Column('read_at', TIME, nullable=True),
    sa.Column('mail', sa.Enum('immediate', 'daily', 'off', name='mail_mode', native_enum=False, create_constraint=True, length=17), nullable=False),
    sa.Column('mail_due_at', TIME, nullable=True),
    sa.Column('mail_attempts', sa.Integer(), server_default='0', nullable=False),
    sa.Column('mail_claim', sa.String(length=32), nullable=True),
    sa.Column('mail_claimed_until', TIME, nullable=True),
    sa.Column('mail_sent_at', TIME, nullable=True),
    sa.Column('mail_error', sa.Text(), nullable=True),
    sa.CheckConstraint('mail_attempts >= 0', name=op.f('ck_notifications_mail_attempts_positive')),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_notifications_actor_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['market_id'], ['markets.id'], name=op.f('fk_notifications_market_id_markets'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['post_id'], ['posts.id'], name=op.f('fk_notifications_post_id_posts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_notifications_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notifications'))
    )
    op.create_index('ix_notifications_mail_queue', 'notifications', ['mail', 'mail_due_at'], unique=False, sqlite_where=sa.text("mail_sent_at IS NULL AND mail <> 'off'"), postgresql_where=sa.text("mail_sent_at IS NULL AND mail <> 'off'"))
    op.create_index('ix_notifications_unread', 'notifications', ['user_id'], unique=False, sqlite_where=sa.text('read_at IS NULL'), postgresql_where=sa.text('read_at IS NULL'))
    op.create_index('ix_notifications_user_id_id', 'notifications', ['user_id', 'id'], unique=False)
    op.create_table('review_reminders',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('post_id', sa.Integer(), nullable=False),
    sa.Column('submitted_at', TIME, nullable=False),
    sa.Column('level', sa.Integer(), nullable=False),
    sa.Column('at', TIME, nullable=False),
    sa.CheckConstraint('level IN (1, 2)', name=op.f('ck_review_reminders_level_known')),
    sa.ForeignKeyConstraint(['post_id'], ['posts.id'], name=op.f('fk_review_reminders_post_id_posts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_review_reminders')),
    sa.UniqueConstraint('post_id', 'submitted_at', 'level', name=op.f('uq_review_reminders_post_id_submitted_at_level'))
    )


def downgrade() -> None:
    op.drop_table('review_reminders')
    op.drop_index('ix_notifications_user_id_id', table_name='notifications')
    op.drop_index('ix_notifications_unread', table_name='notifications', sqlite_where=sa.text('read_at IS NULL'),
                  postgresql_where=sa.text('read_at IS NULL'))
    op.drop_index('ix_notifications_mail_queue', table_name='notifications')
    op.drop_table('notifications')
    op.drop_index('ix_chat_messages_queue', table_name='chat_messages')
    op.drop_table('chat_messages')
    op.drop_table('notification_profiles')
    op.drop_table('notification_preferences')
    op.drop_table('market_notification_settings')
