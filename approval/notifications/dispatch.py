"""Who is told what: one audit row (or a stop switch, or a reminder) becomes notifications for the right people.

Recipients follow roles and markets: a post's market decides who hears of it (a Kenyan community manager hears
nothing of France), its author hears of what happens to it, an executive's cabinet of the suggestions awaiting it and
of what becomes of them once sent to it (scheduled, published, failed, changed after its acceptance, withdrawn), never
of a post it does not see. The one who acted is never told of their own act, nor is a deactivated user. The project
manager who sent a suggested message to the cabinet hears what it decided; the one who scheduled a post, whether it
failed or missed its slot, or its writer proposes another time. A comment in a post's discussion reaches the people of
that post who see it.

Each notification is written by one ``INSERT ... SELECT`` built once per kind and audience: the database finds the
recipients, their mail preference for the kind, and writes the rows, in the transaction of the change, without a
round trip per person. A market with a chat webhook gets its chat message the same way. Every notice a transaction
writes carries the same act (``act_of``): the list reads the notices of one act on the posts of a set as one line.
"""

from __future__ import annotations

import enum
import functools
import json
import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any, NamedTuple, cast

from sqlalchemy import (
    JSON,
    BigInteger,
    Insert,
    Select,
    SQLColumnExpression,
    String,
    Table,
    Update,
    and_,
    bindparam,
    case,
    column,
    exists,
    func,
    insert,
    literal,
    literal_column,
    null,
    or_,
    select,
    update,
)
from sqlalchemy import cast as sql_cast
from sqlalchemy import event
from sqlalchemy.dialects import postgresql
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Mapper, Session
from sqlalchemy.orm.util import identity_key
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.selectable import CTE

from approval import bulk
from approval.access import HIDDEN_FROM_CABINET
from approval.db import UTCDateTime, of_the_transaction
from approval.models import Account, AuditEntry, Campaign, Comment, Post, Revision, StopScope, StopSwitch, User
from approval.models.notifications import (
    ChatMessage,
    MailMode,
    MarketNotificationSettings,
    Notification,
    NotificationKind,
    NotificationPreference,
)
from approval.models.users import cabinet_members, user_markets
from approval.notifications import texts
from approval.publishing import reasons
from approval.workflow.states import Action, Role, State

Kind = NotificationKind


class Audience(enum.Enum):
    author = "author"              # who created the post, while it is in their markets
    market_pms = "market_pms"      # project managers of the post's market (none: the group-wide ones)
    approvers = "approvers"        # who may approve the post's revision: its market's managers but its writer
    #                                (none left: the group-wide ones); a review asked is asked of them
    group_pms = "group_pms"        # project managers of every market: the escalation
    cabinet = "cabinet"            # the cabinet of the executive whose account it is, while it sees the post
    approver = "approver"          # the project manager whose approval sent the post to the cabinet
    reviewers = "reviewers"        # the project managers who approved the post, asked for changes or rejected it
    commenters = "commenters"      # who wrote in the post's discussion, while they see the post
    scheduler = "scheduler"        # the project manager who last scheduled the post
    market_staff = "market_staff"  # community and project managers of a market (a stop switch)
    admins = "admins"              # the admins, who set accounts up: a failure of an account's configuration
    all_staff = "all_staff"        # community and project managers everywhere (a stop switch over everything)


AUTHOR, PMS, SCHEDULER, CABINET = Audience.author, Audience.market_pms, Audience.scheduler, Audience.cabinet
#: What an audit row tells, and to whom: (action, new state) -> (kind, audiences). Entering review is told whatever
#: brought the post there (a submission, or an edit of an approved post).
RULES: dict[tuple[Action | None, State], tuple[Kind, tuple[Audience, ...]]] = {
    (None, State.in_review): (Kind.review_requested, (Audience.approvers,)),
    (Action.approve, State.with_cabinet): (Kind.cabinet_requested, (CABINET,)),
    (Action.request_changes, State.changes_requested): (Kind.changes_requested, (AUTHOR,)),
    (Action.reject, State.rejected): (Kind.rejected, (AUTHOR,)),
    (Action.decline, State.declined): (Kind.declined, (AUTHOR,)),
    (Action.approve, State.approved): (Kind.approved, (AUTHOR,)),
    (Action.accept, State.approved): (Kind.approved, (AUTHOR,)),
    (Action.schedule, State.scheduled): (Kind.scheduled, (AUTHOR,)),
    (Action.publish, State.published): (Kind.published, (AUTHOR,)),
    (Action.mark_published, State.published): (Kind.published, (AUTHOR,)),
    (Action.confirm_published, State.published): (Kind.published, (AUTHOR,)),
    (Action.miss, State.approved): (Kind.missed, (AUTHOR, PMS, SCHEDULER)),
    (Action.fail, State.failed): (Kind.failed, (AUTHOR, PMS, SCHEDULER)),
    (Action.lose, State.unconfirmed): (Kind.unconfirmed, (AUTHOR, PMS, SCHEDULER)),
    # A suggestion withdrawn after its sending: the cabinet that had it in hand hears that it went.
    (Action.withdraw, State.withdrawn): (Kind.withdrawn, (CABINET,)),
}
#: What the cabinet hears too of an executive's words once they were sent to it (a brand post, or one never sent,
#: has no cabinet to tell): the same kind, by a statement of its own. Joined to the others' (``OR``), it made
#: PostgreSQL weigh every person against every post of a batch, where the author alone is found by its key: the
#: worker's 16 published posts took 7 times as long to tell.
CABINET_HEARS = frozenset({(Action.schedule, State.scheduled), (Action.publish, State.published),
                           (Action.mark_published, State.published), (Action.confirm_published, State.published),
                           (Action.miss, State.approved), (Action.fail, State.failed),
                           (Action.lose, State.unconfirmed)})
