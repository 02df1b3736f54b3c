"""Use cases: what a form or an API call does, in one function each. They flush; the caller commits once.

Every rule lives here or in the workflow engine, so the forms and the API cannot disagree.
"""

from __future__ import annotations

import difflib
import enum
import functools
import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from sqlalchemy import Integer, Select, SQLColumnExpression, bindparam, false, func, select, true
from sqlalchemy.orm import Session, contains_eager, joinedload, selectinload
from sqlalchemy.sql.elements import ColumnElement

from approval import style
from approval.db import utcnow
from approval.labels import label, said_clock, said_in, said_wall
from approval.localtime import skipped, utc_offset
from approval.style.text import shows_anything
from approval.access import (
    VIEWER_ID,
    CommentRow,
    Scope,
    TrailRow,
    can_see_account,
    market_clause,
    named_as_read,
    reads_revision,
    revision_clause,
    scope_of,
    scoped_posts,
    sent_to_cabinet,
    viewer_id,
    visible_markets,
    visible_posts,
)
from approval.models import (
    Account,
    Attachment,
    AuditEntry,
    Campaign,
    Comment,
    Market,
    Post,
    Outcome,
    PostSet,
    PublicationAttempt,
    Revision,
    RevisionMedia,
    User,
    audit,
    revision_sha256,
)
from approval.publishing.connectors import OutboxConnector
from approval.workflow import engine
from approval.workflow.errors import GuardFailed, InvalidTransition, NotPermitted
from approval.workflow.inputs import Kind
from approval.workflow.states import Action, Role, State
from approval.workflow.guards import a_year_after
from approval.workflow.table import RECORDED_ACTIONS, inputs_of, rows_for


class NotFound(LookupError):
    """The object does not exist, or lies outside what the user may see."""


def load_post(session: Session, user: User, post_id: int, *, for_update: bool = False) -> Post:
    """The post, if ``user`` may see it. ``for_update`` locks its row (PostgreSQL) so concurrent writers queue."""
    query = _post_in_scope(scope_of(user), for_update)
    row = session.execute(query, {VIEWER_ID: user.id, "post_id": post_id}).unique().first()
    if row is None:
        raise NotFound(post_id)
    post = row[0]
    if for_update:  # the last link of its audit trail, read under the lock: the next row links to it
        audit.remember_link(session, post.id, row[1])
    if for_update and post.current_revision_id != getattr(post.current_revision, "id", None):
        # The lock waited behind a writer: PostgreSQL hands back the post's row as that writer left it, but the
        # rows joined to it as the query's snapshot saw them (a revision written meanwhile is missing). Read the
        # revisions again, now that the row is ours.
        session.expire(post, ["current_revision", "approved_revision"])
    return post


@functools.cache
def _post_in_scope(scope: Scope, for_update: bool) -> Select[Any]:
    """``load_post``'s query, built once per scope: every view and API call of a post runs it."""
    # The scope already joins the account. Every action reads the account, its market (time zone) with the policy
    # in force (the style gate), and the current revision with its media (the SHA-256 covers them): they come in the
    # same query.
    query = (
        select(Post).join(Post.account)
        .where(scoped_posts(scope, viewer_id()), Post.id == bindparam("post_id", type_=Integer, required=True))
        .options(contains_eager(Post.account).joinedload(Account.market).joinedload(Market.policy_in_force),
                 joinedload(Post.current_revision).joinedload(Revision.media))
    )
    if not for_update:
        return query
    # A locked read also overwrites what the session already held of the post: the row as it is now is the truth.
    # It also reads the last link of the post's audit trail (see approval.models.audit.chain).
    return (query.add_columns(audit.last_link(Post.id)).with_for_update(of=Post)
            .execution_options(populate_existing=True))


# Posts -------------------------------------------------------------------------------------------------------


