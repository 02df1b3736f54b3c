"""The workflow engine: the only code that changes a post's state.

``apply`` finds the action's row in the transition table, checks role, markets and version, runs the guards and the
effects, writes the new state and appends the audit row, all in the caller's transaction (it flushes, never commits).
``available_actions`` reads the same table to tell which buttons a user sees.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import datetime
from functools import cache
from typing import Any, cast

from flask_babel import gettext as _
from sqlalchemy import Insert, Select, Table, Update, bindparam, func, insert, select, update
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.exc import StaleDataError
from sqlalchemy.types import TypeEngine

from approval import bulk
from approval.access import PostLike, can_see_post
from approval.db import utcnow
from approval.labels import label
from approval.models import Account, AuditEntry, Post, User, audit
from approval.notifications import dispatch as notifications
from approval.style.text import shows_anything
from approval.workflow.errors import GuardFailed, InvalidTransition, NotPermitted, Stale
from approval.workflow.guards import Attempt, url_given
from approval.workflow.states import Action, State
from approval.workflow.table import TOO_LATE, USER_ACTIONS, WORKER_ROWS, Transition, rows_for


@dataclass(frozen=True)
class TrailEntry:
    """The audit row an action wrote, as a value: the row itself lives in the table and is never written again."""

    post_id: int
    action: Action
    from_state: State
    to_state: State
    actor_id: int | None
    at: datetime
    comment: str | None
    revision_id: int | None
    payload: dict[str, Any] = field(default_factory=dict)


def find_transition(post: PostLike, action: Action, actor: User) -> Transition:
    """The row that governs ``action`` on ``post`` for ``actor``, or the typed reason there is none."""
    _check_can_act(post, actor)
    return _row_for(post, action, actor)


def _row_for(post: PostLike, action: Action, actor: User) -> Transition:
    rows = rows_for(action)
    # An action with no row yet (retry before the worker exists) is not possible here, whoever asks.
    if rows and not any(actor.role in row.roles for row in rows):
        raise NotPermitted(_("Your role may not %(action)s a post.", action=_action_words(action)))
    here = [row for row in rows if post.state in row.sources and row.applies(post)]
    if not here and post.state in TOO_LATE:
        too_late = str(TOO_LATE[post.state])
        raise InvalidTransition(too_late, {"_workflow": [too_late]})
    if not here:
        raise InvalidTransition(
            _("“%(action)s” is not possible while the post is %(state)s.", action=_action_words(action),
              state=_state_words(post.state)),
            {"_workflow": [_("Not possible from the state %(state)s.", state=_state_words(post.state))]},
        )
    for row in here:
        if actor.role in row.roles:
            return row
    raise NotPermitted(_("Your role may not do this while the post is %(state)s.", state=_state_words(post.state)))


def apply(
    session: Session,
    post: Post,
    action: Action | str,
    actor: User,
    *,
    expected_version: int | None = None,
    comment: str | None = None,
    now: datetime | None = None,
    **params: Any,
) -> TrailEntry:
    """Take ``action`` on ``post`` as ``actor``; returns the audit row written with the change."""
    try:
        action = Action(action)
    except ValueError:
        raise InvalidTransition(_("Unknown action."), {"action": [_("Unknown action.")]}) from None
    _check_can_act(post, actor)
    check_fresh(post, expected_version)
    row = _row_for(post, action, actor)

    comment = (comment or "").strip() or None
    if comment is not None and not shows_anything(comment):
        comment = None  # zero-width characters alone are no comment, where one is required
    attempt = Attempt(post=post, actor=actor, now=now or utcnow(), comment=comment, params=params)
    errors: dict[str, list[str]] = {}
    if row.comment_required and not comment:
        errors["comment"] = [_("A comment is required to %(action)s.", action=str(row.label).lower())]
    for guard in row.guards:
        for name, reasons in guard(attempt).items():
            errors.setdefault(name, []).extend(reasons)
    if errors:
        raise GuardFailed(_("“%(action)s” was refused.", action=row.label), errors,
                          findings=attempt.record.get("findings") if "body" in errors else None)

    from_state = post.state
    revisions_before = (post.current_revision_id, post.approved_revision_id)
    for effect in row.effects:
        effect(attempt)
    post.state = row.target
    post.updated_at = attempt.now  # the step's time, in the same UPDATE (the column's clock would stamp it now)
    session.flush()  # the post's UPDATE, which checks its version
    if (post.current_revision_id, post.approved_revision_id) != revisions_before:
        # The relationships are read-only views of these ids: reload them when an effect moved an id.
        session.expire(post, ["current_revision", "approved_revision"])
    entry = TrailEntry(
        post_id=post.id, action=action, from_state=from_state, to_state=row.target, actor_id=actor.id,
        at=attempt.now, comment=comment, revision_id=post.current_revision_id, payload=attempt.record,
    )
    _append_to_trail(session, entry)
    return entry


def propose(session: Session, post: Post, actor: User, proposed_at: datetime | None, *,
            expected_version: int | None = None, now: datetime | None = None) -> TrailEntry:
    """A writer's new proposed time alone, its text unchanged (``operations.edit_post``): whoever may edit the post
    sets it, in any state an edit is possible from. No new revision and no return to review (a proposal is not
    content): the post keeps its state, and an ``edit`` row of the trail says what was proposed
    (``proposal_only``)."""
    _check_can_act(post, actor)
    check_fresh(post, expected_version)
    _row_for(post, Action.edit, actor)
    now = now or utcnow()
    post.proposed_at = proposed_at
    post.updated_at = now
    session.flush()  # the post's UPDATE, which checks its version
    entry = TrailEntry(
        post_id=post.id, action=Action.edit, from_state=post.state, to_state=post.state, actor_id=actor.id, at=now,
        comment=None, revision_id=post.current_revision_id,
        payload={"proposed_at": proposed_at.isoformat() if proposed_at is not None else None, "proposal_only": True},
    )
    _append_to_trail(session, entry)
    return entry


def may_link_live(user: User) -> bool:
    """Whether ``user``'s role may give the live link of a post of their markets: who may confirm one as published."""
    return any(user.role in row.roles for row in rows_for(Action.confirm_published))


