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
import zoneinfo
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from babel import Locale
from babel.core import get_global
from email_validator import EmailNotValidError, validate_email
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from approval.db import field_errors
from approval.models import Account, AccountKind, Campaign, Executive, Market, Network, Post, User
from approval.models.users import user_markets
from approval.style.network import network_name
from approval.style.text import shows_anything
from approval.workflow.errors import GuardFailed
from approval.workflow.states import FINAL_STATES, Role, State

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


def _refuse_if(errors: Errors, taken: Errors | None = None) -> None:
    """Refuse what ``errors`` says, and what ``taken`` says (another row holds the value): all of it at once, a
    conflict when a duplicate is all there is to say."""
    if errors or taken:
        raise Refused(errors=_merge(errors, taken or {}), conflict=not errors)


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
    """Every zone this system reads times in, sorted, "Factory" and "localtime" aside: what a person may choose to
    read a page in (UTC included). A market's zone is one of the narrower ``place_zone_names``."""
    return sorted(available_timezones() - NOT_PLACES)


@cache
def _readable_names() -> frozenset[str]:
    return frozenset(timezone_names())


def place_zone(name: str | None) -> ZoneInfo | None:
    """The time zone named ``name`` (one of ``timezone_names``), else None: every zone a person gives (a market's,
    a calendar's, a move's) is read through here, so "localtime" never makes the server's clock count."""
    if not name or name not in _readable_names():
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # listed, yet its file unreadable
        return None


@cache
def _zones_by_country() -> dict[str, tuple[str, ...]]:
    """Each country's zones, as the zone database's zone.tab lists them (its main zone first: America/New_York,
    Europe/Lisbon before Atlantic/Madeira); read where ``zoneinfo`` reads the zones, else from CLDR (Babel)."""
    readable = _readable_names()
    tables = [Path(folder) / "zone.tab" for folder in zoneinfo.TZPATH]
    try:
        tables.append(Path(str(resources.files("tzdata.zoneinfo").joinpath("zone.tab"))))
    except (ModuleNotFoundError, TypeError):
        pass
    zones: dict[str, list[str]] = {}
    for table in tables:
        try:
            lines = table.read_text(encoding="utf-8").splitlines()
        except OSError:
            continue
        for line in lines:
            columns = line.split("\t")
            if line.startswith("#") or len(columns) < 3 or columns[2] not in readable:
                continue
            if columns[2] not in zones.setdefault(columns[0], []):
                zones[columns[0]].append(columns[2])
        if zones:
            break
    if not zones:
        aliases = get_global("zone_aliases")
        for country, names in get_global("territory_zones").items():
            zones[country] = [name for name in names if name in readable and name not in aliases]
    return {country: tuple(names) for country, names in zones.items() if names}


@cache
def place_zone_names() -> list[str]:
    """The zones of places, sorted: those the zone database gives a country (Europe/Paris, America/New_York,
    Europe/Kyiv). Not an abbreviation (EST, CET), a fixed offset (UTC, Etc/GMT-1) nor an old name kept for
    compatibility (US/Pacific, Asia/Calcutta, Japan): their clocks do not follow a place's, or their names are gone."""
    return sorted({name for names in _zones_by_country().values() for name in names})


@cache
def _place_names() -> frozenset[str]:
    return frozenset(place_zone_names())


def is_place_zone(name: str | None) -> bool:
    return bool(name) and name in _place_names() and place_zone(name) is not None


#: Abbreviations people type for a region's time, and the zone of the place they mean (its clock changes with the
#: summer as theirs does: "EST" alone stays at UTC-5 all year, an hour off in summer).
_MEANT_BY_ABBREVIATION = {
    "EST": "America/New_York", "EST5EDT": "America/New_York", "CST6CDT": "America/Chicago",
    "MST": "America/Denver", "MST7MDT": "America/Denver", "PST8PDT": "America/Los_Angeles",
    "HST": "Pacific/Honolulu",
}
#: Abbreviations of a time many countries share: the market's country says which place.
_SHARED_ABBREVIATIONS = frozenset({"CET", "EET", "WET", "MET"})


