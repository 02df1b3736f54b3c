"""Programs acting for people: personal API tokens, calendar feed tokens, and the idempotency keys that make API
retries safe.

A token's secret is shown once and never stored: the table keeps its SHA-256 (a high-entropy secret needs no slow
hash) and the few characters a person recognises it by. An idempotency key is written in the same transaction as the
effect of the request it came with, so a key exists exactly when its effect does.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, String, UniqueConstraint, event, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship
from sqlalchemy.orm.attributes import get_history

from approval.db import Base, utcnow
from approval.models.users import User


def token_sha256(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


class ApiToken(Base):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    #: The secret's first characters, shown beside the name so a person can tell their tokens apart.
    prefix: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None


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


def revoke_user_tokens(session: Session, user_id: int) -> None:
    """Revoke every live token of a user, their API tokens and their calendar feed's (deactivated, or whose
    credentials an admin reset, or whose sessions an admin ended); they stay revoked. The API tokens revoked are
    written to the change log (``admin_log``; a calendar feed's link is not a setting it follows)."""
    from approval import admin_log  # the log imports the models

    now = utcnow()
    live = session.connection().execute(select(ApiToken.id, ApiToken.name, ApiToken.prefix).where(
        ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None))).all()
    for model in (ApiToken, FeedToken):
        session.connection().execute(
            update(model).where(model.user_id == user_id, model.revoked_at.is_(None)).values(revoked_at=now))
    admin_log.note_revoked_tokens(session, list(live), now)


@event.listens_for(Session, "before_flush")
def _deactivation_revokes_tokens(session: Session, _context: Any, _instances: Any) -> None:
    """A user deactivated by any path (the admin page, a command, a script) loses their tokens for good:
    reactivating them later brings no token back."""
    for user in session.dirty:
        if isinstance(user, User) and user.id is not None and False in get_history(user, "active").added:
            revoke_user_tokens(session, user.id)


class IdempotencyKey(Base):
    """The first answer to a request sent with an ``Idempotency-Key``: a retry with the same key gets it again."""

    __tablename__ = "idempotency_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(255))
    #: The method and path the key was first used with, e.g. ``POST /api/v1/posts``.
    request: Mapped[str] = mapped_column(String(300))
    #: SHA-256 of the method, the path and the JSON body: the same key with another request is refused.
    request_hash: Mapped[str] = mapped_column(String(64))
    response_status: Mapped[int]
    response_body: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        UniqueConstraint("user_id", "key"),
        # Only answers that had an effect are kept: a refused request wrote nothing, so its retry runs again.
        CheckConstraint("response_status BETWEEN 200 AND 299", name="response_is_success"),
    )