def link_live(session: Session, post: Post, actor: User, url: object, *, outbox_url: str | None,
              expected_version: int | None = None, now: datetime | None = None) -> TrailEntry:
    """The address where a post the outbox handed to another tool is online (``operations.add_live_link``), given
    by whoever may confirm a post as published, and read as that action reads its address (``guards.url_given``).
    Not a change of state: the post stays ``published`` with this address, and an ``edit`` row of the trail with no
    new revision (``live_link``, as ``propose``'s ``proposal_only``) keeps the new address, the one it replaces and
    the outbox's (``outbox_url``: None for a post no outbox published, which has the network's address already)."""
    _check_can_act(post, actor)
    if not may_link_live(actor):
        raise NotPermitted(_("Your role may not add the live link of a post."))
    check_fresh(post, expected_version)
    if post.state != State.published:
        raise InvalidTransition(
            _("Only a published post has a live link; this one is %(state)s.", state=_state_words(post.state)),
            {"_workflow": [_("Not possible from the state %(state)s.", state=_state_words(post.state))]})
    if outbox_url is None:
        said = _("This post was not handed to the outbox: its address is the network's own, given when it was "
                 "published.")
        raise InvalidTransition(said, {"_workflow": [said]})
    attempt = Attempt(post=post, actor=actor, now=now or utcnow(), params={"url": url})
    errors = url_given(attempt)
    if errors:
        raise GuardFailed(_("The live link was refused."), errors)
    previous = post.published_url
    post.published_url = attempt.record["url"]
    post.updated_at = attempt.now
    session.flush()  # the post's UPDATE, which checks its version
    entry = TrailEntry(
        post_id=post.id, action=Action.edit, from_state=post.state, to_state=post.state, actor_id=actor.id,
        at=attempt.now, comment=None, revision_id=post.current_revision_id,
        payload={"live_link": True, "url": attempt.record["url"], "previous_url": previous, "outbox_url": outbox_url},
    )
    _append_to_trail(session, entry)
    return entry


