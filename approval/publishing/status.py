"""Where a post stands with publishing, for its page and the API: attempts, hold, missed slot, next try; the worker
holding it, and what a failed one needs before it can go out."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from types import EllipsisType
from typing import TYPE_CHECKING, Any, NamedTuple

from flask_babel import gettext
from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import Session, object_session

from approval.labels import decimal, finding_message, said_in
from approval.models import AuditEntry, Outcome, Post, PublicationAttempt
from approval.publishing import reasons
from approval.publishing.holds import Hold, held_clause, hold_for
from approval.workflow.engine import TrailEntry
from approval.workflow.states import APPROVAL_HOLDING_STATES, Action, State

if TYPE_CHECKING:
    from approval.policies import GateResult

#: A due post not out this long after it became free to go is overdue: the worker's pass takes a moment. Free to go
#: since its time, its next try, or its release from a hold (which leaves its time as it was: released after its
#: time, the post was called overdue at once, and the worker sent it seconds later).
OVERDUE_AFTER = timedelta(minutes=1)
#: A post whose time comes within this is "going out now" on its page ("Publish now" gives it a time 2 s ahead).
GOING_NOW_AHEAD = timedelta(seconds=15)


class Holder(NamedTuple):
    """The worker holding a post going out: since when (its last claim), and its name (host:pid)."""

    since: datetime
    worker: str | None


class Remedy(StrEnum):
    """What a failed post needs before it can go out, by what failed: its page says the next step."""

    edit = "edit"            # its text or its media: edited, the post goes back to review
    reconnect = "reconnect"  # its account: an admin reactivates it, or sets its connector or its address
    answer = "answer"        # the network refused what it was sent: its answer says whether the text is at fault
    retry = "retry"          # nothing to fix on this side: a new try, once the network answers again


#: The worker's reasons (``publishing.reasons``) and what each one asks for.
REMEDIES = {
    reasons.NOT_APPROVED: Remedy.edit, reasons.DIGEST_CHANGED: Remedy.edit, reasons.FILE_CHANGED: Remedy.edit,
    reasons.STYLE_GATE: Remedy.edit, reasons.NO_TEXT: Remedy.edit,
    reasons.DEACTIVATED: Remedy.reconnect, reasons.NOT_CONNECTED: Remedy.reconnect,
    reasons.REDIRECTS_TO: Remedy.reconnect, reasons.REDIRECTS_NOWHERE: Remedy.reconnect,
    reasons.INTERNAL_ADDRESS: Remedy.reconnect, reasons.UNCALLABLE_ADDRESS: Remedy.reconnect,
    reasons.CHECK_FAULT: Remedy.retry, reasons.GAVE_UP_RATE_LIMITED: Remedy.retry,
    reasons.GAVE_UP_FAILING: Remedy.retry,
}
#: A call's outcome, where the worker gave no reason of its own (the network's words alone: ``HTTP 400 {...}``).
OUTCOME_REMEDIES = {
    Outcome.refused: Remedy.answer, Outcome.needs_reconnect: Remedy.reconnect,
    Outcome.rate_limited: Remedy.retry, Outcome.temporary_error: Remedy.retry,
}


@dataclass(frozen=True)
class PublishingStatus:
    attempts: list[PublicationAttempt]
    hold: Hold | None
    missed_at: datetime | None
    next_attempt_at: datetime | None
    #: What a failed post needs (None when not failed, or when its failure was recorded in words alone).
    remedy: Remedy | None = None
    #: The worker holding a post going out (``publishing``): since when, and its name.
    holder: Holder | None = None
    #: Until when that worker holds it (its lease): past it, the next worker's pass settles the post.
    claimed_until: datetime | None = None
    #: Why it failed, missed its slot, was left unconfirmed or waits for a new try, as the publishing desk says it: a
    #: sentence in the reader's language, the network's own words apart (``reasons.told``).
    why: reasons.Told | None = None
    #: The step of the trail ``why`` comes from (``WHY_STEPS``): ``fail``, ``miss``, ``lose`` or ``postpone``.
    step: Action | None = None
    #: When a scheduled post was last released from a hold (``overdue`` counts from then).
    released_at: datetime | None = None

    @property
    def failure(self) -> str | None:
        """Why a failed post failed, in one text (None for a post not failed): ``why``, the network's words after."""
        return _in_one_text(self.why) if self.step == Action.fail else None

    @property
    def missed_because(self) -> str | None:
        """Why a missed slot passed (a hold, the network's waits, the quota, no worker), in one text: ``why``."""
        return _in_one_text(self.why) if self.step == Action.miss else None

    @property
    def last_answer(self) -> str | None:
        """What the network last said, for a post waiting for a new try (its 500, its 429)."""
        return answer(self.attempts[-1]) if self.attempts else None

    def is_overdue(self, post: Post, now: datetime) -> bool:
        return self.hold is None and overdue(post, now, self.released_at)

    def going_now(self, post: Post, now: datetime) -> bool:
        """Free to go, its time come (or coming within ``GOING_NOW_AHEAD``), no new try awaited, and not overdue
        yet: the worker's next pass sends it (a "Publish now", a hold just released after its time)."""
        return (post.state == State.scheduled and self.hold is None and post.held_at is None
                and post.held_by_stop_id is None and post.next_attempt_at is None and post.scheduled_at is not None
                and post.scheduled_at <= now + GOING_NOW_AHEAD and not overdue(post, now, self.released_at))

    def released_late(self, post: Post) -> bool:
        """Released from its hold after its time: it goes out now because a person released it."""
        return self.released_at is not None and post.scheduled_at is not None and self.released_at >= post.scheduled_at

    def overdue_in(self, post: Post, now: datetime) -> int:
        """Seconds until a post going out now is overdue: its page looks again then (static/post_watch.js)."""
        return max(1, math.ceil((free_since(post, self.released_at) + OVERDUE_AFTER - now).total_seconds()))

    @property
    def last_outcome(self) -> Outcome | None:
        return self.attempts[-1].outcome if self.attempts else None

    @property
    def in_flight(self) -> bool:
        """The call has left (an attempt waits for its answer): should the worker not record it, nobody knows
        whether the network took the post."""
        return self.last_outcome == Outcome.sending

    def unsettled(self, now: datetime) -> bool:
        """Going out, its worker's lease ended a while ago, and no worker's pass has settled it: none may be running."""
        return self.claimed_until is not None and self.claimed_until < now - OVERDUE_AFTER

    @property
    def remote_id(self) -> str | None:
        return next((a.remote_id for a in reversed(self.attempts) if a.remote_id), None)

    @property
    def url(self) -> str | None:
        return next((a.url for a in reversed(self.attempts) if a.url), None)