def _winter_offset(name: str) -> timedelta | None:
    zone = place_zone(name)
    return datetime(datetime.now(UTC).year, 1, 15, 12, tzinfo=UTC).astimezone(zone).utcoffset() if zone else None


def place_zone_meant(name: str, country: str | None = None) -> str | None:
    """The place's zone a person most likely meant by ``name`` for a market of ``country``: the place an old name
    stands for (US/Pacific: America/Los_Angeles), the place an abbreviation is used for (EST: America/New_York), the
    country's zone for one that is no place ("CET" or "UTC" in FR: Europe/Paris), or a near spelling."""
    readable = {zone.casefold(): zone for zone in timezone_names()}
    zone = readable.get(name.casefold()) if name else None
    if zone is None or zone in _place_names():  # a place's zone in another case, a near spelling, or nothing
        return zone_meant(name, place_zone_names())
    if zone in _MEANT_BY_ABBREVIATION:
        return _MEANT_BY_ABBREVIATION[zone]
    old_name = get_global("zone_aliases").get(zone)
    if old_name in _place_names() and zone not in _SHARED_ABBREVIATIONS:
        return str(old_name)
    countries = _zones_by_country()
    places = countries.get(country or "", ())
    if len(places) == 1:
        return places[0]
    offset = _winter_offset(zone)
    return next((place for place in places if _winter_offset(place) == offset), None)


def zone_meant(name: str, among: Sequence[str] | None = None) -> str | None:
    """The zone (of ``among``, by default any) a person most likely meant by ``name`` when it names none: the same
    name in another case ("africa/nairobi"), the city alone ("Nairobi"), or a near spelling ("Africa/Nairobbi");
    None when none is near."""
    if not name:
        return None
    zones = timezone_names() if among is None else among
    folded = name.casefold()
    by_fold = {zone.casefold(): zone for zone in zones}
    if folded in by_fold:
        return by_fold[folded]
    cities = [zone for zone in zones if zone.rsplit("/", 1)[-1].casefold() == folded.replace(" ", "_")]
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
                  kept_code: str | None = None, kept_timezone: str | None = None) -> Errors:
    """``kept_code``, ``kept_timezone``: what the market had, which it may keep though no country has that code or
    no place that zone (saved before the rules)."""
    errors: Errors = {}
    if not re.fullmatch(r"[A-Z]{2}", code):
        errors["code"] = [_("Two letters (ISO 3166-1 alpha-2), e.g. FR.")]
    elif code not in territory_codes() and code != kept_code:
        errors["code"] = [_("No country or territory has the code %(code)s (ISO 3166-1 alpha-2), e.g. FR, KE, UG.",
                            code=code)]
    _name_errors(errors, "name", name, 120)
    if place_zone(timezone) is None:
        errors["timezone"] = [_("Not an IANA time zone: give one such as Europe/Paris or Africa/Nairobi.")]
    elif not is_place_zone(timezone) and timezone != kept_timezone:
        errors["timezone"] = [_("%(zone)s is not the time zone of a place (an abbreviation, a fixed offset or an old "
                                "name): give the zone of the market's main city, such as Europe/Paris or "
                                "America/New_York.", zone=timezone)]
    if "timezone" in errors and (meant := place_zone_meant(timezone, code)):
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


