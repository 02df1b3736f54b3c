"""The words users read for the workflow's values: states, actions, roles, severities, in their language.

The values themselves (CONTRACT.md) stay English identifiers in data, URLs and the API; pages and messages show
these labels instead.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from babel import Locale
from babel.dates import format_date, format_skeleton
from babel.numbers import get_decimal_symbol
from flask_babel import format_decimal, get_locale, gettext
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext

from approval.localtime import utc_offset, wall_clock
from approval.models.publishing import Outcome
from approval.publishing import reasons
from approval.style import Finding, Severity, language, localize
from approval.workflow.states import Action, Role, State

if TYPE_CHECKING:
    from approval.models.posts import Post

LABELS: dict[StrEnum, object] = {
    State.draft: _l("draft"),
    State.in_review: _l("in review"),
    State.changes_requested: _l("changes requested"),
    State.with_cabinet: _l("with the cabinet"),
    State.approved: _l("approved"),
    State.scheduled: _l("scheduled"),
    State.publishing: _l("publishing"),
    State.published: _l("published"),
    State.failed: _l("failed"),
    State.unconfirmed: _l("unconfirmed"),
    State.rejected: _l("rejected"),
    State.declined: _l("declined"),
    State.withdrawn: _l("withdrawn"),
    Action.submit: _l("submit"),
    Action.recall: _l("recall"),
    Action.approve: _l("approve"),
    Action.request_changes: _l("request changes"),
    Action.reject: _l("reject"),
    Action.accept: _l("accept"),
    Action.decline: _l("decline"),
    Action.schedule: _l("schedule"),
    Action.unschedule: _l("unschedule"),
    Action.withdraw: _l("withdraw"),
    Action.mark_published: _l("mark as published"),
    Action.retry: _l("retry"),
    Action.confirm_published: _l("confirm as published"),
    Action.create: _l("create"),
    Action.edit: _l("edit"),
    Action.claim: _l("taken by the publisher"),
    Action.publish: _l("published by the publisher"),
    Action.fail: _l("publishing failed"),
    Action.lose: _l("outcome unknown"),
    Action.postpone: _l("publishing postponed"),
    Action.hold: _l("held"),
    Action.release: _l("released"),
    Action.miss: _l("slot missed"),
    Role.community_manager: _l("community manager"),
    Role.project_manager: _l("project manager"),
    Role.cabinet: _l("cabinet"),
    Role.admin: _l("admin"),
    Severity.error: _l("error"),
    Severity.warning: _l("warning"),
}


#: What someone did, as a post's history tells it ("Camille Dubois · submitted for review"): the actions' labels
#: are the buttons' words ("submit"), which read as orders there.
DONE: dict[Action, object] = {
    Action.create: lazy_pgettext("history", "created"),
    Action.edit: lazy_pgettext("history", "edited"),
    Action.submit: lazy_pgettext("history", "submitted for review"),
    Action.recall: lazy_pgettext("history", "recalled from review"),
    Action.approve: lazy_pgettext("history", "approved"),
    Action.request_changes: lazy_pgettext("history", "requested changes"),
    Action.reject: lazy_pgettext("history", "rejected"),
    Action.accept: lazy_pgettext("history", "accepted"),
    Action.decline: lazy_pgettext("history", "declined"),
    Action.schedule: lazy_pgettext("history", "scheduled"),
    Action.unschedule: lazy_pgettext("history", "unscheduled"),
    Action.withdraw: lazy_pgettext("history", "withdrew"),
    Action.mark_published: lazy_pgettext("history", "marked as published"),
    Action.retry: lazy_pgettext("history", "asked to send again"),
    Action.confirm_published: lazy_pgettext("history", "confirmed as published"),
    Action.claim: lazy_pgettext("history", "took it to publish"),
    Action.publish: lazy_pgettext("history", "published"),
    Action.fail: lazy_pgettext("history", "could not publish"),
    Action.lose: lazy_pgettext("history", "sent it, without knowing whether it went out"),
    Action.postpone: lazy_pgettext("history", "postponed publishing"),
    Action.hold: lazy_pgettext("history", "held"),
    Action.release: lazy_pgettext("history", "released"),
    Action.miss: lazy_pgettext("history", "noted a missed slot"),
}


def done(action: Action | str) -> str:
    """What an action did, in the past tense; an unknown action shows as its label."""
    try:
        return str(DONE[Action(action)])
    except (ValueError, KeyError):
        return label(action)


#: What came of a publishing attempt, in words.
OUTCOME_LABELS: dict[str, object] = {
    "sending": _l("sending"),
    "published": _l("published"),
    "rate_limited": _l("rate-limited, tried again later"),
    "temporary_error": _l("temporary error, tried again later"),
    "refused": _l("refused by the network"),
    "needs_reconnect": _l("the account needs reconnecting"),
    "unknown": _l("outcome unknown"),
}

#: The worker's reasons for a refusal made here, before anything left this server (the webhook's address on its own
#: network, an address that cannot be called): the attempt's outcome is ``refused``, but not by the network.
REFUSED_HERE = frozenset({reasons.INTERNAL_ADDRESS, reasons.UNCALLABLE_ADDRESS})
REFUSED_HERE_LABEL = _l("refused before sending: nothing left this server")


def attempt_outcome(outcome: Outcome | str, why: Mapping[str, Any] | None = None) -> str:
    """What came of a publishing attempt, in words: its ``outcome``, and its ``why`` (the worker's reason, when the
    words were its own) telling a refusal made here from the network's."""
    if why and why.get("id") in REFUSED_HERE:
        return str(REFUSED_HERE_LABEL)
    value = outcome.value if isinstance(outcome, Outcome) else str(outcome)
    return str(OUTCOME_LABELS.get(value, value))


