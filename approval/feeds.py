"""Private calendar feeds: a user's token for ``/calendar.ics``, created and revoked on their profile page or the
calendar's feed page, and revoked with their API tokens (``approval.models.tokens.revoke_user_tokens``).

A calendar program fetches the feed without a session, so the token alone opens it: 256 random bits, only its
SHA-256 kept (as for API tokens), the first characters shown for the person to recognise it. One live token per
user: creating a new one revokes the old. These functions flush; the caller commits.
"""

from __future__ import annotations

import secrets
from typing import Any, cast

from sqlalchemy import CursorResult, select, update
from sqlalchemy.orm import Session, joinedload

from approval.db import utcnow
from approval.models import FeedToken, User
from approval.models.tokens import token_sha256

PREFIX = "cal1_"


def issue_feed_token(session: Session, user: User) -> tuple[FeedToken, str]:
    """A new feed token for ``user`` (their previous one stops working); returns it with its secret."""
    revoke_feed_tokens(session, user)
    secret = PREFIX + secrets.token_urlsafe(32)
    token = FeedToken(user=user, token_hash=token_sha256(secret), prefix=secret[:12])
    session.add(token)
    session.flush()
    return token, secret


def revoke_feed_tokens(session: Session, user: User) -> int:
    """Revoke ``user``'s live feed token; returns how many were revoked (0 or 1)."""
    # An UPDATE's result is a CursorResult, which has the rowcount; Session.execute is typed as returning any Result.
    result = cast(CursorResult[Any], session.execute(
        update(FeedToken).where(FeedToken.user_id == user.id, FeedToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())))
    return result.rowcount


def live_feed_token(session: Session, user: User) -> FeedToken | None:
    return session.scalar(select(FeedToken).where(FeedToken.user_id == user.id, FeedToken.revoked_at.is_(None)))


def user_for_feed(session: Session, secret: str) -> User | None:
    """The active user of a live feed token, or None."""
    if not secret.startswith(PREFIX) or len(secret) > 100:
        return None
    token = session.scalar(select(FeedToken).where(FeedToken.token_hash == token_sha256(secret))
                           .options(joinedload(FeedToken.user).selectinload(User.markets)))
    if token is None or token.revoked_at is not None or not token.user.active:
        return None
    return token.user