def _handle_taken(session: Session, network: str, handle: str, current: Account | None = None) -> Errors:
    """The networks treat handles without case: @Helio_FR and @helio_fr are one account (the unique constraint
    compares them with case, so this rule reads first)."""
    if network not in Network.__members__ or not handle:
        return {}
    other = session.scalar(select(Account).where(Account.network == Network(network),
                                                 func.lower(Account.handle) == handle.lower()))
    if other is not None and other is not current:
        return {"handle": [_("%(network)s already has the account @%(handle)s.", network=network_name(network),
                             handle=other.handle)]}
    return {}


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
    elif Role(role) in MARKET_ROLES and markets and all_markets:
        errors["market_ids"] = [_("Choose all markets, or some markets: not both.")]
    elif role == Role.cabinet and markets:  # they see their executives' accounts, wherever they are
        errors["market_ids"] = [_("A cabinet member works for executives, not in markets: choose no market.")]
    elif role == Role.admin and markets:
        errors["market_ids"] = [_("An admin works in every market: choose no market.")]
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


# Every refusal at once -------------------------------------------------------------------------------------------
# What the use cases below would refuse, read without writing: a form whose shape is refused (a field missing, a
# choice tampered with) shows these too, so that a person fixes everything in one round. Duplicates included.


def market_holding_code(session: Session, code: str | None, market: Market | None = None) -> Market | None:
    """The market other than ``market`` whose code is ``code`` (as typed: any case, spaces around), or None: what a
    duplicate's refusal is about, which the admin's page links to."""
    code = _clean(code).upper()
    other = session.scalar(select(Market).where(Market.code == code)) if code else None
    return other if other is not market else None


def _code_taken(session: Session, code: str, market: Market | None = None) -> Errors:
    taken = market_holding_code(session, code, market) is not None
    return {"code": [_("Market %(code)s exists already.", code=code)]} if taken else {}


def _code_fixed(session: Session, market: Market, code: str) -> Errors:
    if code == market.code or not code_is_fixed(session, market):
        return {}
    return {"code": [_("A market's code stays once it has accounts: links, kiosk screens, feeds, scripts and its "
                       "posts' history name it %(code)s.", code=market.code)]}


def _network_fixed(session: Session, account: Account, network: str) -> Errors:
    if network == account.network.value or not network_is_fixed(session, account):
        return {}
    return {"network": [_("The network stays %(network)s once the account has posts: they were written and approved "
                          "for %(network)s, and their history names it. To publish on another network, add a new "
                          "account for it.", network=network_name(account.network.value))]}


def _email_taken(session: Session, email: str) -> Errors:
    taken = email and session.scalar(select(User.id).where(User.email == email)) is not None
    return {"email": [_("A user with this e-mail exists already.")]} if taken else {}


def _own_role_errors(user: User, actor: User, role: str) -> Errors:
    if user.id == actor.id and role != user.role:
        return {"role": [_("You cannot change your own role: ask another admin.")]}
    return {}


def market_refusals(session: Session, code: str | None, name: str | None, timezone: str | None,
                    languages: Sequence[str] | None, market: Market | None = None) -> Errors:
    code, name, timezone = _clean(code).upper(), _name(name), _clean(timezone)
    languages = list(dict.fromkeys(_clean(lang).lower() for lang in languages or () if _clean(lang)))
    errors = market_errors(code, name, timezone, languages, kept_code=market.code if market else None,
                           kept_timezone=market.timezone if market else None)
    errors = _merge(errors, _code_fixed(session, market, code) if market else {})
    return _merge(errors, {} if "code" in errors else _code_taken(session, code, market))


def account_refusals(session: Session, network: str | None, handle: str | None, brand: str | None,
                     account: Account | None = None) -> Errors:
    network, handle, brand = _clean(network), _clean(handle).lstrip("@"), _clean(brand)
    errors = account_errors(network, handle, brand)
    errors = _merge(errors, _network_fixed(session, account, network) if account else {})
    return _merge(errors, {} if "handle" in errors else _handle_taken(session, network, handle, account))


def executive_refusals(session: Session, name: str | None, title: str | None,
                       executive: Executive | None = None) -> Errors:
    name, title = _name(name), _clean(title)
    errors = executive_errors(name, title)
    return _merge(errors, {} if "name" in errors else _executive_name_taken(session, name, executive))


