"""Use cases of publishing: stop switches and connecting an account. They flush; the caller commits.

Shared by the web pages, the API and the command line, so the three refuse the same things with the same words.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo
from urllib.parse import urlsplit

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from approval.access import market_clause
from approval.db import utcnow
from approval.inputs import direction_controls, web_address
from approval.models import Account, Campaign, Market, StopScope, StopSwitch, User
from approval.notifications import dispatch as notifications
from approval.publishing.addresses import refusal
from approval.publishing.holds import changing_stops
from approval.style.text import shows_anything
from approval.workflow.errors import GuardFailed, NotPermitted
from approval.workflow.states import Role

CONNECTORS = ("outbox", "webhook")
MAX_REASON = 2000
#: The shortest grace period: a worker's pass comes a moment after a post's time, never at it.
MIN_GRACE = 1


def _refuse(field: str, message: str) -> GuardFailed:
    return GuardFailed(message, {field: [message]})


def can_manage_stops(user: User) -> bool:
    return user.is_active and user.role in (Role.project_manager, Role.admin)


def reaches_everywhere(user: User) -> bool:
    """``user`` may stop, or let go again, what reaches beyond any market: everything, a group-wide campaign."""
    return user.role == Role.admin or user.all_markets


def can_turn_off(user: User, stop: StopSwitch) -> bool:
    """Turning a switch off lets its scope publish again: a switch over everything, or over a group-wide campaign,
    only by those whose reach is as wide (the same who may turn one on)."""
    if not can_manage_stops(user):
        return False
    group_wide = stop.scope == StopScope.all or stop.scope == StopScope.campaign and stop.campaign is not None \
        and stop.campaign.market_id is None
    return not group_wide or reaches_everywhere(user)


def _seen_by(user: User) -> Any:
    """The stop switches ``user`` may see: everything-switches, their markets', and campaigns they may use."""
    markets = select(Market.id).where(market_clause(user))
    return ((StopSwitch.scope == StopScope.all)
            | StopSwitch.market_id.in_(markets)
            | StopSwitch.campaign_id.in_(select(Campaign.id).where(
                Campaign.market_id.is_(None) | Campaign.market_id.in_(markets))))


def visible_stops(session: Session, user: User, *, active_only: bool = True) -> list[StopSwitch]:
    """The stop switches ``user`` may see (``_seen_by``), the latest first."""
    query = select(StopSwitch).where(_seen_by(user))
    if active_only:
        query = query.where(StopSwitch.turned_off_at.is_(None))
    shown = (selectinload(StopSwitch.market), selectinload(StopSwitch.campaign).selectinload(Campaign.market),
             selectinload(StopSwitch.turned_on_by), selectinload(StopSwitch.turned_off_by))
    return list(session.scalars(query.options(*shown)
                                .order_by(StopSwitch.turned_on_at.desc(), StopSwitch.id.desc()).limit(500)))