#: A post that failed for its account's configuration (to reconnect, deactivated, connected to nothing, an address that
#: moved or cannot be called: ``publishing.status.Remedy.reconnect``) is told to the admins, who can fix the account,
#: and to its project managers; not to its community manager, who can do nothing about it.
CONFIGURATION_FAILED = (Kind.failed, (Audience.admins, PMS, SCHEDULER))
#: The cabinet's decisions (from ``with_cabinet``): the project manager who sent it the suggestion hears of them too.
CABINET_DECIDED = (Kind.cabinet_decided, (Audience.approver,))
CABINET_DECISIONS = frozenset({Action.accept, Action.decline, Action.request_changes})
#: The cabinet takes its acceptance back (a request for changes or a decline from ``approved`` or ``scheduled``,
#: which only a cabinet may ask): the project manager who sent it and the one who scheduled it hear of it.
CABINET_TOOK_BACK = (Kind.cabinet_decided, (Audience.approver, SCHEDULER))
#: An edit of a text the cabinet accepted sends it back through review (and drops its slot): the cabinet hears it.
ACCEPTED_CHANGED = (Kind.accepted_changed, (CABINET,))
ACCEPTED_STATES = frozenset({State.approved, State.scheduled, State.failed})
#: What makes a project manager one of a post's reviewers.
REVIEW_DECISIONS = (Action.approve, Action.request_changes, Action.reject)
#: Who hears of a comment in a post's discussion (``commented``): the people of the post who see it.
COMMENT_AUDIENCES = (AUTHOR, Audience.reviewers, CABINET, Audience.commenters)
#: A new version of a market's policy refuses a post on its way (``policies.save_policy``): the worker would fail it
#: at its slot. Told to the market's project managers, who can send it back or have the policy changed, and to the
#: one who scheduled it; not to its community manager (an approved post changes only through a project manager's
#: request), nor to a cabinet (what it accepted is production's business from then on).
POLICY_REFUSES = (Kind.policy_refuses, (PMS, SCHEDULER))
#: The states of a post on its way: approved, or scheduled. A ``policy_refuses`` notice holds while its post stays
#: in them; once it leaves them (an edit sent it back to review, the worker took it), the notice is settled.
ON_ITS_WAY = frozenset({State.approved, State.scheduled})
#: A writer changes the time they propose for a post already decided (``engine.propose``'s ``edit`` row, its
#: ``proposal_only`` payload): those who schedule it hear of it. An approved post waits in the review queue's
#: "Approved, to schedule", which every project manager of its market shares (as a missed slot, which brings a post
#: back there, is told to them): they hear of it, and its reviewers (a group-wide manager who approved it is not
#: one of the market's). A scheduled post's slot is its scheduler's: they hear that it no longer matches. A post not
#: decided yet tells nobody: its reviewer reads the proposal on its page, which offers to approve and schedule at it.
PROPOSAL_CHANGED: dict[State, tuple[Kind, tuple[Audience, ...]]] = {
    State.approved: (Kind.proposal_changed, (Audience.reviewers, PMS)),
    State.scheduled: (Kind.proposal_changed, (SCHEDULER,)),
}
#: The notices that ask for a review (a submission's, the reminder's, the escalation's). Whoever asks for one (the
#: engine, the reminders' pass), it is asked of those who may give it: never of the writer of the post's revision,
#: who may not approve it (``guards.not_author_of_revision``), and the market's reviewers are ``approvers``: a
#: project manager's own post, in a market where they are the only one, went to no one (they are told nothing of
#: their own act; the group-wide managers were told only of a market with no manager of its own) and waited unseen.
ASKS_REVIEW = frozenset({Kind.review_requested, Kind.review_reminder, Kind.review_escalation})
#: What a market's chat hears.
CHAT_KINDS = frozenset({Kind.review_requested, Kind.failed, Kind.missed, Kind.unconfirmed, Kind.policy_refuses})
#: The notifications that ask their readers to act on a post, by the state the post is in while it awaits them: once
#: it leaves that state, whoever moved it (a colleague decided, the author recalled it, an edit sent it back to
#: review), they are settled, marked read for everyone told (``_settled``). An edit within review asks nothing new.
AWAITING: dict[State, tuple[Kind, ...]] = {
    State.in_review: (Kind.review_requested, Kind.review_reminder, Kind.review_escalation),
    State.with_cabinet: (Kind.cabinet_requested, Kind.cabinet_reminder, Kind.cabinet_escalation),
    # What went wrong awaits a person too: a retry, a confirmed address, a new time (or an edit) settles it.
    State.failed: (Kind.failed,),
    State.unconfirmed: (Kind.unconfirmed,),
    State.approved: (Kind.missed,),
}

#: Where a scheduled post goes when the worker takes it at its time: the slot it announced held, whatever came of it.
#: The outbox publishes from ``scheduled`` directly (``workflow.table.WORKER_ROWS``), a refusal fails it there, and a
#: project manager may mark it published: "Your post was scheduled" read as settled beside "Your post was published".
WENT_OUT = frozenset({State.publishing, State.published, State.failed, State.unconfirmed})
#: News that goes stale once its post leaves the state it told of, unless for those it announced: a slot dropped or
#: moved (a calendar move is an unscheduling, then a scheduling told anew); going out as announced leaves it be, for
#: everyone: each reader's is then overtaken by their own notice of what came of it (``OVERTAKEN_BY``).
STALE: dict[State, tuple[tuple[Kind, ...], frozenset[State]]] = {State.scheduled: ((Kind.scheduled,), WENT_OUT)}
#: News that a later notice of the same thing overtakes, and the kinds that overtake it: "Your post was scheduled"
#: once the same post was published, failed, left unconfirmed, missed its slot or was scheduled anew; "A stop switch
#: was turned on" once the same switch was turned off. It stayed unread beside the later notice, asking for attention
#: the later one already had. As the later one is written for a reader, their earlier one is marked read (so is the
#: earlier one of the person whose act it tells, who is told nothing of their own act: ``overtake``); the list says
#: which notice overtook it (``inbox.overtaken``).
OVERTAKEN_BY: dict[Kind, frozenset[Kind]] = {
    Kind.scheduled: frozenset({Kind.scheduled, Kind.published, Kind.failed, Kind.unconfirmed, Kind.missed}),
    # "Your post was approved" says it waits for a slot: once the same post is scheduled, that notice says so and
    # when; once it is published ("Publish now" announces no slot: ``DUE_NOW``), it is online. Either way the
    # approval is said by the later notice, with what came of it. Not by "failed" or "missed": a post reaches them
    # only through "scheduled", which overtook it already. Set approved and scheduled in one go, a writer had two
    # unread notices per post (10 for a set of 5) where one said it all.
    Kind.approved: frozenset({Kind.scheduled, Kind.published}),
    Kind.stop_on: frozenset({Kind.stop_off}),
}
#: The notices of a post that a later one of the same post overtakes (``record``), and every kind that overtakes one.
POST_OVERTAKEN = {kind: later for kind, later in OVERTAKEN_BY.items() if kind is not Kind.stop_on}
OVERTAKING = frozenset().union(*POST_OVERTAKEN.values())
#: Why the mail of an overtaken notification, not sent yet, is not sent (``overtake``), as the mailer notes the mails
#: it chose not to send.
OVERTAKEN = "overtaken by a later notice"
#: A slot this close to its scheduling is "Publish now" (``views.posts.PUBLISH_NOW``, two seconds ahead), or one the
#: worker takes at its next pass: announcing it as scheduled only precedes, by seconds, what came of it.
DUE_NOW = timedelta(seconds=60)
#: The steps whose comment may be the network's own words: their notification keeps what the answer came to
#: (``texts.outcome_note``), so that it is said as the publishing desk says it (``texts.told``).
TOLD_WITH_OUTCOME = frozenset({Action.fail, Action.lose, Action.miss})


