"""Notifications: what people are told, in the app, by e-mail and in their market's chat.

A notification row is both the item of the bell and the mail's outbox entry: the dispatcher writes it with the change
it reports, in the same transaction and with one INSERT, noting how the recipient wanted it mailed at that moment
(``mail``: ``immediate``, ``daily`` or ``off``). ``approval notify`` (and the publishing worker) claims the rows whose
mail is due, as the worker claims posts, sends them after that commit, and marks them sent under its claim token: a
rolled-back change leaves no row to send, and a row is sent at most once.

Chat messages have their own outbox (one per market webhook), written the same way.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, BigInteger, CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from approval.db import Base, utcnow
from approval.models.markets import Market, str_enum
from approval.models.posts import Post
from approval.models.users import User


class NotificationKind(StrEnum):
    review_requested = "review_requested"      # a post awaits my review
    cabinet_requested = "cabinet_requested"    # a suggestion awaits my cabinet
    changes_requested = "changes_requested"    # my post needs changes
    rejected = "rejected"                      # my post was rejected
    declined = "declined"                      # my suggested message was declined by the cabinet
    cabinet_decided = "cabinet_decided"        # the cabinet decided on a suggestion I sent it (its approver)
    approved = "approved"
    scheduled = "scheduled"
    published = "published"
    missed = "missed"                          # a slot passed beyond the grace period
    failed = "failed"
    unconfirmed = "unconfirmed"
    stop_on = "stop_on"                        # a stop switch was turned on in my markets
    stop_off = "stop_off"                      # ... and off: what it held of the reader's stays held
    review_reminder = "review_reminder"        # a post waits in review longer than the market's threshold
    review_escalation = "review_escalation"    # ... and still waits: told to the group-wide project managers
    accepted_changed = "accepted_changed"      # a suggestion my cabinet accepted was changed: back through review
    withdrawn = "withdrawn"                    # a suggestion sent to my cabinet was withdrawn
    commented = "commented"                    # a comment in the discussion of a post I take part in
    cabinet_reminder = "cabinet_reminder"      # a suggestion waits for my cabinet longer than its market allows
    cabinet_escalation = "cabinet_escalation"  # ... and still waits: told to the project manager who sent it
    policy_refuses = "policy_refuses"          # a new policy version refuses a post on its way (approved, scheduled)
    proposal_changed = "proposal_changed"      # the writer changed the time proposed for a post approved or scheduled


class MailMode(StrEnum):
    immediate = "immediate"
    daily = "daily"
    off = "off"


class Notification(Base):
    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[NotificationKind] = mapped_column(str_enum(NotificationKind, "notification_kind"))
    post_id: Mapped[int | None] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"))
    market_id: Mapped[int | None] = mapped_column(ForeignKey("markets.id", ondelete="CASCADE"))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    #: The change's comment, or the stop switch's reason.
    comment: Mapped[str | None] = mapped_column(Text)
    #: The worker's reasons, when the comment is its own words (``approval.publishing.reasons``): said in the
    #: reader's language rather than the comment's English. Beside them, what the network's answer came to (a
    #: failure quoting the network: ``texts.outcome_note``); for a ``stop_off``, how many posts of the reader's stay
    #: held (``texts.held_why``).
    why: Mapped[list | None] = mapped_column(JSON(none_as_null=True))
    #: The action that caused it (an ``Action`` value), where its line says which: the cabinet's decision.
    action: Mapped[str | None] = mapped_column(String(32))
    #: The act that wrote it: one per transaction (a request, a command, a worker's pass: ``dispatch.act_of``), the
    #: same for every notice it wrote. The notices of one act on the posts of a set are one line (``grouping``), paged
    #: whole. Null for those written before it was kept (migration 0043): each stands alone.
    act_id: Mapped[int | None] = mapped_column(BigInteger)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[datetime | None]
    # The mail, as the recipient wanted it when the notification was written.
    mail: Mapped[MailMode] = mapped_column(str_enum(MailMode, "mail_mode"), default=MailMode.immediate)
    #: Not before this time (after a failure: the backoff); null for a digest item not yet failed.
    mail_due_at: Mapped[datetime | None]
    mail_attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    mail_claim: Mapped[str | None] = mapped_column(String(32))
    mail_claimed_until: Mapped[datetime | None]
    mail_sent_at: Mapped[datetime | None]
    mail_error: Mapped[str | None] = mapped_column(Text)

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    actor: Mapped[User | None] = relationship(foreign_keys=[actor_id])
    post: Mapped[Post | None] = relationship()
    market: Mapped[Market | None] = relationship()

    __table_args__ = (
        # The bell and the list: a user's newest first, the unread ones counted.
        Index("ix_notifications_user_id_id", "user_id", "id"),
        Index("ix_notifications_unread", "user_id", sqlite_where=text("read_at IS NULL"),
              postgresql_where=text("read_at IS NULL")),
        # A post's notifications: a post leaving a state that awaited someone settles its unread requests, a later
        # notice overtakes its earlier ones, read or not, and cancels their mail (notifications.dispatch).
        Index("ix_notifications_post_id", "post_id"),
        # A line's notices: the others of its act, found from one of them (``inbox``: the list's pages, the bell).
        Index("ix_notifications_user_id_act_id", "user_id", "act_id"),
        # The mail queue: unsent mails only.
        Index("ix_notifications_mail_queue", "mail", "mail_due_at",
              sqlite_where=text("mail_sent_at IS NULL AND mail <> 'off'"),
              postgresql_where=text("mail_sent_at IS NULL AND mail <> 'off'")),
        CheckConstraint("mail_attempts >= 0", name="mail_attempts_positive"),
    )

    @property
    def read(self) -> bool:
        return self.read_at is not None


class NotificationPreference(Base):
    """How a user wants one kind mailed; no row means ``immediate``."""

    __tablename__ = "notification_preferences"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    kind: Mapped[NotificationKind] = mapped_column(str_enum(NotificationKind, "preference_kind"), primary_key=True)
    mode: Mapped[MailMode] = mapped_column(str_enum(MailMode, "preference_mode"))


class NotificationProfile(Base):
    """A user's own time zone for the 08:00 digest; without one, their first market's zone, else UTC."""

    __tablename__ = "notification_profiles"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    timezone: Mapped[str | None] = mapped_column(String(64))


class MarketNotificationSettings(Base):
    """What admins set per market: the review reminder's threshold and the chat webhook."""

    __tablename__ = "market_notification_settings"

    market_id: Mapped[int] = mapped_column(ForeignKey("markets.id", ondelete="CASCADE"), primary_key=True)
    #: Working minutes (Monday to Friday, 09:00-18:00 in the market's zone) a post may wait in review.
    reminder_minutes: Mapped[int] = mapped_column(default=240, server_default="240")
    #: A Slack-compatible incoming webhook (``{"text": ...}``); null: no chat.
    chat_webhook_url: Mapped[str | None] = mapped_column(String(2000))

    market: Mapped[Market] = relationship()

    __table_args__ = (CheckConstraint("reminder_minutes BETWEEN 15 AND 10080", name="reminder_minutes_range"),)