def turn_on(
    session: Session, actor: User | None, scope: str, *, market_code: str | None = None,
    campaign_id: int | None = None, reason: str,
) -> StopSwitch:
    """Stop publishing in a market, a campaign or everywhere. ``actor`` None: the command line (an operator)."""
    if actor is not None and not can_manage_stops(actor):
        raise NotPermitted(_("Only project managers and admins turn stop switches on."))
    reason = (reason or "").strip()
    if not shows_anything(reason):
        raise _refuse("reason", _("Say why publishing stops."))
    if len(reason) > MAX_REASON:
        raise _refuse("reason", _("At most %(n)s characters.", n=MAX_REASON))
    if (codes := direction_controls(reason)) is not None:  # read by the whole market's staff, as a comment is
        raise _refuse("reason", _("The reason holds a control of the text's direction (%(codes)s): remove it; "
                                  "right-to-left text needs none.", codes=codes))
    try:
        scope = StopScope(scope)
    except ValueError:
        raise _refuse("scope", _("The scope is market, campaign or all.")) from None
    stop = StopSwitch(scope=scope, reason=reason, turned_on_by_id=actor.id if actor else None, turned_on_at=utcnow())
    markets = select(Market.id) if actor is None else select(Market.id).where(market_clause(actor))
    if scope == StopScope.market:
        market = session.scalar(select(Market).where(Market.code == (market_code or ""), Market.id.in_(markets)))
        if market is None:
            unknown = _("No market %(code)s.", code=market_code) if actor is None else \
                _("No market %(code)s among yours.", code=market_code)  # the command line has no "yours"
            raise _refuse("market", unknown if market_code else _("Choose the market to stop."))
        stop.market_id = market.id
    elif scope == StopScope.campaign:
        campaign = session.scalar(select(Campaign).where(
            Campaign.id == campaign_id, Campaign.market_id.is_(None) | Campaign.market_id.in_(markets)))
        if campaign is None:
            unknown = _("No such campaign.") if actor is None else _("No such campaign among yours.")
            raise _refuse("campaign_id", unknown if campaign_id else _("Choose the campaign to stop."))
        if campaign.market_id is None and actor is not None and not reaches_everywhere(actor):
            raise NotPermitted(_("Only an admin or a group-wide project manager stops a campaign of every market."))
        stop.campaign_id = campaign.id
    elif actor is not None and not reaches_everywhere(actor):
        raise NotPermitted(_("Only an admin or a group-wide project manager stops everything."))
    changing_stops(session)  # the claims in flight end first; those begun from now on see this switch
    _refuse_a_second(session, stop)  # after the lock: two people turning the same switch on make one
    session.add(stop)
    session.flush()
    notifications.stop_turned_on(session, stop)  # issue 12: the markets' managers are told
    return stop


def _refuse_a_second(session: Session, stop: StopSwitch) -> None:
    """A switch already on over the same scope: a second one said nothing the first did not, and turning one of the
    two off was announced as letting the posts go when the other still held them."""
    on = session.scalar(select(StopSwitch).where(
        StopSwitch.turned_off_at.is_(None), StopSwitch.scope == stop.scope,
        StopSwitch.market_id.is_(None) if stop.market_id is None else StopSwitch.market_id == stop.market_id,
        StopSwitch.campaign_id.is_(None) if stop.campaign_id is None else StopSwitch.campaign_id == stop.campaign_id,
    ).options(selectinload(StopSwitch.turned_on_by)).limit(1))
    if on is None:
        return
    who = on.turned_on_by.name if on.turned_on_by is not None else _("an operator")
    field = {StopScope.market: "market", StopScope.campaign: "campaign_id"}.get(stop.scope, "scope")
    raise _refuse(field, _("This switch is already on (turned on by %(name)s: “%(reason)s”). It keeps holding what "
                           "it covers; turn it off on the stop switches page when publishing may go on.",
                           name=who, reason=on.reason))


def turn_off(session: Session, actor: User | None, stop_id: int) -> StopSwitch:
    """Turn a stop switch off. It releases nothing: the posts it held stay held (``hold_for`` says the switch is
    off) until a project manager releases each (``release``) or gives it a new time; past its grace period a held
    post is missed as any other. Posts it covered that were not due yet go out at their time."""
    # The role first, whatever the switch (as ``turn_on``): a community manager was told that only a group-wide
    # manager turns off a switch over every market, for a switch over their own market.
    if actor is not None and not can_manage_stops(actor):
        raise NotPermitted(_("Only project managers and admins turn stop switches off."))
    # One already off is turned off again over the API and the pages: nothing changes (it was a 404 over the API).
    # The command line says so and exits 1 (``approval stop off``).
    stop = session.scalar(select(StopSwitch).where(StopSwitch.id == stop_id,
                                                   *([_seen_by(actor)] if actor is not None else [])))
    if stop is None:
        raise LookupError(stop_id)
    if actor is not None and not can_turn_off(actor, stop):
        raise NotPermitted(_("Only an admin or a group-wide project manager turns off a switch that reaches every "
                             "market."))
    if stop.turned_off_at is None:
        stop.turned_off_at = utcnow()
        stop.turned_off_by_id = actor.id if actor else None
        session.flush()
        notifications.stop_turned_off(session, stop)
    return stop


