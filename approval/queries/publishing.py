"""What the publishing desk lists of the posts that will not go out as planned, as clauses the wall shares: the desk
and the wall's "Needs attention" name the same posts by the same rule (``publishing.status`` holds the others:
overdue, retrying)."""

from __future__ import annotations

from sqlalchemy import and_, or_
from sqlalchemy.sql.elements import ColumnElement

from approval.models import Account, Post
from approval.workflow.states import State


def unconnected_clause() -> ColumnElement[bool]:
    """Scheduled on an account deactivated or connected to no publisher: at its time it will fail (the desk's "Will
    fail"; ``publishing.status.not_going_out`` says the same of one post). For lists of posts joined with their
    accounts."""
    return and_(Post.state == State.scheduled, or_(Account.connector.is_(None), Account.active.is_(False)))
