"""Administration use cases: markets, accounts, executives and their cabinets, users, campaigns.

The rules of what an admin may write live here, once, for the forms, the command line and the API: each use case
checks its input (``*_errors`` below: a market's code, zone and languages, an account's handle, who needs a market,
a password's length...), and raises ``Refused`` naming each field at fault before it writes anything. A unique or
check constraint that still refuses the write (two admins saving at the same moment) becomes the same ``Refused``,
its message read from ``approval.db.CONSTRAINT_ERRORS``. They flush inside a savepoint, so a refusal leaves the
session usable; the request (or the command) commits.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from functools import cache
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from babel import Locale
from email_validator import EmailNotValidError, validate_email
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from approval.db import field_errors
from approval.models import Account, AccountKind, Campaign, Executive, Market, Network, Post, User
from approval.style.network import network_name
from approval.style.text import shows_anything
from approval.workflow.states import Role, State

#: The shortest password an admin may give, and the longest anyone may (hashing a megabyte is a denial of service).
MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 1024
#: Codes CLDR knows but that name no language a post is written in.
_NOT_LANGUAGES = frozenset({"mul", "und", "zxx", "mis"})
class HandleRule(NamedTuple):
    longest: int
    allowed: re.Pattern[str]
    allowed_words: Any  # a lazy string, read in the language of whoever is refused


#: What a handle may hold anywhere: no markup, no spaces, nothing a network would not take. Facebook pages and
#: LinkedIn pages have no rule of their own here (a page's vanity name, up to 120 characters).
ANY_HANDLE = HandleRule(120, re.compile(r"[\w.\-]+"), _l("Letters, digits, dots, dashes and underscores only."))
#: The networks' own rules for a handle, where they publish one.
HANDLE_RULES: dict[str, HandleRule] = {
    # X: at most 15 characters, letters, digits and underscores (X Help Center, on choosing a username).
    "x": HandleRule(15, re.compile(r"[A-Za-z0-9_]+"), _l("Letters, digits and underscores only.")),
    # Instagram: at most 30 characters, letters, digits, periods and underscores (Instagram Help Center).
    "instagram": HandleRule(30, re.compile(r"[A-Za-z0-9._]+"), _l("Letters, digits, dots and underscores only.")),
    # YouTube: a handle has 3 to 30 characters (YouTube Help, on channel handles).
    "youtube": ANY_HANDLE._replace(longest=30),
    # Snapchat: a username has 3 to 15 characters (Snapchat Support, on usernames).
    "snapchat": ANY_HANDLE._replace(longest=15),
}
_HASHTAG = re.compile(r"#\w+")
#: Roles that write or review posts, and so work in markets.
MARKET_ROLES = frozenset({Role.community_manager, Role.project_manager})

Errors = dict[str, list[str]]


class Refused(Exception):
    """An administration change the rules forbid. ``errors`` maps each field at fault to its messages (``"_"``:
    the change as a whole); ``conflict`` is true when another row holds the value (a duplicate)."""

    def __init__(self, message: str | None = None, field: str | None = None, *, errors: Errors | None = None,
                 conflict: bool = False) -> None:
        self.errors: Errors = errors if errors is not None else {field or "_": [message or ""]}
        self.message = message or next(iter(m for messages in self.errors.values() for m in messages), "")
        self.field = field if errors is None else next(iter(self.errors), None)
        self.conflict = conflict
        super().__init__(self.message)


def _refuse_if(errors: Errors) -> None:
    if errors:
        raise Refused(errors=errors)


@contextmanager
def _writing(session: Session, **values: Any) -> Iterator[None]:
    """Write what the block changes in a savepoint; a constraint that refuses it is a ``Refused`` on its field,
    formatted with ``values``, and the session stays usable."""
    savepoint = session.begin_nested()
    try:
        yield
        session.flush()
    except IntegrityError as error:
        savepoint.rollback()
        errors = field_errors(error, **values)
        if errors is None:
            raise
        raise Refused(errors=errors, conflict=True) from None
    savepoint.commit()


# The rules -----------------------------------------------------------------------------------------------------


#: Names in the zone database that are no place's time: "Factory" (a placeholder zone whose abbreviation reads
#: "-00") and "localtime" (the server's own, which must never change a result).
NOT_PLACES = frozenset({"Factory", "localtime"})


@cache
def timezone_names() -> list[str]:
    """The IANA time zones of places this system knows, sorted; read once."""
    return sorted(available_timezones() - NOT_PLACES)


@cache
def _place_names() -> frozenset[str]:
    return frozenset(timezone_names())


def place_zone(name: str | None) -> ZoneInfo | None:
    """The time zone of a place named ``name`` (one of ``timezone_names``), else None: every zone a person gives
    (a market's, a calendar's, a move's) is read through here, so "localtime" never makes the server's clock count."""
    if not name or name not in _place_names():
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # listed, yet its file unreadable
        return None


def zone_meant(name: str) -> str | None:
    """The place's zone a person most likely meant by ``name`` when it names none: the same name in another case
    ("africa/nairobi"), the city alone ("Nairobi"), or a near spelling ("Africa/Nairobbi"); None when none is near."""
    if not name:
        return None
    folded = name.casefold()
    by_fold = {zone.casefold(): zone for zone in timezone_names()}
    if folded in by_fold:
        return by_fold[folded]
    cities = [zone for zone in timezone_names() if zone.rsplit("/", 1)[-1].casefold() == folded.replace(" ", "_")]
    if len(cities) == 1:
        return cities[0]
    close = difflib.get_close_matches(folded, list(by_fold), n=1, cutoff=0.85)
    return by_fold[close[0]] if close else None


#: Codes ISO 3166-1 reserves for a place without assigning them, that CLDR does not list: a market may be one.
_ISO_EXCEPTIONALLY_RESERVED = frozenset({"FX", "UK"})
#: Codes CLDR lists that name no country or territory: an unknown region, pseudo-locales, "Outlying Oceania".
_NOT_TERRITORIES = frozenset({"ZZ", "XA", "XB", "QO"})


@cache
def territory_codes() -> frozenset[str]:
    """The two-letter codes of a country or territory (ISO 3166-1 alpha-2 and those it reserves for a place, such
    as EU and UK; Kosovo's XK, which everyone uses), as CLDR knows them."""
    known = {code for code in map(str, Locale("en").territories) if re.fullmatch(r"[A-Z]{2}", code)}
    return frozenset(known - _NOT_TERRITORIES | _ISO_EXCEPTIONALLY_RESERVED)


@cache
def language_codes() -> frozenset[str]:
    return frozenset(
        code for code in map(str, Locale("en").languages)
        if re.fullmatch(r"[a-z]{2,3}", code) and code not in _NOT_LANGUAGES
    )


def _name_errors(errors: Errors, field: str, value: str, max_length: int) -> None:
    if not shows_anything(value):  # blank, or zero-width characters only
        errors.setdefault(field, []).append(_("This field is required."))
    elif len(value) > max_length:
        errors.setdefault(field, []).append(_("At most %(n)s characters.", n=max_length))


def market_errors(code: str, name: str, timezone: str, languages: Sequence[str], *,
                  kept_code: str | None = None) -> Errors:
    """``kept_code``: the code the market had, which it may keep though no country has it (saved before the rule)."""
    errors: Errors = {}
    if not re.fullmatch(r"[A-Z]{2}", code):
        errors["code"] = [_("Two letters (ISO 3166-1 alpha-2), e.g. FR.")]
    elif code not in territory_codes() and code != kept_code:
        errors["code"] = [_("No country or territory has the code %(code)s (ISO 3166-1 alpha-2), e.g. FR, KE, UG.",
                            code=code)]
    _name_errors(errors, "name", name, 120)
    if place_zone(timezone) is None:
        errors["timezone"] = [_("Not an IANA time zone: give one such as Europe/Paris or Africa/Nairobi.")]
        if meant := zone_meant(timezone):
            errors["timezone"].append(_("Did you mean %(zone)s?", zone=meant))
    unknown = [code for code in languages if code not in language_codes()]
    if not languages:
        errors["languages"] = [_("Give at least one language code, e.g. fr.")]
    elif unknown:
        errors["languages"] = [_("Unknown language code(s): %(codes)s.", codes=", ".join(unknown))]
    return errors


def account_errors(network: str, handle: str, brand: str) -> Errors:
    errors: Errors = {}
    if network not in Network.__members__:
        errors["network"] = [_("Not a network: %(networks)s.", networks=", ".join(Network.__members__))]
    rule = HANDLE_RULES.get(network, ANY_HANDLE)
    if not handle:
        errors["handle"] = [_("This field is required.")]
    elif len(handle) > rule.longest:
        errors["handle"] = [_("At most %(n)s characters on %(network)s.", n=rule.longest, network=network_name(network))
                            if rule is not ANY_HANDLE else _("At most %(n)s characters.", n=rule.longest)]
    elif not rule.allowed.fullmatch(handle):
        errors["handle"] = [str(rule.allowed_words)]
    if len(brand) > 120:
        errors["brand"] = [_("At most %(n)s characters.", n=120)]
    return errors


def _refuse_taken_handle(session: Session, network: str, handle: str, current: Account | None = None) -> None:
    """The networks treat handles without case: @Helio_FR and @helio_fr are one account (the unique constraint
    compares them with case, so this rule reads first)."""
    other = session.scalar(select(Account).where(Account.network == Network(network),
                                                 func.lower(Account.handle) == handle.lower()))
    if other is not None and other is not current:
        message = _("%(network)s already has the account @%(handle)s.", network=network_name(network),
                    handle=other.handle)
        raise Refused(errors={"handle": [message]}, conflict=True)


def _refuse_taken_campaign_name(session: Session, name: str, market: Market | None,
                                current: Campaign | None = None) -> None:
    """Two campaigns a market's people choose between never share a name (without case): the market's own and the
    group-wide ones (``_name_key``). The lists and the filters would show two lines alike."""
    if current is not None and _name_key(current.name) == _name_key(name) and current.market == market:
        return  # not renamed nor moved: two that shared a name before this rule stay editable
    # Compared here, not by the database's lower(): SQLite's knows ASCII alone ("Été" and "été" differ there).
    nearby = select(Campaign)
    if market is not None:
        nearby = nearby.where((Campaign.market_id == market.id) | Campaign.market_id.is_(None))
    other = next((c for c in session.scalars(nearby)
                  if c is not current and _name_key(c.name) == _name_key(name)), None)
    if other is not None:
        where = other.market.code if other.market else _("group-wide")
        raise Refused(errors={"name": [_("A campaign named %(name)s exists already (%(where)s).", name=other.name,
                                         where=where)]}, conflict=True)


def user_errors(name: str, role: str, markets: Sequence[Market], all_markets: bool,
                executives: Sequence[Executive]) -> Errors:
    errors: Errors = {}
    _name_errors(errors, "name", name, 120)
    if role not in Role.__members__:
        errors["role"] = [_("Not a role: %(roles)s.", roles=", ".join(Role.__members__))]
    elif Role(role) in MARKET_ROLES and not markets and not all_markets:
        errors["market_ids"] = [_("Choose at least one market, or all markets.")]
    if executives and role != Role.cabinet:
        errors["executive_ids"] = [_("Only a cabinet member serves executives.")]
    return errors


def email_errors(email: str) -> Errors:
    try:  # syntax only: an internal tool's addresses may live in a domain the Internet does not see
        validate_email(email, check_deliverability=False, test_environment=True)
    except EmailNotValidError:
        return {"email": [_("Invalid email address.")]}
    return {} if len(email) <= 254 else {"email": [_("At most %(n)s characters.", n=254)]}


def password_errors(password: str) -> Errors:
    if len(password) < MIN_PASSWORD_LENGTH:
        return {"password": [_("At least %(n)s characters.", n=MIN_PASSWORD_LENGTH)]}
    if len(password) > MAX_PASSWORD_LENGTH:
        return {"password": [_("At most %(n)s characters.", n=MAX_PASSWORD_LENGTH)]}
    return {}


def campaign_errors(name: str, hashtag: str, description: str) -> Errors:
    errors: Errors = {}
    _name_errors(errors, "name", name, 200)
    if hashtag and (len(hashtag) > 100 or not _HASHTAG.fullmatch(hashtag)):
        errors["hashtag"] = [_("One hashtag, e.g. #EURO2028.")]
    if len(description) > 5000:
        errors["description"] = [_("At most %(n)s characters.", n=5000)]
    return errors


def executive_errors(name: str, title: str) -> Errors:
    errors: Errors = {}
    _name_errors(errors, "name", name, 120)
    if len(title) > 200:
        errors["title"] = [_("At most %(n)s characters.", n=200)]
    return errors


def _merge(*parts: Errors) -> Errors:
    merged: Errors = {}
    for part in parts:
        for field, messages in part.items():
            merged.setdefault(field, []).extend(messages)
    return merged


# The use cases -------------------------------------------------------------------------------------------------


def _clean(value: str | None) -> str:
    return (value or "").strip()


def create_market(session: Session, code: str, name: str, timezone: str, languages: Sequence[str]) -> Market:
    code, name, timezone = _clean(code).upper(), _clean(name), _clean(timezone)
    languages = list(dict.fromkeys(_clean(lang).lower() for lang in languages if _clean(lang)))
    _refuse_if(market_errors(code, name, timezone, languages))
    with _writing(session, code=code):
        market = Market(code=code, name=name, timezone=timezone, languages=languages)
        session.add(market)
    return market


def update_market(
    session: Session, market: Market, code: str, name: str, timezone: str, languages: Sequence[str]
) -> Market:
    code, name, timezone = _clean(code).upper(), _clean(name), _clean(timezone)
    languages = list(dict.fromkeys(_clean(lang).lower() for lang in languages if _clean(lang)))
    _refuse_if(market_errors(code, name, timezone, languages, kept_code=market.code))
    with _writing(session, code=code):
        market.code, market.name, market.timezone, market.languages = code, name, timezone, languages
    return market


def _person_name(name: str | None) -> str:
    """A person's name as stored: trimmed, and composed (NFC: "ü" one character, however it was typed)."""
    return unicodedata.normalize("NFC", _clean(name))


def _name_key(name: str) -> str:
    """Two names a reader cannot tell apart are one: compared without case, and composed or decomposed alike
    (Unicode's canonical caseless match)."""
    return unicodedata.normalize("NFD", unicodedata.normalize("NFD", name).casefold())


def find_executive(session: Session, name: str) -> Executive | None:
    """The executive named ``name``, however its case or accents were typed ("jürgen schmidt", a decomposed ü)."""
    key = _name_key(_clean(name))
    # Compared here, not by the database's lower(): SQLite's knows ASCII alone, and neither composes. The executive
    # committee is a few dozen people.
    return next((e for e in session.scalars(select(Executive).order_by(Executive.id)) if _name_key(e.name) == key),
                None)


def _refuse_taken_executive_name(session: Session, name: str, current: Executive | None = None) -> None:
    other = find_executive(session, name)
    if other is not None and other is not current:
        raise Refused(errors={"name": [_("An executive named %(name)s exists already.", name=other.name)]},
                      conflict=True)


def get_or_create_executive(session: Session, name: str, title: str = "") -> Executive:
    executive = find_executive(session, name)
    return executive if executive is not None else create_executive(session, name, title)


def create_executive(session: Session, name: str, title: str = "") -> Executive:
    name, title = _person_name(name), _clean(title)
    _refuse_if(executive_errors(name, title))
    _refuse_taken_executive_name(session, name)
    with _writing(session, name=name):
        executive = Executive(name=name, title=title)
        session.add(executive)
    return executive


def update_executive(session: Session, executive: Executive, name: str, title: str) -> Executive:
    name, title = _person_name(name), _clean(title)
    _refuse_if(executive_errors(name, title))
    _refuse_taken_executive_name(session, name, executive)
    with _writing(session, name=name):
        executive.name, executive.title = name, title
    return executive


def add_cabinet_member(session: Session, executive: Executive, user: User) -> User:
    if user.role != Role.cabinet:
        raise Refused(_("Only a cabinet member can serve an executive."), "user_id")
    if user not in executive.cabinet:
        executive.cabinet.append(user)
    session.flush()
    return user


def remove_cabinet_member(session: Session, executive: Executive, user: User) -> None:
    if user in executive.cabinet:
        executive.cabinet.remove(user)
    session.flush()


def create_account(
    session: Session, market: Market, network: str, handle: str, brand: str = "", executive: Executive | None = None
) -> Account:
    handle, brand = _clean(handle).lstrip("@"), _clean(brand)
    _refuse_if(account_errors(network, handle, brand))
    _refuse_taken_handle(session, network, handle)
    with _writing(session, network=network_name(network), handle=handle):
        account = Account(
            market=market, network=Network(network), handle=handle, brand=brand,
            kind=AccountKind.executive if executive else AccountKind.brand, executive=executive,
        )
        session.add(account)
    return account


def update_account(
    session: Session, account: Account, market: Market, network: str, handle: str, brand: str = "",
    executive: Executive | None = None,
) -> Account:
    """Change an account; who receives its suggested messages may not change while some await the cabinet."""
    handle, brand = _clean(handle).lstrip("@"), _clean(brand)
    _refuse_if(account_errors(network, handle, brand))
    _refuse_taken_handle(session, network, handle, account)
    if executive != account.executive and _has_posts_with_cabinet(session, account):
        raise Refused(_("Posts of this account await the cabinet: decide them before changing whose account it is."),
                      "executive_id")
    with _writing(session, network=network_name(network), handle=handle):
        account.market, account.network, account.handle, account.brand = market, Network(network), handle, brand
        account.kind, account.executive = (AccountKind.executive if executive else AccountKind.brand), executive
    return account


def deactivate_account(session: Session, account: Account) -> None:
    """No new post can be written for a deactivated account; its existing posts stay as they are."""
    account.active = False
    session.flush()


def reactivate_account(session: Session, account: Account) -> None:
    account.active = True
    session.flush()


def create_user(
    session: Session,
    email: str,
    name: str,
    role: Role | str,
    password: str,
    *,
    markets: Sequence[Market] = (),
    all_markets: bool = False,
    executives: Sequence[Executive] = (),
) -> User:
    email, name, role = _clean(email).lower(), _clean(name), str(getattr(role, "value", role))
    _refuse_if(_merge(email_errors(email), user_errors(name, role, markets, all_markets, executives),
                      password_errors(password)))
    with _writing(session, email=email):
        user = User(email=email, name=name, role=Role(role), all_markets=all_markets)
        user.set_password(password)
        user.markets = list(markets)
        user.executives = list(executives)
        session.add(user)
    return user


def update_user(
    session: Session,
    user: User,
    actor: User,
    name: str,
    role: Role | str,
    *,
    markets: Sequence[Market] = (),
    all_markets: bool = False,
    executives: Sequence[Executive] = (),
) -> User:
    name, role = _clean(name), str(getattr(role, "value", role))
    _refuse_if(user_errors(name, role, markets, all_markets, executives))
    if user.id == actor.id and Role(role) != user.role:
        raise Refused(_("You cannot change your own role: ask another admin."), "role")
    user.name, user.role, user.all_markets = name, Role(role), all_markets
    user.markets = list(markets)
    user.executives = list(executives)
    session.flush()
    return user


def deactivate_user(session: Session, user: User, actor: User) -> User:
    """A deactivated user can no longer log in, and a session they still hold stops working."""
    if user.id == actor.id:
        raise Refused(_("You cannot deactivate yourself: ask another admin."))
    user.active = False
    session.flush()
    return user


def cabinets_left_without(user: User) -> list[Executive]:
    """The executives whose cabinet has no active member but ``user``: with them deactivated (or removed), nobody
    could answer those executives' suggested messages, and none could be approved (``executive_has_cabinet``)."""
    return sorted((executive for executive in user.executives
                   if not any(member.active and member.id != user.id for member in executive.cabinet)),
                  key=lambda executive: _name_key(executive.name))


def reactivate_user(session: Session, user: User) -> None:
    user.active = True
    session.flush()


def set_user_password(session: Session, user: User, password: str) -> User:
    _refuse_if(password_errors(password))
    user.set_password(password)
    session.flush()
    return user


def create_campaign(
    session: Session, name: str, market: Market | None, hashtag: str = "", description: str = "",
    disclosure_required: bool = False, embargo_until: datetime | None = None,
) -> Campaign:
    """``market`` None makes a group-wide campaign; ``disclosure_required`` a partnership, whose posts disclose it;
    ``embargo_until`` as ``publishing.controls.embargo_at`` reads it."""
    name, hashtag, description = _clean(name), _hashtag(hashtag), _clean(description)
    _refuse_if(campaign_errors(name, hashtag, description))
    _refuse_taken_campaign_name(session, name, market)
    campaign = Campaign(name=name, market=market, hashtag=hashtag, description=description,
                        disclosure_required=disclosure_required, embargo_until=embargo_until)
    session.add(campaign)
    session.flush()
    return campaign


def update_campaign(
    session: Session, campaign: Campaign, name: str, market: Market | None, hashtag: str = "", description: str = "",
    disclosure_required: bool = False, *, embargo_until: datetime | None,
) -> Campaign:
    """A campaign can move to one market only if none of its posts lies elsewhere. Its embargo is set with the rest:
    one change in the change log."""
    name, hashtag, description = _clean(name), _hashtag(hashtag), _clean(description)
    _refuse_if(campaign_errors(name, hashtag, description))
    _refuse_taken_campaign_name(session, name, market, campaign)
    if market is not None and market != campaign.market:
        elsewhere = session.execute(
            select(Market.code, func.count()).select_from(Post).join(Post.account).join(Account.market)
            .where(Post.campaign_id == campaign.id, Account.market_id != market.id)
            .group_by(Market.code).order_by(Market.code)
        ).all()
        if elsewhere:
            count = sum(n for _code, n in elsewhere)
            raise Refused(ngettext(
                "%(num)s post of this campaign is in %(markets)s, not in the market chosen: leave the campaign "
                "where it is, or make it group-wide.",
                "%(num)s posts of this campaign are in %(markets)s, not in the market chosen: leave the campaign "
                "where it is, or make it group-wide.",
                count, markets=", ".join(code for code, _n in elsewhere)), "market_id")
    campaign.name, campaign.market, campaign.hashtag, campaign.description = name, market, hashtag, description
    campaign.disclosure_required, campaign.embargo_until = disclosure_required, embargo_until
    session.flush()
    return campaign


def _hashtag(value: str | None) -> str:
    """"EURO2028" or "#EURO2028" as "#EURO2028"; empty as no hashtag. Marks alone ("###") are kept as typed, for
    the rules to refuse (they were read as no hashtag, silently)."""
    value = _clean(value)
    word = value.lstrip("#")
    return "#" + word if word else value


def _has_posts_with_cabinet(session: Session, account: Account) -> bool:
    query = select(Post.id).where(Post.account_id == account.id, Post.state == State.with_cabinet).limit(1)
    return session.scalar(query) is not None
