"""The transition table: every action a post can undergo, as data.

The engine enforces it and ``available_actions`` reads it to draw the buttons; nothing else decides what may happen.
Several rows may share an action; for a given post, the row whose sources hold its state and whose ``applies``
accepts it is the one that counts (``approve`` leads to ``with_cabinet`` on an executive's account).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import object_session

from approval.models.posts import Comment
from approval.workflow import guards as g
from approval.workflow import inputs as i
from approval.workflow.guards import Attempt, Guard
from approval.workflow.inputs import Input
from approval.workflow.states import WORKER_STEPS, Action, Role, State

if TYPE_CHECKING:
    from approval.models import Campaign

CM, PM, CABINET = Role.community_manager, Role.project_manager, Role.cabinet
Effect = Callable[[Attempt], None]


def _always(_post: object) -> bool:
    return True


def _executive_account(post) -> bool:  # noqa: ANN001
    return post.account.is_executive


def _brand_account(post) -> bool:  # noqa: ANN001
    return not post.account.is_executive


# Effects: what an action writes besides the state (which only the engine writes).
def _mark_submitted(attempt: Attempt) -> None:
    attempt.post.submitted_at = attempt.now


def _record_approval(attempt: Attempt) -> None:
    attempt.post.approved_revision_id = attempt.post.current_revision_id
    attempt.post.approved_by_id = attempt.actor.id


def _send_to_cabinet(attempt: Attempt) -> None:
    post = attempt.post
    if post.sent_to_cabinet_at is None:
        post.sent_to_cabinet_at = attempt.now
        # The last comment written before, read by the post's own UPDATE (under its row's lock): what the writers
        # and the project managers said until now stays between them (``operations.told_from``).
        post.comments_before_cabinet = select(func.coalesce(func.max(Comment.id), 0)).where(
            Comment.post_id == post.id).scalar_subquery()


def _set_schedule(attempt: Attempt) -> None:
    post = attempt.post
    post.scheduled_at = attempt.params["scheduled_at"]
    post.missed_at = post.next_attempt_at = None
    post.clear_hold()


def _seal_style_verdict(attempt: Attempt) -> None:
    """Into ``scheduled`` past ``passes_style_gate``: the post keeps the seal of the verdict (``policies.seal``), with
    which the worker knows, at its claim, whether the gate still passes on the same inputs without running it."""
    attempt.post.gate_seal = g.style_seal(attempt)


def _clear_schedule(attempt: Attempt) -> None:
    attempt.post.scheduled_at = attempt.post.next_attempt_at = None
    attempt.post.clear_hold()


def _due_now(attempt: Attempt) -> None:
    """A retry goes out at the worker's next pass: its slot is now, so the grace period counts from now."""
    post = attempt.post
    post.scheduled_at = attempt.now
    post.missed_at = post.next_attempt_at = None
    post.clear_hold()


def _record_publication(attempt: Attempt) -> None:
    attempt.post.published_url = attempt.record["url"]
    attempt.post.published_at = attempt.now


def _record_copy(attempt: Attempt) -> None:
    """A post made as a copy of another: its trail names the original."""
    if attempt.params.get("copy_of") is not None:
        attempt.record["copy_of"] = attempt.params["copy_of"]


def _release_hold(attempt: Attempt) -> None:
    """Held no more: the worker sends it at its time. The trail keeps which switch had held it."""
    post = attempt.post
    if post.held_by_stop_id is not None:
        attempt.record["stop_id"] = post.held_by_stop_id
    post.clear_hold()
    if (session := object_session(post)) is not None:  # the switch it loaded: the answer's ``hold`` reads it
        session.expire(post, ["held_by_stop"])


def _drop_slot(attempt: Attempt) -> None:
    """The post no longer goes out at the time it had: its page tells which slot was dropped; the trail keeps it."""
    post = attempt.post
    if post.scheduled_at is not None:
        attempt.record["dropped_slot"] = post.scheduled_at.isoformat()
    post.scheduled_at = post.next_attempt_at = None
    post.clear_hold()


