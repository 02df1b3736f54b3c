"""A user's notifications, as the bell, the list page and the API read them: newest first, keyset-paged."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, and_, func, or_, select, update
from sqlalchemy.orm import Session, joinedload, selectinload

from approval.access import can_see_post, visible_posts
from approval.db import utcnow
from approval.models import Account, Post, StopScope, StopSwitch, User
from approval.models.notifications import Notification, NotificationKind
from approval.notifications import grouping, texts
from approval.notifications.dispatch import AWAITING, ON_ITS_WAY, OVERTAKEN_BY, OVERTAKING, POST_OVERTAKEN, STALE
from approval.workflow.states import Role, State

PAGE = 50
MAX_PAGE = 200
#: At most this many ids in one "mark read".
MAX_IDS = 500


def unread_count(session: Session, user_id: int) -> int:
    return session.scalar(select(func.count()).select_from(Notification)
                          .where(Notification.user_id == user_id, Notification.read_at.is_(None))) or 0


#: The bell gathers at most this many unread notices of sets (``unread_lines``); beyond, each counts as one.
GATHERED = 1000


def unread_lines(session: Session, user: User) -> int:
    """The bell's count: the unread notifications as the list shows them, those of one act on one set as one
    (``grouping``; a cabinet's each alone). The API's ``unread`` counts each notification (``unread_count``)."""
    user_id = user.id
    total = unread_count(session, user_id)
    if total < 2 or user.role == Role.cabinet:
        return total
    # Only the posts the reader still sees gather: the list shows another alone (a market left since).
    rows = session.execute(
        select(Notification.kind, Notification.actor_id, Notification.action, Notification.comment,
               Notification.why, Post.set_id, Notification.at)
        .join(Post, Post.id == Notification.post_id)
        .where(Notification.user_id == user_id, Notification.read_at.is_(None), Post.set_id.is_not(None),
               Post.id.in_(visible_posts(user).with_only_columns(Post.id)))
        .order_by(Notification.id.desc()).limit(GATHERED)).all()
    return total - len(rows) + grouping.count([tuple(row) for row in rows])


def group_of(session: Session, user: User, notification: Notification) -> list[Notification]:
    """The notices of ``user``'s that the list gathers with ``notification`` (its group's first, the newest):
    those of the same act on the same set (``grouping``) written up to ``grouping.WINDOW`` before it."""
    wanted = grouping.key_of(notification)
    if wanted is None or user.role == Role.cabinet:  # a cabinet's notices each alone, as the list shows them
        return [notification]
    assert notification.post is not None  # a notice of a set's post (``grouping.key_of``)
    candidates = session.scalars(
        select(Notification).join(Post, Post.id == Notification.post_id)
        .where(Notification.user_id == user.id, Notification.kind == notification.kind,
               Post.set_id == notification.post.set_id,
               Notification.id <= notification.id,
               Notification.at >= notification.at - grouping.WINDOW, Notification.at <= notification.at)
        .options(joinedload(Notification.post)).order_by(Notification.id.desc()).limit(MAX_IDS)).all()
    return [n for n in candidates if grouping.key_of(n) == wanted and n.post is not None
            and can_see_post(user, n.post)] or [notification]


def page(session: Session, user: User, *, before: int | None = None, limit: int = PAGE,
         unread_only: bool = False) -> list[Notification]:
    """The user's notifications older than ``before`` (an id), newest first, with what the list shows."""
    query = (select(Notification).where(Notification.user_id == user.id)
             .options(joinedload(Notification.post).joinedload(Post.account).joinedload(Account.market),
                      joinedload(Notification.actor), joinedload(Notification.market))
             .order_by(Notification.id.desc()).limit(max(1, min(limit, MAX_PAGE))))
    if before is not None:
        query = query.where(Notification.id < before)
    if unread_only:
        query = query.where(Notification.read_at.is_(None))
    return list(session.scalars(query))


def mark_read(session: Session, user: User, ids: Iterable[int] | None = None, *,
              now: datetime | None = None) -> int:
    """Mark ``ids`` (of this user's notifications; others' are ignored) or, with None, all of them read."""
    statement = (update(Notification).where(Notification.user_id == user.id, Notification.read_at.is_(None))
                 .values(read_at=now or utcnow()).execution_options(synchronize_session=False))
    if ids is not None:
        wanted = list(dict.fromkeys(ids))[:MAX_IDS]
        if not wanted:
            return 0
        statement = statement.where(Notification.id.in_(wanted))
    # An UPDATE's result is a CursorResult, which has the rowcount; Session.execute is typed as returning any Result.
    return cast(CursorResult[Any], session.execute(statement)).rowcount or 0