def rules_for(action: Action, from_state: State, to_state: State) -> list[tuple[Kind, tuple[Audience, ...]]]:
    if to_state == State.in_review:
        rules = [RULES[(None, State.in_review)]] if from_state != State.in_review else []
        if action == Action.edit and from_state in ACCEPTED_STATES:
            rules.append(ACCEPTED_CHANGED)
        return rules
    rules = [RULES[(action, to_state)]] if (action, to_state) in RULES else []
    if (action, to_state) in CABINET_HEARS:
        rules.append((RULES[(action, to_state)][0], (CABINET,)))
    if from_state == State.with_cabinet and action in CABINET_DECISIONS:
        rules.append(CABINET_DECIDED)
    elif from_state in (State.approved, State.scheduled) and action in (Action.request_changes, Action.decline):
        rules.append(CABINET_TOOK_BACK)
    return rules


# The act ------------------------------------------------------------------------------------------------------

#: Where a session keeps the act its notices belong to: (its transaction, or ``_SHARED``; the act).
_ACT = "approval.notifications.act"
_SHARED = object()


def new_act() -> int:
    """A new act's id: random (63 bits, positive), so that processes writing at once need not agree on one."""
    return secrets.randbits(63) or 1


def act_of(session: Session) -> int:
    """The act of the notices ``session`` writes now: one per transaction (a request commits once; a command, a
    worker's transaction), the same for all it writes, whichever statement, kind or post; unless the session was
    given one to share (``share_act``)."""
    transaction = session.get_transaction()
    if transaction is None:
        session.connection()  # the transaction the notices will be written in
        transaction = session.get_transaction()
    held = session.info.get(_ACT)
    if held is not None and (held[0] is _SHARED or held[0] is transaction):
        return held[1]
    act = new_act()
    session.info[_ACT] = (transaction, act)
    return act


def share_act(session: Session, act: int | None) -> None:
    """Have the notices ``session`` writes belong to ``act`` (``new_act``), whatever its transactions: one act done
    over several (a worker's pass that records each post's outcome in its own) is one line in the list. None: back
    to one act per transaction."""
    if act is None:
        session.info.pop(_ACT, None)
    else:
        session.info[_ACT] = (_SHARED, act)


@event.listens_for(Notification, "before_insert")
def _act_given(_mapper: Mapper[Notification], _connection: Connection, notification: Notification) -> None:
    """A notification added as an object (not by the statements below) belongs to its transaction's act too."""
    session = Session.object_session(notification)
    if notification.act_id is None and session is not None:
        notification.act_id = act_of(session)


def record(session: Session, *entries: Any) -> None:
    """Tell the people concerned by the audit rows ``entries`` (``workflow.engine.TrailEntry``, which imports this
    module), in their transaction: one statement per kind of news, whatever the number of rows. First the notices
    the change settles (``_settled``), then the new ones, then the earlier ones they overtake (``OVERTAKEN_BY``). On
    PostgreSQL, a change that tells one kind of news (the worker's batch published) does the three in one
    statement (``_told_at_once``)."""
    settled, told, overtaking = _plan(session, entries)
    postgres = session.get_bind().dialect.name == "postgresql"
    if postgres and (at_once := _told_at_once(session, settled, told, overtaking)) is not None:
        key, values = at_once
        session.connection().execute(_told_in_one(*key), values)
        return
    for (kinds, at), post_ids in settled.items():
        session.execute(_settle(kinds, postgres), {"settled_posts": post_ids, "settled_at": at})
    for (kind, audiences), params in told.items():
        _notify(session, kind, audiences, params)
    # Once the later notices are written: each reader's earlier one is overtaken by their own.
    for (actor_id, kind_told, at), post_ids in overtaking.items():
        _overtake(session, _post_overtaking(postgres), at, _overtaking_params(actor_id, kind_told, post_ids))


#: What a change settles, by the kinds settled and when: the posts (``_settled``).
Settled = dict[tuple[tuple[Kind, ...], datetime], list[int]]
#: What a change tells, by kind of news and its audiences: the rows told (``_TOLD``).
Told = dict[tuple[Kind, tuple[Audience, ...]], list[dict[str, Any]]]
#: The posts whose earlier notices a later one overtakes, by whose act, the kind it told and when.
Overtaking = dict[tuple[int | None, str, datetime], list[int]]


class AtOnce(NamedTuple):
    """What ``told_ctes`` (and ``_told_in_one``) are built for: the kind told and its audiences, the kinds settled
    (none: nothing to settle), whether earlier notices are overtaken."""

    kind: Kind
    audiences: tuple[Audience, ...]
    settled_kinds: tuple[Kind, ...]
    overtaking: bool


def _plan(session: Session, entries: Iterable[Any]) -> tuple[Settled, Told, Overtaking]:
    """What ``record`` writes for ``entries``: the notices settled, the notices told, the notices overtaken; a batch
    (the worker's pass) is one group of each, and one statement."""
    entries = list(entries)
    told: Told = {}
    overtaking: Overtaking = {}
    for entry in entries:
        rules = rules_for(entry.action, entry.from_state, entry.to_state)
        why = (entry.payload or {}).get("why") or None
        if entry.action == Action.fail and configuration_failed(entry.payload):
            rules = [CONFIGURATION_FAILED if rule == RULES[(Action.fail, State.failed)] else rule for rule in rules]
        if (entry.payload or {}).get("proposal_only") and entry.to_state in PROPOSAL_CHANGED:
            why = _proposal_why(session, entry)
            rules = [PROPOSAL_CHANGED[entry.to_state]] if why else []
        if entry.action in TOLD_WITH_OUTCOME and not why:  # the network's words: what they came to, kept beside them
            why = texts.outcome_note((entry.payload or {}).get("outcome")) or None
        if entry.action == Action.schedule and _due_now(session, entry):
            rules = [rule for rule in rules if rule[0] is not Kind.scheduled]
        for rule in rules:
            if rule[1] == (CABINET,) and _never_sent(session, entry.post_id):
                continue  # a brand post, or one never sent: no cabinet to tell, no statement to run
            told.setdefault(rule, []).append({"post_id": entry.post_id, "market_id": None,
                                              "actor_id": entry.actor_id, "at": entry.at, "comment": entry.comment,
                                              "action": Action(entry.action).value, "why": why})
        if overtaker := next((kind for kind, _audiences in rules if kind in OVERTAKING), None):
            overtaking.setdefault((entry.actor_id, overtaker.value, entry.at), []).append(entry.post_id)
    return _settled(session, entries), told, overtaking


