"""Claiming rows of an outbox the way the publishing worker claims posts: due rows are locked (``FOR UPDATE SKIP
LOCKED`` on PostgreSQL; SQLite's ``BEGIN IMMEDIATE`` already serialises writers), stamped with a token and a lease,
and committed before anything is sent. A row is then marked sent only under its token, so two senders never send the
same row, and a sender that died leaves its rows to the next one once the lease expires."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select

#: After a failure: 30 s, 1 min, 2 min... at most an hour; after this many attempts the row is given up.
BACKOFF_FIRST_S = 30
BACKOFF_MAX_S = 3600
MAX_ATTEMPTS = 8


def new_token() -> str:
    return uuid.uuid4().hex


def locked(query: Select, postgres: bool, of: Any) -> Select:
    return query.with_for_update(skip_locked=True, of=of) if postgres else query


def backoff(attempts: int, now: datetime) -> datetime:
    """When to try again after the ``attempts``-th failure."""
    return now + timedelta(seconds=min(BACKOFF_MAX_S, BACKOFF_FIRST_S * 2 ** max(0, attempts - 1)))
