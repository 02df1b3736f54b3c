"""The read side's own tables: kiosk links for the wall, private calendar feed tokens, the wall's thresholds, and the
indexes that keep the lists, the calendar and the wall bounded at a million posts.

A kiosk link and a feed token are secrets in a URL: as for API tokens, only their SHA-256 is kept, with the first
characters a person recognises them by. A kiosk's secret is shown again on the admin page (it must be typed into a
screen), so it is kept too, readable by admins only; revoking either stops it at once.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from approval.db import Base, utcnow
from approval.models.audit import AuditEntry
from approval.models.posts import Post, Revision
from approval.models.users import User


class KioskLink(Base):
    """A read-only link to the wall for a screen: no session, no user, the wall and its live updates only."""

    __tablename__ = "kiosk_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    #: The secret in the link (``kio1_...``): a screen's URL is typed and shown again, so it is kept.
    token: Mapped[str] = mapped_column(String(64), unique=True)
    #: Market codes the screen may show; empty means every market.
    markets: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None]

    created_by: Mapped[User | None] = relationship()

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None

    @property
    def path(self) -> str:
        return f"/hub/k/{self.token}"


class FeedToken(Base):
    """A user's private calendar feed (``/calendar.ics?token=``): their markets, as they see them."""

    __tablename__ = "feed_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()


class WallSettings(Base):
    """What the admins set for the wall: when a post waiting for review turns amber, then red. One row."""

    __tablename__ = "wall_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    review_amber_minutes: Mapped[int] = mapped_column(default=120)
    review_red_minutes: Mapped[int] = mapped_column(default=480)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    __table_args__ = (
        CheckConstraint("review_amber_minutes > 0 AND review_red_minutes > review_amber_minutes",
                        name="thresholds_ordered"),
    )


# Indexes of the read side on tables other modules own: lists page by id within a state or an account, the calendar
# reads a window of scheduled or published times, the wall's change feed reads the newest change.
LIST_INDEXES = (
    Index("ix_posts_state_id", Post.state, Post.id),
    Index("ix_posts_account_id_id", Post.account_id, Post.id),
    Index("ix_posts_account_id_state", Post.account_id, Post.state),
    Index("ix_posts_created_by_id_id", Post.created_by_id, Post.id),
    Index("ix_posts_campaign_id_id", Post.campaign_id, Post.id),
    Index("ix_posts_published_at", Post.published_at),
    Index("ix_posts_missed_at", Post.missed_at),
    Index("ix_posts_updated_at", Post.updated_at),
    Index("ix_posts_current_revision_id", Post.current_revision_id),
    Index("ix_revisions_created_at", Revision.created_at),
    Index("ix_audit_entries_at", AuditEntry.at),
)
#: Built by migration 0007 on PostgreSQL only (an expression index of the revisions' words for the lists' text
#: search): the models cannot declare it, so Alembic's comparison leaves it out (migrations/env.py).
Base.metadata.info.setdefault("backend_only_indexes", set()).add("ix_revisions_body_search")