#: The audiences found without reading the post's state or its audit trail (its author, its market's managers or
#: the group-wide ones, the admins): ``with_the_change`` tells them in the change's own statement, which shows its
#: other statements the post and its trail as they were before it.
BEFORE_THE_CHANGE = frozenset({Audience.author, Audience.market_pms, Audience.group_pms, Audience.admins})
#: The post's columns the notices' INSERT reads for those audiences (its market by its account, its author, its
#: revision's writer when a review is asked): a change's statement that writes one of them cannot tell in it. (Its
#: state and whether it was sent to a cabinet are read for a cabinet only.)
READ_BY_THE_TELLING = frozenset({"account_id", "created_by_id", "current_revision_id"})


def with_the_change(session: Session, entries: Iterable[Any],
                    changed: Iterable[str]) -> tuple[AtOnce, dict[str, Any]] | None:
    """On PostgreSQL, what ``record`` writes for ``entries``, as statements for the ``WITH`` of the change's own
    statement (``workflow.engine``: the posts' UPDATE of the columns ``changed`` and their audit rows, a round trip
    less): what ``told_ctes`` builds for the key returned, with the values returned. The statements of one ``WITH``
    do not see each other's writes, so only where ``_told_at_once`` writes it in one statement, tells no review
    (its reviewers leave out the revision's writer) and only audiences found without the post's new state or its
    new audit rows (``BEFORE_THE_CHANGE``), and the change writes none of the post's columns the telling reads
    (``READ_BY_THE_TELLING``). None: ``record`` after the change."""
    if session.get_bind().dialect.name != "postgresql" or READ_BY_THE_TELLING.intersection(changed):
        return None
    at_once = _told_at_once(session, *_plan(session, entries))
    if at_once is None or at_once[0].kind in ASKS_REVIEW or not set(at_once[0].audiences) <= BEFORE_THE_CHANGE:
        return None
    return at_once


def _overtaking_params(actor_id: int | None, kind_told: str, post_ids: list[int]) -> dict[str, Any]:
    return {"overtaken_posts": post_ids, "overtaken_by": actor_id, "overtaking_kind": kind_told}


def _told_at_once(session: Session, settled: Settled, told: Told,
                  overtaking: Overtaking) -> tuple[AtOnce, dict[str, Any]] | None:
    """On PostgreSQL, what ``record`` writes in one statement (``_told_in_one``: the key it is built for, and its
    values), when the change tells one kind of news (to no chat) and settles and overtakes a group of posts at most
    each: the settled notices, the new ones and the overtaken ones, as ``record``'s three statements would; a round
    trip each cost the worker's every pass as much as the writing. None for any other change.

    The three see the same snapshot: the notices settled are those written before, as when they were settled
    first; the overtaken are found among those written before and those this statement writes, as when they were
    overtaken after. A notice settled and overtaken at once would be written twice by one statement, of which
    PostgreSQL keeps one write, which one unpredictably and without an error: a change whose settled kinds are kinds
    a later notice overtakes (``POST_OVERTAKEN``, the only ones the overtaking writes) goes statement by
    statement."""
    if len(told) != 1 or len(settled) > 1 or len(overtaking) > 1:
        return None
    [((kind, audiences), params)] = told.items()
    if kind in CHAT_KINDS:
        return None
    settled_kinds: tuple[Kind, ...] = ()
    values = cast(dict[str, Any], _told_values(session, params, postgres=True))  # arrays, on PostgreSQL
    if settled:
        [((settled_kinds, at), post_ids)] = settled.items()
        if overtaking and set(settled_kinds) & POST_OVERTAKEN.keys():
            return None
        values.update(settled_posts=post_ids, settled_at=at)
    if overtaking:
        [((actor_id, kind_told, at), post_ids)] = overtaking.items()
        values.update(_overtaking_params(actor_id, kind_told, post_ids), overtaken_at=at)
    return AtOnce(kind, audiences, settled_kinds, bool(overtaking)), values


def configuration_failed(payload: dict[str, Any] | None) -> bool:
    """Whether a ``fail`` step (its audit row's ``payload``) failed for the account's configuration: what it needs is
    an admin's reconnection (``publishing.status.remedy_for``, which reads the worker's reasons, else the outcome)."""
    # Imported here: ``status`` imports the workflow engine, which imports this module.
    from approval.publishing.status import Remedy, remedy_for

    return remedy_for(payload) is Remedy.reconnect


def _proposal_why(session: Session, entry: Any) -> list[dict[str, Any]] | None:
    """What a new proposal (``entry``, a ``proposal_only`` edit) tells: who proposes what, for a post approved or
    scheduled at which slot, in its market's zone (``texts.proposal_changed_why``); None when the post's slot is
    already the time proposed (nothing to move)."""
    post = session.get(Post, entry.post_id)  # the engine's, in the session: no query
    assert post is not None
    proposed = post.proposed_at
    slot = post.scheduled_at if entry.to_state == State.scheduled else None
    if slot is not None and proposed == slot:
        return None
    actor = session.get(User, entry.actor_id) if entry.actor_id is not None else None
    return texts.proposal_changed_why(actor.name if actor is not None else "?", proposed, slot,
                                      post.account.market.timezone)


def _due_now(session: Session, entry: Any) -> bool:
    """Whether the post ``entry`` schedules goes out at once ("Publish now": a slot seconds ahead, which the worker
    takes at its next pass): "Your post was scheduled" would be followed, seconds later, by what came of it."""
    post = session.get(Post, entry.post_id)  # the engine's, in the session: no query
    return post is not None and post.scheduled_at is not None and post.scheduled_at - entry.at <= DUE_NOW


def _at_the_proposal(session: Session, post_id: int) -> bool:
    """Whether the post just scheduled goes out at the time its writer proposes, or they propose none (a withdrawn
    proposal asked for a time, any time): what a ``proposal_changed`` notice asked is done."""
    post = session.get(Post, post_id)
    return post is not None and (post.proposed_at is None or post.proposed_at == post.scheduled_at)


def _never_sent(session: Session, post_id: int) -> bool:
    """Whether the post is known, without asking the database, never to have been sent to a cabinet: the session
    holds it with that column loaded, as the engine and the worker hold the posts they move, or its transaction read
    it so (``never_sent``)."""
    if post_id in session.info.get(_NEVER_SENT, ()):
        return True
    post = session.identity_map.get(identity_key(Post, post_id))
    if post is None:
        return False
    loaded = sa_inspect(post).dict
    return "sent_to_cabinet_at" in loaded and loaded["sent_to_cabinet_at"] is None


#: ``session.info`` key of the posts the transaction read, rows locked, as never sent to a cabinet (``never_sent``).
_NEVER_SENT = of_the_transaction("approval.never_sent_to_cabinet")


def never_sent(session: Session, post_ids: Iterable[int]) -> None:
    """Note that the posts ``post_ids``, read with their rows locked in the session's transaction (the worker's posts
    read as rows), were never sent to a cabinet: ``record`` then asks nothing to tell no cabinet. Forgotten when the
    transaction ends."""
    session.info.setdefault(_NEVER_SENT, set()).update(post_ids)


