"""Conditions a transition checks before it happens. Each returns the reasons it fails (empty when it passes).

Guards marked ``on_display`` depend only on the post and the actor, so ``available_actions`` also runs them to hide
a button that could only fail (the author's own "Approve"). The others need the action's input and run on the action.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from flask_babel import gettext as _
from sqlalchemy.orm import object_session

from approval import policies
from approval.inputs import web_address
from approval.labels import finding_message, said_in
from approval.style.network import POST_HOSTS, network_name, on_network
from approval.style.text import shows_anything
from approval.workflow.states import State

if TYPE_CHECKING:
    from approval.models import Post, User
    from approval.policies import GateResult


@dataclass
class Attempt:
    """One attempt at an action: what the guards and effects may read."""

    post: Post
    actor: User
    now: datetime
    comment: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    # Filled by guards for the audit row (the style findings at submit, for instance).
    record: dict[str, Any] = field(default_factory=dict)
    # What one guard computed that the next may reuse (the style gate's verdict at approve).
    memo: dict[str, Any] = field(default_factory=dict, repr=False)


@dataclass(frozen=True)
class Guard:
    name: str
    check: Callable[[Attempt], dict[str, list[str]]]
    on_display: bool = False

    def __call__(self, attempt: Attempt) -> dict[str, list[str]]:
        return self.check(attempt)


def guard(*, on_display: bool = False) -> Callable[[Callable[[Attempt], dict[str, list[str]]]], Guard]:
    def wrap(fn: Callable[[Attempt], dict[str, list[str]]]) -> Guard:
        return Guard(fn.__name__, fn, on_display)

    return wrap


WORKFLOW = "_workflow"


def _wrote_current_revision(attempt: Attempt) -> bool:
    revision = attempt.post.current_revision
    return revision is not None and revision.author_id == attempt.actor.id


@guard(on_display=True)
def not_author_of_revision(attempt: Attempt) -> dict[str, list[str]]:
    if _wrote_current_revision(attempt):
        return {WORKFLOW: [_("You wrote this revision: another project manager must approve it.")]}
    return {}


@guard(on_display=True)
def cabinet_member_not_author(attempt: Attempt) -> dict[str, list[str]]:
    """A project manager who wrote a suggestion, then joined the cabinet, does not accept it."""
    if _wrote_current_revision(attempt):
        return {WORKFLOW: [_("You wrote this revision: another member of the cabinet must accept it.")]}
    return {}


@guard(on_display=True)
def author_of_post(attempt: Attempt) -> dict[str, list[str]]:
    post = attempt.post
    authors = {post.created_by_id, post.current_revision.author_id if post.current_revision else None}
    if attempt.actor.id not in authors:
        return {WORKFLOW: [_("Only the author of this post can recall it.")]}
    return {}


@guard(on_display=True)
def serves_executive(attempt: Attempt) -> dict[str, list[str]]:
    executive = attempt.post.account.executive
    if executive is None or attempt.actor not in executive.cabinet:
        return {WORKFLOW: [_("Only a member of this executive's cabinet can answer a suggested message.")]}
    return {}


@guard(on_display=True)
def executive_has_cabinet(attempt: Attempt) -> dict[str, list[str]]:
    """A suggestion sent to a cabinet with no one in it waited there, with no one told and no one to answer it (its
    writer, if a member, does not accept their own: ``cabinet_member_not_author``)."""
    executive = attempt.post.account.executive
    writer = attempt.post.current_revision.author_id if attempt.post.current_revision else None
    if executive is None or not any(member.active and member.id != writer for member in executive.cabinet):
        return {WORKFLOW: [_("No one in this executive's cabinet can accept it: an admin adds a member to the cabinet "
                             "first.")]}
    return {}


@guard(on_display=True)
def approval_is_current(attempt: Attempt) -> dict[str, list[str]]:
    post = attempt.post
    if post.approved_revision_id is None or post.approved_revision_id != post.current_revision_id:
        return {WORKFLOW: [_("The current revision has not been approved.")]}
    return {}


#: The parameter that says the approving project manager read the warnings (the comment gives the reason).
ACKNOWLEDGE = "acknowledge_warnings"


def style_verdict(attempt: Attempt) -> GateResult:
    """The style gate on the post's current revision with the market's policy in force now, once per attempt.

    At ``schedule`` the current revision is the approved one (``approval_is_current`` refuses otherwise): a text
    approved under an older policy is checked against today's."""
    if "style" not in attempt.memo:
        post = attempt.post
        session = object_session(post)
        assert session is not None, "the engine acts on a post of its session"
        attempt.memo["style"] = policies.check_revision(session, post)
    return attempt.memo["style"]


