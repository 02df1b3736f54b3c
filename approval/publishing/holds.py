"""What holds a scheduled post back: a stop switch over its market, its campaign or everything, or its campaign's
embargo. A held post stays ``scheduled``, shows why, and is not published while held. An embargo's hold lifts with the
embargo; a post a stop switch held stays held once the switch is off, until a project manager releases it
(``release``: ``hold_in_force`` finds nothing holding it any more) or gives it a new time (the worker recorded which
switch held it: ``Post.held_by_stop``)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import ColumnElement, ScalarSelect, Select, SQLColumnExpression, and_, exists, func, or_, select, true
from sqlalchemy.orm import Session, selectinload

from approval.access import post_clause
from approval.db import utcnow
from approval.labels import said_in
from approval.models import Account, Campaign, Post, StopScope, StopSwitch, User
from approval.workflow.states import State


@dataclass(frozen=True)
class Hold:
    reason: str
    since: datetime | None
    by: str | None = None
    stop_id: int | None = None
    #: What holds the post: a stop switch's scope, or None for its campaign's embargo (which lifts at ``until``).
    scope: StopScope | None = None
    until: datetime | None = None


#: The key of the PostgreSQL advisory lock that orders the stop switches against the claims (``reading_stops``).
STOPS_LOCK = 0x5370_0001


def reading_stops(session: Session) -> None:
    """Before a transaction reads which stop switches are on to decide that posts go out: on PostgreSQL, the shared
    side of ``STOPS_LOCK`` (claims do not wait for each other). A switch being turned on holds its other side
    (``changing_stops``) until its commit: a claim begun meanwhile waits and then sees it, and a switch waits for the
    claims in flight, whose posts were decided before it. Without it, a switch committed while an outbox claim ran
    between its reading of the switches and its commit let a post out after the switch was on. SQLite's
    ``BEGIN IMMEDIATE`` already serialises the two."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(reading_stops_lock()))


def reading_stops_lock() -> ScalarSelect[Any]:
    """``reading_stops``' lock as a value a statement of the caller's selects (PostgreSQL): taken by that statement,
    for the transaction, before the statements after it read the switches."""
    return select(func.pg_advisory_xact_lock_shared(STOPS_LOCK)).scalar_subquery()


def changing_stops(session: Session) -> None:
    """Before a transaction turns a stop switch on: the exclusive side of ``STOPS_LOCK`` (``reading_stops``)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(func.pg_advisory_xact_lock(STOPS_LOCK)))


def covering_stops(market_id: SQLColumnExpression[Any] | int,
                   campaign_id: SQLColumnExpression[Any] | int | None) -> ColumnElement[bool]:
    """Active stop switches over a market and a campaign (columns or values)."""
    return and_(
        StopSwitch.turned_off_at.is_(None),
        or_(
            StopSwitch.scope == StopScope.all,
            and_(StopSwitch.scope == StopScope.market, StopSwitch.market_id == market_id),
            and_(StopSwitch.scope == StopScope.campaign, StopSwitch.campaign_id == campaign_id),
        ),
    )


def held_clause(now: datetime | ColumnElement[datetime] | None = None) -> ColumnElement[bool]:
    """True for a post (joined with its account) that a stop switch or its campaign's embargo holds at ``now``
    (default: the present; a bound parameter for a statement built once): for lists, and for the publishing worker's
    posts read as rows. An embargo holds a post slotted before it until it lifts."""
    stopped = exists(select(StopSwitch.id).where(covering_stops(Account.market_id, Post.campaign_id)))
    embargoed = exists(select(Campaign.id).where(
        Campaign.id == Post.campaign_id, Campaign.embargo_until.is_not(None), Post.scheduled_at.is_not(None),
        Campaign.embargo_until > Post.scheduled_at, Campaign.embargo_until > (utcnow() if now is None else now),
    ))
    return or_(stopped, embargoed, Post.held_by_stop_id.is_not(None))


def held_counts(session: Session, user: User, stops: list[StopSwitch]) -> dict[int, int]:
    """How many of the scheduled posts ``user`` sees each of ``stops`` holds, as the publishing desk counts them:
    those it held at their time (they stay held once it is off, until a project manager gives each a new time), and,
    while it is on, those it covers (held when their time comes). Of the posts ``user`` sees only: a switch over
    everything holds other markets' posts too, none of theirs to count. Two statements, however many switches (the
    stops page lists up to 200)."""
    counts: dict[int, int] = dict.fromkeys((stop.id for stop in stops), 0)
    if not stops:
        return counts
    counts.update({stop_id: n for stop_id, n in session.execute(  # (a stop's id: never None, by the WHERE)
        select(Post.held_by_stop_id, func.count()).where(
            Post.state == State.scheduled, Post.held_by_stop_id.in_(list(counts)), post_clause(user))
        .group_by(Post.held_by_stop_id)) if stop_id is not None})
    on = [stop.id for stop in stops if stop.turned_off_at is None]
    if on:
        for stop_id, n in session.execute(
                select(StopSwitch.id, func.count(Post.id)).select_from(StopSwitch)
                .join(Post, _covering_post(StopSwitch.id)).join(Post.account)
                .where(StopSwitch.id.in_(on), _covers_post(), post_clause(user))
                .group_by(StopSwitch.id)):
            counts[stop_id] += n
    return counts


def _covering_post(stop_id: SQLColumnExpression[Any] | int) -> ColumnElement[bool]:
    """A scheduled post the switch ``stop_id`` did not hold at its time (not due yet, or held by another switch)."""
    return and_(Post.state == State.scheduled, or_(Post.held_by_stop_id.is_(None), Post.held_by_stop_id != stop_id))


def _covers_post() -> ColumnElement[bool]:
    """A switch's scope takes in a post (joined with its account): ``_covered_by``, for every switch at once."""
    return or_(StopSwitch.scope == StopScope.all,
               and_(StopSwitch.scope == StopScope.market, Account.market_id == StopSwitch.market_id),
               and_(StopSwitch.scope == StopScope.campaign, Post.campaign_id == StopSwitch.campaign_id))