def create_post(session: Session, actor: User, account: Account, body: str, campaign: Campaign | None = None, *,
                media: Sequence[Attachment] = (), copy_of: Post | None = None, now: datetime | None = None,
                proposed_at: datetime | None = None, post_set: PostSet | None = None,
                comment: str | None = None) -> Post:
    """A new draft on ``account``: its first revision (``body`` and ``media``) and its ``create`` step, at ``now``
    (the clock by default; the demo dates its past work). ``copy_of``: the post it duplicates, which its trail
    names (the caller read that post as ``actor`` may: ``load_post``). ``proposed_at``: when its writer proposes it
    goes out (``check_proposal``), which the ``create`` row keeps. ``post_set``: the set it is written in with
    posts for other accounts (``create_post_set``). ``comment``: the ``create`` row's (where the post came from: a
    command's ``[approval post import (ops@vm-3)]``)."""
    now = now or utcnow()
    check_new_post(actor, account, body, campaign, proposed_at=proposed_at, now=now)
    post = Post(account=account, campaign=campaign, created_by=actor, created_at=now, updated_at=now,
                set_id=post_set.id if post_set is not None else None)
    session.add(post)
    session.flush()
    revision = _add_revision(session, post, actor, _normalise(body), media, campaign=campaign, now=now)
    post.current_revision_id = revision.id
    proposal: dict[str, Any] = {"proposed_at": proposed_at} if proposed_at is not None else {}
    engine.apply(session, post, Action.create, actor, comment=comment, now=now, copy_of=copy_of.id if copy_of else None,
                 **proposal)
    return post


#: The most accounts one message is written for at once (a set's members).
MAX_SET_ACCOUNTS = 12


def check_set_size(count: int) -> None:
    """A set of ``count`` accounts: at most ``MAX_SET_ACCOUNTS``."""
    if count > MAX_SET_ACCOUNTS:
        message = _("One message is written for at most %(max)d accounts at once: you chose %(count)d.",
                    max=MAX_SET_ACCOUNTS, count=count)
        raise GuardFailed(message, {"also_account_ids": [message]})


def create_post_set(session: Session, actor: User, count: int, *, now: datetime | None = None) -> PostSet:
    """The set that ``count`` posts written together for several accounts join (``create_post``'s ``post_set``):
    at most ``MAX_SET_ACCOUNTS`` (``check_set_size``)."""
    check_set_size(count)
    post_set = PostSet(created_by=actor, created_at=now or utcnow())
    session.add(post_set)
    session.flush()
    return post_set


def set_members(session: Session, user: User, set_id: int, *, for_update: bool = False) -> list[Post]:
    """The posts of set ``set_id`` that ``user`` may see, in the order they were written (those of markets they do
    not see are neither listed nor counted). ``for_update`` reads each through ``load_post``'s lock, in id order
    (two bulk actions on one set queue rather than deadlock)."""
    posts = list(session.scalars(visible_posts(user).where(Post.set_id == set_id).order_by(Post.id).options(
        contains_eager(Post.account).joinedload(Account.market), selectinload(Post.current_revision))))
    if not for_update:
        return posts
    return [load_post(session, user, post.id, for_update=True) for post in posts]


class Keep(enum.Enum):
    """``edit_post``'s campaign (or proposed time) when the edit leaves it as it is (None takes the post out of its
    campaign, or clears the proposal)."""

    CAMPAIGN = "keep"
    PROPOSAL = "keep proposal"


def edit_post(session: Session, post: Post, actor: User, body: str, *, expected_version: int | None,
              media: Sequence[Attachment] | None = None,
              campaign: Campaign | None | Keep = Keep.CAMPAIGN,
              proposed_at: datetime | None | Keep = Keep.PROPOSAL,
              now: datetime | None = None) -> engine.TrailEntry | None:
    """Save a new text, new media (``media``: the files and alternative texts in order; None keeps the current
    ones) or another campaign: a new revision, and back to review if the post awaited or held an approval.

    A campaign brings its hashtag, its disclosure, its embargo and its stop switch: what a reviewer approved was the
    post in its campaign, so moving it is an edit like another (its revision's findings see the new campaign).
    Saving the same text, media and campaign changes nothing and returns None. ``approval.media.attach`` adds,
    removes, reorders and describes media through here: one path for every new revision.

    ``proposed_at``: the time the writer now proposes (None: none). A proposal is not content: changed alone, it
    makes no revision and sends nothing back to review (``engine.propose``); with a new revision, its ``edit`` row
    keeps it.
    """
    # Refuse before writing a revision.
    engine.check_fresh(post, expected_version)
    engine.find_transition(post, Action.edit, actor)
    _check_text(body)
    body = _normalise(body)
    current = post.current_revision
    attachments = list(media) if media is not None else attachments_of(current)
    target = post.campaign if isinstance(campaign, Keep) else campaign
    moved = target is not post.campaign
    if moved:
        _check_campaign(target, post.account)
    now = now or utcnow()
    proposal: dict[str, Any] = {}
    if not isinstance(proposed_at, Keep) and proposed_at != post.proposed_at:
        check_proposal(post.account, proposed_at, now)
        proposal["proposed_at"] = proposed_at
    if not moved and current is not None and current.body == body and \
            [a.key() for a in attachments] == [(m.file.sha256, m.alt) for m in current.media]:
        if proposal:
            return engine.propose(session, post, actor, proposal["proposed_at"], expected_version=expected_version,
                                  now=now)
        return None
    revision = _add_revision(session, post, actor, body, attachments, campaign=target, now=now)
    moves: dict[str, Any] = {"campaign": target} if moved else {}
    return engine.apply(session, post, Action.edit, actor, expected_version=expected_version, revision=revision,
                        now=now, **moves, **proposal)


