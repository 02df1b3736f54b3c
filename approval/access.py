"""Who sees what: the one place that scopes markets, accounts and posts to a user.

Community and project managers see the accounts of their markets (or all, when group-wide); a cabinet member sees
the executive accounts of the executives they serve, and their posts once these leave the drafting table; admins see
everything. Views and the API load objects only through these queries, so an object outside them is a 404.
"""

from __future__ import annotations

from sqlalchemy import Select, false, select, true
from sqlalchemy.sql.elements import ColumnElement

from approval.models import Account, Market, Post, User
from approval.models.users import cabinet_members, user_markets
from approval.workflow.states import Role, State

#: What a cabinet never sees: the drafting between community and project managers.
HIDDEN_FROM_CABINET = (State.draft, State.withdrawn)


def account_clause(user: User) -> ColumnElement[bool]:
    if user.role == Role.cabinet:
        served = select(cabinet_members.c.executive_id).where(cabinet_members.c.user_id == user.id)
        return Account.executive_id.in_(served)
    if user.group_wide:
        return true()
    mine = select(user_markets.c.market_id).where(user_markets.c.user_id == user.id)
    return Account.market_id.in_(mine)


def post_clause(user: User) -> ColumnElement[bool]:
    clause = Post.account_id.in_(select(Account.id).where(account_clause(user)))
    if user.role == Role.cabinet:
        clause = clause & Post.state.not_in(HIDDEN_FROM_CABINET)
    return clause


def market_clause(user: User) -> ColumnElement[bool]:
    if user.group_wide:
        return true()
    if user.role == Role.cabinet:
        return Market.id.in_(select(Account.market_id).where(account_clause(user)))
    mine = select(user_markets.c.market_id).where(user_markets.c.user_id == user.id)
    return Market.id.in_(mine) if user.markets or user.id else false()


def visible_posts(user: User) -> Select[tuple[Post]]:
    return select(Post).join(Post.account).where(post_clause(user))


def visible_accounts(user: User) -> Select[tuple[Account]]:
    return select(Account).where(account_clause(user)).order_by(Account.network, Account.handle)


def visible_markets(user: User) -> Select[tuple[Market]]:
    return select(Market).where(market_clause(user)).order_by(Market.code)


def can_see_account(user: User, account: Account) -> bool:
    if user.role == Role.cabinet:
        return account.executive is not None and user in account.executive.cabinet
    return user.group_wide or account.market_id in user.market_ids()


def can_see_post(user: User, post: Post) -> bool:
    if user.role == Role.cabinet and post.state in HIDDEN_FROM_CABINET:
        return False
    return can_see_account(user, post.account)