def covered_ids(session: Session, user: User, stop: StopSwitch) -> set[int]:
    """The scheduled posts ``user`` sees that ``stop`` covers and did not hold at their time (not due yet, or held by
    another switch): what it holds while on, counted by ``held_counts``."""
    return set(session.scalars(_covered_by(stop, user)))


def _covered_by(stop: StopSwitch, user: User) -> Select[int]:
    covered = true() if stop.scope == StopScope.all else Account.market_id == stop.market_id \
        if stop.scope == StopScope.market else Post.campaign_id == stop.campaign_id
    return select(Post.id).join(Post.account).where(_covering_post(stop.id), covered, post_clause(user))


def held_ids(session: Session, post_ids: list[int], now: datetime | None = None) -> set[int]:
    """Which of the scheduled posts ``post_ids`` a stop switch or an embargo holds, or will at their time if it is
    still on: the lists show them as held, not as going out (one query for a page of them)."""
    if not post_ids:
        return set()
    return set(session.scalars(select(Post.id).join(Post.account).where(
        Post.id.in_(post_ids), Post.state == State.scheduled, held_clause(now))))


def active_stops(session: Session) -> list[StopSwitch]:
    """Every stop switch on now (a handful at most), oldest first, with who turned it on."""
    return list(session.scalars(
        select(StopSwitch).where(StopSwitch.turned_off_at.is_(None))
        .options(selectinload(StopSwitch.turned_on_by), selectinload(StopSwitch.market),
                 selectinload(StopSwitch.campaign))
        .order_by(StopSwitch.turned_on_at, StopSwitch.id)
    ))


def _covers(stop: StopSwitch, post: Post) -> bool:
    return (stop.scope == StopScope.all
            or (stop.scope == StopScope.market and stop.market_id == post.account.market_id)
            or (stop.scope == StopScope.campaign and stop.campaign_id == post.campaign_id))


