"""Publishing: each try at putting a post online, the stop switches that hold posts back, and the outbox.

A post's state says where it stands; these rows say how it got there. An attempt is written (``sending``) and
committed before a connector is called, so a worker that dies in the middle leaves a trace that the next one reads:
an attempt still ``sending`` after its lease is an unknown outcome, never a reason to send again.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from approval.db import Base, utcnow
from approval.models.markets import Account, Campaign, Market, str_enum
from approval.models.posts import Post, Revision
from approval.models.users import User


class Outcome(StrEnum):
    """What came of one attempt (``sending`` while the connector has it)."""

    sending = "sending"
    published = "published"
    rate_limited = "rate_limited"       # the network said "later", with or without a time: nothing went out
    temporary_error = "temporary_error"  # a 5xx or a refused connection before anything was accepted
    refused = "refused"                  # a definite no (4xx, a rule of the network)
    needs_reconnect = "needs_reconnect"  # the account's credentials no longer work
    unknown = "unknown"                  # the request left and no answer came: maybe online, maybe not


class PublicationAttempt(Base):
    __tablename__ = "publication_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id"))
    revision_id: Mapped[int] = mapped_column(ForeignKey("revisions.id"))
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    #: The revision's SHA-256 as sent: what the project manager approved, byte for byte.
    sha256: Mapped[str] = mapped_column(String(64))
    idempotency_key: Mapped[str] = mapped_column(String(64))
    connector: Mapped[str] = mapped_column(String(20))
    outcome: Mapped[Outcome] = mapped_column(str_enum(Outcome, "publication_outcome"), default=Outcome.sending)
    remote_id: Mapped[str | None] = mapped_column(String(200))
    url: Mapped[str | None] = mapped_column(String(2000))
    #: What came of it in words: the network's (an HTTP status and its body), or in English the worker's own
    #: ("no complete answer within 15 s"), which ``why`` then holds as a message id and its parameters for the pages
    #: to say in their reader's language (``approval.publishing.reasons``).
    message: Mapped[str | None] = mapped_column(Text)
    why: Mapped[dict | None] = mapped_column(JSON(none_as_null=True))
    #: The body as it left, on the key's first attempt (a connector that calls out): every later try under the same
    #: key sends it again, byte for byte (the post's new slot after a retry or a missed slot is not the key's).
    body: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]

    post: Mapped[Post] = relationship()
    revision: Mapped[Revision] = relationship()

    __table_args__ = (
        Index("ix_publication_attempts_post_id_id", "post_id", "id"),
        # The quota: an account's attempts in the last window.
        Index("ix_publication_attempts_account_id_started_at", "account_id", "started_at"),
        # At most one attempt of a post in flight.
        Index("uq_publication_attempts_sending", "post_id", unique=True,
              sqlite_where=text("outcome = 'sending'"), postgresql_where=text("outcome = 'sending'")),
    )


class StopScope(StrEnum):
    market = "market"
    campaign = "campaign"
    all = "all"


class StopSwitch(Base):
    """While on (``turned_off_at`` is null), nothing in its scope is published."""

    __tablename__ = "stop_switches"

    id: Mapped[int] = mapped_column(primary_key=True)
    scope: Mapped[StopScope] = mapped_column(str_enum(StopScope, "stop_scope"))
    market_id: Mapped[int | None] = mapped_column(ForeignKey("markets.id"))
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id"))
    reason: Mapped[str] = mapped_column(Text)
    turned_on_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    turned_on_at: Mapped[datetime] = mapped_column(default=utcnow)
    turned_off_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    turned_off_at: Mapped[datetime | None]

    market: Mapped[Market | None] = relationship()
    campaign: Mapped[Campaign | None] = relationship()
    turned_on_by: Mapped[User | None] = relationship(foreign_keys=[turned_on_by_id])
    turned_off_by: Mapped[User | None] = relationship(foreign_keys=[turned_off_by_id])

    __table_args__ = (
        CheckConstraint(
            "(scope = 'market' AND market_id IS NOT NULL AND campaign_id IS NULL) OR "
            "(scope = 'campaign' AND campaign_id IS NOT NULL AND market_id IS NULL) OR "
            "(scope = 'all' AND market_id IS NULL AND campaign_id IS NULL)",
            name="scope_target",
        ),
        CheckConstraint("length(reason) > 0", name="reason_given"),
        Index("ix_stop_switches_active", "turned_off_at", "scope"),
    )

    @property
    def active(self) -> bool:
        return self.turned_off_at is None


class OutboxMessage(Base):
    """What the ``outbox`` connector published: for teams whose messages go out through another tool.

    The idempotency key is unique: the same publication can never be stored twice.
    """

    __tablename__ = "outbox_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(64), unique=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    body: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    account: Mapped[Account] = relationship()
