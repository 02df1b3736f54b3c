"""The content calendar: scheduled, published and missed posts in a window of time, as the user sees them.

One bounded query per kind, each on its own time index (``(state, scheduled_at)``, ``published_at``,
``missed_at``): the calendar page, the iCalendar feed and ``GET /api/v1/calendar`` read the same entries.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session, contains_eager, selectinload

from approval.models import Account, Post, User
from approval.queries.posts import PostFilters, matching
from approval.workflow.states import State

#: A window never lists more entries than this per kind: the page says when it stopped there.
MAX_ENTRIES = 1000
#: What the window holds: the kinds of entries, each with the post's time it sits at.
KINDS = ("scheduled", "published", "missed")


@dataclass(frozen=True)
class Entry:
    post: Post
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


def window(session: Session, user: User, filters: PostFilters, start: datetime, end: datetime, *,
           kinds: tuple[str, ...] = KINDS, limit: int = MAX_ENTRIES) -> Window:
    """The entries from ``start`` (included) to ``end`` (excluded), in time order."""
    base = filters.without("state", "q", "author_id", "created_from", "created_to")
    entries: list[Entry] = []
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
        rows = list(session.scalars(
            query.options(contains_eager(Post.account).selectinload(Account.market),
                          selectinload(Post.current_revision))
            .order_by(column, Post.id).limit(limit + 1)
        ))
        truncated |= len(rows) > limit
        entries += [Entry(post, getattr(post, column.key), kind) for post in rows[:limit]]
    entries.sort(key=lambda e: (e.at, e.post.id))
    return Window(entries, truncated)
