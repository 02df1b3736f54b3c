"""The words of notifications, in the reader's language: what each kind is called on the preferences page, and the
line that tells it in the list, the mail and the chat."""

from __future__ import annotations

from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from approval.labels import decimal
from approval.localtime import in_zone
from approval.models import Post
from approval.models.notifications import NotificationKind as Kind
from approval.publishing import reasons
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
}

#: What a cabinet member is ever told: the suggestions awaiting their cabinet.
CABINET_KINDS = frozenset({Kind.cabinet_requested})
#: What only a project manager is told (a community manager writes, and hears of their own posts and the stops).
MANAGER_KINDS = frozenset({Kind.review_requested, Kind.review_reminder, Kind.review_escalation,
                           Kind.cabinet_decided})


def kinds_for(role: Role) -> dict[Kind, object]:
    """The kinds ``role`` can be told of, with their labels, for the preferences page (an admin sees them all)."""
    if role == Role.cabinet:
        shown = CABINET_KINDS
    elif role == Role.community_manager:
        shown = frozenset(Kind) - CABINET_KINDS - MANAGER_KINDS
    elif role == Role.project_manager:
        shown = frozenset(Kind) - CABINET_KINDS
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
}


#: The line of a ``cabinet_decided`` notification that knows the decision (those written before 0022 do not).
ACCEPTED_TITLE = _l("Your suggested message was accepted by the cabinet")
DECISION_TITLES = {
    Action.accept: _l("The cabinet accepted a suggested message you sent it"),
    Action.request_changes: _l("The cabinet sent back a suggested message you sent it, asking for changes"),
    Action.decline: _l("The cabinet declined a suggested message you sent it"),
}


def title(kind: Kind | str, action: str | None = None) -> str:
    """The line of a notification of ``kind``, caused by ``action`` (its ``action`` column)."""
    if action in DECISION_TITLES and Kind(kind) is Kind.cabinet_decided:
        return str(DECISION_TITLES[Action(action)])
    if action == Action.accept and Kind(kind) is Kind.approved:  # the author's, as its decline is told
        return str(ACCEPTED_TITLE)
    return str(TITLES[Kind(kind)])


def excerpt(text: str | None, size: int = 80) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= size else text[: size - 1].rstrip() + "…"


def account_line(post: Post) -> str:
    """Where the post goes, as the pages name it: "FR · X @helio_fr"."""
    account = post.account
    return f"{account.market.code} · {network_name(account.network.value)} @{account.handle}"


def said(comment: str | None, why: list | None) -> str | None:
    """What a notification quotes: the worker's reasons in the reader's language (``why``), else the comment."""
    return reasons.text(why, gettext, decimal) if why else comment


def quoted(comment: str, size: int = 300) -> str:
    """A person's words, in the quotation marks of the reader's language."""
    return gettext("“%(words)s”", words=excerpt(comment, size))


def slot_line(post: Post) -> str | None:
    """When a scheduled post goes out, in its market's time; None for a post not scheduled (any more)."""
    if post.state is not State.scheduled or post.scheduled_at is None:
        return None
    return gettext("Goes out on %(time)s.", time=in_zone(post.scheduled_at, post.account.market.timezone))