def _withdraw_acceptance(attempt: Attempt) -> None:
    """The cabinet takes back what it accepted: the slot goes with it, and so does a slot the post had missed (it
    waited for a new time, which it no longer needs)."""
    _drop_slot(attempt)
    attempt.post.missed_at = None


def _set_proposal(attempt: Attempt) -> None:
    """A time its writer proposes, changes or clears (``proposed_at``, checked by ``operations.check_proposal``):
    no part of the text, it sends nothing back to review; the trail keeps it."""
    if "proposed_at" not in attempt.params:
        return
    when = attempt.params["proposed_at"]
    attempt.post.proposed_at = when
    attempt.record["proposed_at"] = when.isoformat() if when is not None else None


def _keep_slot_as_proposal(attempt: Attempt) -> None:
    """An edit that drops a slot still ahead keeps it as the proposed time when none is set (or the one set has
    passed): approved again, the post is scheduled there in one step (``operations.approve_and_schedule``)."""
    post = attempt.post
    slot = post.scheduled_at
    proposed = post.proposed_at if post.proposed_at is None or post.proposed_at > attempt.now else None
    if slot is not None and slot > attempt.now and proposed is None and "proposed_at" not in attempt.params:
        post.proposed_at = slot
        attempt.record["proposed_at"] = slot.isoformat()
        attempt.record["proposal_from_slot"] = True


def _new_revision(attempt: Attempt) -> None:
    post = attempt.post
    post.current_revision_id = attempt.params["revision"].id
    # Another text is another publication: it goes out under a key of its own (``worker.publishing_key``); the
    # network may remember the last one's (a 503 postponed it, then the text was fixed).
    post.publish_key = None
    if "campaign" in attempt.params:
        # Moved to another campaign (or out of one): the trail names both, as they were called then.
        before, after = post.campaign, attempt.params["campaign"]
        attempt.record["campaign_moved"] = {"from": _named(before), "to": _named(after)}
        post.campaign = after
    _keep_slot_as_proposal(attempt)
    _drop_slot(attempt)
    _set_proposal(attempt)


def _named(campaign: Campaign | None) -> dict[str, object] | None:
    return {"id": campaign.id, "name": campaign.name} if campaign is not None else None


def _resubmitted_by_edit(attempt: Attempt) -> None:
    _new_revision(attempt)
    attempt.post.submitted_at = attempt.now


@dataclass(frozen=True)
class Transition:
    action: Action
    sources: frozenset[State]
    target: State
    roles: frozenset[Role]
    label: str
    guards: tuple[Guard, ...] = ()
    effects: tuple[Effect, ...] = ()
    comment_required: bool = False
    applies: Callable[[object], bool] = _always
    #: What the action takes besides its name and comment (approval.workflow.inputs).
    inputs: tuple[Input, ...] = ()


def _row(action: Action, sources: set[State], target: State, roles: set[Role], label, **kw) -> Transition:  # noqa: ANN001
    return Transition(action, frozenset(sources), target, frozenset(roles), label, **kw)


#: Approving: someone else than the revision's author, no style error under the policy in force, and the sensitive
#: terms acknowledged with a reason.
APPROVAL_GUARDS = (g.not_author_of_revision, g.passes_style_gate, g.acknowledged_warnings)