def attachments_of(revision: Revision | None) -> list[Attachment]:
    """A revision's media as a new revision would list them again."""
    return [Attachment.of(m) for m in revision.media] if revision is not None else []


def act_on_post(
    session: Session,
    post: Post,
    action: Action | str,
    actor: User,
    *,
    expected_version: int | None,
    comment: str | None = None,
    now: datetime | None = None,
    **params,
) -> engine.TrailEntry:
    """A workflow action from a button or the API; its comment also joins the post's discussion."""
    if action in RECORDED_ACTIONS:
        # Only create_post and edit_post record these, with the revision they write: asked for here, ``create``
        # would log a change that never happened and ``edit`` would fail for want of a revision.
        raise InvalidTransition(_("Unknown action."), {"action": [_("Unknown action.")]})
    entry = engine.apply(session, post, action, actor, expected_version=expected_version, comment=comment, now=now,
                         **params)
    if entry.comment:
        session.add(Comment(post=post, revision_id=entry.revision_id, author=actor, body=entry.comment,
                            created_at=entry.at))
        session.flush()
    return entry


def outbox_address(session: Session, post: Post) -> str | None:
    """The address the outbox gave ``post`` when it handed it to another tool (``outbox:<id>``, or under the
    instance's base URL), None for a post no outbox published: its publication's attempt keeps it, whatever live
    link was added since (``add_live_link``)."""
    if post.state != State.published:
        return None
    return session.scalar(
        select(PublicationAttempt.url).where(PublicationAttempt.post_id == post.id,
                                             PublicationAttempt.connector == OutboxConnector.name,
                                             PublicationAttempt.outcome == Outcome.published)
        .order_by(PublicationAttempt.id.desc()).limit(1))


def may_add_live_link(user: User) -> bool:
    """Whether ``user``'s role may add the live link of a post the outbox handed on, of their markets: who may confirm
    a post as published (``engine.link_live`` decides; this draws the form)."""
    return user.is_active and engine.may_link_live(user)


def add_live_link(session: Session, post: Post, actor: User, url: object, *, expected_version: int | None,
                  now: datetime | None = None) -> engine.TrailEntry:
    """The address where a post handed to the outbox is online, once the tool that publishes from there put it
    on the network: the post's page, lists and API then link to it. Given again, it corrects the one given before
    (audited again). A post no outbox published (a webhook's, one marked as published by hand) already has the
    network's address: refused (409)."""
    return engine.link_live(session, post, actor, url, outbox_url=outbox_address(session, post),
                            expected_version=expected_version, now=now)


def check_approve_and_schedule(post: Post, actor: User, expected_version: int | None) -> None:
    """Raise as the engine would unless ``actor`` may approve ``post`` (at ``expected_version``) and schedule it in
    the same go: a role that may not schedule, or a suggested message, which goes to its cabinet first. Before
    anything is read of the time or written."""
    engine.check_fresh(post, expected_version)
    row = engine.find_transition(post, Action.approve, actor)
    if not any(actor.role in schedule.roles for schedule in rows_for(Action.schedule)):
        raise NotPermitted(_("Your role may not %(action)s a post.", action=label(Action.schedule)))
    if row.target != State.approved:  # a suggested message goes to its cabinet first, which accepts it
        message = _("A suggested message goes to its cabinet before it is scheduled: approve it alone.")
        raise InvalidTransition(message, {"_workflow": [message]})


