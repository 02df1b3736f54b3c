"""Administration use cases: markets, accounts, executives and their cabinets, users. They flush; the caller commits."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from approval.models import Account, AccountKind, Executive, Market, Network, User
from approval.workflow.states import Role


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