def answer(attempt: PublicationAttempt) -> str | None:
    """What came of an attempt, in the reader's language where the words are the worker's own (``why``), else as the
    network put it."""
    return reasons.text([attempt.why], gettext, decimal) if attempt.why else attempt.message


def overdue(post: Post, now: datetime, released_at: datetime | None | EllipsisType = ...) -> bool:
    """Scheduled, due, and not out a minute after it became free to go (its time, its next try, its release from a
    hold), nor held (the worker stamps a post it finds held): the worker may be down. ``released_at``: its last
    release (``last_release``), when the caller has it; else read, for a post late by its times only."""
    if post.state != State.scheduled or post.scheduled_at is None or post.held_at is not None \
            or post.held_by_stop_id is not None:
        return False
    since = now - OVERDUE_AFTER
    if free_since(post, None) >= since:
        return False
    if released_at is ...:
        session = object_session(post)
        released_at = last_release(session, post.id) if session is not None else None
    return released_at is None or released_at < since


def free_since(post: Post, released_at: datetime | None) -> datetime:
    """Since when a scheduled post is free to go: the latest of its time, its next try and its release."""
    return max(moment for moment in (post.scheduled_at, post.next_attempt_at, released_at) if moment is not None)


def last_release(session: Session, post_id: int) -> datetime | None:
    """When the post was last released from a hold (a project manager, or the worker once an embargo lifted)."""
    return session.scalar(select(AuditEntry.at)
                          .where(AuditEntry.post_id == post_id, AuditEntry.action == Action.release)
                          .order_by(AuditEntry.id.desc()).limit(1))


def overdue_clause(now: datetime) -> ColumnElement[bool]:
    """``overdue`` in SQL, for lists of posts joined with their accounts (the publishing desk, the wall, the command
    line): the same rule."""
    since = now - OVERDUE_AFTER
    return and_(Post.state == State.scheduled, Post.scheduled_at < since,
                or_(Post.next_attempt_at.is_(None), Post.next_attempt_at < since),
                Post.held_at.is_(None), ~held_clause(now), ~released_since(since))


def released_since(since: datetime) -> ColumnElement[bool]:
    """The post was released from a hold at ``since`` or after (the audit trail's index on its action and time)."""
    return select(AuditEntry.id).where(AuditEntry.post_id == Post.id, AuditEntry.action == Action.release,
                                       AuditEntry.at >= since).exists()