def approve_and_schedule(session: Session, post: Post, actor: User, *, expected_version: int | None,
                         comment: str | None = None, now: datetime | None = None,
                         **params: Any) -> tuple[engine.TrailEntry, engine.TrailEntry]:
    """Approve the post, then schedule it at the time its writer proposed: two steps of the engine, each with its
    audit row and every guard of both, in the caller's transaction. A proposal that has passed (or none) is refused
    before anything is approved; a refused schedule (an embargo) leaves the caller to roll the approval back."""
    now = now or utcnow()
    check_approve_and_schedule(post, actor, expected_version)
    refused = _("“%(action)s” was refused.", action=_("Approve and schedule"))
    when = post.proposed_at
    if when is None:
        message = _("No time is proposed for this post: approve it, then schedule it.")
        raise GuardFailed(refused, {"_workflow": [message]})
    if when <= now:
        message = _("The proposed time (%(time)s) has passed: nothing was approved. Approve the post, then choose "
                    "a new time.", time=said_in(when, post.account.market.timezone))
        raise GuardFailed(refused, {"_workflow": [message]})
    approved = act_on_post(session, post, Action.approve, actor, expected_version=expected_version, comment=comment,
                           now=now, **params)
    try:
        scheduled = engine.apply(session, post, Action.schedule, actor, now=now, scheduled_at=when)
    except GuardFailed as schedule_refused:  # about the time, not a field of the decision's form
        reasons = [reason for reasons in schedule_refused.errors.values() for reason in reasons]
        raise GuardFailed(refused, {"_workflow": reasons}) from None
    return approved, scheduled


def proposal_offered(post: Post, user: User, now: datetime | None = None) -> datetime | None:
    """The proposed time ``user`` may approve and schedule ``post`` at in one step, as its page offers: the post's
    "Approve" is offered to them (``engine.available_actions``) and approves it (not a suggested message, which its
    cabinet accepts first), they may schedule, and the time is still ahead. None otherwise."""
    when = post.proposed_at
    if when is None or when <= (now or utcnow()):
        return None
    if not any(user.role in row.roles for row in rows_for(Action.schedule)):
        return None
    approve = next((row for row in engine.available_actions(post, user) if row.action == Action.approve), None)
    return when if approve is not None and approve.target == State.approved else None


def add_comment(session: Session, post: Post, actor: User, body: str) -> Comment:
    """A comment in the post's discussion, told to the people of the post who see it (its author, its reviewers,
    the cabinet it was sent to, who else wrote there), in the same transaction."""
    from approval.notifications import dispatch

    body = body.strip()
    if not shows_anything(body):
        raise GuardFailed(_("The comment is empty."), {"body": [_("Write a comment.")]})
    comment = Comment(post=post, revision_id=post.current_revision_id, author=actor, body=body, created_at=utcnow())
    session.add(comment)
    session.flush()
    dispatch.commented(session, comment)
    return comment


def _normalise(body: str) -> str:
    """The text as stored and hashed: browsers send a textarea's line breaks as CRLF."""
    return body.replace("\r\n", "\n")


def _add_revision(session: Session, post: Post, actor: User, body: str,
                  media: Sequence[Attachment] = (), *, campaign: Campaign | None = None,
                  now: datetime | None = None) -> Revision:
    """A new revision of ``post``: its text, its media in order, and the SHA-256 binding both (a text alone keeps
    the SHA-256 of its text, as every revision before media existed). Its findings are those of the post in
    ``campaign``."""
    from approval.policies import check_body  # the market's policy and the post's campaign, as every check

    number = (session.scalar(select(func.max(Revision.number)).where(Revision.post_id == post.id)) or 0) + 1
    verdict = check_body(session, post.account, body, campaign, media=[a.as_style_item() for a in media])
    revision = Revision(
        post_id=post.id, number=number, body=body, sha256=revision_sha256(body, [a.key() for a in media]),
        author=actor, findings=[f.as_dict(translatable=True) for f in verdict.findings], created_at=now or utcnow(),
    )
    session.add(revision)
    session.flush()
    for position, attachment in enumerate(media):
        session.add(RevisionMedia(revision_id=revision.id, position=position, file=attachment.file,
                                  alt=attachment.alt, name=attachment.name))
    if media:
        session.flush()
        session.expire(revision, ["media"])
    return revision


