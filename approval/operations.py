"""Use cases: what a form or an API call does, in one function each. They flush; the caller commits once.

Every rule lives here or in the workflow engine, so the forms and the API cannot disagree.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session, contains_eager, joinedload

from approval import style
from approval.access import can_see_account, visible_posts
from approval.models import Account, AuditEntry, Campaign, Comment, Post, Revision, User, text_sha256
from approval.workflow import engine
from approval.workflow.errors import GuardFailed, InvalidTransition, NotPermitted
from approval.workflow.states import Action, Role
from approval.workflow.table import RECORDED_ACTIONS


class NotFound(LookupError):
    """The object does not exist, or lies outside what the user may see."""


def load_post(session: Session, user: User, post_id: int, *, for_update: bool = False) -> Post:
    """The post, if ``user`` may see it. ``for_update`` locks its row (PostgreSQL) so concurrent writers queue."""
    # The scope already joins the account; the engine reads it and the current revision on every action.
    query = visible_posts(user).where(Post.id == post_id).options(
        contains_eager(Post.account), joinedload(Post.current_revision)
    )
    if for_update:
        query = query.with_for_update(of=Post)
    post = session.scalars(query).first()
    if post is None:
        raise NotFound(post_id)
    return post


# Posts -------------------------------------------------------------------------------------------------------


def create_post(session: Session, actor: User, account: Account, body: str, campaign: Campaign | None = None) -> Post:
    if not can_see_account(actor, account):
        raise NotFound(account.id)
    if not actor.is_active:
        raise NotPermitted(_("Your account is deactivated."))
    if actor.role not in (Role.community_manager, Role.project_manager):
        raise NotPermitted(_("Your role may not write posts."))
    if not account.active:
        raise GuardFailed(_("This account is deactivated."), {"account_id": [_("This account is deactivated.")]})
    _check_campaign(campaign, account)
    post = Post(account=account, campaign=campaign, created_by=actor)
    session.add(post)
    session.flush()
    revision = _add_revision(session, post, actor, _normalise(body))
    post.current_revision_id = revision.id
    engine.apply(session, post, Action.create, actor)
    return post


def edit_post(session: Session, post: Post, actor: User, body: str, *, expected_version: int | None) -> AuditEntry | None:
    """Save a new text: a new revision, and back to review if the post awaited or held an approval.

    Saving the same text changes nothing and returns None.
    """
    # Refuse before writing a revision.
    engine.check_fresh(post, expected_version)
    engine.find_transition(post, Action.edit, actor)
    body = _normalise(body)
    if post.current_revision is not None and post.current_revision.body == body:
        return None
    revision = _add_revision(session, post, actor, body)
    return engine.apply(session, post, Action.edit, actor, expected_version=expected_version, revision=revision)


def act_on_post(
    session: Session,
    post: Post,
    action: Action | str,
    actor: User,
    *,
    expected_version: int | None,
    comment: str | None = None,
    **params,
) -> AuditEntry:
    """A workflow action from a button or the API; its comment also joins the post's discussion."""
    if action in RECORDED_ACTIONS:
        # Only create_post and edit_post record these, with the revision they write: asked for here, ``create``
        # would log a change that never happened and ``edit`` would fail for want of a revision.
        raise InvalidTransition(_("Unknown action."), {"action": [_("Unknown action.")]})
    entry = engine.apply(session, post, action, actor, expected_version=expected_version, comment=comment, **params)
    if entry.comment:
        session.add(Comment(post=post, revision_id=entry.revision_id, author=actor, body=entry.comment))
        session.flush()
    return entry


def add_comment(session: Session, post: Post, actor: User, body: str) -> Comment:
    body = body.strip()
    if not body:
        raise GuardFailed(_("The comment is empty."), {"body": [_("Write a comment.")]})
    comment = Comment(post=post, revision_id=post.current_revision_id, author=actor, body=body)
    session.add(comment)
    session.flush()
    return comment


def _normalise(body: str) -> str:
    """The text as stored and hashed: browsers send a textarea's line breaks as CRLF."""
    return body.replace("\r\n", "\n")


def _add_revision(session: Session, post: Post, actor: User, body: str) -> Revision:
    number = (session.scalar(select(func.max(Revision.number)).where(Revision.post_id == post.id)) or 0) + 1
    findings = style.check(body, style.context_for(post.account))
    revision = Revision(
        post_id=post.id, number=number, body=body, sha256=text_sha256(body), author=actor,
        findings=[f.as_dict() for f in findings],
    )
    session.add(revision)
    session.flush()
    return revision


def _check_campaign(campaign: Campaign | None, account: Account) -> None:
    if campaign is not None and campaign.market_id not in (None, account.market_id):
        raise GuardFailed(_("This campaign belongs to another market."),
                          {"campaign_id": [_("This campaign belongs to another market.")]})


# Time ---------------------------------------------------------------------------------------------------------


class NonexistentLocalTime(ValueError):
    """A wall-clock time skipped by the zone (the spring daylight-saving gap)."""


def local_to_utc(local: datetime, zone: str | ZoneInfo) -> datetime:
    """The instant of a wall-clock time in ``zone``; refuses a time the zone skips. An ambiguous autumn time is
    taken at its first occurrence, as calendars do."""
    tz = zone if isinstance(zone, ZoneInfo) else ZoneInfo(zone)
    aware = local.replace(tzinfo=tz, fold=0)
    instant = aware.astimezone(UTC)
    if instant.astimezone(tz).replace(tzinfo=None) != local.replace(tzinfo=None, fold=0):
        raise NonexistentLocalTime(local)
    return instant