def going_clause(now: datetime) -> ColumnElement[bool]:
    """``PublishingStatus.going_now`` in SQL, for lists of posts joined with their accounts (the publishing desk):
    free to go, its time come (or coming within ``GOING_NOW_AHEAD``), no new try awaited, not overdue yet, and not
    taken by a worker yet (still ``scheduled``). A post released after its time is one of them for its first minute."""
    since = now - OVERDUE_AFTER
    return and_(Post.state == State.scheduled, Post.scheduled_at <= now + GOING_NOW_AHEAD,
                Post.next_attempt_at.is_(None), Post.held_at.is_(None), ~held_clause(now),
                or_(Post.scheduled_at >= since, released_since(since)))


def last_releases(session: Session, post_ids: list[int]) -> dict[int, datetime]:
    """When each of ``post_ids`` was last released from a hold (``last_release``, for a list): those never held are
    left out."""
    if not post_ids:
        return {}
    return {post_id: at for post_id, at in session.execute(
        select(AuditEntry.post_id, func.max(AuditEntry.at))
        .where(AuditEntry.post_id.in_(post_ids), AuditEntry.action == Action.release)
        .group_by(AuditEntry.post_id))}


def retrying_clause(now: datetime) -> ColumnElement[bool]:
    """Scheduled, waiting for its next try (or just past it), not held: neither overdue nor simply coming."""
    return and_(Post.state == State.scheduled, Post.next_attempt_at >= now - OVERDUE_AFTER, Post.held_at.is_(None),
                ~held_clause(now))


#: The steps of the trail that say why a post did not go out, each with what a call it ended came to where the step
#: did not record it (``reasons.told``): the publishing desk's lists and the post's page say it alike.
WHY_STEPS = {Action.fail: Outcome.refused, Action.miss: Outcome.temporary_error, Action.lose: Outcome.unknown,
             Action.postpone: Outcome.temporary_error}


def publishing_status(session: Session, post: Post) -> PublishingStatus:
    attempts = list(session.scalars(
        select(PublicationAttempt).where(PublicationAttempt.post_id == post.id).order_by(PublicationAttempt.id)
    ))
    missed = post.state == State.approved and post.missed_at is not None
    going = post.state == State.publishing
    step = (Action.fail if post.state == State.failed else Action.lose if post.state == State.unconfirmed
            else Action.miss if missed else Action.postpone if post.state == State.scheduled and post.next_attempt_at
            else None)
    comment, payload = said = last_steps(session, [post.id], step).get(post.id, (None, None)) if step else (None, None)
    failed = post.state == State.failed and said != (None, None)
    return PublishingStatus(attempts=attempts, hold=hold_for(session, post), missed_at=post.missed_at,
                            next_attempt_at=post.next_attempt_at, remedy=remedy_for(payload) if failed else None,
                            holder=claimed_since(session, [post.id]).get(post.id) if going else None,
                            claimed_until=post.claimed_until if going else None,
                            why=_framed(comment, payload, WHY_STEPS[step]) if step else None, step=step,
                            released_at=last_release(session, post.id) if post.state == State.scheduled else None)


def _in_one_text(told: reasons.Told | None) -> str | None:
    """``told`` as one text, for a reader without the page's quote (the sentence, then the network's words)."""
    if told is None:
        return None
    return f"{told.sentence} {told.words}" if told.words else told.sentence


def remedy_for(payload: dict[str, Any] | None) -> Remedy | None:
    """What a post failed by this step (its audit row's ``payload``) needs: from the worker's first reason, else from
    the call's outcome; None for a step that gives neither (its words are all there is)."""
    for given in (payload or {}).get("why") or ():
        if (remedy := REMEDIES.get(given.get("id"))) is not None:
            return remedy
    outcome = (payload or {}).get("outcome")
    return OUTCOME_REMEDIES.get(Outcome(outcome)) if outcome in set(Outcome) else None


def failure_reasons(session: Session, post_ids: list[int], step: Action = Action.fail) -> dict[int, str]:
    """Why each post last failed (or missed its slot, or was left unconfirmed: ``step``), from its last such step: the
    worker's reasons in the reader's language (``publishing.reasons``), or the comment (the network's words)."""
    told = {post_id: _told(comment, payload) for post_id, (comment, payload) in
            last_steps(session, post_ids, step).items()}
    return {post_id: text for post_id, text in told.items() if text}