S = State
TRANSITIONS: tuple[Transition, ...] = (
    _row(Action.submit, {S.draft, S.changes_requested}, S.in_review, {CM, PM}, _l("Submit for review"),
         guards=(g.account_is_active, g.passes_style_gate), effects=(_mark_submitted,)),
    _row(Action.recall, {S.in_review}, S.draft, {CM, PM}, _l("Recall"), guards=(g.author_of_post,)),
    _row(Action.approve, {S.in_review}, S.approved, {PM}, _l("Approve"),
         guards=APPROVAL_GUARDS, effects=(_record_approval,), applies=_brand_account, inputs=(i.ACKNOWLEDGE,)),
    _row(Action.approve, {S.in_review}, S.with_cabinet, {PM}, _l("Approve and send to the cabinet"),
         guards=(*APPROVAL_GUARDS, g.executive_has_cabinet), effects=(_record_approval, _send_to_cabinet),
         applies=_executive_account,
         inputs=(i.ACKNOWLEDGE,)),
    _row(Action.request_changes, {S.in_review}, S.changes_requested, {PM}, _l("Request changes"),
         comment_required=True),
    _row(Action.reject, {S.in_review}, S.rejected, {PM}, _l("Reject"), comment_required=True),
    _row(Action.accept, {S.with_cabinet}, S.approved, {CABINET}, _l("Accept"),
         guards=(g.serves_executive, g.approval_is_current, g.cabinet_member_not_author)),
    _row(Action.request_changes, {S.with_cabinet}, S.changes_requested, {CABINET}, _l("Request changes"),
         guards=(g.serves_executive,), comment_required=True),
    _row(Action.decline, {S.with_cabinet}, S.declined, {CABINET}, _l("Decline"),
         guards=(g.serves_executive,), comment_required=True),
    # The cabinet takes its acceptance back ("she changed her mind") until the worker claims the post: sent back to
    # its writers, or declined, with the reason; a slot it had is dropped in the same step. Its rows alone: a
    # project manager unschedules, or edits it back to review.
    _row(Action.request_changes, {S.approved, S.scheduled}, S.changes_requested, {CABINET}, _l("Request changes"),
         guards=(g.serves_executive,), effects=(_withdraw_acceptance,), comment_required=True,
         applies=_executive_account),
    _row(Action.decline, {S.approved, S.scheduled}, S.declined, {CABINET}, _l("Decline"),
         guards=(g.serves_executive,), effects=(_withdraw_acceptance,), comment_required=True,
         applies=_executive_account),
    _row(Action.schedule, {S.approved}, S.scheduled, {PM}, _l("Schedule"),
         guards=(g.approval_is_current, g.account_is_active, g.scheduled_in_future, g.after_embargo,
                 g.passes_style_gate),
         effects=(_set_schedule, _seal_style_verdict), inputs=(i.SCHEDULED_AT, i.LOCAL_TIME, i.FOLD)),
    _row(Action.unschedule, {S.scheduled}, S.approved, {PM}, _l("Unschedule"), effects=(_clear_schedule,)),
    # A post the worker held at its time, once nothing holds it any more (the switch that held it is off): it goes
    # out at its own time, or within its grace period after it, without a new time (CONTRACT, ``stop off``). The
    # worker releases what an embargo held by itself (WORKER_ROWS).
    _row(Action.release, {S.scheduled}, S.scheduled, {PM}, _l("Release the hold"),
         guards=(g.hold_no_longer_applies, g.slot_not_missed), effects=(_release_hold,)),
    _row(Action.mark_published, {S.approved, S.scheduled}, S.published, {PM}, _l("Mark as published"),
         guards=(g.approval_is_current, g.url_given, g.records_style_check),
         effects=(_clear_schedule, _record_publication), inputs=(i.URL,)),
    _row(Action.mark_published, {S.approved}, S.published, {CABINET}, _l("Mark as published"),
         guards=(g.serves_executive, g.approval_is_current, g.url_given, g.records_style_check),
         effects=(_record_publication,), applies=_executive_account, inputs=(i.URL,)),
    # After the worker could not publish: a new try now (an unknown outcome only once the person read that the
    # network may already show the post), or the address where it did go out.
    _row(Action.retry, {S.failed, S.unconfirmed}, S.scheduled, {PM}, _l("Retry now"),
         guards=(g.approval_is_current, g.account_is_active, g.acknowledged_possible_duplicate, g.passes_style_gate),
         effects=(_due_now, _seal_style_verdict), inputs=(i.ACKNOWLEDGE,)),
    _row(Action.confirm_published, {S.unconfirmed, S.failed}, S.published, {PM}, _l("Confirm as published"),
         guards=(g.approval_is_current, g.url_given), effects=(_record_publication,), inputs=(i.URL,)),
    _row(Action.withdraw, {S.draft, S.changes_requested, S.failed}, S.withdrawn, {CM, PM}, _l("Withdraw")),
    _row(Action.create, {S.draft}, S.draft, {CM, PM}, _l("Create"), effects=(_record_copy, _set_proposal)),
    # Edits: a new revision. Where the post held an approval, or awaited one, it goes (back) to review.
    _row(Action.edit, {S.draft}, S.draft, {CM, PM}, _l("Edit"), effects=(_new_revision,)),
    _row(Action.edit, {S.changes_requested}, S.changes_requested, {CM, PM}, _l("Edit"), effects=(_new_revision,)),
    _row(Action.edit, {S.in_review, S.with_cabinet, S.approved, S.scheduled}, S.in_review, {CM, PM}, _l("Edit"),
         effects=(_resubmitted_by_edit,)),
    # A post the network refused (or a check before sending): its text fixed, it goes back to review.
    _row(Action.edit, {S.failed}, S.in_review, {CM, PM}, _l("Edit"), effects=(_resubmitted_by_edit,)),
)

