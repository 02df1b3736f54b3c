"""The content calendar: scheduled, published and missed posts in a window of time, as the user sees them, and those
the worker could not publish (``failed``) or sent without learning whether they went out (``unconfirmed``).

One bounded query per kind, each on its own time index (``(state, scheduled_at)``, ``published_at``,
``missed_at``): the calendar page, the iCalendar feed and ``GET /api/v1/calendar`` read the same entries. A failed
or unconfirmed post sits at the slot it was to go out at: the worker's ``fail`` and ``lose`` steps leave its
``scheduled_at`` as it was (a retry gives it the time of the retry), so the ``(state, scheduled_at)`` index serves
those kinds too. The month grid asks for the first entries of each local day and each day's count (on PostgreSQL
numbered and counted by the database), then reads the texts of what it shows only.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from approval.db import utcnow
from approval.models import Account, Post, Revision, User
from approval.publishing.holds import held_clause
from approval.publishing.status import retrying_clause
from approval.queries.posts import PostFilters, matching
from approval.workflow.states import State

#: A window never lists more entries than this per kind: the page says when it stopped there.
MAX_ENTRIES = 1000
#: What the window holds: the kinds of entries, each with the post's time it sits at.
KINDS = ("scheduled", "published", "missed", "failed", "unconfirmed")
#: The kinds that call for a person: the slot passed unpublished, the network refused the post, or nobody knows
#: whether it went out. The calendar marks them in words; none of them is moved by dragging.
PROBLEMS = ("missed", "failed", "unconfirmed")


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
    #: Since when a stop switch or an embargo holds it back (``None``: nothing does).
    held_at: datetime | None = None
    #: A stop switch or an embargo covers it now: held at its time if still on (``holds.held_clause``).
    covered: bool = False
    #: The worker could not send it and tries again (``status.retrying_clause``).
    retrying: bool = False
    #: Not loaded: what the transition checks ask of a post (``access.PostLike``). Left None, a cabinet is never
    #: offered a move, which is right: it schedules nothing.
    sent_to_cabinet_at: datetime | None = None


@dataclass(frozen=True)
class Entry:
    post: PostRow
    at: datetime
    #: ``scheduled``, ``published``, ``missed`` (its slot passed unpublished: it waits for a new time), ``failed``
    #: (the worker could not publish it: a person retries, fixes or withdraws it) or ``unconfirmed`` (sent, with no
    #: known answer: a person checks the network, then confirms or retries it).
    kind: str

    @property
    def held(self) -> bool:
        """A scheduled slot a stop switch or an embargo holds back, or will at its time if still on."""
        return self.kind == "scheduled" and (self.post.held_at is not None or self.post.covered)

    @property
    def retrying(self) -> bool:
        """A slot the worker could not serve yet: it tries again (a webhook that does not answer, a rate limit)."""
        return self.kind == "scheduled" and self.post.retrying

    @property
    def problem(self) -> bool:
        """A slot that went wrong and waits for a person (``PROBLEMS``)."""
        return self.kind in PROBLEMS

    @property
    def excerpt(self) -> str:
        body = " ".join(self.post.body.split())
        return body if len(body) <= 80 else body[:79] + "…"


@dataclass(frozen=True)
class Window:
    entries: list[Entry]
    #: True when a kind had more entries than ``MAX_ENTRIES`` in the window: the filters should narrow it.
    truncated: bool
    #: How many entries each day holds (in the zone ``per_day`` gave), those left out of ``entries`` included.
    per_day: dict[date, int] = field(default_factory=dict)
    #: How many entries the window holds, those left out included.
    total: int = 0


def _time_of(kind: str):  # noqa: ANN202
    # A failed or unconfirmed post keeps the slot it was to go out at (the worker's steps leave it).
    return {"scheduled": Post.scheduled_at, "published": Post.published_at, "missed": Post.missed_at,
            "failed": Post.scheduled_at, "unconfirmed": Post.scheduled_at}[kind]


#: The state a post of each kind is in (a missed post is back in approved after its slot passed, until it gets a
#: new time).
_STATE_OF = {"scheduled": State.scheduled, "published": State.published, "missed": State.approved,
             "failed": State.failed, "unconfirmed": State.unconfirmed}

#: How much of a post's text the calendar reads (the feed's description shows it).
TEXT_START = 500


def window(session: Session, user: User, filters: PostFilters, start: datetime, end: datetime, *,
           kinds: tuple[str, ...] = KINDS, limit: int = MAX_ENTRIES,
           per_day: tuple[ZoneInfo, int] | None = None) -> Window:
    """The entries from ``start`` (included) to ``end`` (excluded), in time order. With ``per_day`` (a zone and a
    number), only the first entries of each day of that zone: a month grid shows a few a day and how many more.

    The window's times are read first (post ids and times, from the time indexes), then the posts to show, with
    their texts: a busy month of a market reads a thousand times but the texts of what the grid shows only."""
    base = filters.without("state", "q", "author_id", "created_from", "created_to")
    spots: list[tuple[datetime, int, str]] = []
    days: Counter[date] = Counter()
    truncated = False
    ranked = per_day is not None and session.get_bind().dialect.name == "postgresql"
    for kind in kinds:
        column = _time_of(kind)
        query = (matching(session, user, base)
                 .where(Post.state == _STATE_OF[kind], column >= start, column < end))
        if per_day is not None and ranked:
            # PostgreSQL numbers and counts each local day's entries itself: a thousand times in, a grid out.
            zone, most = per_day
            day = func.date(func.timezone(zone.key, column))
            numbered = query.with_only_columns(
                column.label("at"), Post.id.label("id"), day.label("day"),
                func.row_number().over(partition_by=day, order_by=(column, Post.id)).label("rank"),
                func.count().over(partition_by=day).label("in_day")).subquery()
            for at, post_id, on, rank, in_day in session.execute(select(numbered).where(numbered.c.rank <= most)):
                spots.append((at, post_id, kind))
                if rank == 1:
                    days[on] += in_day
        else:
            found = session.execute(query.with_only_columns(column, Post.id).order_by(column, Post.id)
                                    .limit(limit + 1)).all()
            truncated |= len(found) > limit
            spots += [(at, post_id, kind) for at, post_id in found[:limit]]
    spots.sort()
    if per_day is not None:  # the first of each day, all kinds together
        zone, most = per_day
        seen: Counter[date] = Counter()
        shown = []
        for spot in spots:
            day_of = spot[0].astimezone(zone).date()
            seen[day_of] += 1
            if seen[day_of] <= most:
                shown.append(spot)
        if not ranked:
            days = seen
    else:
        shown = spots
    rows = {row.id: row for row in session.execute(
        select(Post.id, Post.version, Post.state, Post.account_id, Post.updated_at,
               func.substr(Revision.body, 1, TEXT_START).label("body"), Post.held_at)
        .outerjoin(Revision, Revision.id == Post.current_revision_id)
        .where(Post.id.in_([post_id for _at, post_id, _kind in shown])))} if shown else {}
    accounts = {a.id: a for a in session.scalars(
        select(Account).where(Account.id.in_({row.account_id for row in rows.values()}))
        .options(selectinload(Account.market)))} if rows else {}
    # Which scheduled ones are held (or will be) and which the worker retries (never both): one query.
    scheduled = [row.id for row in rows.values() if row.state == State.scheduled]
    now = utcnow()
    marks = session.execute(select(Post.id, held_clause(now), retrying_clause(now)).join(Post.account)
                            .where(Post.id.in_(scheduled))).all() if scheduled else []
    covered = {post_id for post_id, held, _retrying in marks if held}
    retrying = {post_id for post_id, _held, tries in marks if tries}
    entries = []
    for at, post_id, kind in shown:
        row = rows[post_id]
        post = PostRow(row.id, row.version, State(row.state), row.account_id, accounts[row.account_id],
                       row.updated_at, row.body or "", row.held_at, row.id in covered, row.id in retrying)
        entries.append(Entry(post, at, kind))
    return Window(entries, truncated, dict(days), sum(days.values()) if per_day is not None else len(spots))