def _check_text(body: str) -> None:
    """A post's text shows something: spaces or zero-width characters alone are no text (the API's ``body`` is only
    required to be a string of one character or more)."""
    if not shows_anything(body):
        raise GuardFailed(_("The post has no text."), {"body": [_("The post has no text.")]})


def check_new_post(actor: User, account: Account, body: str, campaign: Campaign | None = None, *,
                   proposed_at: datetime | None = None, now: datetime | None = None) -> None:
    """What ``create_post`` refuses, asked before anything is written or stored: the files picked with a new post
    are stored before its row is made, and a post refused then left them in the store for the sweep."""
    if not can_see_account(actor, account):
        raise NotFound(account.id)
    if not actor.is_active:
        raise NotPermitted(_("Your account is deactivated."))
    if actor.role not in (Role.community_manager, Role.project_manager):
        raise NotPermitted(_("Your role may not write posts."))
    if not account.active:
        raise GuardFailed(_("This account is deactivated."), {"account_id": [_("This account is deactivated.")]})
    _check_campaign(campaign, account)
    _check_text(body)
    check_proposal(account, proposed_at, now or utcnow())


def _check_campaign(campaign: Campaign | None, account: Account) -> None:
    if campaign is not None and campaign.market_id not in (None, account.market_id):
        raise GuardFailed(_("This campaign belongs to another market."),
                          {"campaign_id": [_("This campaign belongs to another market.")]})


# Time ---------------------------------------------------------------------------------------------------------


class NonexistentLocalTime(ValueError):
    """A wall-clock time skipped by the zone (the spring daylight-saving gap)."""


class AmbiguousLocalTime(ValueError):
    """A wall-clock time that happens twice in the zone (the autumn change): ``instants`` holds both."""

    def __init__(self, local: datetime, instants: tuple[datetime, datetime]) -> None:
        super().__init__(local)
        self.instants = instants


def local_to_utc(local: datetime, zone: str | ZoneInfo, fold: int | None = None) -> datetime:
    """The instant of a wall-clock time in ``zone``. Refuses a time the zone skips; a time it repeats needs
    ``fold`` (0: the first occurrence, 1: the second). The server's own time zone plays no part."""
    tz = zone if isinstance(zone, ZoneInfo) else ZoneInfo(zone)
    naive = local.replace(tzinfo=None, fold=0)
    first = naive.replace(tzinfo=tz, fold=0).astimezone(UTC)
    second = naive.replace(tzinfo=tz, fold=1).astimezone(UTC)
    if first.astimezone(tz).replace(tzinfo=None) != naive:
        raise NonexistentLocalTime(local)
    if first != second:
        if fold is None:
            raise AmbiguousLocalTime(local, (first, second))
        return second if fold else first
    return first


def check_proposal(account: Account, when: datetime | None, now: datetime | None = None, *,
                   field: str = "proposed_at") -> None:
    """A proposed time as a schedule would take it: an instant with its offset, ahead, and at most a year ahead (the
    market's zone says the latest). None, no proposal, is always fine."""
    if when is None:
        return
    now = now or utcnow()
    if when.tzinfo is None:
        message = _("The time needs its UTC offset.")
    elif when <= now:
        message = _("The proposed time is in the past.")
    elif when > (last := a_year_after(now)):
        message = _("This time is more than a year ahead: the latest allowed is %(time)s.",
                    time=said_in(last, account.market.timezone))
    else:
        return
    raise GuardFailed(_("The proposed time was refused."), {field: [message]})


#: The new-post and edit forms' fields of a proposed time: the names ``instant_in`` gives its reasons under.
PROPOSAL_FIELDS = {"local_time": "proposed_time", "fold": "proposed_fold"}


