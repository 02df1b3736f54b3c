"""The words of notifications, in the reader's language: what each kind is called on the preferences page, and the
line that tells it in the list, the mail and the chat."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from types import SimpleNamespace
from typing import Any, overload

from babel.dates import get_timezone as babel_zone
from flask import g, has_request_context
from flask_babel import gettext, ngettext
from flask_login import current_user
from flask_babel import lazy_gettext as _l

from approval.labels import decimal, said_in
from approval.models import Post, User
from approval.models.notifications import Notification
from approval.models.notifications import NotificationKind as Kind
from approval.models.publishing import Outcome
from approval.notifications.zones import load_zone
from approval.publishing import reasons
from approval.style.i18n import N_
from approval.style.network import network_name
from approval.workflow.states import Action, Role, State

#: The preferences page: one line per kind.
KIND_LABELS = {
    Kind.review_requested: _l("A post awaits my review"),
    Kind.cabinet_requested: _l("A suggested message awaits my cabinet"),
    Kind.changes_requested: _l("My post needs changes"),
    Kind.rejected: _l("My post was rejected"),
    Kind.declined: _l("My suggested message was declined by the cabinet"),
    Kind.cabinet_decided: _l("The cabinet decided on a suggested message I sent it"),
    Kind.approved: _l("My post was approved"),
    Kind.scheduled: _l("My post was scheduled"),
    Kind.published: _l("My post was published"),
    Kind.missed: _l("A post missed its slot"),
    Kind.failed: _l("A post failed to publish"),
    Kind.unconfirmed: _l("A post's publication is unconfirmed"),
    Kind.stop_on: _l("A stop switch was turned on in my markets"),
    Kind.stop_off: _l("A stop switch was turned off in my markets"),
    Kind.review_reminder: _l("A post waits in review longer than its market allows"),
    Kind.review_escalation: _l("A post still waits in review (escalation)"),
    Kind.commented: _l("A comment in the discussion of a post I take part in"),
    Kind.accepted_changed: _l("A suggested message my cabinet accepted was changed"),
    Kind.withdrawn: _l("A suggested message sent to my cabinet was withdrawn"),
    Kind.cabinet_reminder: _l("A suggested message waits for my cabinet longer than its market allows"),
    Kind.cabinet_escalation: _l("A suggested message I sent still waits for the cabinet (escalation)"),
    Kind.policy_refuses: _l("A new editorial policy refuses an approved or scheduled post"),
    Kind.proposal_changed: _l("The proposed time of an approved or scheduled post changes"),
}
#: The same kinds as a cabinet member is told of them: of the messages their cabinet accepted, not of posts of theirs.
CABINET_KIND_LABELS = {
    Kind.scheduled: _l("A suggested message my cabinet accepted was scheduled"),
    Kind.published: _l("A suggested message my cabinet accepted was published"),
    Kind.missed: _l("A suggested message my cabinet accepted missed its slot"),
    Kind.failed: _l("A suggested message my cabinet accepted failed to publish"),
    Kind.unconfirmed: _l("The publication of a suggested message my cabinet accepted is unconfirmed"),
    Kind.commented: _l("A comment on a suggested message sent to my cabinet"),
}

#: What only a cabinet member is told: what awaits their cabinet, and what became of a suggestion it was sent.
CABINET_ONLY = frozenset({Kind.cabinet_requested, Kind.cabinet_reminder, Kind.accepted_changed, Kind.withdrawn})
#: What a cabinet member is ever told: that, and what becomes of the messages their cabinet accepted.
CABINET_KINDS = CABINET_ONLY | {Kind.scheduled, Kind.published, Kind.missed, Kind.failed, Kind.unconfirmed,
                                Kind.commented}
#: What only a project manager is told (a community manager writes, and hears of their own posts and the stops).
MANAGER_KINDS = frozenset({Kind.review_requested, Kind.review_reminder, Kind.review_escalation,
                           Kind.cabinet_decided, Kind.cabinet_escalation, Kind.policy_refuses,
                           Kind.proposal_changed})


def kinds_for(role: Role) -> dict[Kind, object]:
    """The kinds ``role`` can be told of, with their labels, for the preferences page (an admin sees them all)."""
    if role == Role.cabinet:
        return {kind: CABINET_KIND_LABELS.get(kind, text) for kind, text in KIND_LABELS.items()
                if kind in CABINET_KINDS}
    if role == Role.community_manager:
        shown = frozenset(Kind) - CABINET_ONLY - MANAGER_KINDS
    elif role == Role.project_manager:
        shown = frozenset(Kind) - CABINET_ONLY
    else:
        shown = frozenset(Kind)
    return {kind: text for kind, text in KIND_LABELS.items() if kind in shown}


#: The line of one notification.
TITLES = {
    Kind.review_requested: _l("A post awaits your review"),
    Kind.cabinet_requested: _l("A suggested message awaits your cabinet"),
    Kind.changes_requested: _l("Changes were requested on your post"),
    Kind.rejected: _l("Your post was rejected"),
    Kind.declined: _l("Your suggested message was declined by the cabinet"),
    Kind.cabinet_decided: _l("The cabinet decided on a suggested message you sent it"),
    Kind.approved: _l("Your post was approved"),
    Kind.scheduled: _l("Your post was scheduled"),
    Kind.published: _l("Your post was published"),
    Kind.missed: _l("A post missed its slot"),
    Kind.failed: _l("A post failed to publish"),
    Kind.unconfirmed: _l("A post may or may not be online: its publication is unconfirmed"),
    Kind.stop_on: _l("A stop switch was turned on"),
    Kind.stop_off: _l("A stop switch was turned off"),  # what it held, if anything, is counted per reader
    Kind.review_reminder: _l("A post has waited in review longer than its market allows"),
    Kind.review_escalation: _l("A post still waits for review: escalated to the group"),
    Kind.commented: _l("New comment in the discussion of a post"),
    Kind.accepted_changed: _l("A suggested message your cabinet accepted was changed: it comes back to you after "
                              "review"),
    Kind.withdrawn: _l("A suggested message sent to your cabinet was withdrawn"),
    Kind.cabinet_reminder: _l("A suggested message has waited for your cabinet longer than its market allows"),
    Kind.cabinet_escalation: _l("A suggested message you sent still waits for the cabinet"),
    Kind.policy_refuses: _l("A new policy refuses a post on its way: it will not go out as it stands"),
    Kind.proposal_changed: _l("The proposed time of an approved post changed"),
}
#: The line of a notification about a suggested message (an executive's account): said of it, not of "a post", in a
#: sentence of its own, so that a language whose words for them differ in gender agrees its own ("Votre message
#: proposé a été programmé", not "Votre publication a été programmée" nor "Message proposé ... programmée").
SUGGESTION_TITLES = {
    Kind.review_requested: _l("A suggested message awaits your review"),
    Kind.changes_requested: _l("Changes were requested on your suggested message"),
    Kind.rejected: _l("Your suggested message was rejected"),
    Kind.approved: _l("Your suggested message was approved"),
    Kind.scheduled: _l("Your suggested message was scheduled"),
    Kind.published: _l("Your suggested message was published"),
    Kind.missed: _l("A suggested message missed its slot"),
    Kind.failed: _l("A suggested message failed to publish"),
    Kind.unconfirmed: _l("A suggested message may or may not be online: its publication is unconfirmed"),
    Kind.review_reminder: _l("A suggested message has waited in review longer than its market allows"),
    Kind.review_escalation: _l("A suggested message still waits for review: escalated to the group"),
    Kind.commented: _l("New comment in the discussion of a suggested message"),
    Kind.policy_refuses: _l("A new policy refuses a suggested message on its way: it will not go out as it stands"),
    Kind.proposal_changed: _l("The proposed time of an approved suggested message changed"),
}
#: The line of the kinds a cabinet member shares with the writers, as the cabinet is told them.
CABINET_TITLES = {
    Kind.scheduled: _l("A suggested message your cabinet accepted was scheduled"),
    Kind.published: _l("A suggested message your cabinet accepted was published"),
    Kind.missed: _l("A suggested message your cabinet accepted missed its slot"),
    Kind.failed: _l("A suggested message your cabinet accepted failed to publish"),
    Kind.unconfirmed: _l("A suggested message your cabinet accepted may or may not be online: its publication is "
                         "unconfirmed"),
    Kind.commented: _l("New comment on a suggested message sent to your cabinet"),
}


#: The line of a ``cabinet_decided`` notification that knows the decision (those written before 0022 do not).
ACCEPTED_TITLE = _l("Your suggested message was accepted by the cabinet")
#: The writer's line when it was the cabinet that sent the suggestion back (a project manager's reads as before).
CABINET_CHANGES_TITLE = _l("The cabinet asked for changes to your suggested message")
DECISION_TITLES = {
    Action.accept: _l("The cabinet accepted a suggested message you sent it"),
    Action.request_changes: _l("The cabinet sent back a suggested message you sent it, asking for changes"),
    Action.decline: _l("The cabinet declined a suggested message you sent it"),
}


#: Why a ``policy_refuses`` notification was written (its ``why``: this id, the version's label and the gate's errors,
#: each finding rendered in the reader's language). The words the publishing desk and the post page say.
POLICY_REFUSES = N_("The policy in force (%(version)s) refuses it: %(errors)s")


def policy_refuses_why(version: str, errors: Iterable[Mapping[str, Any]]) -> list[reasons.Reason]:
    """The ``why`` of a ``policy_refuses`` notification: ``version`` (``FR-v3``) refuses the post for ``errors``
    (the gate's error findings, stored as ``Finding.as_dict(translatable=True)``)."""
    return [reasons.reason(POLICY_REFUSES, findings=errors, version=version)]


#: What a ``proposal_changed`` notification says (its ``why``: one of these ids, who proposed, the time proposed and
#: the slot as stored instants, the market's zone), by the state the post was in and whether a time is proposed: who
#: proposes what, and what the reader does about it. The times are said in the reader's language and the market's
#: zone (``said``).
PROPOSED_APPROVED = N_("%(name)s proposes %(time)s: schedule the post then, or at another time that suits.")
WITHDRAWN_APPROVED = N_("%(name)s withdrew the proposed time: schedule the post when it suits.")
PROPOSED_SCHEDULED = N_("%(name)s proposes %(time)s, but the post is scheduled for %(slot)s: move its slot, or keep "
                        "it.")
WITHDRAWN_SCHEDULED = N_("%(name)s withdrew the proposed time; the post stays scheduled for %(slot)s: keep its "
                         "slot, or move it.")
PROPOSAL_WORDS = frozenset({PROPOSED_APPROVED, WITHDRAWN_APPROVED, PROPOSED_SCHEDULED, WITHDRAWN_SCHEDULED})
#: The parameters of those words that are instants (ISO 8601, UTC), said in the market's zone.
_INSTANTS = ("time", "slot")


def proposal_changed_why(name: str, proposed: datetime | None, slot: datetime | None,
                         zone: str) -> list[reasons.Reason]:
    """The ``why`` of a ``proposal_changed`` notification: ``name`` proposes ``proposed`` (None: withdrew the
    proposal) for a post approved (``slot`` None) or scheduled at ``slot``, in a market of ``zone``."""
    if slot is None:
        words = PROPOSED_APPROVED if proposed is not None else WITHDRAWN_APPROVED
    else:
        words = PROPOSED_SCHEDULED if proposed is not None else WITHDRAWN_SCHEDULED
    return [reasons.reason(words, name=name, time=proposed.isoformat() if proposed is not None else None,
                           slot=slot.isoformat() if slot is not None else None, zone=zone)]


def proposal_told(why: list | None) -> tuple[datetime | None, datetime | None] | None:
    """The time a ``proposal_changed`` notification told of (None: withdrawn) and the post's slot then (None: it
    was approved, not scheduled); None for another notification's ``why``."""
    given = next((reason for reason in why or () if reason.get("id") in PROPOSAL_WORDS), None)
    if given is None:
        return None
    params = given.get("params") or {}
    time, slot = params.get("time"), params.get("slot")
    return (datetime.fromisoformat(time) if time else None, datetime.fromisoformat(slot) if slot else None)


def _in_zone(why: list) -> list:
    """``why`` with the instants of a ``proposal_changed`` notification said in its market's zone, in the reader's
    language (the reasons' own rendering writes a parameter as it is)."""
    said: list = []
    for reason in why:
        params = reason.get("params") or {}
        if reason.get("id") in PROPOSAL_WORDS and params.get("zone"):
            zone = params["zone"]
            params = {**params, **{name: slot_said(datetime.fromisoformat(params[name]), zone)
                                   for name in _INSTANTS if params.get(name)}}
            reason = {**reason, "params": params}
        said.append(reason)
    return said


def title(kind: Kind | str, action: str | None = None, *, reader: Role | None = None,
          by: Role | None = None, suggestion: bool = False) -> str:
    """The line of a notification of ``kind``, caused by ``action`` (its ``action`` column), for a ``reader`` of
    that role, about an act of someone of the role ``by`` (its actor's), about a post or, ``suggestion``, a
    suggested message (``SUGGESTION_TITLES``)."""
    kind = Kind(kind)
    if action in DECISION_TITLES and kind is Kind.cabinet_decided:
        return str(DECISION_TITLES[Action(action)])
    if action == Action.accept and kind is Kind.approved:  # the author's, as its decline is told
        return str(ACCEPTED_TITLE)
    if kind is Kind.changes_requested and by == Role.cabinet:
        return str(CABINET_CHANGES_TITLE)
    if reader == Role.cabinet and kind in CABINET_TITLES:
        return str(CABINET_TITLES[kind])
    if suggestion and kind in SUGGESTION_TITLES:
        return str(SUGGESTION_TITLES[kind])
    return str(TITLES[kind])


def title_for(notification: Notification, reader: User) -> str:
    """The line of ``notification`` as ``reader`` reads it (``title``)."""
    actor, post = notification.actor, notification.post
    return title(notification.kind, notification.action, reader=reader.role,
                 by=actor.role if actor is not None else None,
                 suggestion=post is not None and post.account.is_executive)


def post_named(post: Post) -> str:
    """A post as a notification's link names it for a screen reader: its number and account, "suggested message"
    for an executive's (its own words: the two differ in gender in French)."""
    if post.account.is_executive:
        return gettext("suggested message #%(id)s, @%(handle)s", id=post.id, handle=post.account.handle)
    return gettext("post #%(id)s, @%(handle)s", id=post.id, handle=post.account.handle)


def excerpt(text: str | None, size: int = 80) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= size else text[: size - 1].rstrip() + "…"


def passage(text: str | None, size: int = 300) -> str:
    """A person's words as they wrote them, in at most ``size`` characters: their lines kept (one blank line at
    most between two), the spaces within each line joined."""
    lines = [" ".join(line.split()) for line in (text or "").splitlines()]
    kept: list[str] = []
    for line in lines:
        if line or (kept and kept[-1]):
            kept.append(line)
    text = "\n".join(kept).strip()
    return text if len(text) <= size else text[: size - 1].rstrip() + "…"


def account_line(post: Post) -> str:
    """Where the post goes, as the pages name it: "FR · X @helio_fr"; an executive's account, with their name (a
    cabinet may serve several): "FR · X @HMarchand · Hélène Marchand"."""
    account = post.account
    line = f"{account.market.code} · {network_name(account.network.value)} @{account.handle}"
    return f"{line} · {account.executive.name}" if account.executive is not None else line


#: What a ``stop_off`` notification's ``why`` keeps (``held_why``): how many of the posts the switch held at their
#: time still waited when it went off, of the reader's (``whose``: ``yours``, a community manager's own posts; or
#: ``markets``, a project manager's markets'). Not a message id: the words depend on the number (``held``).
HELD = "stop_held"
#: A note a ``failed``, ``unconfirmed`` or ``missed`` notification's ``why`` keeps beside the worker's reasons (no
#: ``id``: not a reason): what the network's answer came to (an ``Outcome`` value), as its audit row recorded it.
OUTCOME = "outcome"
#: The notifications that say why a post did not go out, and what a call came to where its step did not record it
#: (``publishing.status.WHY_STEPS``): said as the publishing desk and the post's page say it (``reasons.told``).
FRAMED = {Kind.failed: Outcome.refused, Kind.unconfirmed: Outcome.unknown, Kind.missed: Outcome.temporary_error}


@dataclass(frozen=True)
class Held:
    """What a switch turned off left held, as one reader is told: the sentence, how many, and whether the reader
    releases them on the publishing desk (a project manager, when some stay held)."""

    sentence: str
    count: int
    desk: bool


def held_why(count: int, *, own: bool) -> list[dict[str, Any]]:
    """The ``why`` of a ``stop_off`` notification: ``count`` posts stay held, the reader's own (``own``: a community
    manager) or their markets' (a project manager)."""
    return [{"id": HELD, "params": {"num": count, "whose": "yours" if own else "markets"}, "findings": []}]


def held(why: list | None) -> Held | None:
    """What a ``stop_off`` notification's ``why`` (``held_why``) tells its reader, in their language; None for one
    written before it counted (nothing kept)."""
    given = next((reason for reason in why or () if reason.get("id") == HELD), None)
    if given is None:
        return None
    params = given.get("params") or {}
    num = int(params.get("num") or 0)
    if params.get("whose") == "yours":
        sentence = ngettext("%(num)d of your posts stays held until a project manager releases it or gives it a new "
                            "time.",
                            "%(num)d of your posts stay held until a project manager releases them or gives them a "
                            "new time.", num) if num else gettext("None of your posts was held.")
        return Held(sentence, num, False)
    sentence = ngettext("%(num)d post of your markets stays held: release it on the Publishing desk.",
                        "%(num)d posts of your markets stay held: release them on the Publishing desk.",
                        num) if num else gettext("No post of your markets stays held.")
    return Held(sentence, num, num > 0)


def outcome_note(outcome: str | None) -> list[dict[str, Any]]:
    """The note a notification keeps of what the network's answer came to (``OUTCOME``), if its step recorded it."""
    return [{OUTCOME: outcome}] if outcome in set(Outcome) else []


def _reasons(why: list | None) -> list:
    """The worker's reasons of ``why``, without what the notification keeps beside them (``HELD``, ``OUTCOME``)."""
    return [reason for reason in why or () if reason.get("id") and reason.get("id") != HELD]


def told(kind: Kind | str, comment: str | None, why: list | None) -> reasons.Told | None:
    """Why a post did not go out, as a ``failed``, ``unconfirmed`` or ``missed`` notification tells it: as the
    publishing desk and the post's page say it (``reasons.told``), a sentence in the reader's language saying what
    the call came to and what to do, then the network's own words apart (``Told.words``, to be quoted)."""
    payload: dict[str, Any] = {"why": _reasons(why) or None}
    outcome = next((note[OUTCOME] for note in why or () if OUTCOME in note and "id" not in note), None)
    if outcome is not None:
        payload["outcome"] = outcome
    return reasons.told(comment, payload, outcome=FRAMED[Kind(kind)], gettext=gettext, number=decimal)


@overload
def said(comment: str | None, why: list | None) -> str | None: ...


@overload
def said(comment: str | None, why: list | None, kind: Kind | str) -> str | Held | reasons.Told | None: ...


def said(comment: str | None, why: list | None, kind: Kind | str | None = None) -> str | Held | reasons.Told | None:
    """What a notification quotes: the worker's reasons in the reader's language (``why``; a proposal's times in its
    market's zone), else the comment. Given its ``kind``, what the list says beyond that: a switch turned off, what
    stays held (``held``); a post that did not go out, why, the network's words apart (``told``)."""
    if kind is not None and Kind(kind) is Kind.stop_off:
        return held(why)
    if kind is not None and Kind(kind) in FRAMED:
        return told(kind, comment, why)
    why = _reasons(why)
    return reasons.text(_in_zone(why), gettext, decimal) if why else comment


def quoted(comment: str, size: int = 300, *, lines: bool = False) -> str:
    """A person's words, in the quotation marks of the reader's language; with ``lines``, their line breaks kept
    (a mail), else on one line (a chat message, a list)."""
    return gettext("“%(words)s”", words=passage(comment, size) if lines else excerpt(comment, size))


def slot_line(post: Post) -> str | None:
    """When a scheduled post goes out, in its market's time and, when the reader's clock reads otherwise, in theirs
    (``slot_said``); None for a post not scheduled (any more)."""
    if post.state is not State.scheduled or post.scheduled_at is None:
        return None
    return gettext("Goes out on %(time)s.", time=slot_said(post.scheduled_at, post.account.market.timezone))


def slot_said(instant: datetime | None, zone: str) -> str:
    """An instant of a post's slot as the post pages say it (``filters.slot_time``): in its market's ``zone``, then
    "06:00 your time (America/New_York)" when its reader's zone reads otherwise: a signed-in page's, or a mail's
    recipient's (``reading_in``). Told to no one known (a command, a request of no one), in the market's only."""
    if not has_request_context() or not (g.get(_MAIL_READER) or current_user.is_authenticated):
        return said_in(instant, zone)
    from approval.filters import slot_time  # the filters import the workflow engine, which imports this module

    return slot_time(instant, zone)


#: Where ``reading_in`` notes that a mail's recipient is known.
_MAIL_READER = "approval_mail_reader_zone"


@contextmanager
def reading_in(zone: str) -> Iterator[None]:
    """Have the zone Flask-Babel answers (``get_timezone``: the pages' "your time", ``filters.viewer_zone``) be
    ``zone`` while a mail is written, as ``force_locale`` gives it its recipient's language. Outside a signed-in
    request it answers UTC, and Flask-Babel has no public way to force a zone: it keeps the one it chose in
    ``g._flask_babel`` (which ``flask_babel.refresh`` clears), where this sets it, and puts back what was there."""
    held = g.get("_flask_babel")
    if held is None:
        held = g._flask_babel = SimpleNamespace()
    before = getattr(held, "babel_tzinfo", None)
    held.babel_tzinfo = babel_zone(load_zone(zone).key)
    setattr(g, _MAIL_READER, zone)
    try:
        yield
    finally:
        g.pop(_MAIL_READER, None)
        if before is None:
            del held.babel_tzinfo
        else:
            held.babel_tzinfo = before
