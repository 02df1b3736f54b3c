"""The time zone a user reads times in. The daily digest follows their own zone, else their first market's (a
cabinet member's: the first market their executives' accounts are in), else UTC. The pages follow their own zone,
else their browser's (a cookie its scripts set: a person in New York whose first market is Paris reads New York's
time), else the digest's."""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import has_request_context, request

from approval.administration import place_zone
from approval.models import Market, User

#: The cookie the pages' scripts set to the browser's zone (``Intl.DateTimeFormat().resolvedOptions().timeZone``).
BROWSER_ZONE_COOKIE = "approval_tz"


def served_markets(user: User) -> list[Market]:
    """The markets of the accounts of the executives a cabinet member serves, by code (none for anyone else)."""
    return sorted({account.market for executive in user.executives for account in executive.accounts},
                  key=lambda m: m.code)


def zone_of(own: str | None, user: User) -> str:
    if own and place_zone(own) is not None:  # a zone saved before it was checked is no zone
        return own
    markets = sorted(user.markets, key=lambda m: m.code) or served_markets(user)
    return markets[0].timezone if markets else "UTC"


def browser_zone() -> str | None:
    """The zone the browser said it is in, when it names a place's zone; None outside a request, or for anything
    else the cookie holds."""
    if not has_request_context():
        return None
    said = request.cookies.get(BROWSER_ZONE_COOKIE, "")
    return said if len(said) <= 64 and place_zone(said) is not None else None


def chosen_zone(own: str | None) -> str | None:
    """The zone a person reads pages in by choice: their own (their profile's), else their browser's; None when
    neither is known."""
    if own and place_zone(own) is not None:
        return own
    return browser_zone()


def page_zone(own: str | None, user: User) -> str:
    """The zone of ``user``'s pages: their own, else their browser's, else the digest's."""
    return chosen_zone(own) or zone_of(None, user)


def load_zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")
