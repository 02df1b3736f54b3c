"""What holds a post back, and what refuses its time, tells its dates in the page's language: a campaign's embargo
("under embargo until Dec 8, 2027, 09:00 (Europe/Paris, UTC+01:00)"), the stop switch that held it and is off since,
the latest time a post may be given; and the policy page tells when its version was saved. Never "2027-12-08 09:00"
in those sentences."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event

from approval import administration as admin
from approval import policies
from approval.db import utcnow
from approval.models import PolicyVersion
from approval.workflow.states import Role, State
from publishing_helpers import held_by_a_switch_now_off
from test_dates_in_sentences import PARIS, _day, _offset, _reader, _text

LANGUAGES = ["en", "fr"]


def _said(instant: datetime, language: str) -> str:
    """``instant`` as a sentence in ``language`` tells it in Paris: "Dec 8, 2027, 09:00 (Europe/Paris, UTC+01:00)"."""
    local = instant.astimezone(PARIS)
    return f"{_day(local.date(), language)}, {local:%H:%M} (Europe/Paris, {_offset(local)})"


def _held(page: str) -> str:
    start = page.index('class="flash error held"')
    return page[start:page.index("</p>", start)]


def _embargoed(make, db_session, france):  # noqa: ANN001, ANN202
    """A scheduled post of a campaign whose embargo lifts a day after the post's time (set there, as an embargo
    typed after the post was scheduled)."""
    campaign = admin.create_campaign(db_session, "Euro 2028", france, "#EURO2028")
    post = make.post(State.scheduled, account=make.account(france))  # a day ahead
    post.campaign = campaign
    campaign.embargo_until = (post.scheduled_at + timedelta(days=1)).replace(second=0, microsecond=0)
    db_session.flush()
    return campaign, post


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_post_held_by_an_embargo_says_until_when_in_the_pages_language(make, web, db_session, language):
    france = make.market("FR")
    campaign, post = _embargoed(make, db_session, france)
    web.login(_reader(make, language, Role.project_manager, [france], "Europe/Paris"))
    held = _held(_text(web.get(f"/posts/{post.id}")))
    assert "Euro 2028" in held and _said(campaign.embargo_until, language) in held, held
    assert f"{campaign.embargo_until.astimezone(PARIS):%Y-%m-%d}" not in held


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_time_before_the_embargo_is_refused_with_the_embargos_date_in_the_pages_language(make, web, db_session,
                                                                                           language):
    france = make.market("FR")
    campaign, post = _embargoed(make, db_session, france)
    pm = _reader(make, language, Role.project_manager, [france], "Europe/Paris")
    approved = make.post(State.approved, account=make.account(france))
    approved.campaign = campaign
    db_session.flush()
    web.login(pm)
    before = (campaign.embargo_until - timedelta(hours=2)).astimezone(PARIS)
    answer = web.post(f"/posts/{approved.id}/actions/schedule", {"version": approved.version,
                                                                  "local_time": before.strftime("%Y-%m-%dT%H:%M")})
    page = _text(answer)
    assert answer.status_code == 422 and _said(campaign.embargo_until, language) in page
    assert f"{campaign.embargo_until.astimezone(PARIS):%Y-%m-%d %H:%M}" not in page


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_post_a_switch_held_says_when_it_went_on_and_off_in_the_pages_language(make, web, db_session, language):
    from approval.models import StopSwitch

    france = make.market("FR")
    pm = _reader(make, language, Role.project_manager, [france], "Europe/Paris")
    post = make.post(State.scheduled, account=make.account(france))
    held_by_a_switch_now_off(db_session, post, pm)
    stop = db_session.get(StopSwitch, post.held_by_stop_id)
    web.login(pm)
    held = _held(_text(web.get(f"/posts/{post.id}")))
    assert "Match perdu" in held
    assert _said(stop.turned_on_at, language) in held and _said(stop.turned_off_at, language) in held, held
    assert f"{stop.turned_on_at.astimezone(PARIS):%Y-%m-%d}" not in held


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_time_more_than_a_year_ahead_names_the_latest_in_the_pages_language(make, web, db_session, language):
    france = make.market("FR")
    pm = _reader(make, language, Role.project_manager, [france], "Europe/Paris")
    post = make.post(State.approved, account=make.account(france))
    web.login(pm)
    far = (utcnow() + timedelta(days=400)).astimezone(PARIS).replace(hour=12, minute=0)
    answer = web.post(f"/posts/{post.id}/actions/schedule", {"version": post.version,
                                                              "local_time": far.strftime("%Y-%m-%dT%H:%M")})
    page = _text(answer)
    last = (utcnow() + timedelta(days=365)).astimezone(PARIS)  # a year from now (the minute is the guard's own)
    assert answer.status_code == 422 and f"{_day(last.date(), language)}, " in page
    assert f" (Europe/Paris, {_offset(last)})" in page and f"{last:%Y-%m-%d}" not in page


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_policy_page_says_when_the_version_in_force_was_saved_in_the_pages_language(make, web, db_session,
                                                                                          language):
    france = make.market("FR")
    admin_user = _reader(make, language, Role.admin, [])
    winter = datetime(utcnow().year + 1, 1, 15, 16, 0, tzinfo=UTC)  # 17:00 in Paris, in winter

    def saved_in_winter(_mapper, _connection, target: PolicyVersion) -> None:  # a version is never changed once saved
        target.created_at = winter

    event.listen(PolicyVersion, "before_insert", saved_in_winter)
    try:
        version = policies.save_policy(db_session, france, admin_user,
                                      forbidden=[{"phrase": "grève", "reason": "A dispute is under way."}])
    finally:
        event.remove(PolicyVersion, "before_insert", saved_in_winter)
    web.login(admin_user)
    page = _text(web.get(f"/admin/markets/{france.id}/policy"))
    told = _said(version.created_at, language)
    assert told in page[:page.index("</p>", page.index("<h1>"))]  # "In force: FR-v1, saved by ... on <told>."
    assert page.count(told) == 2  # and in the list of versions
    assert f"{version.created_at:%Y-%m-%d}" not in page
