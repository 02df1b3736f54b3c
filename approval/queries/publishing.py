"""What the publishing desk lists of the posts that will not go out as planned, as clauses the wall shares: the desk
and the wall's "Needs attention" name the same posts by the same rule (``publishing.status`` holds the others:
overdue, retrying)."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from approval.models import Account, Post, PublicationAttempt
from approval.workflow.states import State


def unconnected_clause() -> ColumnElement[bool]:
    """Scheduled on an account deactivated or connected to no publisher: at its time it will fail (the desk's "Will
    fail"; ``publishing.status.not_going_out`` says the same of one post). For lists of posts joined with their
    accounts."""
    return and_(Post.state == State.scheduled, or_(Account.connector.is_(None), Account.active.is_(False)))


def last_attempts(session: Session, account_ids: Collection[int]) -> dict[int, PublicationAttempt]:
    """Each account's last publishing attempt (its last call to the network or the webhook, or the outbox's hand-over),
    for the publishing settings: how a webhook is doing, without calling it. One probe of the (account, time) index
    per account."""
    if not account_ids:
        return {}
    last = (select(PublicationAttempt.id).where(PublicationAttempt.account_id == Account.id)
            .order_by(PublicationAttempt.started_at.desc(), PublicationAttempt.id.desc()).limit(1)
            .correlate(Account).scalar_subquery())
    ids = [attempt_id for attempt_id in session.scalars(
        select(last).select_from(Account).where(Account.id.in_(list(account_ids)))) if attempt_id is not None]
    if not ids:
        return {}
    return {attempt.account_id: attempt for attempt in session.scalars(
        select(PublicationAttempt).where(PublicationAttempt.id.in_(ids)))}
