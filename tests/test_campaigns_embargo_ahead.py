"""A campaign's embargo too far ahead (the product walk: a year-9999 embargo was "This time is out of range.") is
refused in the words scheduling uses, naming the latest time allowed; an embargo kept as it was stays."""

from __future__ import annotations

import html
from datetime import timedelta

from sqlalchemy import select

from approval import administration as admin
from approval.db import utcnow
from approval.labels import said_in
from approval.models import Campaign
from approval.workflow.guards import a_year_after
from approval.workflow.states import Role


def test_an_embargo_more_than_a_year_ahead_says_the_latest_allowed(make, web, db_session):
    france = make.market("FR")
    web.login(make.user(Role.project_manager, markets=[france]))
    latest = said_in(a_year_after(utcnow()), "Europe/Paris")[:12]  # "Dec 7, 2027": the minutes may tick meanwhile

    for typed in ("9999-06-21T08:00", (utcnow() + timedelta(days=400)).strftime("%Y-%m-%dT%H:%M")):
        refused = web.post("/campaigns/new", {"name": "Plus tard", "market_id": str(france.id), "hashtag": "",
                                              "embargo_until": typed})
        said = html.unescape(refused.get_data(as_text=True))
        assert refused.status_code == 422
        assert "This time is more than a year ahead: the latest allowed is " + latest in said, typed
        assert "out of range" not in said
    assert db_session.scalars(select(Campaign).where(Campaign.name == "Plus tard")).first() is None

    within = (utcnow() + timedelta(days=300)).strftime("%Y-%m-%dT%H:%M")
    made = web.post("/campaigns/new", {"name": "Plus tard", "market_id": str(france.id), "hashtag": "",
                                       "embargo_until": within})
    assert made.status_code == 303, made.get_data(as_text=True)[:2000]


def test_an_embargo_saved_further_ahead_stays_when_the_form_is_saved_as_it_was(make, web, db_session):
    """Set elsewhere (the API takes any time of the years 2000 to 2999): the page shows it, and saving the rest of
    the form leaves it."""
    import re

    france = make.market("FR")
    far = utcnow().replace(microsecond=0, second=0) + timedelta(days=600)
    campaign = admin.create_campaign(db_session, "Loin", france, "", embargo_until=far)
    web.login(make.user(Role.project_manager, markets=[france]))
    path = f"/campaigns/{campaign.id}/edit"
    page = web.get(path).get_data(as_text=True)
    shown = re.search(r'name="embargo_until"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="embargo_until"', page)
    seen = re.search(r'name="seen" type="hidden" value="([^"]*)"', page)
    assert shown and seen
    saved = web.post(path, {"name": "Loin encore", "market_id": str(france.id), "hashtag": "",
                            "embargo_until": shown.group(1) or shown.group(2), "seen": html.unescape(seen.group(1))})
    assert saved.status_code == 303, saved.get_data(as_text=True)[:2000]
    db_session.expire_all()
    assert db_session.get(Campaign, campaign.id).embargo_until == far


def test_the_publishing_settings_embargo_says_the_same(make, admin_web, db_session):
    """The admin's publishing settings set a campaign's embargo through the same rule (it took 600 days ahead)."""
    campaign = admin.create_campaign(db_session, "Rapport", make.market("FR"), "#Rapport")
    db_session.flush()
    typed = (utcnow() + timedelta(days=600)).strftime("%Y-%m-%dT%H:%M")
    refused = admin_web.post(f"/publishing/settings/campaigns/{campaign.id}", {"embargo_until": typed})
    assert refused.status_code == 422
    assert "This time is more than a year ahead" in html.unescape(refused.get_data(as_text=True))
    db_session.expire_all()
    assert db_session.get(Campaign, campaign.id).embargo_until is None
