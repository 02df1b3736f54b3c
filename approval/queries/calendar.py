"""The content calendar: scheduled, published and missed posts in a window of time, as the user sees them.

One bounded query per kind, each on its own time index (``(state, scheduled_at)``, ``published_at``,
``missed_at``): the calendar page, the iCalendar feed and ``GET /api/v1/calendar`` read the same entries.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from approval.models import Account, Post, Revision, User
from approval.queries.posts import PostFilters, matching
from approval.workflow.states import State

#: A window never lists more entries than this per kind: the page says when it stopped there.
MAX_ENTRIES = 1000
#: What the window holds: the kinds of entries, each with the post's time it sits at.
KINDS = ("scheduled", "published", "missed")


@dataclass(frozen=True)
class PostRow:
    """What the calendar shows of a post: read as plain columns (the text's start only), not as a loaded post with
    its revisions: a month of a busy market holds a thousand entries."""

    id: int
    version: int
    state: State
    account_id: int
    account: Account
    updated_at: datetime
    body: str


@dataclass(frozen=True)
class Entry:
    post: PostRow
    at: datetime
    #: ``scheduled``, ``published`` or ``missed`` (its slot passed unpublished: it waits for a new time).
    kind: str

    @property
    def excerpt(self) -> str:
        body = " ".join(self.post.body.split())
        return body if len(body) <= 80 else body[:79] + "…"


@dataclass(frozen=True)
class Window:
    entries: list[Entry]
    #: True when a kind had more entries than ``MAX_ENTRIES`` in the window: the filters should narrow it.
    truncated: bool


def _time_of(kind: str):  # noqa: ANN202
    return {"scheduled": Post.scheduled_at, "published": Post.published_at, "missed": Post.missed_at}[kind]


#: How much of a post's text the calendar reads (the feed's description shows it).
TEXT_START = 500


def window(session: Session, user: User, filters: PostFilters, start: datetime, end: datetime, *,
           kinds: tuple[str, ...] = KINDS, limit: int = MAX_ENTRIES) -> Window:
    """The entries from ``start`` (included) to ``end`` (excluded), in time order."""
    base = filters.without("state", "q", "author_id", "created_from", "created_to")
    rows = []
    truncated = False
    for kind in kinds:
        column = _time_of(kind)
        query = matching(session, user, base).where(column >= start, column < end)
        if kind == "scheduled":
            query = query.where(Post.state == State.scheduled)
        elif kind == "published":
            query = query.where(Post.state == State.published)
        else:  # back to approved after its slot passed, until it gets a new time
            query = query.where(Post.state == State.approved)
        # The window's first entries, then their texts: the revisions are read for those only.
        first = (query.with_only_columns(Post.id, Post.version, Post.state, Post.account_id, Post.updated_at,
                                         column.label("at"), Post.current_revision_id)
                 .order_by(column, Post.id).limit(limit + 1).subquery())
        found = session.execute(
            select(first.c.id, first.c.version, first.c.state, first.c.account_id, first.c.updated_at, first.c.at,
                   func.substr(Revision.body, 1, TEXT_START))
            .outerjoin_from(first, Revision, Revision.id == first.c.current_revision_id)
            .order_by(first.c.at, first.c.id)
        ).all()
        truncated |= len(found) > limit
        rows += [(kind, row) for row in found[:limit]]
    accounts = {a.id: a for a in session.scalars(
        select(Account).where(Account.id.in_({row.account_id for _kind, row in rows}))
        .options(selectinload(Account.market)))}
    entries = [Entry(PostRow(row[0], row[1], State(row[2]), row[3], accounts[row[3]], row[4], row[6] or ""), row[5],
                     kind) for kind, row in rows]
    entries.sort(key=lambda e: (e.at, e.post.id))
    return Window(entries, truncated)
