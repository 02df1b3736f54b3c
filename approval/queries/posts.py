"""Lists of posts: the posts list, the review queue and the cabinet inbox, with the same filters everywhere.

``PostFilters`` reads a request's query string leniently (a value that makes no sense is dropped, never a 500) and
writes it back for links, so the filters stay in the URL. ``matching`` turns them into clauses on top of the
user's scope (``approval.access``); ``page_posts`` pages by keyset; ``state_counts`` counts what the other filters
select, for the state chips.

What happened to a post in a period (``action``, ``acted_from``, ``acted_to``): the posts behind a count of the
reports page, read from the audit trail as the report counts them (``reports.acted``, through the index on the
action and the time), in the market the trail names; the page then says how many rows it counted too
(``acted_rows``: a post whose slot failed twice counts twice there, and is listed once).

Text search in each post's current text: on PostgreSQL the post's words (``to_tsvector('simple',
approval_unaccent(body))`` of its current revision, kept by a trigger with a GIN index: migration 0013), each word of
the search a prefix, accents ignored (« ete » finds « été »); on SQLite a LIKE per word over the current revisions.
A cabinet searches the text it reads (``access.read_by``): the last revision it was sent, whose words are read
then (its executives' posts are few), never a text its writers have not sent it.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Select, func, literal_column, select
from sqlalchemy.orm import Session, contains_eager, selectinload
from sqlalchemy.sql.elements import ColumnClause, ColumnElement

from approval.access import market_clause, post_clause, sent_to_cabinet, visible_accounts, visible_markets
from approval.inputs import parse_id
from approval.models import Account, AuditEntry, Campaign, Market, Network, Post, Revision, User
from approval.models.users import user_markets
from approval.queries import reports
from approval.queries.paging import Cursor, Page, keyset
from approval.workflow.states import Role, State

PAGE_SIZE = 50
#: Words of a search beyond these are ignored: a search is a few words, not a paragraph.
MAX_WORDS = 8
_WORD = re.compile(r"[^\W_]+", re.UNICODE)


@dataclass(frozen=True)
class PostFilters:
    market: str | None = None
    network: str | None = None
    account_id: int | None = None
    campaign_id: int | None = None
    state: State | None = None
    author_id: int | None = None
    #: Created on or after this day, and on or before ``created_to`` (UTC days).
    created_from: date | None = None
    created_to: date | None = None
    q: str | None = None
    #: What happened to the post, as the audit trail records it (an action, or ``on_time`` / ``late`` for the
    #: publishing worker's publications: ``reports.LISTED``), on each market's days from ``acted_from`` to ``acted_to``
    #: (both included): the posts behind a count of the reports page. With it, ``market`` is the market the trail
    #: names for it, as the report counts it.
    action: str | None = None
    acted_from: date | None = None
    acted_to: date | None = None
    #: Never read from a URL nor written to one: the posts whose current revision this user did not write (a review
    #: queue: the author of a revision never decides on it), or did (``revision_by``).
    decidable_by: int | None = None
    revision_by: int | None = None

    @classmethod
    def from_args(cls, args: Mapping[str, str], reader: User | None = None) -> PostFilters:
        """The filters of a list's URL; what does not read as a filter is left out. ``reader``: a cabinet member's
        lists take no ``action`` (what happened to a post before it was sent to the cabinet is the writers' and
        the project managers'; ``matching`` ignores it for them too)."""
        market = (args.get("market") or "").strip().upper()
        network = args.get("network") or None
        state = args.get("state") or ""
        q = " ".join((args.get("q") or "").split())[:200]
        action = args.get("action") or ""
        # A period without an action selects nothing by itself: dropped.
        acted = action in reports.LISTED and (reader is None or reader.role != Role.cabinet)
        return cls(
            market=market if re.fullmatch(r"[A-Z]{2}", market) else None,
            network=network if network in Network.__members__ else None,
            account_id=parse_id(args.get("account_id")),
            campaign_id=parse_id(args.get("campaign_id")),
            state=State(state) if state in State.__members__ else None,
            author_id=parse_id(args.get("author_id")),
            created_from=_day(args.get("created_from")),
            created_to=_day(args.get("created_to")),
            q=q or None,
            action=action if acted else None,
            acted_from=_day(args.get("acted_from")) if acted else None,
            acted_to=_day(args.get("acted_to")) if acted else None,
        )

    def without(self, *names: str) -> PostFilters:
        """These filters without ``names`` (without the action, without its period either)."""
        if "action" in names:
            names = (*names, "acted_from", "acted_to")
        return replace(self, **dict.fromkeys(names))

    def args(self) -> dict[str, str]:
        """The filters as query-string arguments, for links that keep them."""
        out = {}
        for name, value in asdict(self).items():
            if value is not None and name not in _INTERNAL:
                out[name] = value.isoformat() if isinstance(value, date) else str(value)
        return out

    @property
    def active(self) -> list[str]:
        return [f.name for f in fields(self) if getattr(self, f.name) is not None]


#: The filters a view sets for itself, that no link carries.
_INTERNAL = frozenset({"decidable_by", "revision_by"})


#: The days a filter may name: beyond them a date means nothing for a post (and a day after 9999-12-31 overflows).
_FIRST_DAY, _LAST_DAY = date(1970, 1, 1), date(9000, 12, 31)


def _day(value: str | None) -> date | None:
    try:
        day = date.fromisoformat(value) if value and len(value) <= 10 else None
    except ValueError:
        return None
    return min(max(day, _FIRST_DAY), _LAST_DAY) if day else None


def search_words(text: str) -> list[str]:
    return _WORD.findall(text)[:MAX_WORDS]


#: Each post's words on PostgreSQL (migration 0013): a column the models do not declare, kept by a trigger.
_POST_SEARCH: ColumnClause[Any] = literal_column("posts.search")


def text_match(session: Session, text: str, *, as_sent: bool = False) -> ColumnElement[bool]:
    """A clause on ``Post`` that holds when its current text contains every word of ``text``; ``as_sent``: the text
    of the last revision sent to the cabinet instead (what a cabinet reads)."""
    words = search_words(text)
    if not words:
        return Post.current_revision_id.is_not(None)
    postgresql = session.get_bind().dialect.name == "postgresql"
    query = " & ".join(f"{word}:*" for word in words)
    if postgresql and not as_sent:
        return _POST_SEARCH.bool_op("@@")(func.to_tsquery("simple", func.approval_unaccent(query)))
    if postgresql:  # the trigger's words, of the revision sent
        clause: ColumnElement[bool] = func.to_tsvector("simple", func.approval_unaccent(Revision.body)).bool_op("@@")(
            func.to_tsquery("simple", func.approval_unaccent(query)))
    else:
        clause = Revision.body.ilike(f"%{words[0]}%")
        for word in words[1:]:  # letters and digits only: nothing to escape
            clause = clause & Revision.body.ilike(f"%{word}%")
    if not as_sent:
        return Post.current_revision_id.in_(select(Revision.id).where(clause))
    last_sent = (select(func.max(AuditEntry.revision_id)).where(AuditEntry.post_id == Post.id, sent_to_cabinet())
                 .correlate(Post).scalar_subquery())
    return last_sent.in_(select(Revision.id).where(clause))


def matching(session: Session, user: User, filters: PostFilters) -> Select[Post]:
    """The posts ``user`` sees that pass ``filters``, their account joined; a cabinet's search reads the texts it
    was sent (``text_match``)."""
    query = select(Post).join(Post.account).where(post_clause(user))
    if filters.market and not filters.action:  # with an action: the market of its rows (``_acted_markets``)
        query = query.where(Account.market_id == select(Market.id).where(Market.code == filters.market)
                            .scalar_subquery())
    if filters.network:
        query = query.where(Account.network == filters.network)
    if filters.account_id:
        query = query.where(Post.account_id == filters.account_id)
    if filters.campaign_id:
        query = query.where(Post.campaign_id == filters.campaign_id)
    if filters.state:
        query = query.where(Post.state == filters.state)
    if filters.author_id:
        query = query.where(Post.created_by_id == filters.author_id)
    if filters.created_from:
        query = query.where(Post.created_at >= datetime.combine(filters.created_from, time(), UTC))
    if filters.created_to:
        query = query.where(Post.created_at < datetime.combine(filters.created_to + timedelta(days=1), time(), UTC))
    if filters.decidable_by:
        query = query.where(~select(Revision.id).where(Revision.id == Post.current_revision_id,
                                                       Revision.author_id == filters.decidable_by).exists())
    if filters.revision_by:
        query = query.where(select(Revision.id).where(Revision.id == Post.current_revision_id,
                                                      Revision.author_id == filters.revision_by).exists())
    if filters.q:
        query = query.where(text_match(session, filters.q, as_sent=user.role == Role.cabinet))
    if filters.action and user.role != Role.cabinet:  # a cabinet reads no trail before its first sending
        query = query.where(reports.acted(filters.action, filters.acted_from, filters.acted_to,
                                          _acted_markets(user, filters), session=session))
    return query


def _acted_markets(user: User, filters: PostFilters) -> ColumnElement[bool] | None:
    """The markets whose audit rows an ``action`` filter reads, as the reports page counts them: the one asked for,
    else the user's (a clause on ``Market``; None: every market). A cabinet's posts are scoped by ``post_clause``."""
    if filters.market:
        return Market.code == filters.market
    return None if user.group_wide or user.role == Role.cabinet else market_clause(user)


def acted_rows(session: Session, user: User, filters: PostFilters) -> int | None:
    """How many audit rows of ``filters.action`` the posts the filters select have in its period (a post whose slot
    failed twice counts twice, as on the reports page); None without an action filter."""
    if not filters.action or user.role == Role.cabinet:
        return None
    rows = reports.acted_rows(filters.action, filters.acted_from, filters.acted_to, _acted_markets(user, filters),
                              session=session)
    selected = matching(session, user, filters).with_only_columns(Post.id).order_by(None)
    return session.scalar(select(func.count()).select_from(
        rows.where(AuditEntry.post_id.in_(selected)).subquery())) or 0


#: What a row of a list shows: the account (joined already) with its market, and the current text.
_SHOWN = (contains_eager(Post.account).selectinload(Account.market), selectinload(Post.current_revision))


#: Beyond this many rows, a count says "5000+" instead of counting on (a search matching half the posts).
COUNT_CAP = 5_000
#: The filters ``post_counts`` answers (kept per account and state): with only these, no post is counted.
_KEPT = frozenset({"market", "network", "account_id", "state"})


def count(session: Session, query: Select, cap: int | None = None) -> tuple[int, bool]:
    """How many rows ``query`` selects, counting at most ``cap`` + 1: (n, whether it stopped at the cap)."""
    cap = COUNT_CAP if cap is None else cap
    if _estimate(session, query) > cap:
        return cap, True
    bounded = query.with_only_columns(Post.id).order_by(None).limit(cap + 1).subquery()
    n = session.scalar(select(func.count()).select_from(bounded)) or 0
    return min(n, cap), n > cap


def _estimate(session: Session, query: Select) -> float:
    """PostgreSQL's estimate of the rows ``query`` selects (planning only, no row read); 0 elsewhere.

    A count of a search matching a hundred thousand posts reads them all, capped or not (the text index hands over
    every match at once): when the planner expects far more than the cap, the count is not run at all.
    """
    bind = session.get_bind()
    if bind.dialect.name != "postgresql":
        return 0.0
    compiled = query.with_only_columns(Post.id).order_by(None).compile(
        bind, compile_kwargs={"render_postcompile": True})  # IN lists expanded: the driver gets the final SQL
    plan = session.connection().exec_driver_sql("EXPLAIN (FORMAT JSON) " + str(compiled),
                                                compiled.params).scalar_one()  # one row, one JSON document
    return float(plan[0]["Plan"]["Plan Rows"])


def _kept(session: Session, user: User, filters: PostFilters):  # noqa: ANN202
    """(state, n) rows from ``post_counts`` for the accounts ``filters`` and ``user``'s scope select."""
    from approval.access import account_clause
    from approval.models import PostCount

    query = (select(PostCount.state, func.sum(PostCount.n)).join(Account, Account.id == PostCount.account_id)
             .where(account_clause(user)).group_by(PostCount.state))
    if filters.market:
        query = query.where(Account.market_id == select(Market.id).where(Market.code == filters.market)
                            .scalar_subquery())
    if filters.network:
        query = query.where(Account.network == filters.network)
    if filters.account_id:
        query = query.where(PostCount.account_id == filters.account_id)
    return session.execute(query).all()


def _counted_as_kept(user: User, filters: PostFilters) -> bool:
    """Whether ``post_counts`` answers for ``filters``: filters it counts by, and a user who sees every post of an
    account in those states. A cabinet sees a post only once it was sent to it (``access.scoped_posts``): its posts
    are counted among those it sees, as a search's are."""
    from approval.access import Scope, scope_of

    return set(filters.active) <= _KEPT and scope_of(user) is not Scope.cabinet


def total(session: Session, user: User, filters: PostFilters, selected: Select) -> tuple[int, bool]:
    """How many posts the filters select: from ``post_counts`` when they allow it, else a bounded count."""
    if _counted_as_kept(user, filters):
        counts = {State(state): int(n or 0) for state, n in _kept(session, user, filters)}
        return (counts.get(filters.state, 0) if filters.state else sum(counts.values())), False
    return count(session, selected)


def page_posts(session: Session, user: User, filters: PostFilters, *, cursor: str | None = None,
               limit: int = PAGE_SIZE, exclude: State | None = None,
               matches: list[tuple[int, State]] | None = None) -> Page[Post]:
    """Newest first (by id, which never changes: a listing continued later neither skips nor repeats a post);
    ``exclude`` leaves one state out (the cabinet's other messages). ``matches``: what ``search_matches`` read for
    the same filters, which gives the total and the page's ids without reading the matches again."""
    selected = matching(session, user, filters)
    if exclude is not None:
        selected = selected.where(Post.state != exclude)
    query = selected.options(*_SHOWN)
    if exclude is None and matches is not None and len(matches) <= COUNT_CAP:
        ids = [post_id for post_id, state in matches if not filters.state or state == filters.state]
        n, capped = len(ids), False
        after = Cursor.decode(cursor, (Post.id,))
        if after is not None:  # a cursor that does not decode starts over
            ids = [post_id for post_id in ids if post_id < after.key[0]]
        # The page's rows (and one to know there is a next), by id in the user's scope: the filters were applied.
        query = matching(session, user, PostFilters()).where(Post.id.in_(ids[:limit + 1])).options(*_SHOWN)
    else:
        n, capped = total(session, user, filters, selected) if exclude is None else count(session, selected)
    page = keyset(session, query, (Post.id,), descending=True, cursor=cursor, limit=limit, total=n)
    page.capped = capped
    if filters.action and exclude is None and not capped:
        # The count a report showed for these posts: its audit rows (``page_line`` says it when it differs).
        page.extra["acted"] = acted_rows(session, user, filters)
    return page


def page_oldest_first(session: Session, user: User, filters: PostFilters, order: tuple, *, cursor: str | None,
                      limit: int = PAGE_SIZE) -> Page[Post]:
    """A queue: the longest waiting first, by ``order`` (its last column unique)."""
    selected = matching(session, user, filters)
    n, capped = total(session, user, filters, selected)
    page = keyset(session, selected.options(*_SHOWN), order, descending=False, cursor=cursor, limit=limit, total=n)
    page.capped = capped
    return page


def search_matches(session: Session, user: User, filters: PostFilters) -> list[tuple[int, State]] | None:
    """Every post the filters other than the state select, as ``(id, state)`` newest first (at most
    ``COUNT_CAP`` + 1), read once for the state chips, the total and the page (``state_counts`` and ``page_posts``
    take them). None when there is nothing to read: ``post_counts`` answers the filters, or PostgreSQL expects far
    more matches than ``COUNT_CAP`` (a search for common words)."""
    others = filters.without("state")
    if _counted_as_kept(user, others):
        return None
    selected = matching(session, user, others)
    if _estimate(session, selected) > COUNT_CAP:
        return None
    return [(post_id, State(state)) for post_id, state in session.execute(
        selected.with_only_columns(Post.id, Post.state).order_by(Post.id.desc()).limit(COUNT_CAP + 1))]


def state_counts(session: Session, user: User, filters: PostFilters,
                 matches: list[tuple[int, State]] | None = None) -> dict[State, int] | None:
    """Posts per state among those the other filters select (the state filter itself left out): from
    ``post_counts`` when the filters allow it, else from ``matches`` (``search_matches``), else counted among at
    most ``COUNT_CAP`` matching posts; None when PostgreSQL expects far more matches than that (a search for common
    words): the chips then show no numbers."""
    others = filters.without("state")
    if _counted_as_kept(user, others):
        return {State(state): int(n) for state, n in _kept(session, user, others) if n}
    if matches is not None:
        return dict(Counter(state for _post_id, state in matches[:COUNT_CAP]))
    selected = matching(session, user, others)
    if _estimate(session, selected) > COUNT_CAP:
        return None
    sample = selected.with_only_columns(Post.state).order_by(None).limit(COUNT_CAP).subquery()
    rows = session.execute(select(sample.c.state, func.count()).group_by(sample.c.state)).all()
    return {State(state): n for state, n in rows}


@dataclass(frozen=True)
class FilterChoices:
    """What the filter controls offer: only what the user sees."""

    markets: list[Market]
    networks: list[str]
    accounts: list[Account]
    campaigns: list[Campaign]
    authors: list[User]


def filter_choices(session: Session, user: User) -> FilterChoices:
    markets = list(session.scalars(visible_markets(user)))
    accounts = list(session.scalars(visible_accounts(user).options(selectinload(Account.market))))
    market_ids = {m.id for m in markets}
    campaigns = list(session.scalars(
        select(Campaign).where(Campaign.market_id.is_(None) | Campaign.market_id.in_(market_ids))
        .order_by(Campaign.name, Campaign.id)
    ))
    writers = select(User).where(User.role.in_((Role.community_manager, Role.project_manager)))
    if not user.group_wide:
        writers = writers.where(User.all_markets.is_(True) | User.id.in_(
            select(user_markets.c.user_id).where(user_markets.c.market_id.in_(market_ids))))
    authors = list(session.scalars(writers.order_by(User.name, User.id)))
    # The networks of the accounts the user sees: a cabinet whose executive posts on X and LinkedIn was offered six.
    held = {account.network for account in accounts}
    return FilterChoices(markets, [n.value for n in Network if n in held], accounts, campaigns, authors)
