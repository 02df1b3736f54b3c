"""Administration use cases: markets, accounts, executives and their cabinets, users, campaigns.

They flush; the caller commits.
"""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from approval.models import Account, AccountKind, Campaign, Executive, Market, Network, Post, User
from approval.workflow.states import Role, State


def create_market(session: Session, code: str, name: str, timezone: str, languages: list[str]) -> Market:
    market = Market(code=code.upper(), name=name, timezone=timezone, languages=list(languages))
    session.add(market)
    session.flush()
    return market


def get_or_create_executive(session: Session, name: str, title: str = "") -> Executive:
    executive = session.scalar(select(Executive).where(Executive.name == name))
    if executive is None:
        executive = Executive(name=name, title=title)
        session.add(executive)
        session.flush()
    return executive


def create_account(
    session: Session, market: Market, network: str, handle: str, brand: str = "", executive: Executive | None = None
) -> Account:
    account = Account(
        market=market, network=Network(network), handle=handle.lstrip("@"), brand=brand,
        kind=AccountKind.executive if executive else AccountKind.brand, executive=executive,
    )
    session.add(account)
    session.flush()
    return account


def create_user(
    session: Session,
    email: str,
    name: str,
    role: Role | str,
    password: str,
    *,
    markets: list[Market] = (),
    all_markets: bool = False,
    executives: list[Executive] = (),
) -> User:
    user = User(email=email.strip().lower(), name=name, role=Role(role), all_markets=all_markets)
    user.set_password(password)
    user.markets = list(markets)
    user.executives = list(executives)
    session.add(user)
    session.flush()
    return user


# The administration area ---------------------------------------------------------------------------------------
# Forms check the input's shape and that unique values are free; these functions keep the rules that depend on
# other rows or on who acts. Each raises Refused, naming the field at fault, before writing anything.

#: The shortest password an admin may give.
MIN_PASSWORD_LENGTH = 8


class Refused(Exception):
    """An administration change the rules forbid; ``field`` names the form field at fault, when there is one."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


def update_market(
    session: Session, market: Market, code: str, name: str, timezone: str, languages: list[str]
) -> Market:
    market.code, market.name, market.timezone, market.languages = code.upper(), name, timezone, list(languages)
    session.flush()
    return market


def create_executive(session: Session, name: str, title: str = "") -> Executive:
    executive = Executive(name=name, title=title)
    session.add(executive)
    session.flush()
    return executive


def update_executive(session: Session, executive: Executive, name: str, title: str) -> Executive:
    executive.name, executive.title = name, title
    session.flush()
    return executive


def add_cabinet_member(session: Session, executive: Executive, user: User) -> None:
    if user.role != Role.cabinet:
        raise Refused(_("Only a cabinet member can serve an executive."), "user_id")
    if user not in executive.cabinet:
        executive.cabinet.append(user)
    session.flush()


def remove_cabinet_member(session: Session, executive: Executive, user: User) -> None:
    if user in executive.cabinet:
        executive.cabinet.remove(user)
    session.flush()


def update_account(
    session: Session, account: Account, market: Market, network: str, handle: str, brand: str = "",
    executive: Executive | None = None,
) -> Account:
    """Change an account; who receives its suggested messages may not change while some await the cabinet."""
    if executive != account.executive and _has_posts_with_cabinet(session, account):
        raise Refused(_("Posts of this account await the cabinet: decide them before changing whose account it is."),
                      "executive_id")
    account.market, account.network, account.handle = market, Network(network), handle.lstrip("@")
    account.brand = brand
    account.kind, account.executive = (AccountKind.executive if executive else AccountKind.brand), executive
    session.flush()
    return account


def deactivate_account(session: Session, account: Account) -> None:
    """No new post can be written for a deactivated account; its existing posts stay as they are."""
    account.active = False
    session.flush()


def reactivate_account(session: Session, account: Account) -> None:
    account.active = True
    session.flush()


def update_user(
    session: Session,
    user: User,
    actor: User,
    name: str,
    role: Role | str,
    *,
    markets: list[Market] = (),
    all_markets: bool = False,
    executives: list[Executive] = (),
) -> User:
    if user.id == actor.id and Role(role) != user.role:
        raise Refused(_("You cannot change your own role: ask another admin."), "role")
    user.name, user.role, user.all_markets = name, Role(role), all_markets
    user.markets = list(markets)
    user.executives = list(executives)
    session.flush()
    return user


def deactivate_user(session: Session, user: User, actor: User) -> None:
    """A deactivated user can no longer log in, and a session they still hold stops working."""
    if user.id == actor.id:
        raise Refused(_("You cannot deactivate yourself: ask another admin."))
    user.active = False
    session.flush()


def reactivate_user(session: Session, user: User) -> None:
    user.active = True
    session.flush()


def set_user_password(session: Session, user: User, password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise Refused(_("At least %(n)s characters.", n=MIN_PASSWORD_LENGTH), "password")
    user.set_password(password)
    session.flush()


def create_campaign(
    session: Session, name: str, market: Market | None, hashtag: str = "", description: str = "",
    disclosure_required: bool = False,
) -> Campaign:
    """``market`` None makes a group-wide campaign; ``disclosure_required`` a partnership, whose posts disclose it."""
    campaign = Campaign(name=name, market=market, hashtag=hashtag, description=description,
                        disclosure_required=disclosure_required)
    session.add(campaign)
    session.flush()
    return campaign


def update_campaign(
    session: Session, campaign: Campaign, name: str, market: Market | None, hashtag: str = "", description: str = "",
    disclosure_required: bool = False,
) -> Campaign:
    """A campaign can move to one market only if none of its posts lies elsewhere."""
    if market is not None and market != campaign.market:
        elsewhere = session.scalar(
            select(func.count()).select_from(Post).join(Post.account)
            .where(Post.campaign_id == campaign.id, Account.market_id != market.id)
        )
        if elsewhere:
            raise Refused(ngettext("%(num)s post of this campaign belongs to another market: keep it group-wide.",
                                   "%(num)s posts of this campaign belong to other markets: keep it group-wide.",
                                   elsewhere), "market_id")
    campaign.name, campaign.market, campaign.hashtag, campaign.description = name, market, hashtag, description
    campaign.disclosure_required = disclosure_required
    session.flush()
    return campaign


def _has_posts_with_cabinet(session: Session, account: Account) -> bool:
    query = select(Post.id).where(Post.account_id == account.id, Post.state == State.with_cabinet).limit(1)
    return session.scalar(query) is not None