@dataclass(frozen=True)
class PostRow:
    """A post the worker locked and read as a row, not loaded as an object (the outbox's sealed posts,
    ``publishing.worker``): what its step reads of it."""

    id: int
    version: int
    state: State
    current_revision_id: int | None


@dataclass(frozen=True)
class Step:
    """A step of the publishing worker on a post it has locked and checked: ``claim``, ``publish``, ``lose``..."""

    post: Post | PostRow
    action: Action
    payload: dict[str, Any] = field(default_factory=dict)
    comment: str | None = None
    #: Other columns of the post the step writes (the outbox's publication: its key, address and time), in the
    #: step's own UPDATE. Given here rather than set on the object, they leave it with no change for the session
    #: to look for: the flush after the steps finds nothing to do without inspecting each post again.
    values: dict[str, Any] = field(default_factory=dict)


def record_step(
    session: Session, post: Post, step: Action, *, now: datetime, payload: dict[str, Any] | None = None,
    comment: str | None = None,
) -> TrailEntry:
    """A step of the publishing worker (``claim``, ``publish``, ``lose``...): the state its row names, and the audit
    row, in the caller's transaction. The worker has locked the post and checked its claim before calling."""
    return record_steps(session, [Step(post, step, payload or {}, comment)], now=now)[0]


def record_steps(session: Session, steps: list[Step], *, now: datetime) -> list[TrailEntry]:
    """Several worker steps at once (a batch of posts published together): every state checked against the rows,
    then the posts written together (``_write_posts``), and their audit rows and notifications by one statement
    each; on PostgreSQL, a batch of rows with its audit rows, and its notices where they can go with them, by one
    (``_write_rows_with_their_trail``)."""
    entries = []
    for step in steps:
        post = step.post
        sources, target = WORKER_ROWS[step.action]
        if post.state not in sources:
            raise InvalidTransition(f"{step.action} is not possible while the post is {post.state}")
        entries.append(TrailEntry(
            post_id=post.id, action=step.action, from_state=post.state, to_state=target, actor_id=None, at=now,
            comment=step.comment, revision_id=post.current_revision_id, payload=step.payload,
        ))
    # The new state goes with the step's other values: the UPDATE writes it, and the object then holds it.
    writes = [(step.post, {**step.values, "state": WORKER_ROWS[step.action][1]}) for step in steps]
    if _write_rows_with_their_trail(session, writes, entries, now):
        return entries
    _write_posts(session, writes, now)
    session.flush()  # what else the steps changed (an account's publishing slot...)
    _append_to_trail(session, *entries)
    return entries


def _write_rows_with_their_trail(session: Session, writes: list[tuple[Post | PostRow, dict[str, Any]]],
                                 entries: list[TrailEntry], now: datetime) -> bool:
    """On PostgreSQL, a batch of posts read as rows (``PostRow``: nothing of theirs for the unit of work to write),
    each with one step and the same columns to write (a batch the outbox published): their UPDATE, their audit rows
    and who is told (``notifications.record``) in one statement, where a statement each cost every batch a round
    trip more; the notices by a statement of their own after it when they cannot go with it
    (``notifications.with_the_change``). False, writing nothing, for any other batch: ``_write_posts`` and
    ``_append_to_trail`` write it."""
    if session.get_bind().dialect.name != "postgresql" or len(writes) < 2 \
            or not all(isinstance(post, PostRow) for post, _values in writes) \
            or len({post.id for post, _values in writes}) < len(writes):
        return False
    groups = _grouped(session, writes, now)
    if len(groups) > 1:
        return False
    [(keys, rows)] = groups.items()
    params = {**bulk.arrays(_post_params(rows), _changed_types(keys)),
              **bulk.arrays(_linked(session, entries), _TRAIL_TYPES, _TRAIL_PREFIX)}
    told = notifications.with_the_change(session, entries, keys)
    written = session.connection().execute(_write_with_trail(keys, told[0] if told else None), {
        **params, **(told[1] if told else {})}).scalar_one()
    _check_written(len(rows), written)
    if told is None:
        notifications.record(session, *entries)
    return True


