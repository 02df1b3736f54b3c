"""A user's notifications, as the bell, the list page and the API read them: newest first, keyset-paged.

The API pages by notification (its contract). The list pages by line (``lines``): the notices of one act on the
posts of a set are one line (``grouping``), and a page holds whole lines, ``PAGE`` of them, newest first by their
newest notice; the next page starts below that notice's id. A line's notices are written by one act, mostly in one
transaction; a worker's pass through a webhook commits each outcome on its own, and a line a pass adds to while a
reader pages moves up to the top, where the next look at the first page shows it (nothing is shown twice). The
bell counts the lines that hold an unread notice (``unread_lines``): the same lines, found by the same clause
(``_later_in_line``)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from functools import cache
from typing import Any, cast

from sqlalchemy import (
    BigInteger,
    BindParameter,
    CursorResult,
    Integer,
    Select,
    Text,
    and_,
    bindparam,
    case,
    false,
    func,
    literal,
    not_,
    or_,
    select,
    true,
    update,
)
from sqlalchemy import cast as sql_cast
from sqlalchemy.orm import Session, aliased, join, joinedload, outerjoin, selectinload
from sqlalchemy.sql.elements import ColumnElement

from approval.access import VIEWER_ID, Scope, scope_of, viewer_id
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
#: The bell counts lines up to this many unread notices; past it, it says "more than" (``BELL_MOST`` + 1): each page
#: draws the bell, and counting the lines of 100,000 unread notices took a second.
BELL_MOST = 999


def unread_count(session: Session, user_id: int) -> int:
    return session.scalar(_unread_count(), {VIEWER_ID: user_id}) or 0


def _unread_up_to(session: Session, user_id: int, most: int) -> int:
    """How many notifications ``user_id`` has unread, counted up to ``most`` + 1 (the unread index's first rows)."""
    return session.scalar(_unread_at_most(), {VIEWER_ID: user_id, "most": most + 1}) or 0


def unread_lines(session: Session, user: User) -> int:
    """The bell's count: the lines of the list (``lines``) that hold an unread notice, those of one act on one set
    as one (``grouping``; a cabinet's each alone). The API's ``unread`` counts each notification (``unread_count``).
    More than ``BELL_MOST`` unread notices: ``BELL_MOST`` + 1, lines uncounted (the bell then says "999+")."""
    total = _unread_up_to(session, user.id, BELL_MOST)
    if total < 2 or total > BELL_MOST or user.role == Role.cabinet:
        return total
    scope = scope_of(user)
    return session.scalar(_unread_lines(scope), _bound(user, scope)) or 0


def lines(session: Session, user: User, *, before: int | None = None,
          limit: int = PAGE) -> tuple[list[list[Notification]], int | None]:
    """A page of the list: up to ``limit`` lines older than ``before`` (the id of the first notice of the previous
    page's last line), newest first, each whole: its notices, newest first (one alone, or those of one act on one
    set: ``grouping``). With the ``before`` of the next page, None when this one is the last."""
    limit = max(1, min(limit, MAX_PAGE))
    scope = scope_of(user)
    bound = _bound(user, scope)
    # One more: whether an older page has anything.
    found = session.execute(_firsts(scope, before is not None),
                            {**bound, "limit": limit + 1, **({"before": before} if before is not None else {})}).all()
    more, found = len(found) > limit, found[:limit]
    if not found:
        return [], None
    first_ids = [first_id for first_id, _act in found]
    # The acts of the firsts that may hold earlier notices: the others stand alone.
    acts = sorted({act for _id, act in found if act is not None})
    pairs = session.execute(_members(scope), {**bound, "firsts": first_ids, "acts": acts}).all()
    members: dict[int, list[Notification]] = {first_id: [] for first_id in first_ids}
    for notice, first_id in pairs:
        members[first_id].append(notice)
    return [members[first_id] for first_id in first_ids], first_ids[-1] if more else None


def line_of(session: Session, user: User, notification: Notification) -> list[Notification]:
    """The notices of ``user``'s line that holds ``notification`` (``lines``): itself alone, or those of its act
    on the same set, all of them (up to ``MAX_IDS``)."""
    if notification.act_id is None:
        return [notification]
    scope = scope_of(user)
    found = session.scalars(_line_of(scope), {**_bound(user, scope), "notice": notification.id,
                                              "act": notification.act_id})
    return list(found) or [notification]


# The statements of the bell, the list and a line, each built once for each shape of a reader's scope
# (``access.Scope``: a cabinet reads each notice alone, as its mails; someone group-wide has the notices of any set's
# posts gathered; anyone else, those of the posts of their markets) and kept (``functools.cache``): building them,
# and the cache key SQLAlchemy makes of so large a tree, cost many times what the database does. What varies between
# readers and pages is bound at each call (each required): the reader (``access.viewer_id``), the markets they see
# (``markets``), the page's start and size (``before``, ``limit``), the lines' firsts and acts.


def _bound(user: User, scope: Scope) -> dict[str, Any]:
    """The values of ``user``'s for the statements of ``scope``: their id, and the markets they see."""
    bound: dict[str, Any] = {VIEWER_ID: user.id}
    if scope is Scope.markets:
        bound["markets"] = sorted(user.market_ids())
    return bound


def _line_entities(name: str) -> tuple[Any, Any, Any]:
    """A notification, its post and the post's account, named apart (a line is found from its notices)."""
    return (aliased(Notification, name=name), aliased(Post, name=f"{name}_post"),
            aliased(Account, name=f"{name}_account"))


def _outer(notice: Any, post: Any, account: Any) -> Any:
    """``notice`` with its post and the post's account, when it has one."""
    return outerjoin(notice, post, post.id == notice.post_id).outerjoin(account, account.id == post.account_id)


def _gathered(scope: Scope, notice: Any, post: Any, account: Any) -> ColumnElement[bool]:
    """Whether ``notice`` is gathered with the others of its act for its reader (``grouping.key_of`` is not None): a
    notice of an act, of a kind gathered, about a set's post the reader still sees (``access.can_see_post``). A
    cabinet reads each alone, as its mails."""
    if scope is Scope.cabinet:
        return false()
    seen = true() if scope is Scope.everything else account.market_id.in_(_bound_param("markets", expanding=True))
    return and_(notice.act_id.is_not(None), notice.kind.not_in(sorted(grouping.APART)), post.set_id.is_not(None),
                seen)


def _same_line(notice: Any, post: Any, other: Any, other_post: Any) -> ColumnElement[bool]:
    """Whether two notices, both gathered (``_gathered``), are of one line: ``grouping.key_of`` in SQL (the reasons
    compared as the text they were written as: one act writes the same words alike)."""
    return and_(notice.user_id == other.user_id, notice.act_id == other.act_id, notice.kind == other.kind,
                notice.actor_id.is_not_distinct_from(other.actor_id),
                notice.action.is_not_distinct_from(other.action),
                notice.comment.is_not_distinct_from(other.comment),
                sql_cast(notice.why, Text).is_not_distinct_from(sql_cast(other.why, Text)),
                post.set_id == other_post.set_id)


def _later_in_line(scope: Scope, notice: Any, post: Any, account: Any, *,
                   unread_only: bool = False) -> ColumnElement[bool]:
    """Whether ``notice``'s line holds a later notice (unread, with ``unread_only``): then ``notice`` is not the
    line's first, which stands for it in a page and in the bell. Found by reader and act (their index)."""
    later, later_post, later_account = _line_entities("later")
    found = (select(literal(1)).select_from(join(later, later_post, later_post.id == later.post_id)
                                            .join(later_account, later_account.id == later_post.account_id))
             .where(later.id > notice.id, _same_line(later, later_post, notice, post),
                    _gathered(scope, later, later_post, later_account)))
    if unread_only:
        found = found.where(later.read_at.is_(None))
    return and_(_gathered(scope, notice, post, account), found.exists())


def _bound_param(name: str, type_: Any = Integer, *, expanding: bool = False) -> BindParameter[Any]:
    """A value bound when the statement runs; a statement run without it fails."""
    return bindparam(name, type_=type_, expanding=expanding, required=True)


def _reader(notice: Any) -> ColumnElement[bool]:
    return notice.user_id == viewer_id()


@cache
def _unread_count() -> Select[Any]:
    return select(func.count()).select_from(Notification).where(_reader(Notification), Notification.read_at.is_(None))


@cache
def _unread_at_most() -> Select[Any]:
    unread = (select(Notification.id).where(_reader(Notification), Notification.read_at.is_(None))
              .limit(bindparam("most", type_=Integer)).subquery())
    return select(func.count()).select_from(unread)


@cache
def _unread_lines(scope: Scope) -> Select[Any]:
    """The bell's: an unread notice whose line holds a later one unread is counted with that one."""
    n, post, account = _line_entities("n")
    return (select(func.count()).select_from(_outer(n, post, account))
            .where(_reader(n), n.read_at.is_(None), not_(_later_in_line(scope, n, post, account, unread_only=True))))


@cache
def _firsts(scope: Scope, paged: bool) -> Select[Any]:
    """The first notice of each line of a page, and its act if it is gathered (``_gathered``; else none: it stands
    alone): up to ``limit``, older than ``before`` if ``paged``."""
    n, post, account = _line_entities("n")
    firsts = (select(n.id, case((_gathered(scope, n, post, account), n.act_id)))
              .select_from(_outer(n, post, account))
              .where(_reader(n), not_(_later_in_line(scope, n, post, account)))
              .order_by(n.id.desc()).limit(_bound_param("limit")))
    return firsts.where(n.id < _bound_param("before")) if paged else firsts


@cache
def _members(scope: Scope) -> Select[Any]:
    """Each of the ``firsts`` with the earlier notices of its line (none for one that stands alone): among its act's
    (``acts``), by their index, then told apart as the bell and the list tell them (``_same_line``)."""
    member, member_post, member_account = _line_entities("member")
    first, first_post, first_account = _line_entities("first")
    firsts, acts = _bound_param("firsts", expanding=True), _bound_param("acts", BigInteger, expanding=True)
    return _with_what_the_list_shows(
        select(member, first.id)
        .select_from(_outer(member, member_post, member_account), _outer(first, first_post, first_account))
        .where(_reader(member), or_(member.id.in_(firsts), member.act_id.in_(acts)),
               first.id.in_(firsts), or_(first.id == member.id, and_(
            first.id > member.id, _same_line(member, member_post, first, first_post),
            _gathered(scope, member, member_post, member_account),
            _gathered(scope, first, first_post, first_account))))
        .order_by(member.id.desc()), member)


@cache
def _line_of(scope: Scope) -> Select[Any]:
    """The notices of the line of ``notice`` (of the act ``act``), newest first."""
    n, post, account = _line_entities("n")
    other, other_post, other_account = _line_entities("other")
    return (select(other).select_from(_outer(other, other_post, other_account), _outer(n, post, account))
            .where(n.id == _bound_param("notice"), _reader(other),
                   other.act_id == _bound_param("act", BigInteger),
                   or_(other.id == n.id, and_(
                _same_line(other, other_post, n, post), _gathered(scope, other, other_post, other_account),
                _gathered(scope, n, post, account))))
            .order_by(other.id.desc()).limit(MAX_IDS))


def _with_what_the_list_shows(query: Any, notice: Any = Notification) -> Any:
    return query.options(joinedload(notice.post).joinedload(Post.account).joinedload(Account.market),
                         joinedload(notice.actor), joinedload(notice.market))


def page(session: Session, user: User, *, before: int | None = None, limit: int = PAGE,
         unread_only: bool = False) -> list[Notification]:
    """The user's notifications older than ``before`` (an id), newest first, with what the list shows: the API's."""
    query = _with_what_the_list_shows(select(Notification).where(Notification.user_id == user.id)
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
    """Whether what a ``proposal_changed`` notification asked no longer waits (``dispatch.record`` settles it): its
    post left its way, its writer proposed another time since, or it was scheduled at the time proposed (a withdrawn
    proposal: at a time other than the slot it told of)."""
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
