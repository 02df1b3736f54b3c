"""Notices of one action on the posts of one set, read as one line: "5 posts of set #3 were scheduled".

A message written once for five accounts (a set, ``posts.set_id``), approved and scheduled in one go, told its writer
ten things, one per post and step, and a morning's work left 33 unread. The list, the bell and the mails gather the
notices of one kind that one act (``Notification.act_id``: one request, one worker's pass) wrote about the posts of
one set, by the same actor with the same words (comment, reasons): one line, leading to the set and to each post;
marked read together. The list pages by line, whole (``inbox.lines``), and the bell counts the lines with one notice
unread or more (``inbox.unread_lines``); a notice written before acts were kept (no act) stands alone. The API keeps
one item per notification (its contract).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask_babel import ngettext

from approval.models import User
from approval.models.notifications import Notification, NotificationKind
from approval.notifications import texts
from approval.workflow.states import Role

Kind = NotificationKind

#: What is never gathered: each comment is its own words, each proposal its own time; what went wrong with a post
#: asks for action on that post, with the network's own words (``texts.FRAMED``), and a refusing policy its findings.
APART = frozenset({Kind.commented, Kind.proposal_changed, Kind.failed, Kind.unconfirmed, Kind.missed,
                   Kind.policy_refuses})
#: The line of a group, by kind, for everyone but a cabinet (who reads its own titles, ``texts.CABINET_TITLES``).
GROUP_TITLES: dict[Kind, Callable[[int, int], str]] = {
    Kind.review_requested: lambda num, set_id: ngettext(
        "%(num)d post of set #%(set)s awaits your review", "%(num)d posts of set #%(set)s await your review",
        num, set=set_id),
    Kind.changes_requested: lambda num, set_id: ngettext(
        "Changes were requested on %(num)d post of set #%(set)s",
        "Changes were requested on %(num)d posts of set #%(set)s", num, set=set_id),
    Kind.approved: lambda num, set_id: ngettext(
        "%(num)d post of set #%(set)s was approved", "%(num)d posts of set #%(set)s were approved", num, set=set_id),
    Kind.scheduled: lambda num, set_id: ngettext(
        "%(num)d post of set #%(set)s was scheduled", "%(num)d posts of set #%(set)s were scheduled", num,
        set=set_id),
    Kind.published: lambda num, set_id: ngettext(
        "%(num)d post of set #%(set)s was published", "%(num)d posts of set #%(set)s were published", num,
        set=set_id),
}


def key(kind: Kind | str, actor_id: int | None, action: str | None, comment: str | None, why: Any,
        set_id: int | None) -> tuple | None:
    """What the notices of one group share; None for a notice that stands alone (no set, or its own words)."""
    kind = Kind(kind)
    if set_id is None or kind in APART:
        return None
    return (kind, actor_id, action, comment, json.dumps(why, sort_keys=True, default=str) if why else None, set_id)


def key_of(notification: Notification) -> tuple | None:
    """What the notices of ``notification``'s line share, its act with them; None for one that stands alone (of no
    act: written before acts were kept)."""
    post = notification.post
    shared = key(notification.kind, notification.actor_id, notification.action, notification.comment,
                 notification.why, post.set_id if post is not None else None)
    return None if shared is None or notification.act_id is None else (*shared, notification.act_id)


@dataclass
class Group:
    """Notices gathered as one line: ``members`` in the order they came (the list's: newest first)."""

    set_id: int
    members: list[Notification] = field(default_factory=list)

    @property
    def first(self) -> Notification:
        return self.members[0]

    @property
    def kind(self) -> Kind:
        return self.first.kind

    @property
    def ids(self) -> list[int]:
        return [n.id for n in self.members]

    @property
    def read(self) -> bool:
        return all(n.read for n in self.members)

    @property
    def at(self) -> datetime:
        return max(n.at for n in self.members)


def gather(notifications: Iterable[Notification], *,
           alone: Callable[[Notification], bool] = lambda _n: False) -> list[Notification | Group]:
    """``notifications`` as lines: each notice alone, or a ``Group`` of those of one act on one set (two or more),
    in the place of its first. ``alone``: a notice to leave out of any group (a post its reader no longer sees). The
    mails' way; the list's lines come whole from the database (``inbox.lines``), gathered by the same rule."""
    lines: list[Notification | Group] = []
    open_: dict[tuple, Group] = {}
    for n in notifications:
        k = None if alone(n) else key_of(n)
        if k is None:
            lines.append(n)
        elif k in open_:
            open_[k].members.append(n)
        else:
            open_[k] = Group(set_id=k[-2], members=[n])
            lines.append(open_[k])
    return [line.first if isinstance(line, Group) and len(line.members) == 1 else line for line in lines]


def line(members: Sequence[Notification]) -> Notification | Group:
    """The notices of one line (``inbox.lines``: newest first) as the list shows it: one alone, or their group."""
    first = members[0]
    if len(members) == 1 or first.post is None or first.post.set_id is None:
        return first
    return Group(set_id=first.post.set_id, members=list(members))


def title(group: Group, reader: User) -> str:
    """The line of ``group``: how many posts of which set, and what happened to them."""
    num = len(group.members)
    if group.kind in GROUP_TITLES and reader.role != Role.cabinet:
        return GROUP_TITLES[group.kind](num, group.set_id)
    return ngettext("%(title)s: %(num)d post of set #%(set)s", "%(title)s: %(num)d posts of set #%(set)s", num,
                    title=texts.title_for(group.first, reader), set=group.set_id)
