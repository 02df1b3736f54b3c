"""The words of the workflow (CONTRACT.md): states, actions and roles, as str enums whose name is their value."""

from __future__ import annotations

from enum import StrEnum


class State(StrEnum):
    draft = "draft"
    in_review = "in_review"
    changes_requested = "changes_requested"
    with_cabinet = "with_cabinet"
    approved = "approved"
    scheduled = "scheduled"
    publishing = "publishing"
    published = "published"
    failed = "failed"
    unconfirmed = "unconfirmed"
    rejected = "rejected"
    declined = "declined"
    withdrawn = "withdrawn"


class Action(StrEnum):
    submit = "submit"
    recall = "recall"
    approve = "approve"
    request_changes = "request_changes"
    reject = "reject"
    accept = "accept"
    decline = "decline"
    schedule = "schedule"
    unschedule = "unschedule"
    withdraw = "withdraw"
    mark_published = "mark_published"
    retry = "retry"
    confirm_published = "confirm_published"
    # Not buttons: the engine records a post's creation and each new revision under these, so the audit trail
    # tells a post's whole story. An edit sends a post that awaited or held an approval back to review.
    create = "create"
    edit = "edit"
    # Not buttons either: the publishing worker's steps (README, "Publishing"), recorded like every change.
    claim = "claim"          # scheduled -> publishing: a worker took the post, under a lease
    publish = "publish"      # publishing -> published: the network answered with the post's id
    fail = "fail"            # publishing -> failed: the network refused it for good
    lose = "lose"            # publishing -> unconfirmed: the outcome is unknown; never re-sent by itself
    postpone = "postpone"    # publishing -> scheduled: nothing went out (rate limit, 5xx, lease lost before sending)
    hold = "hold"            # scheduled, due, but a stop switch or an embargo covers it
    release = "release"      # scheduled again free to go after a hold
    miss = "miss"            # scheduled -> approved: its slot passed beyond the grace period


class Role(StrEnum):
    community_manager = "community_manager"
    project_manager = "project_manager"
    cabinet = "cabinet"
    admin = "admin"


#: States in which the text still travels towards publication: editing there makes a new revision.
EDITABLE_STATES = frozenset(
    {State.draft, State.changes_requested, State.in_review, State.with_cabinet, State.approved, State.scheduled,
     State.failed}
)
#: States that hold an approval, which must belong to the current revision.
APPROVAL_HOLDING_STATES = frozenset({State.with_cabinet, State.approved, State.scheduled})
#: The worker's steps: recorded in the audit trail, never asked for by a person.
WORKER_STEPS = frozenset({Action.claim, Action.publish, Action.fail, Action.lose, Action.postpone, Action.hold,
                          Action.release, Action.miss})
#: States a post never leaves.
FINAL_STATES = frozenset({State.published, State.rejected, State.declined, State.withdrawn})