def style_seal(attempt: Attempt) -> str | None:
    """The seal of the gate's verdict on the post's current revision (``policies.seal``) when it found no error and
    the text shows something, else None: what ``passes_style_gate`` let through, bound to the inputs it read."""
    verdict = style_verdict(attempt)
    if verdict.errors or not shows_anything(attempt.post.body):
        return None
    return policies.seal(policies.gate_key(attempt.post))


@guard()
def passes_style_gate(attempt: Attempt) -> dict[str, list[str]]:
    """No error of the style gate (a project manager may acknowledge a warning, never override an error); the audit
    row keeps the policy version and the findings."""
    verdict = style_verdict(attempt)
    attempt.record.update(verdict.record())
    errors = [finding_message(f) for f in verdict.errors]
    if not shows_anything(attempt.post.body):
        errors.insert(0, _("The post has no text."))
    return {"body": errors} if errors else {}


@guard()
def records_style_check(attempt: Attempt) -> dict[str, list[str]]:
    """Never refuses (a manual publication already happened): the audit row keeps what today's policy says of it."""
    attempt.record.update(style_verdict(attempt).record())
    return {}


@guard()
def acknowledged_warnings(attempt: Attempt) -> dict[str, list[str]]:
    """The approving project manager acknowledges the sensitive terms, giving the reason in the comment.

    With ``acknowledge_warnings`` and a comment, every warning of the revision is recorded as overridden (rule, term,
    offsets, reason) in the audit row; without them, the approval is refused when a sensitive term is present."""
    verdict = style_verdict(attempt)
    acknowledged = bool(attempt.params.get(ACKNOWLEDGE))
    if verdict.sensitive and not (acknowledged and attempt.comment):
        errors: dict[str, list[str]] = {}
        terms = ", ".join(dict.fromkeys(f"“{f.params.get('term', '')}”" for f in verdict.sensitive))
        if not acknowledged:
            errors[ACKNOWLEDGE] = [_("This text holds sensitive terms (%(terms)s): confirm that you have read the "
                                     "warnings.", terms=terms)]
        if not attempt.comment:
            errors["comment"] = [_("Say in the comment why these sensitive terms may be published.")]
        return errors
    if acknowledged and attempt.comment and verdict.warnings:
        body = attempt.post.body
        attempt.record["overrides"] = [
            {"rule": f.rule, "term": f.params.get("term") or body[f.start:f.end], "start": f.start, "end": f.end,
             "reason": attempt.comment}
            for f in verdict.warnings
        ]
        attempt.record.setdefault("policy_version", verdict.policy_version)
    return {}


@guard()
def account_is_active(attempt: Attempt) -> dict[str, list[str]]:
    if not attempt.post.account.active:
        return {WORKFLOW: [_("This account is deactivated: nothing can be published on it.")]}
    return {}


def a_year_after(now: datetime) -> datetime:
    """The furthest a post may be scheduled: the same day and time next year (the 28th for a 29 February)."""
    try:
        return now.replace(year=now.year + 1)
    except ValueError:
        return now.replace(year=now.year + 1, day=28)


@guard()
def scheduled_in_future(attempt: Attempt) -> dict[str, list[str]]:
    when = attempt.params.get("scheduled_at")
    field = "local_time" if attempt.params.get("local_time") is not None else "scheduled_at"
    if when is None:
        return {field: [_("Give the date and time of publication.")]}
    if when.tzinfo is None:
        return {field: [_("The time needs its UTC offset.")]}
    if when <= attempt.now:
        return {field: [_("This time is in the past.")]}
    if when > (last := a_year_after(attempt.now)):
        return {field: [_("This time is more than a year ahead: the latest allowed is %(time)s.",
                          time=said_in(last, attempt.post.account.market.timezone))]}
    attempt.record["scheduled_at"] = when.isoformat()
    if attempt.params.get("local_time") is not None:
        attempt.record["local_time"] = attempt.params["local_time"].strftime("%Y-%m-%dT%H:%M")
        attempt.record["zone"] = attempt.post.account.market.timezone
    return {}