#: How a button looks: the way forward stands out, the ways out warn.
TONES: dict[Action, str] = {
    Action.submit: "primary", Action.approve: "primary", Action.accept: "primary", Action.schedule: "primary",
    Action.retry: "primary", Action.confirm_published: "primary",
    Action.reject: "danger", Action.decline: "danger", Action.withdraw: "danger",
}


def tone(action: Action | str) -> str:
    """The button style of an action: "primary", "danger" or "" (neutral)."""
    try:
        return TONES.get(Action(action), "")
    except ValueError:
        return ""


def label(value: StrEnum | str) -> str:
    """The user's word for a workflow value; an unknown value shows as itself."""
    for enum in (State, Action, Role, Severity):
        try:
            return str(LABELS[enum(value)])
        except (ValueError, KeyError):
            continue
    return str(value)


#: What a state's badge is said of (``state_label``): in French a post is « une publication » and a suggested message
#: (an executive's account) « un message proposé », and the badge agrees with it ("approuvée", "accepté"). English
#: reads the same words for both.
POST, SUGGESTION = "post", "suggestion"

#: A state on a badge, in the words that agree with what it is the state of. A suggested message is ``approved`` once
#: its cabinet accepted it (the one way it gets there), and ``declined`` by its cabinet.
STATE_BADGES: dict[str, dict[State, object]] = {
    POST: {
        State.draft: lazy_pgettext("post state", "draft"),
        State.in_review: lazy_pgettext("post state", "in review"),
        State.changes_requested: lazy_pgettext("post state", "changes requested"),
        State.with_cabinet: lazy_pgettext("post state", "with the cabinet"),
        State.approved: lazy_pgettext("post state", "approved"),
        State.scheduled: lazy_pgettext("post state", "scheduled"),
        State.publishing: lazy_pgettext("post state", "publishing"),
        State.published: lazy_pgettext("post state", "published"),
        State.failed: lazy_pgettext("post state", "failed"),
        State.unconfirmed: lazy_pgettext("post state", "unconfirmed"),
        State.rejected: lazy_pgettext("post state", "rejected"),
        State.declined: lazy_pgettext("post state", "declined"),
        State.withdrawn: lazy_pgettext("post state", "withdrawn"),
    },
    SUGGESTION: {
        State.draft: lazy_pgettext("suggested message state", "draft"),
        State.in_review: lazy_pgettext("suggested message state", "in review"),
        State.changes_requested: lazy_pgettext("suggested message state", "changes requested"),
        State.with_cabinet: lazy_pgettext("suggested message state", "with the cabinet"),
        State.approved: lazy_pgettext("suggested message state", "approved"),
        State.scheduled: lazy_pgettext("suggested message state", "scheduled"),
        State.publishing: lazy_pgettext("suggested message state", "publishing"),
        State.published: lazy_pgettext("suggested message state", "published"),
        State.failed: lazy_pgettext("suggested message state", "failed"),
        State.unconfirmed: lazy_pgettext("suggested message state", "unconfirmed"),
        State.rejected: lazy_pgettext("suggested message state", "rejected"),
        State.declined: lazy_pgettext("suggested message state", "declined"),
        State.withdrawn: lazy_pgettext("suggested message state", "withdrawn"),
    },
}


#: What a badge says beside a post's state or in its place, agreed as its state: held by a stop switch or an embargo,
#: its slot missed.
MARK_BADGES: dict[str, dict[str, object]] = {
    POST: {"held": lazy_pgettext("post state", "held"), "missed": lazy_pgettext("post state", "missed")},
    SUGGESTION: {"held": lazy_pgettext("suggested message state", "held"),
                 "missed": lazy_pgettext("suggested message state", "missed")},
}


def kind_of(post: Post) -> str:
    """What a post is, as its badges agree with it: ``SUGGESTION`` for an executive's account, else ``POST``."""
    return SUGGESTION if post.account.is_executive else POST


def state_label(state: State | str, of: Post | str) -> str:
    """A state on the badge of ``of`` (or a mark, ``MARK_BADGES``): a post, or what it is (``POST``, ``SUGGESTION``)
    where the badge stands for many (a list's filter by state). An unknown state shows as its label."""
    kind = of if isinstance(of, str) else kind_of(of)
    if str(state) in MARK_BADGES[kind]:
        return str(MARK_BADGES[kind][str(state)])
    try:
        return str(STATE_BADGES[kind][State(state)])
    except ValueError:
        return label(state)