def last_steps(session: Session, post_ids: list[int],
                step: Action) -> dict[int, tuple[str | None, dict[str, Any] | None]]:
    """Each post's last ``step``: its comment and its payload."""
    if not post_ids:
        return {}
    rows = session.execute(
        select(AuditEntry.post_id, AuditEntry.comment, AuditEntry.payload)
        .where(AuditEntry.post_id.in_(post_ids), AuditEntry.action == step).order_by(AuditEntry.id)
    ).all()
    return {post_id: (comment, payload) for post_id, comment, payload in rows}  # each post's latest


def _framed(comment: str | None, payload: dict[str, Any] | None, outcome: Outcome) -> reasons.Told | None:
    return reasons.told(comment, payload, outcome=outcome, gettext=gettext, number=decimal)


def _told(comment: str | None, payload: dict[str, Any] | None) -> str | None:
    """A step's reasons in the reader's language where the worker gave its own, else its comment."""
    why = (payload or {}).get("why")
    return reasons.text(why, gettext, decimal) if why else comment


def claimed_since(session: Session, post_ids: list[int]) -> dict[int, Holder]:
    """Since when, and by which worker, each post is held (its last claim): the desk's "Going out now" says how long
    it has been, a call hanging on a slow network as plain as one just begun, and which worker to look at."""
    if not post_ids:
        return {}
    rows = session.execute(
        select(AuditEntry.post_id, AuditEntry.at, AuditEntry.payload)
        .where(AuditEntry.post_id.in_(post_ids), AuditEntry.action == Action.claim).order_by(AuditEntry.id)
    )
    return {post_id: Holder(at, str((payload or {}).get("worker") or "") or None)
            for post_id, at, payload in rows}  # each post's latest


def dropped_slot(post: Post, entry: TrailEntry) -> str | None:
    """What the page says when an edit (of the text or the media: ``entry``, its audit row) dropped the post's
    publishing time, a scheduled post going back to review: which time it was, in the market's zone, and that it
    must be given again."""
    slot = (entry.payload or {}).get("dropped_slot")
    if not slot:
        return None
    time = said_in(datetime.fromisoformat(slot), post.account.market.timezone)
    return gettext("It was scheduled for %(time)s: that time is dropped. Once the post is approved again, a project "
                   "manager schedules it anew.", time=time)


def policy_refusal(verdict: GateResult) -> str | None:
    """Why the policy in force refuses a post (``policies.refused_now``, or the post page's verdict on its current
    text), in the reader's language: the version and the gate's errors. None when nothing refuses it."""
    if not verdict.errors:
        return None
    return gettext("The policy in force (%(version)s) refuses it: %(errors)s", version=verdict.policy_version,
                   errors=" ".join(finding_message(f) for f in verdict.errors))


def policy_warning(post: Post, verdict: GateResult) -> str | None:
    """The post page's warning on a post approved or in review that the policy in force refuses (``verdict``: the gate
    on its current revision, which the page has): why, and what it means for the post, as the desk lists it. None for
    a post the gate lets through, or one nothing was promised of yet (a draft: the editor shows its errors)."""
    if post.state not in (*APPROVAL_HOLDING_STATES, State.in_review) or (reason := policy_refusal(verdict)) is None:
        return None
    if post.state == State.scheduled:
        return gettext("%(reason)s At its time this post will fail: edit the text (it goes back to review), or an "
                       "admin changes the policy.", reason=reason)
    if post.state == State.in_review:
        return gettext("%(reason)s It cannot be approved as it stands: its author edits it, or an admin changes the "
                       "policy.", reason=reason)
    return gettext("%(reason)s It cannot be scheduled as it stands: edit the text (it goes back to review), or an "
                   "admin changes the policy.", reason=reason)


def not_going_out(session: Session, post: Post) -> str | None:
    """What the page says when the post a person just scheduled (a time, "Publish now", a retry) will not go out as
    things stand, so that the promise "it goes out" would be false: a stop switch or an embargo holds it, or its
    account is deactivated or connected to nothing (it would fail at its time). None when it goes."""
    if (hold := hold_for(session, post)) is not None:
        return gettext("Scheduled, but held: %(reason)s Nothing goes out while it holds; the publishing desk lists "
                       "it.", reason=hold.reason)
    if post.account.active is False:
        return gettext("Scheduled, but its account is deactivated: it will fail at its time unless an admin "
                       "reactivates the account.")
    if post.account.connector is None:
        return gettext("Scheduled, but its account is connected to no publishing tool: it will fail at its time "
                       "unless an admin connects the account.")
    return None