#: Why no one's action is possible from a state the worker holds: the refusal (409) says so rather than "not possible
#: while ...", so that the cabinet taking back, or a project manager unscheduling, a post being sent knows it is too
#: late, and why.
TOO_LATE: dict[State, object] = {
    S.publishing: _l("Too late: this post is being sent to the network right now and can no longer be stopped "
                     "here. Its page shows the outcome in a moment."),
}

#: The publishing worker's steps (approval.publishing.worker): no role takes them; the engine records them.
WORKER_ROWS: dict[Action, tuple[frozenset[State], State]] = {
    Action.claim: (frozenset({S.scheduled}), S.publishing),
    # From ``scheduled`` directly when the connector is transactional (the outbox): nothing is in flight.
    Action.publish: (frozenset({S.publishing, S.scheduled}), S.published),
    Action.fail: (frozenset({S.publishing, S.scheduled}), S.failed),
    Action.lose: (frozenset({S.publishing}), S.unconfirmed),
    Action.postpone: (frozenset({S.publishing}), S.scheduled),
    Action.hold: (frozenset({S.scheduled}), S.scheduled),
    Action.release: (frozenset({S.scheduled}), S.scheduled),
    Action.miss: (frozenset({S.scheduled}), S.approved),
}
assert set(WORKER_ROWS) == WORKER_STEPS

#: Actions recorded by the engine on behalf of the editor or the worker, never offered as a button nor taken by the
#: API's transitions endpoint. ``release`` is both a worker's step (an embargo lifted) and a project manager's
#: action (a stop switch that held the post is off): a row of TRANSITIONS.
RECORDED_ACTIONS = frozenset({Action.create, Action.edit}) | (WORKER_STEPS - {Action.release})
#: Actions a person triggers with a button or the API's transitions endpoint.
USER_ACTIONS = tuple(a for a in Action if a not in RECORDED_ACTIONS and any(t.action is a for t in TRANSITIONS))


def rows_for(action: Action) -> tuple[Transition, ...]:
    return tuple(t for t in TRANSITIONS if t.action is action)


def inputs_of(action: Action) -> tuple[Input, ...]:
    """The inputs ``action`` declares, across its rows, in declaration order."""
    return tuple(dict.fromkeys(spec for row in rows_for(action) for spec in row.inputs))


#: Every input any action takes, and the actions that take it: the API and the form derive their fields from it.
ALL_INPUTS: dict[str, Input] = {spec.name: spec for row in TRANSITIONS for spec in row.inputs}
ACTIONS_TAKING: dict[str, frozenset[Action]] = {
    name: frozenset(row.action for row in TRANSITIONS if any(spec.name == name for spec in row.inputs))
    for name in ALL_INPUTS
}