def proposal_time(account: Account, local_time: datetime, fold: int | None = None,
                  now: datetime | None = None) -> datetime:
    """The instant of a wall-clock time a writer proposes in ``account``'s market zone, as a schedule reads one
    (``instant_in``: a time the clocks skip refused, one they repeat needs ``fold``), checked by ``check_proposal``;
    the reasons name the forms' fields (``PROPOSAL_FIELDS``)."""
    try:
        when = instant_in(local_time, account.market.timezone, fold)
    except GuardFailed as unread:
        raise GuardFailed(_("The proposed time was refused."),
                          {PROPOSAL_FIELDS.get(name, name): reasons for name, reasons in unread.errors.items()}) \
            from None
    check_proposal(account, when, now, field="proposed_time")
    return when


# Reading: listings, the audit trail, revisions and what changed between two ---------------------------------------


def find_posts(
    session: Session,
    user: User,
    *,
    states: Collection[State] = (),
    markets: Collection[str] = (),
    account_id: int | None = None,
    campaign_id: int | None = None,
    updated_since: datetime | None = None,
    before_id: int | None = None,
    limit: int = 50,
) -> list[Post]:
    """The posts ``user`` may see, newest first, filtered (in any of ``states``, of any of ``markets``: none given,
    any; changed at or after ``updated_since``); ``before_id`` continues a listing after its last post.

    Ordered by id, which never changes, so a listing continued later neither skips nor repeats a post.
    """
    query = visible_posts(user).options(contains_eager(Post.account), selectinload(Post.current_revision),
                                        selectinload(Post.approved_revision))
    if states:
        query = query.where(Post.state.in_(set(states)))
    if markets:
        query = query.where(Account.market_id.in_(select(Market.id).where(Market.code.in_(set(markets)))))
    if account_id is not None:
        query = query.where(Post.account_id == account_id)
    if campaign_id is not None:
        query = query.where(Post.campaign_id == campaign_id)
    if updated_since is not None:
        query = query.where(Post.updated_at >= updated_since)
    if before_id is not None:
        query = query.where(Post.id < before_id)
    return list(session.scalars(query.order_by(Post.id.desc()).limit(limit)))


def audit_trail(session: Session, post: Post, viewer: User | None = None) -> list[TrailRow]:
    """Everything that happened to ``post``, oldest first, as ``viewer`` may read it (``told_from``): a row naming
    a revision ``viewer`` does not read (``access.revision_clause``: a cabinet, its writers' drafts) stays, without
    it (``access.Unnamed``), so that the API's trail and the page's history say the same."""
    since = told_from(post, viewer)
    return named_as_read(session.execute(
        select(AuditEntry, _reads(viewer, post, AuditEntry.revision_id))
        .where(AuditEntry.post_id == post.id, *([since.trail] if since else []))
        .order_by(AuditEntry.id).options(selectinload(AuditEntry.revision), selectinload(AuditEntry.actor))
    ))


def post_comments(session: Session, post: Post, viewer: User | None = None) -> list[CommentRow]:
    """The post's discussion, oldest first, as ``viewer`` may read it (``told_from``), each comment naming the
    revision it was written on only if ``viewer`` reads it (``audit_trail``)."""
    since = told_from(post, viewer)
    return named_as_read(session.execute(
        select(Comment, _reads(viewer, post, Comment.revision_id))
        .where(Comment.post_id == post.id, *([since.discussion] if since else []))
        .order_by(Comment.created_at, Comment.id).options(selectinload(Comment.revision), selectinload(Comment.author))
    ))


def _reads(viewer: User | None, post: Post, revision_id: SQLColumnExpression[int | None]) -> ColumnElement[bool]:
    """Whether ``viewer`` reads the revision a row names (``access.reads_revision``); without a viewer, all."""
    return reads_revision(viewer, post.id, revision_id) if viewer is not None else true()


@dataclass(frozen=True)
class ToldFrom:
    """Where a reader starts following a post's story (``told_from``): the trail's rows it reads (``trail``, on
    ``AuditEntry``) and the discussion's comments (``discussion``, on ``Comment``)."""

    trail: ColumnElement[bool]
    discussion: ColumnElement[bool]