#: A state over a column of counts: "approved" in English, but plural in French ("approuvées"), where the state's
#: own label agrees with one post.
#: Soft hyphens (U+00AD) mark where a narrow column of the wall may break a long word ("sched-uled").
HEADINGS: dict[State, object] = {
    State.in_review: lazy_pgettext("column of counts", "in review"),
    State.changes_requested: lazy_pgettext("column of counts", "changes re\u00adquested"),
    State.with_cabinet: lazy_pgettext("column of counts", "with the cabinet"),
    State.approved: lazy_pgettext("column of counts", "approved"),
    State.scheduled: lazy_pgettext("column of counts", "sched\u00aduled"),
    State.failed: lazy_pgettext("column of counts", "failed"),
    State.unconfirmed: lazy_pgettext("column of counts", "un\u00adcon\u00adfirmed"),
    State.published: lazy_pgettext("column of counts", "published"),
}


def heading(state: State | str) -> str:
    """A state as the heading of a column of counts (its label where no heading is set)."""
    try:
        return str(HEADINGS[State(state)])
    except (ValueError, KeyError):
        return label(state)


def decimal(value: float) -> str:
    """A decimal in the reader's language, two decimals at most: 0.8 in English, 0,8 in French."""
    return format_decimal(value, format="#,##0.##")


def finding_message(finding: Finding | Mapping[str, Any]) -> str:
    """A finding of the style gate, just made or stored with a revision, in the reader's language: its words and its
    decimals."""
    if isinstance(finding, Finding):
        finding = finding.as_dict(translatable=True)
    if finding.get("rule") == language.MISMATCH:  # the languages named in the reader's language, not in English
        finding = {**finding, "params": language.named_in(finding.get("params") or {}, str(get_locale() or "en"))}
    return localize(finding, gettext, decimal)


# Dates and times inside sentences ---------------------------------------------------------------------------------
# A sentence tells a date as a person writes it in the page's language, with Babel's medium date and a 24-hour clock
# joined by the language's own pattern: "Dec 8, 2027, 09:00", "8 déc. 2027, 09:00". What a program reads (a form's
# value, the API, a data attribute, a CSV, the audit, a log, the CLI) stays ISO.

def _locale() -> Locale:
    """The reader's language (the page's, or the one a mail is written in); English outside a request."""
    return get_locale() or Locale.parse("en")


def said_date(day: date) -> str:
    """A day inside a sentence: "Dec 8, 2027", "8 déc. 2027"."""
    return format_date(day, "medium", locale=_locale())


def said_clock(local: datetime) -> str:
    """A wall-clock time inside a sentence, without its date: "09:00"."""
    return format_skeleton("Hm", local.replace(tzinfo=None), locale=_locale())


def said_wall(local: datetime) -> str:
    """A wall-clock date and time inside a sentence (as the clocks of ``local``'s zone read it, or as typed):
    "Dec 8, 2027, 09:00", "8 déc. 2027, 09:00"."""
    locale = _locale()
    return locale.datetime_formats["medium"].replace("{1}", said_date(local.date())).replace("{0}", said_clock(local))


def said_in(instant: datetime | None, zone: str) -> str:
    """An instant inside a sentence, as the clocks of ``zone`` read it, followed by the zone's name and offset:
    "Dec 8, 2027, 09:00 (Europe/Paris, UTC+01:00)"; in UTC, as stored, when ``zone`` cannot tell it."""
    if instant is None:
        return ""
    local = wall_clock(instant, zone)
    if local is None:  # an unknown zone, or year 1 or 9999 pushed out of range by its offset
        return f"{said_wall(instant.astimezone(UTC))} (UTC)"
    return f"{said_wall(local)} ({zone}, {utc_offset(local)})"


def said_clock_in(instant: datetime, zone: str, *, on: date | None = None) -> str:
    """``said_in`` without the date when the clocks of ``zone`` read ``on`` at that instant: "09:30 (Europe/Paris,
    UTC+01:00)" beside a day's heading, "Nov 8, 2027, 09:30 (...)" when it is another day there."""
    local = wall_clock(instant, zone)
    if local is None or local.date() != on:
        return said_in(instant, zone)
    return f"{said_clock(local)} ({zone}, {utc_offset(local)})"


#: How each connector reads, in the reader's language (the stored value is CONTRACT.md's word): the account
#: messages, the publishing settings' conflicts and the change log's "Publishes through" (it showed "— → outbox").
CONNECTOR_NAMES = {"outbox": _l("the outbox"), "webhook": _l("a webhook")}


def connector_name(connector: str | None) -> str:
    """A connector as a sentence names it ("the outbox"); one the application does not know, as stored."""
    return str(CONNECTOR_NAMES.get(connector or "", connector or ""))


def decimal_comma() -> bool:
    """Whether the reader's language writes decimals with a comma (French). A CSV is written as their spreadsheet
    opens it: with a decimal comma, its cells are apart by semicolons (French Excel opened a comma-separated file all
    in its first column), as the reports' exports and the import template write theirs."""
    return get_decimal_symbol(get_locale() or "en") == ","
