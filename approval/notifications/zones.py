"""The time zone a user's daily digest follows: their own, else their first market's (a cabinet member's: the first
market their executives' accounts are in), else UTC."""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from approval.administration import place_zone
from approval.models import User


def zone_of(own: str | None, user: User) -> str:
    if own and place_zone(own) is not None:  # a zone saved before it was checked is no zone
        return own
    markets = sorted(user.markets or {account.market for executive in user.executives
                                      for account in executive.accounts}, key=lambda m: m.code)
    return markets[0].timezone if markets else "UTC"


def load_zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")