def hold_for(session: Session, post: Post, stops: list[StopSwitch] | None = None,
             now: datetime | None = None, *, in_flight: bool = False) -> Hold | None:
    """Why ``post`` may not go out at ``now`` (default: the present), or None. Only a scheduled post is held, and,
    with ``in_flight``, a post a worker claimed and has not sent yet (its last look before the call).
    ``stops``: the active stop switches, when the caller read them already (the worker, once per batch). An embargo
    holds a post slotted before it until the embargo lifts; then it goes, within its grace period. A post a stop
    switch held stays held after the switch is off, until a project manager releases it or gives it a new time."""
    if post.state != State.scheduled and not (in_flight and post.state == State.publishing):
        return None
    if stops is None:
        stops = session.info.get(_STOPS_READ)
    if stops is None:
        stop = session.scalars(
            select(StopSwitch).where(covering_stops(post.account.market_id, post.campaign_id))
            .order_by(StopSwitch.turned_on_at, StopSwitch.id).limit(1)
        ).first()
    else:
        stop = next((s for s in stops if _covers(s, post)), None)
    if stop is not None:
        return Hold(reason=stop_reason(stop), since=stop.turned_on_at,
                    by=stop.turned_on_by.name if stop.turned_on_by else None, stop_id=stop.id, scope=stop.scope)
    campaign = post.campaign
    if campaign is not None and campaign.embargo_until is not None and post.scheduled_at is not None \
            and post.scheduled_at < campaign.embargo_until and (now or utcnow()) < campaign.embargo_until:
        return Hold(reason=_("The campaign %(campaign)s is under embargo until %(until)s.", campaign=campaign.name,
                             until=said_in(campaign.embargo_until, post.account.market.timezone)),
                    since=post.held_at, until=campaign.embargo_until)
    held_by = post.held_by_stop
    if held_by is not None:  # turned off since: the post waits for a person
        # One sentence, the switch's whole story: no "turned on by" added after it says the switch is off.
        off, zone = held_by.turned_off_at, post.account.market.timezone
        return Hold(reason=_("A stop switch held it (%(stop)s), turned on by %(name)s on %(on)s and off since "
                             "%(when)s. It waits for a project manager to release it or give it a new time.",
                             stop=stop_reason(held_by).rstrip("."),
                             name=held_by.turned_on_by.name if held_by.turned_on_by else _("the command line"),
                             on=said_in(held_by.turned_on_at, zone), when=said_in(off, zone) if off else "?"),
                    since=held_by.turned_on_at, stop_id=held_by.id, scope=held_by.scope)
    return None


def holds_for(session: Session, posts: Sequence[Post], stops: list[StopSwitch] | None = None,
              now: datetime | None = None) -> dict[int, Hold | None]:
    """``hold_for`` of each of ``posts`` (with their accounts and markets loaded, as the lists load them), by post id,
    in a fixed number of statements however many posts: the switches on (unless ``stops`` has them, as
    ``active_stops`` reads them), the posts' campaigns, and the switches now off that held some, each read once for
    all, after which ``hold_for`` finds them in the session and reads nothing more."""
    if stops is None:
        stops = active_stops(session)
    read: list[object] = [*_campaigns_of(session, posts)]
    if off := {post.held_by_stop_id for post in posts if post.held_by_stop_id is not None} - {s.id for s in stops}:
        read += session.scalars(select(StopSwitch).where(StopSwitch.id.in_(off))
                                .options(selectinload(StopSwitch.turned_on_by), selectinload(StopSwitch.market),
                                         selectinload(StopSwitch.campaign))).all()
    return {post.id: hold_for(session, post, stops, now) for post in posts}


def _campaigns_of(session: Session, posts: Sequence[Post]) -> list[Campaign]:
    """``posts``' campaigns, read in one statement, for ``post.campaign`` to find them in the session. The caller keeps
    the list while it reads them: the session's identity map holds its objects weakly, and what nothing refers to is
    gone (and read again, one post at a time) by the time a post asks for its campaign."""
    if campaigns := {post.campaign_id for post in posts if post.campaign_id is not None}:
        return list(session.scalars(select(Campaign).where(Campaign.id.in_(campaigns))))
    return []


def would_holds(session: Session, posts: Sequence[Post], stops: Sequence[StopSwitch],
                now: datetime) -> dict[int, Hold]:
    """What would hold each of ``posts`` were it sent at ``now``, whatever its state (a missed post is not
    scheduled: ``hold_for`` says nothing of it): the oldest of the switches on over it (``stops``, as
    ``active_stops`` reads them), else its campaign's embargo not lifted yet. Those nothing would hold are left
    out. One statement for the campaigns, however many posts."""
    campaigns = _campaigns_of(session, posts)
    would: dict[int, Hold] = {}
    for post in posts:
        if (stop := next((stop for stop in stops if _covers(stop, post)), None)) is not None:
            would[post.id] = Hold(reason=stop_reason(stop), since=stop.turned_on_at, stop_id=stop.id,
                                  scope=stop.scope)
        elif (campaign := post.campaign) is not None and campaign.embargo_until is not None \
                and campaign.embargo_until > now:
            would[post.id] = Hold(reason="", since=None, until=campaign.embargo_until)
    del campaigns  # kept until every post asked for its own
    return would


