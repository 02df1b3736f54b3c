"""The wall tells a stop switch's time in the right zone: one over one market in that market's time, with the
viewer's beside it where their clock reads otherwise; one over several markets (everything, a group-wide campaign)
in the viewer's own zone, as the wall's last update is told. A switch over everything told in the zone of the wall's
first clock read "since 05:34 UTC+3" (Nairobi) beside a Paris viewer's "Updated 03:34 UTC+1"."""

from __future__ import annotations

import re
from datetime import timedelta
from zoneinfo import ZoneInfo

from approval import kiosks
from approval.db import utcnow
from approval.models import Campaign
from approval.models.notifications import NotificationProfile
from approval.publishing import controls
from approval.views.hub import zone_name
from approval.workflow.states import Role, State

PARIS, NAIROBI = ZoneInfo("Europe/Paris"), ZoneInfo("Africa/Nairobi")


def _banner(page: str) -> str:
    banner = page[page.index('class="stops alert"'):]
    return banner[:banner.index("</section>")]


def _line(banner: str, name: str) -> str:
    """The banner's line of the switch named ``name`` (its scope, in bold)."""
    return re.search(rf"<li><strong>{re.escape(name)}</strong>.*?</li>", banner, re.S).group(0)


def _said(instant, zone: ZoneInfo) -> str:  # noqa: ANN001
    local = instant.astimezone(zone)
    return f"{local:%H:%M} {zone_name(local)}"


def _crisis(make, db_session):  # noqa: ANN001, ANN202
    """Kenya first on the wall (a post awaits review there), France second; four switches on, five minutes ago."""
    kenya = make.market("KE", timezone="Africa/Nairobi")
    make.market("FR")
    make.post(State.in_review, account=make.account(kenya))
    admin = make.user(Role.admin, name="Claire Crise")
    group = Campaign(name="Groupe", market=None)
    db_session.add(group)
    db_session.flush()
    stops = {
        "all": controls.turn_on(db_session, admin, "all", reason="Deuil national."),
        "KE": controls.turn_on(db_session, admin, "market", market_code="KE", reason="Match perdu."),
        "FR": controls.turn_on(db_session, admin, "market", market_code="FR", reason="Rappel produit."),
        "group": controls.turn_on(db_session, admin, "campaign", campaign_id=group.id, reason="Pause."),
    }
    at = utcnow() - timedelta(minutes=5)
    for stop in stops.values():
        stop.turned_on_at = at
    db_session.flush()
    return admin, stops, at


def test_a_paris_viewer_reads_a_switch_over_everything_in_paris_time(make, web, db_session):
    admin, _stops, at = _crisis(make, db_session)
    db_session.add(NotificationProfile(user_id=admin.id, timezone="Europe/Paris"))
    db_session.flush()
    web.login(admin)
    page = web.get("/hub", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    clocks = page[page.index("<ul class=\"clocks"):][:300]
    assert clocks.index(">KE<") < clocks.index(">FR<"), clocks  # Nairobi's clock first
    banner = _banner(page)
    everything = _line(banner, "Tout")
    assert _said(at, PARIS) in everything and "UTC+3" not in everything
    assert 'data-zone="Europe/Paris"' in everything  # the screen keeps it in the viewer's zone
    group = _line(banner, "Groupe")  # a campaign of no market: several markets
    assert _said(at, PARIS) in group and "UTC+3" not in group
    # One market's switch: its time, then the viewer's where it reads otherwise.
    kenya = _line(banner, "KE")
    assert f"{_said(at, NAIROBI)}</time>" in kenya and " · " in kenya and _said(at, PARIS) in kenya
    assert kenya.index(_said(at, NAIROBI)) < kenya.index(_said(at, PARIS))
    france = _line(banner, "FR")
    assert _said(at, PARIS) in france and " · " not in france and 'class="local"' not in france
    # The head line says the same zone.
    updated = page[page.index('class="updated"'):][:300]
    assert 'data-zone="Europe/Paris"' in updated and zone_name(utcnow().astimezone(PARIS)) + "</time>" in updated
    assert 'data-zone="Europe/Paris"' in page[page.index('id="wall"'):][:400]  # "connection lost since" too


def test_a_kiosk_leaves_the_switches_time_to_its_screen(make, web, db_session):
    _admin, _stops, at = _crisis(make, db_session)
    kiosk = kiosks.create_kiosk(db_session, "Salle de crise")
    db_session.flush()
    page = web.get(f"/hub/k/{kiosk.token}").get_data(as_text=True)
    banner = _banner(page)
    everything = _line(banner, "Everything")
    # The room's zone is its screen's (static/hub.js): UTC from the server, never Nairobi's.
    assert f"{_said(at, ZoneInfo('UTC'))}</time>" in everything and "UTC+3" not in everything
    assert 'class="local"' in everything and "data-zone" not in everything
    kenya = _line(banner, "KE")
    assert _said(at, NAIROBI) in kenya and 'data-besides="Africa/Nairobi"' in kenya