def _settled(session: Session, entries: Iterable[Any]) -> Settled:
    """The notifications ``record`` marks read for every recipient, first: those of the posts ``entries`` took out of
    a state that awaited them (``AWAITING``) or that they told of (``STALE``), in the change's transaction, so that
    the bell counts only what still waits for someone, or is still so; the new state's own notifications, written
    after, stay unread. A proposal (``proposal_changed``) is settled by the next one, by its post leaving its way, or
    by its post scheduled at the time proposed (``inbox.proposal_answered`` says the same of each notification).
    By the kinds settled and when: a batch (the worker's pass) is one group, and one statement."""
    left: dict[tuple[tuple[Kind, ...], datetime], list[int]] = {}
    for entry in entries:
        if entry.to_state == entry.from_state:
            if (entry.payload or {}).get("proposal_only"):  # only the latest proposal holds: the earlier settle
                left.setdefault(((Kind.proposal_changed,), entry.at), []).append(entry.post_id)
            continue
        kinds = AWAITING.get(entry.from_state, ())
        if entry.from_state in STALE and entry.to_state not in STALE[entry.from_state][1]:
            kinds += STALE[entry.from_state][0]
        if entry.from_state in ON_ITS_WAY and entry.to_state not in ON_ITS_WAY:
            kinds += (POLICY_REFUSES[0], Kind.proposal_changed)
        elif entry.action == Action.schedule and _at_the_proposal(session, entry.post_id):
            kinds += (Kind.proposal_changed,)
        if kinds:
            left.setdefault((kinds, entry.at), []).append(entry.post_id)
    return left


def notify_post(session: Session, kind: Kind, audiences: tuple[Audience, ...], *, post_id: int,
                actor_id: int | None, at: datetime, comment: str | None = None) -> None:
    _notify(session, kind, audiences, [{"post_id": post_id, "market_id": None, "actor_id": actor_id, "at": at,
                                        "comment": comment, "action": None, "why": None}])


def commented(session: Session, comment: Comment) -> None:
    """Tell the people of ``comment``'s post who see it that it was written, quoting it."""
    notify_post(session, Kind.commented, COMMENT_AUDIENCES, post_id=comment.post_id, actor_id=comment.author_id,
                at=comment.created_at, comment=comment.body)


def _notify(session: Session, kind: Kind, audiences: tuple[Audience, ...], params: list[dict[str, Any]]) -> None:
    """One ``INSERT ... SELECT`` for the posts of ``params``: on PostgreSQL one statement for them all (their values
    as arrays, ``unnest``ed side by side); on SQLite, executed once per post in one call."""
    postgres = session.get_bind().dialect.name == "postgresql"
    values = _told_values(session, params, postgres)
    session.execute(_insert_notifications(kind, audiences, True, postgres), values)
    if kind in CHAT_KINDS and audiences != (CABINET,):  # the market's chat hears it once, with its staff
        session.execute(_insert_chat(kind, postgres), values)


def _told_values(session: Session, params: list[dict[str, Any]], postgres: bool
                 ) -> dict[str, Any] | list[dict[str, Any]]:
    """The parameters of ``_insert_notifications`` for the rows told ``params``, of the session's act: on PostgreSQL
    one array per column (``_told``), elsewhere the rows (a row alone as itself)."""
    act = act_of(session)
    if postgres:
        values: dict[str, Any] = {_bound(name): [row[name] for row in params] for name in _TOLD}
        values[_bound("why")] = [_json(why) for why in values[_bound("why")]]
        values[_bound("act_id")] = act
        return values
    rows = [_bound_row(row, act) for row in params]
    return rows[0] if len(rows) == 1 else rows


def _bound(name: str) -> str:
    """The parameter of a value told (``_told``): not a column's own name, which a statement of notifications in the
    same ``WITH`` (``_told_in_one``) would take for a value to write into that column."""
    return f"told_{name}"


def _bound_row(row: dict[str, Any], act: int) -> dict[str, Any]:
    """A row told, as ``_told``'s parameters outside PostgreSQL, of the act ``act``."""
    return {**{_bound(name): value for name, value in row.items()}, _bound("act_id"): act}


def policy_refuses(session: Session, refused: list[tuple[int, list[dict[str, Any]]]], *, actor_id: int | None,
                   at: datetime) -> None:
    """Tell the people of each post of ``refused`` (its id and the notification's ``why``: the version and the
    findings, ``texts.policy_refuses_why``) that the policy version just saved refuses it, in the save's
    transaction: one statement for them all (``_notify``)."""
    if not refused:
        return
    _notify(session, POLICY_REFUSES[0], POLICY_REFUSES[1],
            [{"post_id": post_id, "market_id": None, "actor_id": actor_id, "at": at, "comment": reasons.text(why),
              "action": None, "why": why} for post_id, why in refused])


#: Why a ``policy_refuses`` mail not sent yet is not sent any more (``policy_lets_through``).
LET_THROUGH = "the policy no longer refuses the post"


def policy_lets_through(session: Session, market_id: int, refused: set[int], *, at: datetime) -> None:
    """Settle the ``policy_refuses`` notices of ``market_id``'s posts that the policy version just saved no longer
    refuses (``refused``: the posts it does): marked read, and their mail, not sent yet, not sent (what it would
    say is no longer so), as the mailer marks what it chose not to send."""
    table = cast(Table, Notification.__table__)  # as ``_insert_notifications``
    mine = and_(table.c.kind == Kind.policy_refuses.value, table.c.market_id == market_id)
    unsent = and_(table.c.mail_sent_at.is_(None), table.c.mail != MailMode.off.value,
                  or_(table.c.mail_claimed_until.is_(None), table.c.mail_claimed_until < at))
    open_ = set(session.scalars(select(table.c.post_id).distinct()
                                .where(mine, or_(table.c.read_at.is_(None), unsent))))
    settled = sorted(post_id for post_id in open_ - refused if post_id is not None)
    if not settled:
        return
    about = table.c.post_id.in_(settled)
    session.execute(update(table).where(mine, about, unsent)
                    .values(mail_sent_at=at, mail_claim=None, mail_claimed_until=None, mail_error=LET_THROUGH))
    session.execute(update(table).where(mine, about, table.c.read_at.is_(None)).values(read_at=at))


def stop_turned_on(session: Session, stop: StopSwitch) -> None:
    """Tell the community and project managers of the markets a stop switch covers."""
    _stop_told(session, stop, Kind.stop_on, stop.turned_on_by_id, stop.turned_on_at)


