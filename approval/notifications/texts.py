"""The words of notifications, in the reader's language: what each kind is called on the preferences page, and the
line that tells it in the list, the mail and the chat."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from approval.models.notifications import NotificationKind as Kind

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
    Kind.review_reminder: _l("A post waits in review longer than its market allows"),
    Kind.review_escalation: _l("A post still waits in review (escalation)"),
}

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
    Kind.review_reminder: _l("A post has waited in review longer than its market allows"),
    Kind.review_escalation: _l("A post still waits for review: escalated to the group"),
}


def title(kind: Kind) -> str:
    return str(TITLES[Kind(kind)])


def excerpt(text: str | None, size: int = 80) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= size else text[: size - 1].rstrip() + "…"