def user_refusals(session: Session, name: str | None, role: str | None, *, markets: Sequence[Market],
                  all_markets: bool, executives: Sequence[Executive], email: str | None = None,
                  password: str | None = None, invited: bool = False, user: User | None = None,
                  actor: User | None = None) -> Errors:
    """``user`` None: a new user, whose ``email`` and ``password`` (unless ``invited``) are read too; else ``actor``
    changes ``user``."""
    role = _clean(role)
    errors = user_errors(_name(name), role, markets, bool(all_markets), executives)
    if user is None:
        email = _clean(email).lower()
        errors = _merge(email_errors(email), errors, {} if invited else password_errors(password or ""))
        return _merge(errors, {} if "email" in errors else _email_taken(session, email))
    return _merge(errors, {} if "role" in errors or actor is None else _own_role_errors(user, actor, role))


# The use cases -------------------------------------------------------------------------------------------------


def _clean(value: str | None) -> str:
    return (value or "").strip()


def _name(value: str | None) -> str:
    """A name as stored: trimmed, its inner runs of spaces one space ("Hans   Meier" and "Hans Meier" read alike on
    every page), and composed (NFC: "ü" one character, however it was typed)."""
    return unicodedata.normalize("NFC", " ".join((value or "").split()))


def create_market(session: Session, code: str, name: str, timezone: str, languages: Sequence[str]) -> Market:
    code, name, timezone = _clean(code).upper(), _name(name), _clean(timezone)
    languages = list(dict.fromkeys(_clean(lang).lower() for lang in languages if _clean(lang)))
    _refuse_if(market_errors(code, name, timezone, languages), _code_taken(session, code))
    with _writing(session, code=code):
        market = Market(code=code, name=name, timezone=timezone, languages=languages)
        session.add(market)
    return market


def update_market(
    session: Session, market: Market, code: str, name: str, timezone: str, languages: Sequence[str]
) -> Market:
    code, name, timezone = _clean(code).upper(), _name(name), _clean(timezone)
    languages = list(dict.fromkeys(_clean(lang).lower() for lang in languages if _clean(lang)))
    errors = _merge(market_errors(code, name, timezone, languages, kept_code=market.code,
                                  kept_timezone=market.timezone), _code_fixed(session, market, code))
    _refuse_if(errors, {} if "code" in errors else _code_taken(session, code, market))
    with _writing(session, code=code):
        market.code, market.name, market.timezone, market.languages = code, name, timezone, languages
    return market


def network_is_fixed(session: Session, account: Account) -> bool:
    """Whether ``account``'s network may no longer change: it has posts (drafts included), each written, reviewed and
    approved for that network, and its published ones' history names it. Another network is another account."""
    return session.scalar(select(Post.id).where(Post.account_id == account.id).limit(1)) is not None


def code_is_fixed(session: Session, market: Market) -> bool:
    """Whether ``market``'s code may no longer change: it has accounts, so people and programs name it already."""
    return session.scalar(select(Account.id).where(Account.market_id == market.id).limit(1)) is not None




def _name_key(name: str) -> str:
    """Two names a reader cannot tell apart are one: compared without case, with runs of spaces as one, and composed
    or decomposed alike (Unicode's canonical caseless match)."""
    return unicodedata.normalize("NFD", unicodedata.normalize("NFD", " ".join(name.split())).casefold())


def find_executive(session: Session, name: str) -> Executive | None:
    """The executive named ``name``, however its case or accents were typed ("jürgen schmidt", a decomposed ü)."""
    key = _name_key(_name(name))
    # Compared here, not by the database's lower(): SQLite's knows ASCII alone, and neither composes. The executive
    # committee is a few dozen people.
    return next((e for e in session.scalars(select(Executive).order_by(Executive.id)) if _name_key(e.name) == key),
                None)