class ChatMessage(Base):
    """One message for a market's chat webhook, written with the change, posted after its commit."""

    __tablename__ = "chat_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    market_id: Mapped[int] = mapped_column(ForeignKey("markets.id", ondelete="CASCADE"))
    kind: Mapped[NotificationKind] = mapped_column(str_enum(NotificationKind, "chat_kind"))
    post_id: Mapped[int | None] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"))
    comment: Mapped[str | None] = mapped_column(Text)
    #: As a notification's: the worker's reasons, said in the market's language.
    why: Mapped[list | None] = mapped_column(JSON(none_as_null=True))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    due_at: Mapped[datetime] = mapped_column(default=utcnow)
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    claim: Mapped[str | None] = mapped_column(String(32))
    claimed_until: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    error: Mapped[str | None] = mapped_column(Text)

    market: Mapped[Market] = relationship()
    post: Mapped[Post | None] = relationship()

    __table_args__ = (
        Index("ix_chat_messages_queue", "due_at", sqlite_where=text("sent_at IS NULL"),
              postgresql_where=text("sent_at IS NULL")),
    )


class ReviewReminder(Base):
    """A reminder given for one stay of a post in review (``submitted_at``): level 1 to the market's project
    managers, level 2 to the group-wide ones; and for its stay with the cabinet that follows (the same
    ``submitted_at``: a suggestion comes back to the cabinet only through a new review), level 3 to the cabinet,
    level 4 to the project manager who sent it. Unique, so each is given once."""

    __tablename__ = "review_reminders"

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"))
    submitted_at: Mapped[datetime]
    level: Mapped[int]
    at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        UniqueConstraint("post_id", "submitted_at", "level"),
        CheckConstraint("level IN (1, 2, 3, 4)", name="level_known"),
    )