def stop_turned_off(session: Session, stop: StopSwitch) -> None:
    """Tell the same people it is off (told of the switch going on, they heard nothing of its end), and each what
    stays held of theirs: the posts it held wait for a project manager to release them or give them a new time. A
    community manager read "A stop switch was turned off" as "my posts are going out"."""
    market_id = _stop_told(session, stop, Kind.stop_off, stop.turned_off_by_id, stop.turned_off_at)
    _held_told(session, stop)
    _overtake(session, _overtaking(_stop_overtaken(stop, market_id)), stop.turned_off_at)


def _held_told(session: Session, stop: StopSwitch) -> None:
    """Write into each ``stop_off`` notification of ``stop`` just written how many of the posts it held still wait,
    counted now (``texts.held_why``): a community manager's own, a project manager's markets' (every market's, for a
    group-wide one). Kept in the notification, said later in each reader's language."""
    table = cast(Table, Notification.__table__)  # as ``_insert_notifications``
    told = session.execute(
        select(table.c.id, _users.c.id, _users.c.role, _users.c.all_markets)
        .join(_users, _users.c.id == table.c.user_id)
        .where(table.c.kind == Kind.stop_off.value, table.c.at == stop.turned_off_at, table.c.post_id.is_(None),
               table.c.why.is_(None), table.c.comment == stop.reason)).all()
    if not told:
        return
    held = session.execute(select(Post.created_by_id, Account.market_id).join(Account, Post.account_id == Account.id)
                           .where(Post.held_by_stop_id == stop.id, Post.state == State.scheduled)).all()
    managers = [user_id for _id, user_id, role, everywhere in told
                if role == Role.project_manager.value and not everywhere]
    markets: dict[int, set[int]] = {}
    if managers and held:
        for user_id, market_id in session.execute(select(user_markets.c.user_id, user_markets.c.market_id)
                                                  .where(user_markets.c.user_id.in_(managers))):
            markets.setdefault(user_id, set()).add(market_id)
    rows = []
    for notification_id, user_id, role, everywhere in told:
        own = role != Role.project_manager.value
        count = sum(1 for author_id, market_id in held
                    if (author_id == user_id if own else everywhere or market_id in markets.get(user_id, ())))
        rows.append({"told_id": notification_id, "held": texts.held_why(count, own=own)})
    session.execute(update(table).where(table.c.id == bindparam("told_id"))
                    .values(why=bindparam("held", type_=JSON(none_as_null=True))), rows)


def _stop_told(session: Session, stop: StopSwitch, kind: Kind, actor_id: int | None,
               at: datetime | None) -> int | None:
    """Tell the staff of the markets ``stop`` covers; returns the market its notifications name (None: every
    market's, or its campaign's of no market)."""
    market_id = stop.market_id
    if stop.scope == StopScope.campaign:
        market_id = session.scalar(select(Campaign.market_id).where(Campaign.id == stop.campaign_id))
    audience = Audience.all_staff if market_id is None else Audience.market_staff
    params = _bound_row({"post_id": None, "market_id": market_id, "actor_id": actor_id, "at": at,
                         "comment": stop.reason, "action": None, "why": None}, act_of(session))
    session.execute(_insert_notifications(kind, (audience,), False, False), params)
    return market_id


def _overtake(session: Session, statement: Update, at: Any, params: dict[str, Any] | None = None) -> None:
    """Run ``statement`` (``_overtaking`` of some notifications, ``OVERTAKEN_BY``) at ``at``: those still unread are
    marked read; their mail, when it waits for a digest or for another try, is not sent (what it says is no longer
    so), as ``policy_lets_through`` leaves a refusal's. A mail already sent is not recalled, nor one a sender holds
    (claimed: being sent)."""
    session.execute(statement, {**(params or {}), "overtaken_at": at})


def _overtaking(overtaken: ColumnElement[bool]) -> Update:
    """``_overtake``'s UPDATE, at the time ``overtaken_at``: of the ``overtaken`` notifications, the mail not sent
    (where it waits) and the notice read (where unread), each row's columns as the two call for and no others; one
    statement, where one for the mails and one for the notices cost the worker's every pass a round trip more. (What
    ``overtaken`` reads is neither the mail's columns nor ``read_at``: the two conditions do not meet.)"""
    table = cast(Table, Notification.__table__)  # as ``_insert_notifications``
    at = bindparam("overtaken_at", type_=UTCDateTime())
    # 'off' written out, not bound: the mail queue's partial index (unsent mails only) is then seen to apply.
    unsent = and_(table.c.mail_sent_at.is_(None), table.c.mail != literal_column(f"'{MailMode.off.value}'"),
                  or_(table.c.mail == MailMode.daily.value, table.c.mail_error.is_not(None)),
                  or_(table.c.mail_claimed_until.is_(None), table.c.mail_claimed_until < at))
    unread = table.c.read_at.is_(None)

    def where_unsent(value: Any, column: Any) -> Any:
        return case((unsent, value), else_=column)

    return (update(table).where(overtaken, or_(unsent, unread))
            .values(mail_sent_at=where_unsent(at, table.c.mail_sent_at),
                    mail_claim=where_unsent(null(), table.c.mail_claim),
                    mail_claimed_until=where_unsent(null(), table.c.mail_claimed_until),
                    mail_error=where_unsent(OVERTAKEN, table.c.mail_error),
                    read_at=case((unread, at), else_=table.c.read_at)))


@functools.cache
def _post_overtaking(postgres: bool) -> Update:
    """``_overtaking`` of the posts' notices (``_post_overtaken``), built once: a worker's pass runs it each time,
    and building it (and its cache key, a tree with two subqueries a kind) cost more than running it."""
    return _overtaking(_post_overtaken(postgres))


def _post_overtaken(postgres: bool, told_now: Any = None) -> ColumnElement[bool]:
    """The notifications of the posts ``overtaken_posts`` that a later notice of the same post overtook
    (``POST_OVERTAKEN``), for the reader told it, or whose act it was (``overtaken_by``, whose act told the kind
    ``overtaking_kind``: only what that kind overtakes is theirs to have read). ``told_now``: the notices the same
    statement writes (``_told_in_one``), which its own reading of the table does not see."""
    table = cast(Table, Notification.__table__)  # as ``_insert_notifications``
    later = table.alias("later")
    by_kind = bindparam("overtaking_kind", type_=String())

    def overtaken(kind: Kind, kinds: frozenset[Kind]) -> ColumnElement[bool]:
        by_later = [exists().where(later.c.user_id == table.c.user_id, later.c.post_id == table.c.post_id,
                                   later.c.id > table.c.id, or_(*(later.c.kind == k.value for k in sorted(kinds))))]
        if told_now is not None:
            by_later.append(exists().where(told_now.c.user_id == table.c.user_id,
                                           told_now.c.post_id == table.c.post_id,
                                           or_(*(told_now.c.kind == k.value for k in sorted(kinds)))))
        return and_(table.c.kind == kind.value, or_(
            and_(table.c.user_id == bindparam("overtaken_by"), or_(*(by_kind == k.value for k in sorted(kinds)))),
            *by_later))

    return and_(bulk.among(table.c.post_id, "overtaken_posts", postgres),
                or_(*(overtaken(kind, kinds) for kind, kinds in sorted(POST_OVERTAKEN.items()))))


