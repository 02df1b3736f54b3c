"""Campaigns are kept by the project managers who run them: those of their markets, and group-wide ones for the
group-wide project managers and admins; each with its embargo, typed in the campaign's market's time."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from approval import administration as admin
from approval.models import Campaign
from approval.workflow.states import Role


def _edit(web, path: str, data: dict, **kwargs):  # noqa: ANN001, ANN003, ANN202
    """An edit form sent as its page sends it: with the values the page showed (``seen``)."""
    seen = re.search(r'name="seen" type="hidden" value="([^"]*)"', web.get(path).get_data(as_text=True))
    assert seen, path
    return web.post(path, {**data, "seen": html.unescape(seen.group(1))}, **kwargs)


def _count(session) -> int:
    session.expire_all()
    return session.scalar(select(func.count()).select_from(Campaign))


def test_a_project_manager_keeps_the_campaigns_of_their_markets(make, web, db_session):
    france, kenya = make.market("FR"), make.market("KE", "Africa/Nairobi", ("en",))
    ours = admin.create_campaign(db_session, "Euro 2028", france, "#EURO2028")
    theirs = admin.create_campaign(db_session, "Safari rally", kenya, "#SafariRally")
    everyone = admin.create_campaign(db_session, "Annual report", None, "#HelioReport")
    web.login(make.user(Role.project_manager, markets=[france]))

    listed = web.get("/campaigns").get_data(as_text=True)
    assert "Euro 2028" in listed and "Annual report" in listed and "Safari rally" not in listed
    assert f"/campaigns/{ours.id}/edit" in listed and f"/campaigns/{everyone.id}/edit" not in listed
    assert web.get(f"/campaigns/{theirs.id}/edit").status_code == 404  # another market's: as if none
    assert web.get(f"/campaigns/{everyone.id}/edit").status_code == 403  # seen, kept by group-wide managers
    assert web.post(f"/campaigns/{everyone.id}/edit", {"name": "Mine now"}).status_code == 403

    # A new campaign of theirs: one of their markets, never every market.
    page = web.get("/campaigns/new").get_data(as_text=True)
    assert "Group-wide" not in page and f'value="{kenya.id}"' not in page
    before = _count(db_session)
    refused = web.post("/campaigns/new", {"name": "Everywhere", "market_id": "", "hashtag": ""})
    assert refused.status_code == 422 and _count(db_session) == before
    made = web.post("/campaigns/new", {"name": "Fête de la musique", "market_id": str(france.id),
                                       "hashtag": "FeteDeLaMusique", "embargo_until": "2027-06-21T08:00"})
    assert made.status_code == 303, made.get_data(as_text=True)[:3000]
    campaign = db_session.scalars(select(Campaign).where(Campaign.name == "Fête de la musique")).one()
    # Typed in Paris time (summer: UTC+2), kept in UTC.
    assert campaign.hashtag == "#FeteDeLaMusique"
    assert campaign.embargo_until == datetime(2027, 6, 21, 6, 0, tzinfo=UTC)

    # Its embargo moved and lifted from the same form, shown back in Paris time.
    form = web.get(f"/campaigns/{campaign.id}/edit").get_data(as_text=True)
    assert 'value="2027-06-21T08:00"' in form
    saved = _edit(web, f"/campaigns/{campaign.id}/edit", {"name": "Fête de la musique", "market_id": str(france.id),
                                                        "hashtag": "#FeteDeLaMusique", "embargo_until": ""})
    assert saved.status_code == 303
    db_session.expire_all()
    assert db_session.get(Campaign, campaign.id).embargo_until is None


def test_group_wide_campaigns_are_kept_by_group_wide_managers_and_admins(make, web, db_session):
    everyone = admin.create_campaign(db_session, "Annual report", None, "#HelioReport")
    make.market("FR")
    for user in (make.user(Role.project_manager, all_markets=True), make.user(Role.admin)):
        web.login(user)
        assert "Group-wide" in web.get("/campaigns/new").get_data(as_text=True)
        answer = _edit(web, f"/campaigns/{everyone.id}/edit", {"name": "Annual report", "market_id": "",
                                                             "hashtag": "#HelioReport2027"})
        assert answer.status_code == 303, answer.get_data(as_text=True)[:3000]
    db_session.expire_all()
    assert db_session.get(Campaign, everyone.id).hashtag == "#HelioReport2027"


def test_writers_and_cabinets_do_not_keep_campaigns(make, web, db_session):
    campaign = admin.create_campaign(db_session, "Euro 2028", make.market("FR"), "#EURO2028")
    for role in (Role.community_manager, Role.cabinet):
        web.login(make.user(role))
        for url in ("/campaigns", "/campaigns/new", f"/campaigns/{campaign.id}/edit"):
            assert web.get(url).status_code == 403, (role, url)


def test_an_embargo_at_a_time_the_clocks_skip_is_refused_on_the_form(make, web, db_session):
    france = make.market("FR")
    campaign = admin.create_campaign(db_session, "Euro 2028", france, "#EURO2028")
    web.login(make.user(Role.project_manager, markets=[france]))
    answer = _edit(web, f"/campaigns/{campaign.id}/edit", {"name": "Euro 2028", "market_id": str(france.id),
                                                         "hashtag": "#EURO2028", "embargo_until": "2027-03-28T02:30"})
    assert answer.status_code == 422
    assert "The clocks skip from 02:00 to 03:00 in Europe/Paris" in answer.get_data(as_text=True)
    db_session.expire_all()
    assert db_session.get(Campaign, campaign.id).embargo_until is None


def test_a_new_campaign_refused_says_every_fault_at_once(make, web, db_session):
    """An embargo the clocks skip and a hashtag with spaces: both said on the first try, and nothing is made."""
    france = make.market("FR")
    web.login(make.user(Role.project_manager, markets=[france]))
    answer = _edit(web, "/campaigns/new", {"name": "Helio Cup", "market_id": str(france.id),
                                           "hashtag": "Helio Cup 27", "embargo_until": "2027-03-28T02:30"})
    assert answer.status_code == 422
    page = answer.get_data(as_text=True)
    assert "The clocks skip from 02:00 to 03:00 in Europe/Paris" in page
    try:  # what the campaign's own rules say of that hashtag
        admin.create_campaign(db_session, "Helio Cup", france, "Helio Cup 27")
    except admin.Refused as refused:
        said = refused.errors["hashtag"][0]
    db_session.rollback()
    assert html.escape(said) in page
    assert db_session.scalar(select(func.count(Campaign.id))) == 0


def test_a_campaign_moved_to_another_market_keeps_its_embargos_instant(make, web, db_session):
    """The form shows the embargo in the campaign's zone; moved from Paris to Nairobi with the embargo left as
    shown, the same wall-clock time read in the new zone lifted it an hour early."""
    from approval.publishing import controls

    france, kenya = make.market("FR"), make.market("KE", "Africa/Nairobi", ("en",))
    campaign = admin.create_campaign(db_session, "Euro 2028", france, "#EURO2028")
    until = datetime(2027, 6, 21, 6, 0, tzinfo=UTC)  # 08:00 in Paris
    controls.set_embargo(db_session, campaign, until)
    web.login(make.user(Role.project_manager, markets=[france, kenya]))
    shown = web.get(f"/campaigns/{campaign.id}/edit").get_data(as_text=True)
    assert 'value="2027-06-21T08:00"' in shown
    moved = _edit(web, f"/campaigns/{campaign.id}/edit", {"name": "Euro 2028", "market_id": str(kenya.id),
                                                        "hashtag": "#EURO2028", "embargo_until": "2027-06-21T08:00"})
    assert moved.status_code == 303
    db_session.expire_all()
    campaign = db_session.get(Campaign, campaign.id)
    assert campaign.market_id == kenya.id and campaign.embargo_until == until
    assert 'value="2027-06-21T09:00"' in web.get(f"/campaigns/{campaign.id}/edit").get_data(as_text=True)  # Nairobi


def test_an_embargo_says_which_scheduled_posts_it_holds(make, web, db_session):
    from approval.workflow.states import State

    france = make.market("FR")
    campaign = admin.create_campaign(db_session, "Euro 2028", france, "#EURO2028")
    post = make.post(State.scheduled, account=make.account(france))  # a day ahead
    post.campaign = campaign
    db_session.flush()
    web.login(make.user(Role.project_manager, markets=[france]))
    embargo = (post.scheduled_at.astimezone(ZoneInfo("Europe/Paris")) + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    saved = _edit(web, f"/campaigns/{campaign.id}/edit", {"name": "Euro 2028", "market_id": str(france.id),
                                                        "hashtag": "#EURO2028", "embargo_until": embargo},
                     follow_redirects=True)
    assert "1 scheduled post of the campaign goes out before the embargo" in saved.get_data(as_text=True)


def test_a_campaign_made_or_changed_with_its_embargo_is_one_change_in_the_log(make, web, db_session):
    """The embargo is saved with the rest of the form: one row of the change log, not a second one for it."""
    from approval.models.admin_log import AdminLogEntry

    france = make.market("FR")
    web.login(make.user(Role.project_manager, markets=[france]))

    def logged() -> list[AdminLogEntry]:
        db_session.expire_all()
        return list(db_session.scalars(select(AdminLogEntry).where(AdminLogEntry.subject == "campaign")
                                       .order_by(AdminLogEntry.id)))

    made = web.post("/campaigns/new", {"name": "Rapport annuel", "market_id": str(france.id), "hashtag": "#Rapport",
                                       "embargo_until": "2027-03-10T08:00"})
    assert made.status_code == 303
    [created] = logged()
    assert created.action == "created"
    assert created.changes["embargo_until"] == [None, "2027-03-10T07:00:00Z"]

    changed = _edit(web, f"/campaigns/{created.subject_id}/edit", {
        "name": "Rapport annuel 2027", "market_id": str(france.id), "hashtag": "#Rapport",
        "embargo_until": "2027-03-11T08:00"})
    assert changed.status_code == 303
    [_created, updated] = logged()
    assert updated.changes == {"name": ["Rapport annuel", "Rapport annuel 2027"],
                               "embargo_until": ["2027-03-10T07:00:00Z", "2027-03-11T07:00:00Z"]}