def told_from(post: Post, viewer: User | None) -> ToldFrom | None:
    """From where ``viewer`` follows the post's story: a cabinet, from the post's first sending to it (what the
    writers and the project managers said and did before stays between them); everyone else, from the start (None).
    What it reads from then on names only the revisions it reads (``audit_trail``).

    Cut by rows, not by clocks: the trail from the audit row of the first sending on (a post's rows are written one
    after another under its lock, in the order of their ids), the discussion after the last comment written before
    that sending (``Post.comments_before_cabinet``, read by the sending's own UPDATE). By timestamps, a writers' row
    stamped the same instant as the sending, or on a web process whose clock runs ahead, read as written after it,
    and the cabinet's own row on one whose clock runs behind as written before."""
    if viewer is None or viewer.role != Role.cabinet:
        return None
    # Not correlated: the first sending among all of the post's rows, whichever row the outer query reads.
    first = (select(func.min(AuditEntry.id)).where(AuditEntry.post_id == post.id, sent_to_cabinet())
             .correlate(None).scalar_subquery())
    before = post.comments_before_cabinet
    # A post sent before the column existed was given it by its migration; none at all: nothing is told (closed).
    return ToldFrom(trail=AuditEntry.id >= first,
                    discussion=Comment.id > before if before is not None else false())


def post_revisions(session: Session, post: Post, viewer: User) -> list[Revision]:
    """The revisions of a post the caller loaded through ``load_post`` that ``viewer`` reads (``revision_clause``),
    oldest first."""
    return list(session.scalars(select(Revision).where(Revision.post_id == post.id, revision_clause(viewer))
                                .order_by(Revision.number)))


def load_revision(session: Session, post: Post, number: int, viewer: User) -> Revision:
    """Revision ``number`` of a post the caller loaded through ``load_post``, if ``viewer`` reads it."""
    revision = session.scalar(select(Revision).where(Revision.post_id == post.id, Revision.number == number,
                                                     revision_clause(viewer)))
    if revision is None:
        raise NotFound(number)
    return revision


@dataclass(frozen=True)
class DiffOp:
    """One step from an old text to a new one: ``equal`` text kept, ``delete`` text removed, ``insert`` text added."""

    op: str
    text: str


_WORDS = re.compile(r"\s+|\w+|[^\w\s]", re.UNICODE)


#: The largest product of the two changed stretches' lengths (in words and spaces: 2,000 of them each side, about
#: 1,000 words) compared word by word; beyond, the stretch shows as replaced whole.
DIFF_BUDGET = 4_000_000


def diff_texts(old: str, new: str) -> list[DiffOp]:
    """The word-level changes from ``old`` to ``new``: joining the ``equal`` and ``insert`` texts gives ``new``,
    joining the ``equal`` and ``delete`` texts gives ``old``. A replaced stretch is a delete followed by an insert."""
    a, b = _WORDS.findall(old or ""), _WORDS.findall(new or "")
    # The words both share at the start and at the end are kept aside: a word-level diff costs the product of the
    # two lengths (63,000 characters of short words each side took 90 s), and most edits touch a stretch.
    head = 0
    while head < min(len(a), len(b)) and a[head] == b[head]:
        head += 1
    tail = 0
    while tail < min(len(a), len(b)) - head and a[-1 - tail] == b[-1 - tail]:
        tail += 1
    middle_a, middle_b = a[head:len(a) - tail], b[head:len(b) - tail]
    ops: list[DiffOp] = [DiffOp("equal", "".join(a[:head]))] if head else []
    if len(middle_a) * len(middle_b) > DIFF_BUDGET:
        # Too long a stretch rewritten to compare word by word in a page's time: shown as replaced whole.
        ops += [DiffOp("delete", "".join(middle_a)), DiffOp("insert", "".join(middle_b))]
    else:
        # Spaces anchor no match (isjunk): where they were the only tokens two texts shared, each of a thousand
        # spaces matched every other and the comparison took 40 s; a match still extends over the spaces in it.
        matcher = difflib.SequenceMatcher(isjunk=str.isspace, a=middle_a, b=middle_b, autojunk=False)
        for tag, i1, i2, j1, j2 in matcher.get_opcodes():
            if tag in ("delete", "replace"):
                ops.append(DiffOp("delete", "".join(middle_a[i1:i2])))
            if tag in ("insert", "replace"):
                ops.append(DiffOp("insert", "".join(middle_b[j1:j2])))
            if tag == "equal":
                ops.append(DiffOp("equal", "".join(middle_a[i1:i2])))
    if tail:
        ops.append(DiffOp("equal", "".join(a[len(a) - tail:])))
    return [op for op in ops if op.text]