@cache
def _write_with_trail(keys: tuple[str, ...], told: notifications.AtOnce | None) -> Select[int]:
    """``_update_from_arrays`` and ``_append_batch_to_trail`` in one statement, with the notices ``told`` (if any:
    ``notifications.told_ctes``), counting the posts written. (The statements of a ``WITH`` see the tables as they
    were before it: the audit rows' market is read from the posts as they were before the UPDATE, which never
    changes a post's account; the notices are told where what they read is none of this statement's writes,
    ``notifications.with_the_change``.)"""
    written = _update_from_arrays(keys).returning(_POSTS.c.id).cte("written")
    trail = _append_batch_to_trail().cte("trail")
    return select(func.count()).select_from(written).add_cte(
        trail, *(notifications.told_ctes(*told) if told is not None else ()))


#: The posts' columns a worker step may change, and the UPDATE that writes them: by id, at the version the worker
#: read (the ``WHERE`` of the unit of work's own version check).
_POSTS = cast(Table, Post.__table__)
_POST_COLUMNS = tuple(column.key for column in _POSTS.columns if column.key not in ("id", "version"))


@cache
def _post_relationships() -> tuple[str, ...]:
    return tuple(relationship.key for relationship in sa_inspect(Post).relationships)


def _write_posts(session: Session, posts: list[tuple[Post | PostRow, dict[str, Any]]], now: datetime) -> None:
    """Write the posts' pending changes and the values given with each with one UPDATE per set of changed columns
    (a batch has one), each row's version checked and raised by one, as the unit of work does; the unit of work
    itself writes a versioned row with one UPDATE each (its version check forbids an executemany). The objects are
    then what the database holds: nothing is left for a flush to write again.

    On PostgreSQL the rows come in as arrays the UPDATE joins (``UPDATE ... FROM unnest(...)``): one statement, so
    the posts' statement-level trigger (the hub's counts, migration 0007) runs once for the batch, not once a post.
    SQLite has no arrays, and its triggers run per row anyway: an executemany there."""
    connection = session.connection()
    for keys, rows in _grouped(session, posts, now).items():
        params = _post_params(rows)
        if connection.dialect.name == "postgresql" and len(rows) > 1:
            written = connection.execute(_update_from_arrays(keys), bulk.arrays(params, _changed_types(keys))).rowcount
        else:
            written = connection.execute(_update_each(keys), params).rowcount
        _check_written(len(rows), written)
        for post, changed in rows:
            if isinstance(post, PostRow):
                continue
            for key, value in changed.items():
                set_committed_value(post, key, value)
            set_committed_value(post, "version", post.version + 1)


def _grouped(session: Session, posts: list[tuple[Post | PostRow, dict[str, Any]]], now: datetime
             ) -> dict[tuple[str, ...], list[tuple[Post | PostRow, dict[str, Any]]]]:
    """Each post with what its UPDATE writes (its pending changes, the values given, its time), by the columns
    written: a batch's posts written together have the same."""
    groups: dict[tuple[str, ...], list[tuple[Post | PostRow, dict[str, Any]]]] = {}
    for post, values in posts:
        changed = {} if isinstance(post, PostRow) else _changes(session, post)  # a row has only the step's values
        changed.update(values)
        changed["updated_at"] = now
        groups.setdefault(tuple(sorted(changed)), []).append((post, changed))
    return groups


def _post_params(rows: list[tuple[Post | PostRow, dict[str, Any]]]) -> list[dict[str, Any]]:
    """The parameters of the posts' UPDATE: each row's values, its id and the version it was read at."""
    return [{**{f"v_{key}": value for key, value in changed.items()}, "b_id": post.id, "b_version": post.version}
            for post, changed in rows]


