"""A campaign's embargo typed at a time the clocks repeat asks which of its two instants, as a post's time does (the
product walk: Paris's 02:30 on the night the clocks go back was stored as one of them, silently), and one already
past is refused: it would hold nothing while the person believes the campaign embargoed. An embargo saved earlier
that has since lifted stays when the rest of the form is saved, and the form says it holds nothing any more. Both
places that set an embargo: the campaign's form and the admin's publishing settings."""

from __future__ import annotations

import html
import re
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from test_campaigns import _edit

from approval import administration as admin
from approval.db import utcnow
from approval.models import Campaign
from approval.publishing import controls
from approval.workflow.errors import GuardFailed
from approval.workflow.states import Role

PARIS = ZoneInfo("Europe/Paris")


def _night_the_clocks_go_back() -> date:
    """The next last Sunday of October more than a day away (Paris's 02:00 to 03:00 comes twice then)."""
    today = utcnow().date() + timedelta(days=2)
    for year in (today.year, today.year + 1):
        day = date(year, 10, 31)
        day -= timedelta(days=(day.weekday() + 1) % 7)
        if day >= today:
            return day
    raise AssertionError("unreachable")


NIGHT = _night_the_clocks_go_back()
TWICE = f"{NIGHT.isoformat()}T02:30"
FIRST = datetime(NIGHT.year, NIGHT.month, NIGHT.day, 0, 30, tzinfo=UTC)  # 02:30 summer time (UTC+02:00)
SECOND = datetime(NIGHT.year, NIGHT.month, NIGHT.day, 1, 30, tzinfo=UTC)  # 02:30 winter time (UTC+01:00)
ASKED = ("This time happens twice in Europe/Paris, when the clocks go back: choose the first (02:30 UTC+02:00) or "
         "the second (02:30 UTC+01:00).")
PAST = "This time is already past (it is "


def said(response) -> str:  # noqa: ANN001
    return re.sub(r"\s+", " ", html.unescape(response.get_data(as_text=True)))


def _radios(page: str) -> list[str]:
    return re.findall(r'<input type="radio" name="embargo_fold" value="[01]"[^>]*>', page)


def _embargo(db_session, campaign: Campaign) -> datetime | None:  # noqa: ANN001
    db_session.expire_all()
    return db_session.get(Campaign, campaign.id).embargo_until


@pytest.fixture()
def france(make):  # noqa: ANN001, ANN201
    return make.market("FR", timezone="Europe/Paris")


def _form(france, **values) -> dict:  # noqa: ANN001, ANN003
    return {"name": "Euro 2028", "market_id": str(france.id), "hashtag": "#EURO2028", **values}


# The rule ---------------------------------------------------------------------------------------------------------


def test_the_rule_asks_which_of_a_repeated_time_and_takes_the_one_chosen(app):
    local = datetime.fromisoformat(TWICE)
    with app.test_request_context():
        with pytest.raises(GuardFailed) as asked:
            controls.embargo_at(None, local, PARIS)
        assert asked.value.errors == {"embargo_until": [ASKED]}
        assert controls.embargo_at(None, local, PARIS, 0) == FIRST
        assert controls.embargo_at(None, local, PARIS, 1) == SECOND
        # Saved and shown as it was: kept, whichever it is, without asking again; another choice changes it.
        assert controls.embargo_at(FIRST, local, PARIS) == FIRST
        assert controls.embargo_at(SECOND, local, PARIS) == SECOND
        assert controls.embargo_at(FIRST, local, PARIS, 1) == SECOND


def test_the_rule_refuses_a_time_already_past_unless_it_is_the_one_saved(app):
    now = datetime(2027, 3, 10, 12, 0, tzinfo=UTC)
    yesterday = datetime(2027, 3, 9, 9, 0)
    with app.test_request_context():
        with pytest.raises(GuardFailed) as refused:
            controls.embargo_at(None, yesterday, PARIS, now=now)
        [message] = refused.value.errors["embargo_until"]
        assert message == ("This time is already past (it is Mar 10, 2027, 13:00 (Europe/Paris, UTC+01:00)): an "
                           "embargo then would hold nothing. Give a later time, or leave it empty for no embargo.")
        saved = datetime(2027, 3, 9, 8, 0, tzinfo=UTC)
        assert controls.embargo_at(saved, yesterday, PARIS, now=now) == saved  # lifted since, kept as it was


# The campaign's form ----------------------------------------------------------------------------------------------


def test_the_campaign_form_asks_which_and_saves_the_one_chosen(make, web, db_session, france):
    campaign = admin.create_campaign(db_session, "Euro 2028", france, "#EURO2028")
    web.login(make.user(Role.project_manager, markets=[france]))
    path = f"/campaigns/{campaign.id}/edit"

    asked = _edit(web, path, _form(france, embargo_until=TWICE))

    assert asked.status_code == 422
    page = said(asked)
    assert ASKED in page and "This time happens twice: which one?" in page
    radios = _radios(page)
    assert len(radios) == 2 and not any("checked" in radio for radio in radios)
    assert "02:30 UTC+02:00" in page and "02:30 UTC+01:00" in page
    assert _embargo(db_session, campaign) is None

    assert _edit(web, path, _form(france, embargo_until=TWICE, embargo_fold="0")).status_code == 303
    assert _embargo(db_session, campaign) == FIRST
    # Shown again with the choice it holds; saved as shown, it stays the first.
    page = said(web.get(path))
    assert [("checked" in radio) for radio in _radios(page)] == [True, False]
    assert _edit(web, path, _form(france, embargo_until=TWICE, embargo_fold="0")).status_code == 303
    assert _embargo(db_session, campaign) == FIRST
    assert _edit(web, path, _form(france, embargo_until=TWICE, embargo_fold="1")).status_code == 303
    assert _embargo(db_session, campaign) == SECOND