@dataclass(frozen=True)
class CheckedWebhook:
    """A webhook's address as given (``url``), checked (``check_webhook``): the address to save, or why it may not
    be saved (``refused``)."""

    url: str | None
    address: str | None = None
    refused: GuardFailed | None = None


def check_webhook(url: str | None) -> CheckedWebhook:
    """``url`` checked as a webhook's address: a web address the server may call (https; http only on this machine's
    loopback, ``on_this_machine``), its name looked up (up to ``SET_LOOKUP_S``, the name servers' time). It depends
    on the address alone: a caller checks it before it locks the account (``connect_account(checked=...)``), which
    the worker and every other writer of the account would wait for while the name servers answer."""
    address = web_address(url)
    parts = urlsplit(address or "")
    try:
        parts.port  # noqa: B018 - read for its ValueError: a port out of range or not a number
    except ValueError:
        address = None
    if address is None or not parts.hostname:
        if url and any(c.isspace() for c in url.strip()):
            return CheckedWebhook(url, refused=_refuse("url", _("The webhook's address has a space in it: a web "
                                                                "address has none.")))
        return CheckedWebhook(url, refused=_refuse("url", _("Give the webhook's address (http or https).")))
    if refused := refusal(address):
        return CheckedWebhook(url, refused=_refuse("url", refused))
    if unencrypted(address):
        return CheckedWebhook(url, refused=_refuse("url", _(
            "Use an https:// address: each call carries unpublished and embargoed text and links to its files, "
            "which plain http sends unencrypted (http is taken for this machine only: localhost, 127.0.0.1, ::1).")))
    return CheckedWebhook(url, address)


def unencrypted(address: str) -> bool:
    """Whether a webhook at ``address`` would send its posts unencrypted off this machine: plain http to a host that
    is not this machine's loopback (``on_this_machine``). An address that cannot be read is not said to be."""
    try:
        parts = urlsplit(address)
        return parts.scheme.lower() != "https" and not on_this_machine(parts.hostname or "")
    except ValueError:
        return False


def on_this_machine(host: str) -> bool:
    """Whether ``host`` (as written in the address, not resolved: a name's answer may change before a call) is this
    machine's loopback: ``localhost``, 127.0.0.0/8 or ::1, where a relay may listen on plain http, nothing leaving
    the machine unencrypted. Not ``localhost.``: with its final dot the name is not the hosts file's, and what the
    name servers answer for it decides where the call goes."""
    host = host.lower()
    if host == "localhost":
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_loopback


def connect_account(session: Session, account: Account, connector: str, *, url: str | None = None,
                    secret: str | None = None, checked: CheckedWebhook | None = None) -> Account:
    """Set how ``account`` publishes. The webhook's secret is kept and never shown again; leaving it empty keeps the
    one saved before. ``checked``: ``url`` as ``check_webhook`` found it before ``account`` was locked (else it is
    checked here)."""
    if connector not in CONNECTORS:
        raise _refuse("connector", _("The connector is outbox or webhook."))
    if connector == "webhook":
        if checked is None or checked.url != url:
            checked = check_webhook(url)
        if checked.refused is not None:
            raise checked.refused
        if not (secret or account.connector_secret):
            raise _refuse("secret", _("Give the secret that signs each call."))
        if secret is not None and not 16 <= len(secret) <= 200:
            raise _refuse("secret", _("The secret has 16 to 200 characters."))
        account.connector_url = checked.address
        if secret:
            account.connector_secret = secret
    else:
        account.connector_url = None
        account.connector_secret = None
    account.connector = connector
    session.flush()
    return account