def stops_told(session: Session, notifications: Iterable[Notification]) -> dict[int, StopSwitch]:
    """The stop switch each stop notification of ``notifications`` tells of, by notification id, in one query. A
    notification keeps the switch's time, author and reason, not its id: a switch over a campaign of every market,
    or over everything, names no market, and its notification said nothing of what it stopped."""
    told = [n for n in notifications if n.kind in (NotificationKind.stop_on, NotificationKind.stop_off)]
    if not told:
        return {}
    on = {n.at for n in told if n.kind is NotificationKind.stop_on}
    off = {n.at for n in told if n.kind is NotificationKind.stop_off}
    stops = session.scalars(select(StopSwitch).where(or_(StopSwitch.turned_on_at.in_(on or [None]),
                                                         StopSwitch.turned_off_at.in_(off or [None])))
                            .options(selectinload(StopSwitch.campaign), selectinload(StopSwitch.market))
                            .order_by(StopSwitch.id.desc())).all()
    found: dict[int, StopSwitch] = {}
    for n in told:
        is_on = n.kind is NotificationKind.stop_on
        for stop in stops:
            at, by = (stop.turned_on_at, stop.turned_on_by_id) if is_on else (stop.turned_off_at, stop.turned_off_by_id)
            if at == n.at and stop.reason == n.comment and (n.actor_id is None or by == n.actor_id) \
                    and _market_told(stop) == n.market_id:
                found[n.id] = stop
                break
    return found


def overtaken(session: Session, user: User, notifications: Iterable[Notification],
              stops: Mapping[int, StopSwitch]) -> dict[int, Notification]:
    """The later notice of ``user``'s that overtook each of ``notifications`` (``dispatch.OVERTAKEN_BY``), by
    notification id, in one query: the first one after it of the same post, or the ``stop_off`` of the same switch
    (``stops``: ``stops_told``'s). Its line says so, where it was greyed with nothing to say why."""
    earlier = [n for n in notifications if n.kind in OVERTAKEN_BY]
    posts = {n.post_id for n in earlier if n.kind in POST_OVERTAKEN and n.post_id is not None}
    offs = {stop.turned_off_at for n in earlier if n.kind is NotificationKind.stop_on
            and (stop := stops.get(n.id)) is not None and stop.turned_off_at is not None}
    wanted = []
    if posts:
        wanted.append(and_(Notification.post_id.in_(posts), Notification.kind.in_(OVERTAKING)))
    if offs:
        wanted.append(and_(Notification.kind == NotificationKind.stop_off, Notification.post_id.is_(None),
                           Notification.at.in_(offs)))
    if not wanted:
        return {}
    later = session.scalars(select(Notification)
                            .where(Notification.user_id == user.id, Notification.id > min(n.id for n in earlier),
                                   or_(*wanted))
                            .options(joinedload(Notification.actor)).order_by(Notification.id)).all()
    found: dict[int, Notification] = {}
    for n in earlier:
        stop = stops.get(n.id)
        for newer in later:
            if newer.id <= n.id:
                continue
            if (newer.post_id == n.post_id and n.post_id is not None and newer.kind in POST_OVERTAKEN[n.kind]) \
                    if n.kind in POST_OVERTAKEN else (
                    stop is not None and newer.kind is NotificationKind.stop_off and newer.at == stop.turned_off_at
                    and newer.comment == stop.reason and newer.market_id == n.market_id):
                found[n.id] = newer
                break
    return found


def _market_told(stop: StopSwitch) -> int | None:
    """The market a switch's notifications name (``dispatch._stop_told``): its own, its campaign's, or none."""
    if stop.scope == StopScope.market:
        return stop.market_id
    return stop.campaign.market_id if stop.scope == StopScope.campaign and stop.campaign is not None else None


#: The state a post is in while a notification of each kind asks for an action on it.
_AWAITED_IN = {kind: state for state, kinds in AWAITING.items() for kind in kinds}


#: The state each piece of news told of, and those it stays true in (``dispatch.STALE``).
_TOLD_OF = {kind: (state, went_on) for state, (kinds, went_on) in STALE.items() for kind in kinds}


def no_longer_awaited(notification: Notification, *, news: bool = False) -> bool:
    """Whether ``notification`` asked for an action its post no longer awaits (someone else took it, the post moved
    on): the list says what the post is now, where the line still reads "awaits your review".

    With ``news``, whether the news it told is no longer so instead (``dispatch.STALE``: the slot "Your post was
    scheduled" announced was dropped): settled too, its line in the list was greyed with nothing to say why. Mail
    asks for requests only: news is sent as it was written."""
    if news:
        told = _TOLD_OF.get(notification.kind)
        post = notification.post
        return told is not None and post is not None and post.state != told[0] and post.state not in told[1]
    if notification.kind is NotificationKind.policy_refuses:  # it told of a post on its way: is it still?
        return notification.post is not None and notification.post.state not in ON_ITS_WAY
    if notification.kind is NotificationKind.proposal_changed:
        return notification.post is not None and proposal_answered(notification, notification.post)
    awaited = _AWAITED_IN.get(notification.kind)
    return awaited is not None and notification.post is not None and notification.post.state != awaited


def proposal_answered(notification: Notification, post: Post) -> bool:
    """Whether what a ``proposal_changed`` notification asked no longer waits (``dispatch.settle``): its post left its
    way, its writer proposed another time since, or it was scheduled at the time proposed (a withdrawn proposal: at a
    time other than the slot it told of)."""
    told = texts.proposal_told(notification.why)
    if post.state not in ON_ITS_WAY or told is None:
        return post.state not in ON_ITS_WAY
    proposed, slot = told
    if post.proposed_at != proposed:
        return True
    if post.state is not State.scheduled:
        return False
    return post.scheduled_at == proposed if proposed is not None else post.scheduled_at != slot


def find(session: Session, user: User, notification_id: int) -> Notification | None:
    return session.scalar(select(Notification).where(Notification.id == notification_id,
                                                     Notification.user_id == user.id))