def test_a_new_campaign_asks_too(make, web, db_session, france):
    web.login(make.user(Role.project_manager, markets=[france]))
    asked = web.post("/campaigns/new", _form(france, embargo_until=TWICE))
    assert asked.status_code == 422 and ASKED in said(asked) and len(_radios(said(asked))) == 2
    assert web.post("/campaigns/new", _form(france, embargo_until=TWICE, embargo_fold="1")).status_code == 303
    db_session.expire_all()
    assert db_session.scalars(select(Campaign)).one().embargo_until == SECOND


def test_the_campaign_form_refuses_a_past_embargo_and_keeps_one_lifted_since(make, web, db_session, france):
    campaign = admin.create_campaign(db_session, "Euro 2028", france, "#EURO2028")
    web.login(make.user(Role.project_manager, markets=[france]))
    path = f"/campaigns/{campaign.id}/edit"
    yesterday = (utcnow() - timedelta(days=1)).astimezone(PARIS).strftime("%Y-%m-%dT%H:%M")

    refused = _edit(web, path, _form(france, embargo_until=yesterday))

    assert refused.status_code == 422 and PAST in said(refused)
    assert _embargo(db_session, campaign) is None

    lifted = (utcnow() - timedelta(days=2)).replace(second=0, microsecond=0)
    campaign = db_session.get(Campaign, campaign.id)
    campaign.embargo_until = lifted
    db_session.commit()
    page = said(web.get(path))
    assert "This embargo lifted on " in page and "it holds nothing any more." in page
    shown = lifted.astimezone(PARIS).strftime("%Y-%m-%dT%H:%M")
    assert _edit(web, path, _form(france, name="Euro 2028 !", embargo_until=shown)).status_code == 303
    assert _embargo(db_session, campaign) == lifted


# The publishing settings ------------------------------------------------------------------------------------------


def test_the_publishing_settings_ask_which_and_refuse_a_past_embargo(admin_web, db_session, france):
    campaign = admin.create_campaign(db_session, "Rapport", france, "#Rapport")
    db_session.commit()
    route = f"/publishing/settings/campaigns/{campaign.id}"

    asked = admin_web.post(route, {"embargo_until": TWICE})

    assert asked.status_code == 422
    page = said(asked)
    row = page[page.index(f'id="campaign-{campaign.id}"'):]
    row = row[:row.index("</tr>")]
    assert ASKED in row and len(_radios(row)) == 2 and f'form="campaign-form-{campaign.id}"' in _radios(row)[0]
    assert _embargo(db_session, campaign) is None

    assert admin_web.post(route, {"embargo_until": TWICE, "embargo_fold": "0"}).status_code == 302
    assert _embargo(db_session, campaign) == FIRST

    yesterday = (utcnow() - timedelta(days=1)).astimezone(PARIS).strftime("%Y-%m-%dT%H:%M")
    refused = admin_web.post(route, {"embargo_until": yesterday})
    assert refused.status_code == 422 and PAST in said(refused)
    assert _embargo(db_session, campaign) == FIRST


def test_the_settings_other_rows_show_their_saved_choice_not_the_one_another_row_sent(admin_web, db_session, france):
    """A review: another row's refusal came back with its "which one?" answer on every row, and campaign A, saved as
    shown, lifted an hour early."""
    a = admin.create_campaign(db_session, "A", france, "#A")
    b = admin.create_campaign(db_session, "B", france, "#B")
    a.embargo_until = SECOND
    db_session.commit()
    yesterday = (utcnow() - timedelta(days=1)).astimezone(PARIS).strftime("%Y-%m-%dT%H:%M")

    refused = admin_web.post(f"/publishing/settings/campaigns/{b.id}", {"embargo_until": yesterday,
                                                                         "embargo_fold": "0"})

    assert refused.status_code == 422
    page = said(refused)
    row = page[page.index(f'id="campaign-{a.id}"'):]
    assert [("checked" in radio) for radio in _radios(row[:row.index("</tr>")])] == [False, True]
    assert _embargo(db_session, a) == SECOND


def _spring_forward() -> date:
    """The next last Sunday of March more than a day away (Paris's 02:00 to 03:00 does not exist then)."""
    today = utcnow().date() + timedelta(days=2)
    for year in (today.year, today.year + 1):
        day = date(year, 3, 31)
        day -= timedelta(days=(day.weekday() + 1) % 7)
        if day >= today:
            return day
    raise AssertionError("unreachable")


def test_a_time_the_clocks_skip_is_refused_with_no_choice_of_two_instants(make, web, db_session, france):
    """A review: a skipped time was refused and also offered "happens twice: which one?" between two instants that
    do not exist."""
    web.login(make.user(Role.project_manager, markets=[france]))
    skipped = f"{_spring_forward().isoformat()}T02:30"
    for fold in ({}, {"embargo_fold": "0"}):
        refused = web.post("/campaigns/new", _form(france, embargo_until=skipped, **fold))
        page = said(refused)
        assert refused.status_code == 422 and "The clocks skip from 02:00 to 03:00" in page, page[:3000]
        assert "happens twice" not in page and _radios(page) == []