def _check_written(expected: int, written: int) -> None:
    """As the unit of work checks a versioned row: every post written, none changed since it was read."""
    if written != expected:
        raise StaleDataError(f"UPDATE of posts expected to update {expected} row(s); {written} were matched.")


def _changes(session: Session, post: Post) -> dict[str, Any]:
    """The columns of ``post`` set since it was loaded, with their new values."""
    state = sa_inspect(post)
    # Only the attributes set since the post was loaded can have changed (``committed_state`` keeps their values
    # before): their history is read, not every column's.
    if any(state.attrs[name].history.has_changes() for name in _post_relationships()
           if name in state.committed_state):
        session.flush()  # an object moved through a relationship: the unit of work sets its column first
    return {key: getattr(post, key) for key in _POST_COLUMNS
            if key != "updated_at" and key in state.committed_state and state.attrs[key].history.has_changes()}


@cache
def _update_each(keys: tuple[str, ...]) -> Update:
    """One row's UPDATE, by id at the version read, run once per row."""
    return (update(_POSTS).where(_POSTS.c.id == bindparam("b_id"), _POSTS.c.version == bindparam("b_version"))
            .values({**{key: bindparam(f"v_{key}") for key in keys}, "version": _POSTS.c.version + 1}))


@cache
def _changed_types(keys: tuple[str, ...]) -> dict[str, TypeEngine[Any]]:
    """The types of ``_update_from_arrays``' arrays: the rows' ids and versions, then the values of ``keys``."""
    return {"b_id": _POSTS.c.id.type, "b_version": _POSTS.c.version.type,
            **{f"v_{key}": _POSTS.c[key].type for key in keys}}


@cache
def _update_from_arrays(keys: tuple[str, ...]) -> Update:
    """Every row's UPDATE in one statement: the rows' ids, versions and values come as one array per column
    (``bulk.arrays``: a JSON document as its text), ``unnest``ed side by side and joined by id and version (one
    statement, built and compiled once per set of columns, whatever the number of rows)."""
    changed = bulk.unnested(_changed_types(keys), "changed")
    return (update(_POSTS).where(_POSTS.c.id == changed.c.b_id, _POSTS.c.version == changed.c.b_version)
            .values({**{key: bulk.value_of(changed, f"v_{key}", _POSTS.c[key].type) for key in keys},
                     "version": _POSTS.c.version + 1}))


def _linked(session: Session, entries: list[TrailEntry] | tuple[TrailEntry, ...]) -> list[dict[str, Any]]:
    """The audit rows of ``entries``, each with its link in its post's chain (tamper-evident)."""
    rows = [{**vars(entry), "market_of_post": entry.post_id} for entry in entries]
    return [{**row, **link} for row, link in zip(rows, audit.chain(session, rows), strict=True)]


def _append_to_trail(session: Session, *entries: TrailEntry) -> None:
    linked = _linked(session, entries)
    connection = session.connection()
    if connection.dialect.name == "postgresql" and len(linked) > 1 and len({row["post_id"] for row in linked}) == \
            len(linked):
        # A batch of posts, each with one row: one statement (the order of the rows of one post's trail is their
        # ids' order, which ``INSERT ... SELECT`` does not promise; a batch with several rows of a post goes row by
        # row).
        connection.execute(_append_batch_to_trail(), bulk.arrays(linked, _TRAIL_TYPES, _TRAIL_PREFIX))
    else:
        connection.execute(_APPEND_TO_TRAIL, linked[0] if len(linked) == 1 else linked)
    notifications.record(session, *entries)  # who is told, in the same transaction (issue 12)