def _stop_overtaken(stop: StopSwitch, market_id: int | None) -> ColumnElement[bool]:
    """The ``stop_on`` notifications of ``stop`` (told at its time, with its reason and market, as ``inbox.stops_told``
    finds them) that its ``stop_off`` overtook: of each reader told that it is off, and of the one who turned it off."""
    table = cast(Table, Notification.__table__)  # as ``_insert_notifications``
    later = table.alias("later")

    def of_the_switch(told: Any, kind: Kind, at: datetime | None) -> ColumnElement[bool]:
        market = told.c.market_id == market_id if market_id is not None else told.c.market_id.is_(None)
        return and_(told.c.kind == kind.value, told.c.post_id.is_(None), told.c.at == at,
                    told.c.comment == stop.reason, market)

    return and_(of_the_switch(table, Kind.stop_on, stop.turned_on_at),
                or_(table.c.actor_id.is_(None), table.c.actor_id == stop.turned_on_by_id),
                or_(table.c.user_id == stop.turned_off_by_id,
                    exists().where(later.c.user_id == table.c.user_id, later.c.id > table.c.id,
                                   of_the_switch(later, Kind.stop_off, stop.turned_off_at))))


# The statements ---------------------------------------------------------------------------------------------------

_users = User.__table__
_prefs = NotificationPreference.__table__


#: What each notification is about, and its type: one row per audit row told (``record``).
_TOLD = {"post_id": _users.c.id.type, "market_id": _users.c.id.type, "actor_id": _users.c.id.type,
         "comment": String(), "at": UTCDateTime(), "action": String(), "why": JSON(none_as_null=True)}
#: As PostgreSQL's arrays carry them: the reasons as JSON text (a list of lists would be read as a matrix), cast back.
_TOLD_ARRAYS = {**_TOLD, "why": String()}


def _json(value: Any) -> str | None:
    return json.dumps(value, ensure_ascii=False) if value else None


def _why(told: Any, postgres: bool) -> ColumnElement:
    """The reasons told, as the notifications' JSON column takes them: from PostgreSQL's arrays, the text cast."""
    return sql_cast(told.c.why, JSON) if postgres else told.c.why


def _told(postgres: bool) -> Any:
    """The rows told, as a table the statements join: on PostgreSQL, arrays of the values ``unnest``ed side by side
    (a statement for every row at once); elsewhere, one row of bound values (the statement is executed per row)."""
    if postgres:
        return func.unnest(*(bindparam(_bound(name), type_=postgresql.ARRAY(type_))
                             for name, type_ in _TOLD_ARRAYS.items())
                           ).table_valued(*(column(name, type_) for name, type_ in _TOLD_ARRAYS.items())
                                          ).render_derived(name="told")
    return select(*(bindparam(_bound(name), type_=type_).label(name) for name, type_ in _TOLD.items())).subquery("told")


def _post_column(column_: SQLColumnExpression[Any], told: Any) -> ColumnElement:
    """``column_`` of the post being told about (its account's market, its executive...). Correlated to the row told
    at whatever depth it is used (inside a recipient's ``EXISTS``, the nearest query does not hold ``told``)."""
    return (select(column_).select_from(Post.__table__.join(Account.__table__, Post.account_id == Account.id))
            .where(Post.id == told.c.post_id).correlate_except(Post.__table__, Account.__table__).scalar_subquery())


def _in_market(market: ColumnElement) -> ColumnElement[bool]:
    return exists().where(user_markets.c.user_id == _users.c.id, user_markets.c.market_id == market)


def _has_own_pm(market: ColumnElement) -> ColumnElement[bool]:
    """Whether an active project manager works in ``market`` itself (not only through "all markets")."""
    colleague = _users.alias("colleague")
    return exists().where(user_markets.c.user_id == colleague.c.id, user_markets.c.market_id == market,
                          colleague.c.role == Role.project_manager.value, colleague.c.active)


def _revision_writer(told: Any) -> ColumnElement:
    """The writer of the current revision of the post told of, who may not approve it
    (``guards.not_author_of_revision``): found by the post's key, correlated as ``_post_column``."""
    return (select(Revision.author_id)
            .select_from(Post.__table__.join(Revision.__table__, Revision.id == Post.current_revision_id))
            .where(Post.id == told.c.post_id).correlate_except(Post.__table__, Revision.__table__).scalar_subquery())


def _has_other_pm(market: ColumnElement, writer: ColumnElement) -> ColumnElement[bool]:
    """Whether an active project manager of ``market`` itself (as ``_has_own_pm``) other than ``writer`` may
    review its post."""
    colleague = _users.alias("colleague")
    return exists().where(user_markets.c.user_id == colleague.c.id, user_markets.c.market_id == market,
                          colleague.c.role == Role.project_manager.value, colleague.c.active,
                          colleague.c.id.is_distinct_from(writer))


def _cabinet_seeing(told: Any) -> ColumnElement[bool]:
    """Whether the user is of the cabinet of the post told of and sees it (``access.can_see_post``: sent to the
    cabinet, and not recalled to a draft since): the post's executive, while it sees it, found by the post's key,
    then the membership by its own (a cabinet member's role checked first, so others cost nothing more)."""
    seen_by_executive = (
        select(Account.executive_id).select_from(Post.__table__.join(Account.__table__, Post.account_id == Account.id))
        .where(Post.id == told.c.post_id, Post.sent_to_cabinet_at.is_not(None),
               # No IN (...) list: an expanding parameter cannot be executed for many rows (SQLite).
               *(Post.state != state for state in HIDDEN_FROM_CABINET))
        .correlate_except(Post.__table__, Account.__table__).scalar_subquery())
    return and_(_users.c.role == Role.cabinet.value, exists().where(
        cabinet_members.c.user_id == _users.c.id, cabinet_members.c.executive_id == seen_by_executive))


def _sees_post(market: ColumnElement, told: Any) -> ColumnElement[bool]:
    """Whether the user sees the post told of (``access.can_see_post``): a cabinet, its executives' posts once sent
    to it; everyone else, the posts of their markets (all of them: an admin, a group-wide manager)."""
    role = _users.c.role
    return or_(_cabinet_seeing(told),
               and_(role != Role.cabinet.value, or_(role == Role.admin.value, _users.c.all_markets,
                                                    _in_market(market))))