@guard()
def after_embargo(attempt: Attempt) -> dict[str, list[str]]:
    """No post of a campaign under embargo is scheduled before the embargo lifts."""
    campaign = attempt.post.campaign
    when = attempt.params.get("scheduled_at")
    if campaign is None or campaign.embargo_until is None or when is None or when >= campaign.embargo_until:
        return {}
    field = "local_time" if attempt.params.get("local_time") is not None else "scheduled_at"
    return {field: [_("The campaign %(campaign)s is under embargo until %(until)s.", campaign=campaign.name,
                      until=said_in(campaign.embargo_until, attempt.post.account.market.timezone))]}


@guard(on_display=True)
def hold_no_longer_applies(attempt: Attempt) -> dict[str, list[str]]:
    """A post the worker held is released by a person only once nothing holds it any more (the stop switch that held
    it is off): a switch still on over it, or its campaign's embargo, keeps it held, and the refusal names it."""
    from approval.publishing.holds import hold_in_force, is_held  # the holds read the models this module serves

    post = attempt.post
    if not is_held(post):
        return {WORKFLOW: [_("This post is not held: there is nothing to release.")]}
    session = object_session(post)
    assert session is not None, "the engine acts on a post of its session"
    hold = hold_in_force(session, post, attempt.now)
    if hold is None:
        return {}
    if hold.stop_id is not None:
        return {WORKFLOW: [_("Stop switch #%(id)s still holds it (%(stop)s): it can be released once that switch "
                             "is off.", id=hold.stop_id, stop=hold.reason.rstrip("."))]}
    if post.held_by_stop_id is not None:  # held by a switch: the worker lifts embargo holds only, not this one
        return {WORKFLOW: [_("Its campaign's embargo still holds it (%(embargo)s): it can be released once the "
                             "embargo lifts.", embargo=hold.reason.rstrip("."))]}
    return {WORKFLOW: [_("Its campaign's embargo still holds it (%(embargo)s): it goes out by itself when the "
                         "embargo lifts.", embargo=hold.reason.rstrip("."))]}


@guard(on_display=True)
def slot_not_missed(attempt: Attempt) -> dict[str, list[str]]:
    """Released, a post goes out at its own time, or within its market's grace period after it: a slot passed
    beyond that is missed (as the worker misses it) and needs a new time."""
    from approval.publishing.controls import MIN_GRACE

    post = attempt.post
    grace = timedelta(minutes=max(post.account.market.grace_minutes, MIN_GRACE))  # as the worker reads it
    if post.scheduled_at is None or post.scheduled_at + grace < attempt.now:
        return {WORKFLOW: [_("Its slot has passed beyond its market's grace period: give it a new time instead.")]}
    return {}


@guard()
def acknowledged_possible_duplicate(attempt: Attempt) -> dict[str, list[str]]:
    """Retrying an unknown outcome may publish the post twice: only once the person says they checked."""
    if attempt.post.state == State.unconfirmed and not attempt.params.get(ACKNOWLEDGE):
        return {ACKNOWLEDGE: [_("The network may already show this post: check it there, then confirm that you "
                                "read this warning, or confirm it as published with its address.")]}
    return {}


@guard()
def url_given(attempt: Attempt) -> dict[str, list[str]]:
    url = web_address(attempt.params.get("url"))
    if url is None:
        return {"url": [_("Give the address (http or https) where the message was published.")]}
    network = attempt.post.account.network
    if not on_network(url, network):  # another network's post, pasted by mistake
        return {"url": [_("This address is not on %(network)s (%(sites)s): give the address of the post there.",
                          network=network_name(network), sites=", ".join(POST_HOSTS[network.value]))]}
    attempt.record["url"] = url
    return {}