def usable_campaigns(session: Session, user: User) -> list[Campaign]:
    """The campaigns ``user`` may attach a post to: the group-wide ones and those of the markets they see."""
    markets = select(Market.id).where(market_clause(user))
    return list(session.scalars(
        select(Campaign).where(Campaign.market_id.is_(None) | Campaign.market_id.in_(markets))
        .options(selectinload(Campaign.market)).order_by(Campaign.name, Campaign.id)
    ))


# Action input ------------------------------------------------------------------------------------------------


def action_params(post: Post, action: Action | str, **given: object) -> dict:
    """The engine's input for ``action`` from what a person gave, for the inputs its row declares
    (``approval.workflow.inputs``); what it does not declare is ignored. A wall-clock ``local_time`` becomes the
    instant in the account's market zone (``fold`` picks one of a repeated hour)."""
    try:
        specs = inputs_of(Action(action))
    except ValueError:
        return {}
    params: dict[str, Any] = {spec.name: given.get(spec.name) for spec in specs if given.get(spec.name) is not None}
    for spec in specs:
        if spec.kind == Kind.flag:
            params[spec.name] = bool(given.get(spec.name))
    if params.get("local_time") is not None:
        params["scheduled_at"] = instant_in(params["local_time"], post.account.market.timezone, params.get("fold"))
    return params


def skipped_time(local_time: datetime, zone: str) -> str:
    """Why a wall-clock time the clocks skip in ``zone`` is refused, and what to choose instead."""
    jump = skipped(local_time, zone)
    if jump is None:  # not found (a zone's odd history): the plain words
        return _("This time does not exist in %(zone)s: the clocks skip it.", zone=zone)
    shown = said_clock if jump[0].date() == jump[1].date() else said_wall  # Samoa skipped a whole day
    leave, land = (shown(when) for when in jump)
    return _("The clocks skip from %(start)s to %(end)s in %(zone)s on that day: choose %(end)s or later.",
             start=leave, end=land, zone=zone)


def instant_in(local_time: datetime, zone: str, fold: int | None = None) -> datetime:
    """The instant of a wall-clock time a person gave in ``zone``, or ``GuardFailed`` saying why there is none (the
    clocks skip it) or which two it could be (the clocks go back: ``fold`` picks)."""
    try:
        return local_to_utc(local_time, zone, None if fold is None else int(fold))
    except NonexistentLocalTime:
        message = skipped_time(local_time, zone)
    except AmbiguousLocalTime as twice:
        first, second = (i.astimezone(ZoneInfo(zone)) for i in twice.instants)
        shown = [f"{said_clock(when)} {utc_offset(when)}" for when in (first, second)]
        message = _("This time happens twice in %(zone)s, when the clocks go back: choose the first (%(first)s) "
                    "or the second (%(second)s).", zone=zone, first=shown[0], second=shown[1])
        which = _("Say which: fold 0 for the first, 1 for the second.")
        raise GuardFailed(message, {"local_time": [message], "fold": [which]}) from None
    except OverflowError:  # year 1 or 9999 pushed out of range by the zone's offset
        message = _("This time is out of range.")
    raise GuardFailed(message, {"local_time": [message]})


# The style gate for a text that is not a post yet -------------------------------------------------------------


def check_text(
    session: Session, user: User, text: str, *, network: str | None = None, market: str | None = None,
    lang: str | None = None,
) -> list[style.Finding]:
    """What the style gate says about ``text`` on ``network``; with ``market`` (one ``user`` sees), that market's
    languages and policy; ``lang`` names the language when the market has several."""
    from approval.policies import market_context  # the market's policy, as `approval lint --market` applies it

    languages: tuple[str, ...] = (lang,) if lang else ()
    if market is None:
        return style.check(text, style.Context(network=network, languages=languages))
    found = session.scalar(visible_markets(user).where(Market.code == market))
    if found is None:
        message = _("No market %(code)s among yours.", code=market)
        raise GuardFailed(message, {"market": [message]})
    return style.check(text, market_context(session, found, network=network, languages=languages))