#: ``session.info``'s key for the switches on as a page read them (``stops_read``).
_STOPS_READ = "approval.stops_read"


@contextmanager
def stops_read(session: Session, stops: list[StopSwitch]) -> Iterator[None]:
    """While it lasts, ``hold_for`` asked without the switches (as the engine's release guard asks it, through
    ``hold_in_force``) takes ``stops``, those on as the page read them, rather than reading them again for each post:
    for a page that asks the engine what it may do with many posts (the desk's releasable rows). For reading only:
    a switch turned on meanwhile is the next page's to see, as it would be had it come a moment later."""
    previous = session.info.get(_STOPS_READ)
    session.info[_STOPS_READ] = stops
    try:
        yield
    finally:
        if previous is None:
            session.info.pop(_STOPS_READ, None)
        else:
            session.info[_STOPS_READ] = previous


class HoldCase(StrEnum):
    """Which of the publishing desk's four cases a held post is (its legend says what becomes of each)."""

    embargo = "embargo"          # its campaign's embargo: it goes out when the embargo lifts, within the grace period
    due = "due"                  # a stop switch was on at its time: it stays held until released or given a new time
    ahead = "ahead"              # a stop switch on, its time still ahead: it goes out if the switch is off by then
    grace_over = "grace_over"    # its slot passed beyond its market's grace period: the worker misses it


def hold_case(post: Post, hold: Hold | None, now: datetime | None = None) -> HoldCase | None:
    """Which case ``post`` (``hold``: ``hold_for`` of it) is at ``now``, for the desk's row: a post due tomorrow and
    one that was due under the switch read alike when each showed only the switch's reason. None when nothing holds
    it."""
    from approval.publishing.controls import MIN_GRACE  # the controls read the holds

    if hold is None and not is_held(post):
        return None
    now = now or utcnow()
    grace = timedelta(minutes=max(post.account.market.grace_minutes, MIN_GRACE))  # as the worker reads it
    if post.scheduled_at is not None and post.scheduled_at + grace < now:
        return HoldCase.grace_over
    if hold is not None and hold.until is not None:
        return HoldCase.embargo
    if is_held(post) or (post.scheduled_at is not None and post.scheduled_at <= now):
        return HoldCase.due
    return HoldCase.ahead


def is_held(post: Post) -> bool:
    """The worker held ``post`` at its time (a stop switch or an embargo): it does not go out until released."""
    return post.held_at is not None or post.held_by_stop_id is not None


def hold_in_force(session: Session, post: Post, now: datetime | None = None) -> Hold | None:
    """What still holds ``post`` at ``now``: an active stop switch over it, or its campaign's embargo; None when
    nothing does any more (the switch that held it is off), and a project manager may release it (``release``)."""
    hold = hold_for(session, post, now=now)
    if hold is None or (hold.stop_id is not None and hold.stop_id == post.held_by_stop_id
                        and post.held_by_stop is not None and post.held_by_stop.turned_off_at is not None):
        return None
    return hold


def stop_scope(stop: StopSwitch) -> str:
    """What a switch stops, in a few words: "Every market", "Kenya (KE)", "Campaign “Coupe du monde 2027”"."""
    if stop.scope == StopScope.all:
        return _("Every market")
    if stop.scope == StopScope.market:
        return str(stop.market) if stop.market else "?"
    return _("Campaign “%(name)s”", name=stop.campaign.name if stop.campaign else "?")


def stop_reason(stop: StopSwitch) -> str:
    if stop.scope == StopScope.all:
        where = _("Everything is stopped")
    elif stop.scope == StopScope.market:
        where = _("Market %(code)s is stopped", code=stop.market.code if stop.market else "?")
    else:
        where = _("Campaign %(name)s is stopped", name=stop.campaign.name if stop.campaign else "?")
    return _("%(where)s: %(reason)s", where=where, reason=stop.reason)