#: Audit rows are only ever added: one INSERT built once writes them, without the unit of work's bookkeeping for
#: an object that will never change (it cost as much as the post's UPDATE). ``apply`` returns the row's values as
#: an immutable ``TrailEntry``; ``operations.audit_trail`` reads the trail back. The row's market is read by the
#: INSERT itself, from its post's account. (The cast: SQLAlchemy types ``__table__`` as any FromClause, since a class
#: may map a join; this one maps a Table.)
_AUDIT = cast(Table, AuditEntry.__table__)
_APPEND_TO_TRAIL = insert(_AUDIT).values(
    market_id=select(Account.market_id).join(Post, Post.account_id == Account.id)
    .where(Post.id == bindparam("market_of_post")).scalar_subquery())
#: The columns an audit row is given (its market is read from its post's account).
_TRAIL_TYPES = {key: _AUDIT.c[key].type for key in (*(field.name for field in fields(TrailEntry)), "chain_hash")}
#: A batch's audit rows come as arrays named ``trail_`` and the column's (``bulk.unnested``): under the columns' own
#: names, an UPDATE of notifications in the same ``WITH`` (``_write_with_trail``) took them for values to write.
_TRAIL_PREFIX = "trail_"


@cache
def _append_batch_to_trail() -> Insert:
    """``_APPEND_TO_TRAIL`` for a batch of rows in one statement (``bulk``), each row's market from its post's
    account."""
    rows = bulk.unnested(_TRAIL_TYPES, "new_rows", _TRAIL_PREFIX)
    market = (select(Account.market_id).join(Post, Post.account_id == Account.id).where(Post.id == rows.c.post_id)
              .scalar_subquery())
    return insert(_AUDIT).from_select([*_TRAIL_TYPES, "market_id"], select(
        *(bulk.value_of(rows, key, type_) for key, type_ in _TRAIL_TYPES.items()), market))


def check_fresh(post: Post, expected_version: int | None) -> None:
    """Refuse to act on a post that changed since the actor loaded it (``None``: the caller holds no version)."""
    if expected_version is not None and expected_version != post.version:
        raise Stale(_("This post changed since you opened it: reload it to see the newer version."))


def available_actions(post: Post, user: User) -> list[Transition]:
    """The rows ``user`` could take on ``post`` now, in table order: what the page offers as buttons."""
    offered = []
    for action in USER_ACTIONS:
        row = _possible(post, action, user)
        if row is not None:
            offered.append(row)
    return offered


#: The decisions whose absence the post page explains (a reviewer looking for "Approve" on their own revision).
EXPLAINED = (Action.approve,)


def withheld_actions(post: Post, user: User) -> list[str]:
    """Why a decision ``user``'s role could take on ``post`` now is not offered (a guard that already refuses it, as
    the author's own "Approve"): what the page says instead of a button that is simply missing."""
    reasons = [reason for action in EXPLAINED for reason in _display_refusals(post, action, user) or ()]
    return list(dict.fromkeys(reasons))


def can_edit(post: Post, user: User) -> bool:
    return _possible(post, Action.edit, user) is not None


def _possible(post: Post, action: Action, user: User) -> Transition | None:
    try:
        row = find_transition(post, action, user)
    except (NotPermitted, InvalidTransition):
        return None
    return None if _display_refusals(post, action, user, row) else row


def _display_refusals(post: Post, action: Action, user: User, row: Transition | None = None) -> list[str] | None:
    """What the guards a page checks before offering ``action`` say against it (empty: it is offered); None when
    the table has no such action for ``user`` from the post's state."""
    if row is None:
        try:
            row = find_transition(post, action, user)
        except (NotPermitted, InvalidTransition):
            return None
    attempt = Attempt(post=post, actor=user, now=utcnow())
    return [reason for guard in row.guards if guard.on_display for reasons in guard(attempt).values()
            for reason in reasons]


def _check_can_act(post: PostLike, actor: User) -> None:
    if not actor.is_active:
        raise NotPermitted(_("Your account is deactivated."))
    if not can_see_post(actor, post):
        raise NotPermitted(_("This post is outside your markets."))


def _action_words(action: Action) -> str:
    return label(action)


def _state_words(state: State) -> str:
    return label(state)
