"""What the wall shows, for one selection (markets, campaign, view) as one viewer may see it.

A viewer is a signed-in user (their scope, ``approval.access``) or a kiosk link (every post of its markets). A
cabinet reads each post's text as it was last sent to it (``access.read_by``), never what the writers saved since. Every
part is bounded: counts come from ``post_counts`` (kept per account and state by the database), lists are the first
rows of an index. The wall is built once per change and selection by the change feed (``approval.hub_feed``), never
once per open screen.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, SQLColumnExpression, String, and_, func, literal, select, true, union_all
from sqlalchemy.orm import Session, aliased, contains_eager, selectinload
from sqlalchemy.sql.elements import ColumnElement

from approval import policies
from approval.access import (
    AsSent,
    Scope,
    account_clause,
    market_clause,
    post_clause,
    read_by,
    revision_clause,
    scope_of,
)
from approval.db import utcnow
from approval.inputs import parse_id
from approval.models import (
    Account,
    AuditEntry,
    Campaign,
    KioskLink,
    Market,
    Network,
    Post,
    PostCount,
    Revision,
    StopSwitch,
    User,
    WallSettings,
)
from approval.publishing.holds import held_clause
from approval.publishing.status import overdue_clause, retrying_clause
from approval.queries.findings import most_found_in, sent_with_findings
from approval.queries.publishing import unconnected_clause
from approval.workflow.states import State

VIEWS = ("overview", "queue", "next", "published", "problems")
#: The states the wall counts, in the order a post goes through them (its columns).
COUNTED = (State.draft, State.in_review, State.changes_requested, State.with_cabinet, State.approved, State.scheduled,
           State.publishing, State.published, State.failed, State.unconfirmed)
#: The columns of the wall's counts: where posts wait for someone. A market with none of them has nothing pending.
COLUMNS = (State.in_review, State.changes_requested, State.with_cabinet, State.approved, State.scheduled,
           State.failed, State.unconfirmed)
#: Rows per list (each two lines: who and when, then the text): what a 1920x1080 screen shows legibly (the view of
#: one list shows more).
ROWS, ROWS_ALONE = 7, 14
#: What "published" lists: what went out in the last day, as "Next 24 hours" lists what goes out in the next (a
#: room watching the wall wants what just went out, not the newest of a history weeks old; the wall is rebuilt each
#: minute, so a post leaves the list a day after it went out).
PUBLISHED_WINDOW = timedelta(hours=24)
#: What "Next 24 hours" lists, and how far ahead a held post, or one bound to fail, needs attention now.
AHEAD = timedelta(hours=24)
#: The posts due within the day that the wall runs the style gate on (the soonest first) for the policy in force's
#: refusals (the publishing desk's "Will fail: the policy in force refuses them"): the wall is rebuilt each minute for
#: each selection, so the check is bounded; a day busier than this shows its later refusals on the desk only.
WILL_FAIL_CHECKED = 200
#: The gate's verdicts on the posts due, by what it read of each (``policies.gate_key``): any audit row rebuilds
#: every open selection's wall, which checks again only the posts whose text, market policy, campaign or account
#: changed since (a minute at most for what the key does not name). The wall's only: the worker, the approval's
#: guard and the desk check afresh.
WALL_VERDICTS = policies.VerdictMemo()
#: The week's style findings: those of the texts sent for review in it (``_findings``).
FINDINGS_WINDOW = timedelta(days=7)
#: The rules the wall lists.
FINDINGS_SHOWN = 6


#: How much of a typed market code or campaign the wall keeps to say it back ("No market FRA"), and how many codes.
TYPED_LENGTH, MAX_CODES = 12, 40


@dataclass(frozen=True)
class Selection:
    """What one screen shows: from its URL (``market=`` repeatable, ``campaign=``, ``view=``). Every code typed is
    kept, a typo too ("FX", "FRA"): the wall says that it names no market of the screen, where dropping it showed
    every market, or none, as if all were well."""

    markets: tuple[str, ...] = ()
    campaign_id: int | None = None
    view: str = "overview"
    #: A ``campaign=`` that is no campaign's id ("abc"), as typed: said on the screen too.
    campaign_typed: str | None = None

    @classmethod
    def from_args(cls, args) -> Selection:  # noqa: ANN001 - a MultiDict
        codes = tuple(sorted({c.strip().upper()[:TYPED_LENGTH] for c in args.getlist("market") if c.strip()}))
        campaign = (args.get("campaign") or "").strip()
        campaign_id = parse_id(campaign)
        view = args.get("view", "overview")
        return cls(codes[:MAX_CODES], campaign_id, view if view in VIEWS else "overview",
                   campaign[:TYPED_LENGTH] if campaign and campaign_id is None else None)

    def args(self) -> dict:
        out: dict = {"view": self.view} if self.view != "overview" else {}
        if self.markets:
            out["market"] = list(self.markets)
        if self.campaign_id or self.campaign_typed:
            out["campaign"] = self.campaign_id or self.campaign_typed
        return out


@dataclass(frozen=True)
class Unmatched:
    """What a screen's address asks for that its viewer does not cover: the wall says so, rather than draw zeros and
    "nothing needs attention" while a market it was meant to show is failing."""

    #: Codes of no market, said so to a viewer who sees every market.
    unknown: tuple[str, ...] = ()
    #: Codes not among the viewer's markets (to a viewer who does not see them all, a code of no market is one).
    outside: tuple[str, ...] = ()
    #: A ``campaign=`` naming no campaign the viewer may see, as typed.
    campaign: str | None = None
    #: Nothing the address asks for is shown: the wall has no panel, only what is wrong with the address.
    everything: bool = False

    def __bool__(self) -> bool:
        return bool(self.unknown or self.outside or self.campaign)


@dataclass(frozen=True)
class Viewer:
    """Who looks: a user (by id, reloaded in the feed's session) or a kiosk's markets."""

    user_id: int | None = None
    kiosk_markets: tuple[int, ...] = ()  # ids; none: every market

    def key(self) -> tuple:
        return ("user", self.user_id) if self.user_id is not None else ("kiosk", self.kiosk_markets)


def nothing_pending(counts: dict[State, int]) -> bool:
    """A row of counts (a market's, a network's) that is zeros only: the screen may fold it."""
    return not any(counts.get(state) for state in COLUMNS)


@dataclass
class MarketRow:
    market: Market
    counts: dict[State, int] = field(default_factory=dict)
    #: Its scheduled posts due within the next 24 hours (overdue ones too).
    due_soon: int = 0

    @property
    def urgency(self) -> tuple[bool, ...]:
        """Where the row stands in the counts, the least first: a market with a post failed (or unconfirmed) before
        one without, then with posts awaiting review, then going out within the day, then anything pending at all;
        last, one with nothing pending, which a screen of many markets folds into "+25 markets with nothing
        pending"."""
        counts = self.counts
        return (not (counts.get(State.failed) or counts.get(State.unconfirmed)), not counts.get(State.in_review),
                not self.due_soon, self.idle)

    @property
    def idle(self) -> bool:
        return nothing_pending(self.counts)


@dataclass
class Wall:
    selection: Selection
    amber: timedelta
    red: timedelta
    campaign: Campaign | None
    built_at: datetime
    markets: list[Market] = field(default_factory=list)
    #: The markets' rows, the most urgent first (``MarketRow.urgency``), then by code.
    by_market: list[MarketRow] = field(default_factory=list)
    by_network: dict[str, dict[State, int]] = field(default_factory=dict)
    #: The lists' posts as the viewer reads them (``access.read_by``): a cabinet, the text it was last sent.
    queue: list[Post | AsSent] = field(default_factory=list)
    queue_total: int = 0
    upcoming: list[Post | AsSent] = field(default_factory=list)
    published: list[Post | AsSent] = field(default_factory=list)
    problems: list[tuple[Post | AsSent, str]] = field(default_factory=list)
    #: How many posts each list has, where the wall sends the first ones only (the screen says "+3 more").
    upcoming_total: int = 0
    published_total: int = 0
    problems_total: int = 0
    #: The scheduled posts due within the day that a stop switch or an embargo holds: "nothing goes out" is said with
    #: them, not "nothing is scheduled" beside a count of scheduled posts.
    held_total: int = 0
    #: The posts due and not out (no worker running?): the wall says so above its panels.
    overdue_total: int = 0
    #: Why the policy in force refuses the posts due within the day that it refuses (``policies.refused_among_first``),
    #: by post id: "Needs attention" says it, as the publishing desk does.
    refusals: dict[int, policies.GateResult] = field(default_factory=dict)
    #: The posts of "Next 24 hours" bound to fail at their time, by id: the kind "Needs attention" lists them under
    #: (``unconnected``, ``policy``).
    will_fail: dict[int, str] = field(default_factory=dict)
    stops: list[StopSwitch] = field(default_factory=list)
    findings: list[tuple[str, int]] = field(default_factory=list)
    unmatched: Unmatched = field(default_factory=Unmatched)


def wall_settings(session: Session) -> WallSettings:
    return session.scalar(select(WallSettings).order_by(WallSettings.id).limit(1)) or WallSettings(
        review_amber_minutes=120, review_red_minutes=480)


def _scope(session: Session, viewer: Viewer) -> tuple[ColumnElement[bool], Select[Market], User | None, bool]:
    """The viewer's posts, its markets, the user (None for a kiosk), and whether it sees every market."""
    if viewer.user_id is not None:
        user = session.get_one(User, viewer.user_id)
        return post_clause(user), select(Market).where(market_clause(user)), user, bool(user.group_wide)
    markets = select(Market)
    if viewer.kiosk_markets:
        markets = markets.where(Market.id.in_(viewer.kiosk_markets))
        return Account.market_id.in_(viewer.kiosk_markets), markets, None, False
    return true(), markets, None, True


def _unmatched(selection: Selection, markets: list[Market], campaign: Campaign | None,
               everywhere: bool) -> Unmatched:
    """What the address names that the viewer's markets and campaigns do not hold (``markets``: those it names
    that they hold). A viewer who sees every market is told that a code is no market; another, that it is not one of
    theirs, whether or not it is a market (a screen's link does not say which markets exist)."""
    found = {market.code for market in markets}
    missing = tuple(code for code in selection.markets if code not in found)
    campaign_typed = selection.campaign_typed or (
        str(selection.campaign_id) if selection.campaign_id and campaign is None else None)
    return Unmatched(unknown=missing if everywhere else (), outside=() if everywhere else missing,
                     campaign=campaign_typed,
                     everything=campaign_typed is not None or bool(selection.markets) and not markets)


def build_wall(session: Session, viewer: Viewer, selection: Selection, now: datetime | None = None) -> Wall:
    now = now or utcnow()
    scope, market_query, user, everywhere = _scope(session, viewer)
    # A campaign of the viewer's markets, or a group-wide one: another market's is not named (its posts are out of
    # scope anyway, and the wall shows none).
    campaign = session.scalar(select(Campaign).where(
        Campaign.id == selection.campaign_id,
        Campaign.market_id.is_(None) | Campaign.market_id.in_(market_query.with_only_columns(Market.id)),
    )) if selection.campaign_id else None
    if selection.markets:
        market_query = market_query.where(Market.code.in_(selection.markets))
    markets = list(session.scalars(market_query.order_by(Market.code)))
    unmatched = _unmatched(selection, markets, campaign, everywhere)
    settings = wall_settings(session)
    amber, red = timedelta(minutes=settings.review_amber_minutes), timedelta(minutes=settings.review_red_minutes)
    if unmatched.everything:  # no zeros, no "all clear": the screen says what is wrong with its address
        return Wall(selection, amber, red, campaign, now, unmatched=unmatched)
    market_ids = [m.id for m in markets]

    def posts() -> Select[Post]:
        query = select(Post).join(Post.account).where(scope, Account.market_id.in_(market_ids))
        return query.where(Post.campaign_id == selection.campaign_id) if selection.campaign_id else query

    shown = (contains_eager(Post.account).selectinload(Account.market), selectinload(Post.current_revision))
    view = selection.view

    # Counts per account and state, folded into markets and networks here: read from post_counts (kept by the
    # database), or counted when a campaign narrows the wall.
    if selection.campaign_id:
        counted = posts().with_only_columns(Post.account_id, Post.state, func.count(Post.id)).group_by(
            Post.account_id, Post.state)
    else:
        counted = _kept_counts(user, market_ids)
    accounts = dict(session.execute(select(Account.id, Account.network).where(Account.market_id.in_(market_ids))).all())
    account_market = dict(session.execute(select(Account.id, Account.market_id)
                                          .where(Account.market_id.in_(market_ids))).all())
    rows = {m.id: MarketRow(m) for m in markets}
    by_network: dict[str, dict[State, int]] = {n.value: {} for n in Network}
    for account_id, state, n in session.execute(counted):
        state = State(state)
        if not n:
            continue
        market_id = account_market.get(account_id)
        row = rows.get(market_id) if market_id is not None else None
        if row is None:
            continue
        row.counts[state] = row.counts.get(state, 0) + n
        network = by_network[Network(accounts[account_id]).value]
        network[state] = network.get(state, 0) + n

    limit = ROWS_ALONE if view != "overview" else ROWS

    def first(where: ColumnElement[bool], *order: SQLColumnExpression[Any]) -> tuple[list[Post], int]:
        """The first rows of a list, and how many it has: counted only when the rows fill the page."""
        found = list(session.scalars(posts().where(where).options(*shown).order_by(*order).limit(limit)))
        if len(found) < limit:
            return found, len(found)
        return found, session.scalar(posts().where(where).with_only_columns(func.count(Post.id))) or 0

    queue: list[Post] = []
    upcoming: list[Post] = []
    published: list[Post] = []
    problems: list[tuple[Post, str]] = []
    findings: list[tuple[str, int]] = []
    upcoming_total = published_total = problems_total = held_total = overdue_total = 0
    refusals = _refused_soon(session, posts, now) if view in ("overview", "next", "problems") else {}
    will_fail: dict[int, str] = {}
    queue_total = sum(r.counts.get(State.in_review, 0) for r in rows.values())
    if view in ("overview", "queue"):
        queue = list(session.scalars(posts().where(Post.state == State.in_review).options(*shown)
                                     .order_by(Post.submitted_at, Post.id).limit(limit)))
    if view in ("overview", "next"):
        upcoming, upcoming_total = first(
            and_(Post.state == State.scheduled, Post.scheduled_at >= now, Post.scheduled_at < now + timedelta(hours=24),
                 ~held_clause(now)),  # a held post is "needs attention", never "going out"
            Post.scheduled_at, Post.id)
        # Those bound to fail stay listed at their time (the worker tries them), marked as "Needs attention" has them.
        will_fail = {post_id: "unconnected" for post_id in session.scalars(
            posts().where(Post.id.in_([post.id for post in upcoming]), unconnected_clause())
            .with_only_columns(Post.id))} if upcoming else {}
        will_fail.update({post.id: "policy" for post in upcoming if post.id in refusals})
        if not upcoming:
            held_total = session.scalar(posts().where(_held_soon(now)).with_only_columns(func.count(Post.id))) or 0
    if view in ("overview", "published"):
        published, published_total = first(
            and_(Post.state == State.published, Post.published_at >= now - PUBLISHED_WINDOW),
            Post.published_at.desc(), Post.id.desc())
    if view in ("overview", "problems"):
        problems, kinds = _problems(session, posts, shown, now, limit, refusals)
        problems_total, overdue_total = sum(kinds.values()), kinds.get("overdue", 0)
    else:  # the other views say it too, above their panels
        overdue_total = session.scalar(posts().where(overdue_clause(now)).with_only_columns(func.count(Post.id))) or 0
    if view == "overview":
        # Which markets have posts going out within the day: their rows come before those with nothing to do soon.
        due = posts().where(Post.state == State.scheduled, Post.scheduled_at < now + AHEAD)
        for market_id, n in session.execute(due.with_only_columns(Account.market_id, func.count(Post.id))
                                            .group_by(Account.market_id)):
            rows[market_id].due_soon = n
    stops = stops_over(session, rows)
    if view == "overview":
        findings = _findings(session, scope, user, market_ids, now)
    # The texts the lists quote, as the viewer reads them: a cabinet, those it was sent, one look at the trail.
    read = _read_by(session, user, [*queue, *upcoming, *published, *(post for post, _kind in problems)])
    return Wall(selection, amber, red, campaign, now, markets=markets,
                by_market=sorted(rows.values(), key=lambda row: (row.urgency, row.market.code)),
                by_network=by_network, queue=[read[post.id] for post in queue], queue_total=queue_total,
                upcoming=[read[post.id] for post in upcoming], published=[read[post.id] for post in published],
                problems=[(read[post.id], kind) for post, kind in problems], upcoming_total=upcoming_total,
                published_total=published_total, problems_total=problems_total, held_total=held_total,
                overdue_total=overdue_total, refusals=refusals, will_fail=will_fail, stops=stops, findings=findings,
                unmatched=unmatched)


def _read_by(session: Session, user: User | None, posts: list[Post]) -> dict[int, Post | AsSent]:
    """``posts`` by id as their viewer reads them (``access.read_by``): a cabinet reads a post back with its
    writers in the text it was last sent, never their draft nor its pictures; a kiosk, as they are."""
    return {post.id: post for post in (read_by(session, user, posts) if user is not None else posts)}


def _held_soon(now: datetime) -> ColumnElement[bool]:
    """Scheduled posts a stop switch or an embargo holds, due within the day or overdue: what "Needs attention"
    lists as held, and what "Nothing goes out in the next 24 hours" counts (a post held for March is not why
    nothing goes out tonight)."""
    return and_(Post.state == State.scheduled, Post.scheduled_at < now + AHEAD, held_clause(now))


def _bound_to_fail_soon(now: datetime) -> ColumnElement[bool]:
    """Scheduled within the day and still to come at its time: neither due yet (then overdue), held nor retrying."""
    return and_(Post.state == State.scheduled, Post.scheduled_at < now + AHEAD, Post.next_attempt_at.is_(None),
                ~overdue_clause(now), ~held_clause(now))


def _refused_soon(session: Session, posts, now: datetime) -> dict[int, policies.GateResult]:  # noqa: ANN001
    """The posts due within the day, on a connected account, that the policy in force refuses (the desk's rule,
    ``policies.refused_among_first``), among the first ``WILL_FAIL_CHECKED`` of them, the soonest first: why, by id.
    The gate runs only on those whose verdict ``WALL_VERDICTS`` does not hold."""
    soon = posts().where(_bound_to_fail_soon(now), ~unconnected_clause()).order_by(Post.scheduled_at, Post.id)
    return policies.refused_among_first(session, soon, WILL_FAIL_CHECKED, memo=WALL_VERDICTS)


def _troubles(now: datetime, refused: Collection[int] = (),
              ) -> tuple[tuple[str, ColumnElement[bool], tuple[SQLColumnExpression[Any], ...]], ...]:
    """What needs a person, the most urgent kind first: due and not out (no worker running: every post waits on
    it), what did not go out, what may have, what will fail at its time, a slot gone by, what a hold keeps back, what
    the worker still tries. Within a kind, what happened the newest first (the room has seen the older ones; the
    newest is where the eye lands), what is coming the soonest first: (kind, which posts, their order).
    The kinds never overlap (their states differ; a held post is neither overdue nor retrying; one bound to fail is
    listed as such until its time): one count adds them up. Overdue and "will fail" are the publishing desk's own
    clauses; so is the policy's refusal (``refused``: the ids ``_refused_soon`` found, a bounded list)."""
    policy = (("policy", Post.id.in_(list(refused)), (Post.scheduled_at, Post.id)),) if refused else ()
    return (
        ("overdue", overdue_clause(now), (Post.scheduled_at.desc(), Post.id.desc())),
        ("failed", Post.state == State.failed, (Post.updated_at.desc(), Post.id.desc())),
        ("unconfirmed", Post.state == State.unconfirmed, (Post.updated_at.desc(), Post.id.desc())),
        # Bound to fail: on an account deactivated or connected to nothing, due within the day, neither due yet (then
        # overdue), held nor retrying.
        ("unconnected", and_(unconnected_clause(), _bound_to_fail_soon(now)), (Post.scheduled_at, Post.id)),
        # Or refused by the market's editorial policy in force (a term forbidden since its approval): the worker will
        # refuse it at its time.
        *policy,
        ("missed", and_(Post.state == State.approved, Post.missed_at.is_not(None)),
         (Post.missed_at.desc(), Post.id.desc())),
        ("held", _held_soon(now), (Post.scheduled_at, Post.id)),
        # Retrying: the worker could not send it (the network refused for now, a rate limit, an address that does not
        # answer) and tries again later; the wall said "nothing to handle" while a post kept failing.
        ("retrying", retrying_clause(now), (Post.next_attempt_at, Post.id)),
    )


def _problems(session: Session, posts, shown, now: datetime,  # noqa: ANN001
              limit: int, refused: Collection[int] = ()) -> tuple[list[tuple[Post, str]], dict[str, int]]:
    """The first ``limit`` posts that need a person, the most urgent kind first (``_troubles``), and how many there
    are of each kind: the newest first whatever the kind, seven rows kept, left an older failure on no screen while
    the panel's count said seven of nine."""
    found: list[tuple[Post, str]] = []
    kinds = _troubles(now, refused)
    for kind, where, order in kinds:
        if len(found) == limit:
            break
        found += [(post, kind) for post in session.scalars(
            posts().where(where).options(*shown).order_by(*order).limit(limit - len(found)))]
    else:
        if len(found) < limit:  # every kind read, none cut
            return found, dict(Counter(kind for _post, kind in found))
    # One statement, a count per kind (they never overlap), each by its own index: one count of their OR read every
    # scheduled post and tried each kind's holds on each (45 ms against 17 at 100,000 posts).
    counts = union_all(*(posts().where(where).with_only_columns(literal(kind, String).label("kind"),
                                                                func.count(Post.id).label("n"))
                         for kind, where, _order in kinds))
    return found, {kind: n for kind, n in session.execute(counts) if n}


def _findings(session: Session, scope: ColumnElement[bool], user: User | None, market_ids: list[int],
              now: datetime) -> list[tuple[str, int]]:
    """The style rules that came back in the most posts this week, in the texts sent for review this week in the
    selected markets (``approval.queries.findings``, which the reports count too), as the viewer reads them (a
    cabinet, those it was sent)."""
    sent = (
        sent_with_findings(select(AuditEntry.post_id, Revision.findings).select_from(AuditEntry))
        .join(Post, Post.id == AuditEntry.post_id).join(Post.account)
        .where(AuditEntry.at >= now - FINDINGS_WINDOW, scope, Account.market_id.in_(market_ids),
               revision_clause(user) if user is not None else true())
    )
    return most_found_in(session, sent, FINDINGS_SHOWN)  # counted by the database: every sending of the week


def stops_over(session: Session, market_ids: Collection[int]) -> list[StopSwitch]:
    """The stop switches on over any of ``market_ids`` (theirs, their campaigns', a group-wide campaign's, everything),
    oldest first, with who turned each on: what the wall's and the dashboard's banners say."""
    stops = list(session.scalars(
        select(StopSwitch).where(StopSwitch.turned_off_at.is_(None))
        .options(selectinload(StopSwitch.market), selectinload(StopSwitch.campaign),
                 selectinload(StopSwitch.turned_on_by))
        .order_by(StopSwitch.turned_on_at)))
    return [s for s in stops if s.market_id in market_ids or (s.market_id is None and s.campaign is None) or (
        s.campaign is not None and (s.campaign.market_id is None or s.campaign.market_id in market_ids))]


def held_by_market(session: Session, user: User, market_ids: Collection[int]) -> dict[int, int]:
    """How many scheduled posts of each of ``market_ids`` that ``user`` sees a stop switch or an embargo holds (as the
    publishing desk lists them held): with a market stopped, its "next to go out" was blank and said nothing of why."""
    if not market_ids:
        return {}
    now = utcnow()
    rows = session.execute(
        select(Account.market_id, func.count(Post.id)).select_from(Post).join(Post.account)
        .where(Account.market_id.in_(list(market_ids)), Post.state == State.scheduled, held_clause(now),
               post_clause(user))
        .group_by(Account.market_id))
    return {market_id: n for market_id, n in rows}


# The dashboard and the API's summary ---------------------------------------------------------------------------


@dataclass(frozen=True)
class MarketSummary:
    code: str
    counts: dict[str, int]
    oldest_in_review_at: datetime | None
    next_scheduled_at: datetime | None


def summary(session: Session, user: User, *, market: str | None = None) -> list[MarketSummary]:
    """Per market ``user`` sees: posts per state, since when the oldest awaits review, when the next goes out (a
    slot to come, not held: an overdue or held post is not "next").

    The counts come from ``post_counts``; the two instants are the first rows of ``(account_id, state, time)`` per
    account, the earliest per market.
    """
    markets = select(Market).where(market_clause(user)).order_by(Market.code)
    if market is not None:
        markets = markets.where(Market.code == market)
    found = list(session.scalars(markets))
    by_id = {m.id: m for m in found}
    account_market = dict(session.execute(select(Account.id, Account.market_id)
                                          .where(Account.market_id.in_(by_id))).all())
    counts = {m.id: dict.fromkeys((s.value for s in State), 0) for m in found}
    for account_id, state, n in session.execute(_kept_counts(user, list(by_id))):
        counts[account_market[account_id]][State(state).value] += n
    firsts = {}
    now = utcnow()
    # Not a slot gone by, nor a post a hold keeps back: one the worker held, or one a stop switch or an embargo
    # covers now (the worker holds it at its time: the wall never lists it as going out either).
    coming = (Post.scheduled_at >= now, Post.held_at.is_(None), ~held_clause(now))
    # A cabinet's posts are those sent to it (``access.scoped_posts``): a post its executive's project managers still
    # review gave its date away while the counts said nothing was in review.
    seen = (post_clause(user),) if user is not None and scope_of(user) is Scope.cabinet else ()
    # The accounts, under another name: inside, ``Account`` is the post's own, joined, as the hold's rule (and the
    # cabinet's scope) name it; correlated to the outer one, a stop switch over one market held every market's posts.
    outer = aliased(Account)
    accounts = select(Account.id).where(account_clause(user), Account.market_id.in_(by_id))
    for state, column, only in ((State.in_review, Post.submitted_at, ()), (State.scheduled, Post.scheduled_at, coming)):
        # Per account, the first row of (account_id, state, time): a few hundred index probes, whatever the size.
        first = (select(column).join(Account, Account.id == Post.account_id)
                 .where(Post.account_id == outer.id, Post.state == state, column.is_not(None), *only, *seen)
                 .order_by(column).limit(1).correlate(outer).scalar_subquery())
        firsts[state] = dict(session.execute(
            select(outer.market_id, func.min(first)).where(outer.id.in_(accounts))
            .group_by(outer.market_id)).all())
    return [MarketSummary(m.code, counts[m.id], firsts[State.in_review].get(m.id), firsts[State.scheduled].get(m.id))
            for m in found]


def _kept_counts(user: User | None, market_ids: list[int]) -> Select:
    """(account, state, n) from ``post_counts`` for the accounts ``user`` sees (all, for a kiosk) in ``market_ids``;
    a cabinet member's few posts counted themselves, as their scope keeps them (sent to the cabinet, not drafting)."""
    if user is not None and scope_of(user) is Scope.cabinet:
        return (select(Post.account_id, Post.state, func.count()).join(Account, Account.id == Post.account_id)
                .where(Account.market_id.in_(market_ids), post_clause(user)).group_by(Post.account_id, Post.state))
    query = (select(PostCount.account_id, PostCount.state, PostCount.n)
             .join(Account, Account.id == PostCount.account_id)
             .where(Account.market_id.in_(market_ids)))
    if user is not None:
        query = query.where(account_clause(user))
    return query


def kiosk_viewer(kiosk: KioskLink) -> Viewer:
    return Viewer(kiosk_markets=tuple(sorted(market.id for market in kiosk.markets)))