def disconnect_account(session: Session, account: Account) -> Account:
    """The account no longer publishes: its due posts fail with that reason until it is connected again."""
    account.connector = account.connector_url = account.connector_secret = None
    session.flush()
    return account


def set_grace(session: Session, market: Market, minutes: int | None) -> Market:
    """How long after its time a post of ``market`` may still go out (1 to 1440 minutes: the worker's pass after
    the time needs a moment; with none every post would miss its slot)."""
    if minutes is None or not MIN_GRACE <= minutes <= 1440:
        raise _refuse("grace_minutes", _("Give a number of minutes between %(low)d and 1440.", low=MIN_GRACE))
    market.grace_minutes = minutes
    session.flush()
    return market


def set_embargo_at(session: Session, campaign: Campaign, local: datetime | None, zone: ZoneInfo,
                   fold: int | None = None) -> Campaign:
    """The embargo as a person types it (``embargo_at``), set when it changed."""
    until = embargo_at(campaign.embargo_until, local, zone, fold)
    return set_embargo(session, campaign, until) if until != campaign.embargo_until else campaign


def embargo_at(saved: datetime | None, local: datetime | None, zone: ZoneInfo, fold: int | None = None, *,
               now: datetime | None = None) -> datetime | None:
    """The embargo a person typed: a wall-clock time in ``zone`` (the zone its page showed it in: the campaign's
    market's, else the viewer's), None for none. A time the clocks repeat needs ``fold`` (0: the first, 1: the
    second), as a post's time does: the page asks which; one they skip is refused. A time already past is refused:
    it would hold nothing, and the person believes the campaign embargoed. Left as the page showed it, the embargo
    keeps its instant (``saved``), past or not, whatever market the campaign moved to since. Nothing is written: a
    campaign made or changed with its embargo is one change."""
    from approval.operations import instant_in

    from approval.labels import said_in
    from approval.workflow.guards import a_year_after

    if local is None:
        return None
    # To the minute, as the form shows it: an embargo saved with seconds was saved again without them, lifting early.
    if saved is not None:
        shown = saved.astimezone(zone)
        if shown.replace(tzinfo=None, second=0, microsecond=0, fold=0) == local.replace(fold=0) and \
                fold in (None, shown.fold):
            return saved
    try:
        until = instant_in(local, zone.key, fold)
    except GuardFailed as refused:  # skipped, repeated (which one?), out of range: in the words a post's time uses
        said = refused.errors.get("local_time") or [refused.message]
        raise GuardFailed(refused.message, {"embargo_until": list(said)}) from None
    now = now or utcnow()
    if until <= now:
        raise _refuse("embargo_until", _("This time is already past (it is %(now)s): an embargo then would hold "
                                         "nothing. Give a later time, or leave it empty for no embargo.",
                                         now=said_in(now, zone.key)))
    # No post can be scheduled further ahead; a year-9999 embargo was "out of range", which told nobody what is not.
    if until > (last := a_year_after(now)):
        raise _refuse("embargo_until", _("This time is more than a year ahead: the latest allowed is %(time)s.",
                                         time=said_in(last, zone.key)))
    _check_embargo(until)
    return until


def set_embargo(session: Session, campaign: Campaign, until: datetime | None) -> Campaign:
    """No post of ``campaign`` goes out before ``until`` (None lifts the embargo). Posts already scheduled before it
    stay scheduled and are held (the worker records it); scheduling before it is refused."""
    if until is not None:
        _check_embargo(until)
    campaign.embargo_until = until
    session.flush()
    return campaign


def _check_embargo(until: datetime) -> None:
    if until.tzinfo is None:
        raise _refuse("embargo_until", _("The time needs its time zone."))
    if not 2000 <= until.year <= 2999:
        raise _refuse("embargo_until", _("This time is out of range."))