def _executive_name_taken(session: Session, name: str, current: Executive | None = None) -> Errors:
    other = find_executive(session, name) if name else None
    if other is not None and other is not current:
        return {"name": [_("An executive named %(name)s exists already.", name=other.name)]}
    return {}


def get_or_create_executive(session: Session, name: str, title: str = "") -> Executive:
    executive = find_executive(session, name)
    return executive if executive is not None else create_executive(session, name, title)


def create_executive(session: Session, name: str, title: str = "") -> Executive:
    name, title = _name(name), _clean(title)
    _refuse_if(executive_errors(name, title), _executive_name_taken(session, name))
    with _writing(session, name=name):
        executive = Executive(name=name, title=title)
        session.add(executive)
    return executive


def update_executive(session: Session, executive: Executive, name: str, title: str) -> Executive:
    name, title = _name(name), _clean(title)
    _refuse_if(executive_errors(name, title), _executive_name_taken(session, name, executive))
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
    session: Session, market: Market, network: str, handle: str, brand: str = "", executive: Executive | None = None,
    *, connector: str | None = None, url: str | None = None, secret: str | None = None,
) -> Account:
    """A new account. ``connector``: how it publishes from the start, ``outbox`` or ``webhook`` (with its ``url``
    and ``secret``), under the publishing settings' own rules (``approval.publishing.controls.connect_account``);
    None: connected to nothing yet. The account and its connector are written at once: one "created" row of the
    change log names both, and a refusal of either writes nothing."""
    # Imported here: the publishing controls import this module (through the notifications' zones).
    from approval.publishing.controls import connect_account

    handle, brand = _clean(handle).lstrip("@"), _clean(brand)
    account = Account()
    connection: Errors = {}
    if connector is not None:
        try:  # on the account not yet added: refused, nothing was written (its flush has nothing of it to write)
            connect_account(session, account, connector, url=url, secret=secret)
        except GuardFailed as refused:
            connection = {field: list(messages) for field, messages in refused.errors.items()} or {
                "connector": [refused.message]}
    _refuse_if(_merge(account_errors(network, handle, brand), connection), _handle_taken(session, network, handle))
    with _writing(session, network=network_name(network), handle=handle):
        account.market, account.network, account.handle, account.brand = market, Network(network), handle, brand
        account.kind = AccountKind.executive if executive else AccountKind.brand
        account.executive = executive
        session.add(account)
    return account


def update_account(
    session: Session, account: Account, market: Market, network: str, handle: str, brand: str = "",
    executive: Executive | None = None,
) -> Account:
    """Change an account; who receives its suggested messages may not change while some await the cabinet, and its
    network not once it has posts (``network_is_fixed``): a post approved for Facebook would go out on X unreviewed."""
    handle, brand = _clean(handle).lstrip("@"), _clean(brand)
    _refuse_if(_merge(account_errors(network, handle, brand), _network_fixed(session, account, network)),
               _handle_taken(session, network, handle, account))
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
    password: str | None,
    *,
    markets: Sequence[Market] = (),
    all_markets: bool = False,
    executives: Sequence[Executive] = (),
    must_change_password: bool = False,
) -> User:
    """``must_change_password``: an admin typed ``password`` (the pages, `approval user create`), and the user
    chooses their own at their first login; the demo's users and the tests' keep theirs. ``password`` None: an
    invited user, whom no password opens until they choose theirs from the invitation's link."""
    email, name, role = _clean(email).lower(), _name(name), str(getattr(role, "value", role))
    _refuse_if(_merge(email_errors(email), user_errors(name, role, markets, all_markets, executives),
                      password_errors(password) if password is not None else {}), _email_taken(session, email))
    with _writing(session, email=email):
        user = User(email=email, name=name, role=Role(role), all_markets=all_markets,
                    must_change_password=must_change_password)
        if password is None:
            user.forget_password()
        else:
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
    name, role = _name(name), str(getattr(role, "value", role))
    errors = user_errors(name, role, markets, all_markets, executives)
    _refuse_if(_merge(errors, {} if "role" in errors else _own_role_errors(user, actor, role)))
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


