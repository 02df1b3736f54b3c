"""Personal API tokens: issued on the profile page or by ``approval token create``, revoked on the profile page.

The secret is ``apv1_`` and 43 URL-safe characters (256 random bits). Only its SHA-256 is kept, with its first
characters for the person to recognise it by. These functions flush; the caller commits.
"""

from __future__ import annotations

import logging
import secrets
from datetime import timedelta

from flask_babel import gettext as _
from sqlalchemy import bindparam, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, joinedload

from approval.db import driver_says, only_reads, side_transaction, utcnow
from approval.models import ApiToken, User
from approval.models.tokens import token_sha256
from approval.operations import NotFound
from approval.workflow.errors import NotPermitted

log = logging.getLogger(__name__)

PREFIX = "apv1_"
#: How precisely "last used" is kept: one write a minute at most per token, not one per request.
LAST_USE_PRECISION = timedelta(minutes=1)


def issue_token(session: Session, user: User, name: str) -> tuple[ApiToken, str]:
    """A new token for ``user``; returns it with its secret, which is shown once and never stored."""
    if not user.active:
        raise NotPermitted(_("Your account is deactivated."))
    secret = PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user=user, name=name.strip(), token_hash=token_sha256(secret), prefix=secret[:12])
    session.add(token)
    session.flush()
    return token, secret


def user_tokens(session: Session, user: User) -> list[ApiToken]:
    """``user``'s tokens, the live ones first, newest first."""
    return list(session.scalars(
        select(ApiToken).where(ApiToken.user_id == user.id)
        .order_by(ApiToken.revoked_at.is_not(None), ApiToken.created_at.desc(), ApiToken.id.desc())
    ))


def revoke_token(session: Session, user: User, token_id: int) -> ApiToken:
    """Revoke one of ``user``'s own tokens; it stops working at once. Revoking twice changes nothing."""
    token = session.scalar(select(ApiToken).where(ApiToken.id == token_id, ApiToken.user_id == user.id))
    if token is None:
        raise NotFound(token_id)
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        session.flush()
    return token


def list_tokens(session: Session, user: User | None = None) -> list[ApiToken]:
    """Every API token (``user``'s alone when given), with its user: by user, the live ones first, newest first.
    For the operator's ``approval token list``; the page lists a person's own (``user_tokens``)."""
    query = select(ApiToken).join(ApiToken.user).options(joinedload(ApiToken.user))
    if user is not None:
        query = query.where(ApiToken.user_id == user.id)
    return list(session.scalars(query.order_by(
        User.email, ApiToken.revoked_at.is_not(None), ApiToken.created_at.desc(), ApiToken.id.desc())))


def revoke_any_token(session: Session, token_id: int) -> tuple[ApiToken, bool]:
    """Revoke a token whoever holds it (the operator's ``approval token revoke``); it stops working at once. Returns
    it, and whether this call revoked it (False: it already was, and nothing changed)."""
    token = session.scalar(select(ApiToken).where(ApiToken.id == token_id).options(joinedload(ApiToken.user)))
    if token is None:
        raise NotFound(token_id)
    if token.revoked_at is not None:
        return token, False
    token.revoked_at = utcnow()
    session.flush()
    return token, True


#: Every API request runs it: built once. The user's markets come along, for every permission check of the request.
_TOKEN_BY_HASH = (
    select(ApiToken).where(ApiToken.token_hash == bindparam("token_hash", required=True))
    .options(joinedload(ApiToken.user).joinedload(User.markets))
)


def user_for_secret(session: Session, secret: str) -> User | None:
    """The active user a live token acts for, or None; notes the token's use (to the minute)."""
    token = session.scalars(_TOKEN_BY_HASH, {"token_hash": token_sha256(secret)}).unique().one_or_none()
    if token is None or token.revoked_at is not None or not token.user.active:
        return None
    now = utcnow()
    if token.last_used_at is None or now - token.last_used_at >= LAST_USE_PRECISION:
        # Bookkeeping: saved with a writing request's own transaction when it succeeds (db.py's one commit); a
        # reading request's takes no write lock, so it is saved beside it.
        noted = update(ApiToken).where(ApiToken.id == token.id).values(last_used_at=now)
        if only_reads(session):
            try:
                with side_transaction() as side:
                    side.execute(noted)
            except OperationalError as error:  # a writer held the lock past the busy timeout: noted next time
                log.warning("an API token's last use was not noted: %s", driver_says(error))
        else:
            session.execute(noted)
    return token.user
