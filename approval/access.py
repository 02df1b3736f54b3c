"""Who sees what: the one place that scopes markets, accounts and posts to a user.

Community and project managers see the accounts of their markets (or all, when group-wide); a cabinet member sees
the executive accounts of the executives they serve, and their posts once these leave the drafting table; admins see
everything. Views and the API load objects only through these queries, so an object outside them is a 404.

A user's scope is one of three shapes (``Scope``). The clauses take the shape and the user's id, which is either the
id itself or ``viewer_id()``, a placeholder bound when the statement runs: a statement a request runs on every call
(``operations.load_post``) is then built once per shape instead of once per request, since building and keying a
statement costs more than running it.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Protocol

from sqlalchemy import BindParameter, Integer, Select, bindparam, false, func, select, true
from sqlalchemy.orm import aliased
from sqlalchemy.sql.elements import ColumnElement

from approval.models import Account, AuditEntry, Market, Post, Revision, User
from approval.models.users import cabinet_members, user_markets
from approval.workflow.states import Role, State

#: What a cabinet never sees: the drafting between community and project managers. Nor does it see a post before
#: it was first sent to the cabinet (``Post.sent_to_cabinet_at``): its review, or its rejection, by the project
#: managers.
HIDDEN_FROM_CABINET = (State.draft, State.withdrawn)
#: The name of the user's id in a statement built with ``viewer_id()``.
VIEWER_ID = "viewer_id"


class Scope(enum.Enum):
    everything = "everything"  # admins and group-wide managers
    markets = "markets"  # managers of some markets
    cabinet = "cabinet"  # the executives a cabinet member serves


def scope_of(user: User) -> Scope:
    if user.role == Role.cabinet:
        return Scope.cabinet
    return Scope.everything if user.group_wide else Scope.markets


def viewer_id() -> BindParameter[int]:
    """The user's id, bound when the statement runs (``{VIEWER_ID: user.id}``); a statement run without it fails."""
    return bindparam(VIEWER_ID, type_=Integer, required=True)


Viewer = int | BindParameter[int]


def scoped_accounts(scope: Scope, viewer: Viewer) -> ColumnElement[bool]:
    if scope is Scope.cabinet:
        served = select(cabinet_members.c.executive_id).where(cabinet_members.c.user_id == viewer)
        return Account.executive_id.in_(served)
    if scope is Scope.everything:
        return true()
    return Account.market_id.in_(select(user_markets.c.market_id).where(user_markets.c.user_id == viewer))


def scoped_posts(scope: Scope, viewer: Viewer) -> ColumnElement[bool]:
    clause: ColumnElement[bool] = Post.account_id.in_(select(Account.id).where(scoped_accounts(scope, viewer)))
    if scope is Scope.cabinet:
        clause = clause & Post.sent_to_cabinet_at.is_not(None) & Post.state.not_in(HIDDEN_FROM_CABINET)
    return clause


def revision_clause(user: User) -> ColumnElement[bool]:
    """The revisions ``user`` reads of a post they see: a cabinet, from the one it was sent (the post's current
    revision at its first sending to the cabinet), as it follows the post's history from then on
    (``operations.told_from``): the drafts before stay between the writers and the project managers, their texts
    and their files. Everyone else reads every revision."""
    if user.role != Role.cabinet:
        return true()
    # The revision the trail's first move to the cabinet names, not the one written before that moment by the
    # clocks: two web processes' clocks may differ, and a revision written on the one running behind read as
    # written after its own sending (the cabinet then read the draft before it, or nothing).
    sent_on = aliased(Revision)
    sent = (select(func.min(sent_on.number)).join(AuditEntry, AuditEntry.revision_id == sent_on.id)
            .where(AuditEntry.post_id == Revision.post_id, AuditEntry.to_state == State.with_cabinet)
            .correlate(Revision).scalar_subquery())
    return Revision.number >= sent


def account_clause(user: User) -> ColumnElement[bool]:
    return scoped_accounts(scope_of(user), user.id)


def post_clause(user: User) -> ColumnElement[bool]:
    return scoped_posts(scope_of(user), user.id)


def market_clause(user: User) -> ColumnElement[bool]:
    if user.group_wide:  # a cabinet member with every market sees them all listed, not only their executives'
        return true()
    if user.role == Role.cabinet:
        return Market.id.in_(select(Account.market_id).where(account_clause(user)))
    mine = select(user_markets.c.market_id).where(user_markets.c.user_id == user.id)
    return Market.id.in_(mine) if user.markets or user.id else false()


def visible_posts(user: User) -> Select[Post]:
    return select(Post).join(Post.account).where(post_clause(user))


def visible_accounts(user: User) -> Select[Account]:
    return select(Account).where(account_clause(user)).order_by(Account.network, Account.handle)


def visible_markets(user: User) -> Select[Market]:
    return select(Market).where(market_clause(user)).order_by(Market.code)


def can_see_account(user: User, account: Account) -> bool:
    if user.role == Role.cabinet:
        return account.executive is not None and user in account.executive.cabinet
    return user.group_wide or account.market_id in user.market_ids()


class PostLike(Protocol):
    """What the visibility and transition checks read of a post: a ``Post``, or the calendar's ``PostRow``."""

    @property
    def state(self) -> State: ...

    @property
    def account(self) -> Account: ...

    @property
    def sent_to_cabinet_at(self) -> datetime | None: ...


def can_see_post(user: User, post: PostLike) -> bool:
    if user.role == Role.cabinet and (post.state in HIDDEN_FROM_CABINET or post.sent_to_cabinet_at is None):
        return False
    return can_see_account(user, post.account)