def set_user_password(session: Session, user: User, password: str, *, must_change_password: bool = False) -> User:
    """A password set for ``user`` by someone else; ``must_change_password``: they choose their own at their next
    login (an admin reset another's password: the admin knows it)."""
    _refuse_if(password_errors(password))
    user.set_password(password)
    user.must_change_password = must_change_password
    session.flush()
    return user


def create_campaign(
    session: Session, name: str, market: Market | None, hashtag: str = "", description: str = "",
    disclosure_required: bool = False, embargo_until: datetime | None = None,
) -> Campaign:
    """``market`` None makes a group-wide campaign; ``disclosure_required`` a partnership, whose posts disclose it;
    ``embargo_until`` as ``publishing.controls.embargo_at`` reads it."""
    name, hashtag, description = _name(name), _hashtag(hashtag), _clean(description)
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
    name, hashtag, description = _name(name), _hashtag(hashtag), _clean(description)
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


# What a change leaves behind -----------------------------------------------------------------------------------
# Read before a change is saved, so that the page asks first and says it after: a user's posts still on their way
# in the markets they would no longer see, the markets left without anyone to approve, an account's posts moving
# with it. Nothing here writes.

#: The states of a post still on its way (not published, rejected, declined nor withdrawn), in the workflow's order.
IN_FLIGHT_STATES = tuple(state for state in State if state not in FINAL_STATES)


def markets_seen(session: Session, role: Role | str, markets: Sequence[Market], all_markets: bool) -> set[int]:
    """The ids of the markets whose posts a user of ``role`` with these markets sees (``approval.access``): every
    market group-wide; a cabinet member's posts are their executives', wherever they are, none by market."""
    if all_markets or role == Role.admin:
        return set(session.scalars(select(Market.id)))
    return {market.id for market in markets} if role in MARKET_ROLES else set()


def markets_lost(session: Session, user: User, role: Role | str, markets: Sequence[Market],
                 all_markets: bool) -> set[int]:
    """The markets ``user`` sees now and would no longer see with this role and these markets."""
    return (markets_seen(session, user.role, user.markets, user.all_markets)
            - markets_seen(session, role, markets, all_markets))


def posts_in_flight(session: Session, *, author: User | None = None, account: Account | None = None,
                    market_ids: Iterable[int] | None = None) -> dict[str, dict[State, int]]:
    """The posts still on their way (of ``author``, of ``account``; in ``market_ids``, None: any market), counted by
    market code and state, the codes sorted and the states in the workflow's order."""
    query = (select(Market.code, Post.state, func.count(Post.id)).select_from(Post).join(Post.account)
             .join(Account.market).where(Post.state.in_(IN_FLIGHT_STATES)).group_by(Market.code, Post.state))
    if author is not None:
        query = query.where(Post.created_by_id == author.id)
    if account is not None:
        query = query.where(Post.account_id == account.id)
    if market_ids is not None:
        query = query.where(Account.market_id.in_(list(market_ids)))
    counts: dict[str, dict[State, int]] = {}
    for code, state, number in session.execute(query):
        counts.setdefault(code, {})[State(state)] = number
    return {code: {state: counts[code][state] for state in IN_FLIGHT_STATES if state in counts[code]}
            for code in sorted(counts)}


def _reviews(role: Role | str, markets: Sequence[Market], all_markets: bool, active: bool) -> set[int] | None:
    """The markets a project manager approves in (None: every market); an empty set for anyone else."""
    if not active or role != Role.project_manager:
        return set()
    return None if all_markets else {market.id for market in markets}