def _audience(audience: Audience, market: ColumnElement, told: Any) -> ColumnElement[bool]:
    role = _users.c.role
    if audience is Audience.author:
        author = select(Post.created_by_id).where(Post.id == told.c.post_id).scalar_subquery()
        return and_(_users.c.id == author,
                    or_(role == Role.admin.value, _users.c.all_markets, _in_market(market)))
    if audience is Audience.reviewers:
        reviewed = exists().where(AuditEntry.post_id == told.c.post_id, AuditEntry.actor_id == _users.c.id,
                                  or_(*(AuditEntry.action == action for action in REVIEW_DECISIONS)))
        return and_(role == Role.project_manager.value, or_(_users.c.all_markets, _in_market(market)), reviewed)
    if audience is Audience.commenters:
        wrote = exists().where(Comment.post_id == told.c.post_id, Comment.author_id == _users.c.id)
        return and_(wrote, _sees_post(market, told))
    if audience in (Audience.approver, Audience.scheduler):
        action = Action.approve if audience is Audience.approver else Action.schedule
        who = (select(AuditEntry.actor_id)
               .where(AuditEntry.post_id == told.c.post_id, AuditEntry.action == action)
               .order_by(AuditEntry.id.desc()).limit(1).scalar_subquery())
        return and_(_users.c.id == who, role == Role.project_manager.value,
                    or_(_users.c.all_markets, _in_market(market)))
    if audience is Audience.market_pms:
        # A market with no project manager of its own is reviewed by the group-wide ones: they hear of it, or no one
        # would (they hear of the other markets' posts only when a review is overdue: ``group_pms``).
        return and_(role == Role.project_manager.value,
                    or_(_in_market(market), and_(_users.c.all_markets, ~_has_own_pm(market))))
    if audience is Audience.approvers:
        # The market's own managers review its posts; the group-wide ones when none of them may (none, or only the
        # writer): else the review waits for no one. The writer is left out by ``_insert_notifications``.
        return and_(role == Role.project_manager.value,
                    or_(_in_market(market),
                        and_(_users.c.all_markets, ~_has_other_pm(market, _revision_writer(told)))))
    if audience is Audience.group_pms:
        return and_(role == Role.project_manager.value, _users.c.all_markets)
    if audience is Audience.cabinet:
        return _cabinet_seeing(told)
    if audience is Audience.admins:
        return role == Role.admin.value
    staff = role.in_([Role.community_manager.value, Role.project_manager.value])
    if audience is Audience.market_staff:
        return and_(staff, or_(_users.c.all_markets, _in_market(market)))
    return staff


@functools.cache
def _insert_notifications(kind: Kind, audiences: tuple[Audience, ...], about_post: bool, postgres: bool) -> Insert:
    told = _told(postgres)
    market = _post_column(Account.market_id, told) if about_post else told.c.market_id
    asked: list[ColumnElement[bool]] = []
    if kind in ASKS_REVIEW:
        audiences = tuple(Audience.approvers if audience is PMS else audience for audience in audiences)
        asked.append(_users.c.id.is_distinct_from(_revision_writer(told)))
    recipients = (
        select(
            _users.c.id, literal(kind.value, String), told.c.post_id, market, told.c.actor_id, told.c.comment,
            _why(told, postgres), told.c.action, told.c.at,
            func.coalesce(_prefs.c.mode, literal(MailMode.immediate.value, String)), told.c.at,
            bindparam(_bound("act_id"), type_=BigInteger()),
        )
        .select_from(_users.join(told, literal(True))
                     .outerjoin(_prefs, and_(_prefs.c.user_id == _users.c.id, _prefs.c.kind == kind.value)))
        .where(_users.c.active, _users.c.id.is_distinct_from(told.c.actor_id), *asked,
               or_(*(_audience(audience, market, told) for audience in audiences)))
    )
    table = cast(Table, Notification.__table__)  # SQLAlchemy types it as any FromClause (a class may map a join)
    columns = ["user_id", "kind", "post_id", "market_id", "actor_id", "comment", "why", "action", "at", "mail",
               "mail_due_at", "act_id"]
    # The columns left out take the database's defaults: the model's, bound, came as NULL in another's ``WITH``.
    return insert(table).from_select([table.c[name] for name in columns], recipients, include_defaults=False)


@functools.cache
def _settle(kinds: tuple[Kind, ...], postgres: bool) -> Update:
    table = cast(Table, Notification.__table__)  # as above
    return (update(table).where(bulk.among(table.c.post_id, "settled_posts", postgres),
                                or_(*(table.c.kind == kind.value for kind in kinds)), table.c.read_at.is_(None))
            .values(read_at=bindparam("settled_at")))


@functools.cache
def told_ctes(kind: Kind, audiences: tuple[Audience, ...], settled_kinds: tuple[Kind, ...],
              overtaking: bool) -> tuple[CTE, ...]:
    """``record``'s statements as statements of a ``WITH``, on PostgreSQL (``_told_at_once``): the settling of
    ``settled_kinds`` (if any: ``_settle``), the notices of ``kind`` written (``_insert_notifications``, returning
    whom they told of which post), the overtaking (``_overtaking`` of ``_post_overtaken`` with ``told_now``: of the
    notices written before and of these), in that order. Each runs once, whatever the main query reads. Built once
    per kind of change."""
    # Settled and overtaken at once, a notice would be written twice by the statement (``_told_at_once``).
    assert not (overtaking and set(settled_kinds) & POST_OVERTAKEN.keys()), "a notice settled and overtaken"
    table = cast(Table, Notification.__table__)  # as above
    told_now = (_insert_notifications(kind, audiences, True, True)
                .returning(table.c.user_id, table.c.post_id, table.c.kind).cte("told_now"))
    settling = (_settle(settled_kinds, True).cte("settled"),) if settled_kinds else ()
    overtaken = (_overtaking(_post_overtaken(True, told_now)).cte("overtaken"),) if overtaking else ()
    return (*settling, told_now, *overtaken)


@functools.cache
def _told_in_one(kind: Kind, audiences: tuple[Audience, ...], settled_kinds: tuple[Kind, ...],
                 overtaking: bool) -> Select[int]:
    """``told_ctes`` in a statement of their own (what it selects is not read: its ``WITH`` is the work)."""
    return select(literal(1)).add_cte(*told_ctes(kind, audiences, settled_kinds, overtaking))


@functools.cache
def _insert_chat(kind: Kind, postgres: bool) -> Insert:
    settings = MarketNotificationSettings.__table__
    told = _told(postgres)
    source = (select(settings.c.market_id, literal(kind.value, String), told.c.post_id, told.c.comment,
                     _why(told, postgres), told.c.at, told.c.at)
              .select_from(settings.join(told, settings.c.market_id == _post_column(Account.market_id, told)))
              .where(settings.c.chat_webhook_url.is_not(None)))
    table = cast(Table, ChatMessage.__table__)  # as above
    return insert(table).from_select(
        [table.c[name] for name in ("market_id", "kind", "post_id", "comment", "why", "at", "due_at")], source)