def reviewers_left_without(session: Session, user: User, *, role: Role | str | None = None,
                           markets: Sequence[Market] | None = None, all_markets: bool | None = None,
                           active: bool | None = None) -> dict[str, int]:
    """The markets where ``user`` is the last active project manager, and would no longer be one with this role,
    these markets, or deactivated (``active=False``): nobody could approve, schedule or retry a post there. Each
    market's code with how many posts await review there, sorted by code."""
    before = _reviews(user.role, user.markets, user.all_markets, user.active)
    after = _reviews(user.role if role is None else role, user.markets if markets is None else markets,
                     user.all_markets if all_markets is None else all_markets,
                     user.active if active is None else active)
    if before == set() or after is None:
        return {}
    everywhere = set(session.scalars(select(Market.id)))
    lost = (everywhere if before is None else before) - after
    if not lost:
        return {}
    others = select(User).where(User.active.is_(True), User.role == Role.project_manager, User.id != user.id)
    if session.scalar(others.where(User.all_markets.is_(True)).limit(1)) is not None:
        return {}  # a group-wide project manager approves everywhere
    covered = set(session.scalars(select(user_markets.c.market_id).join(User, User.id == user_markets.c.user_id)
                                  .where(User.active.is_(True), User.role == Role.project_manager,
                                         User.id != user.id)))
    left = lost - covered
    if not left:
        return {}
    waiting = dict(session.execute(
        select(Account.market_id, func.count(Post.id)).select_from(Post).join(Post.account)
        .where(Post.state == State.in_review, Account.market_id.in_(left)).group_by(Account.market_id)).all())
    codes = dict(session.execute(select(Market.id, Market.code).where(Market.id.in_(left))).all())
    return {codes[market_id]: waiting.get(market_id, 0) for market_id in sorted(left, key=lambda i: codes[i])}


class Staffing(NamedTuple):
    project_managers: int
    community_managers: int


def staffing(session: Session) -> dict[int, Staffing]:
    """Each market's active project and community managers (the group-wide ones counted in every market)."""
    counts = {(market_id, Role(role)): number for market_id, role, number in session.execute(
        select(user_markets.c.market_id, User.role, func.count(User.id)).join(User, User.id == user_markets.c.user_id)
        .where(User.active.is_(True), User.all_markets.is_(False), User.role.in_(MARKET_ROLES))
        .group_by(user_markets.c.market_id, User.role))}
    everywhere = {Role(role): number for role, number in session.execute(
        select(User.role, func.count(User.id)).where(User.active.is_(True), User.all_markets.is_(True),
                                                     User.role.in_(MARKET_ROLES)).group_by(User.role))}
    return {market_id: Staffing(*(counts.get((market_id, role), 0) + everywhere.get(role, 0)
                                  for role in (Role.project_manager, Role.community_manager)))
            for market_id in session.scalars(select(Market.id))}


def cabinet_left_without(executive: Executive, user: User) -> bool:
    """Whether ``user`` is the only active member of ``executive``'s cabinet (``cabinets_left_without``)."""
    return user in executive.cabinet and not any(member.active and member.id != user.id
                                                 for member in executive.cabinet)


def awaiting_cabinet(session: Session, executive: Executive) -> int:
    """How many suggested messages await ``executive``'s cabinet."""
    return session.scalar(select(func.count(Post.id)).join(Post.account).where(
        Account.executive_id == executive.id, Post.state == State.with_cabinet)) or 0


def authors_left_behind(session: Session, account: Account, market: Market) -> list[User]:
    """The authors of ``account``'s posts on their way who would no longer see them with the account in ``market``
    (they work in other markets), sorted by name."""
    authors = session.scalars(select(User).where(User.id.in_(
        select(Post.created_by_id).where(Post.account_id == account.id, Post.state.in_(IN_FLIGHT_STATES)))))
    return sorted((author for author in authors
                   if market.id not in markets_seen(session, author.role, author.markets, author.all_markets)),
                  key=lambda author: _name_key(author.name))
