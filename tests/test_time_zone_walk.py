"""Times, from a project manager's walk from New York: a post moved in the calendar keeps its time in its market
(Paris's and New York's clocks change on different dates), the pages follow the browser's zone when the person
chose none, the calendar tells the two 01:30 of an autumn night apart and a post's market time from the calendar's,
the dashboard, the wall and the feed say whose time they give, and a refused time says what to choose."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar
from sqlalchemy import select

from approval import operations as ops
from approval.db import utcnow
from approval.feeds import issue_feed_token
from approval.labels import said_date, utc_offset
from approval.localtime import wall_clock
from approval.models import AuditEntry
from approval.models.notifications import NotificationProfile
from approval.workflow.errors import GuardFailed
from approval.workflow.guards import a_year_after
from approval.workflow.states import Action, Role, State
from tests.said_helpers import in_english, with_your_time

PARIS, NEW_YORK = ZoneInfo("Europe/Paris"), ZoneInfo("America/New_York")
JSON = {"Accept": "application/json"}


def _sunday(month: int, nth: int) -> date:
    """The next ``nth`` Sunday of ``month`` (-1: the last) a few days ahead at least: the night clocks change."""
    today = utcnow().date()
    for year in (today.year, today.year + 1):
        sundays = [date(year, month, d) for d in range(1, 32)
                   if _exists(year, month, d) and date(year, month, d).weekday() == 6]
        day = sundays[nth if nth < 0 else nth - 1]
        if day > today + timedelta(days=3):
            return day
    raise AssertionError("no such Sunday")


def _exists(year: int, month: int, day: int) -> bool:
    try:
        date(year, month, day)
    except ValueError:
        return False
    return True


def europe_spring() -> date:
    return _sunday(3, -1)  # Paris goes to summer time; New York did two weeks before


def europe_autumn() -> date:
    return _sunday(10, -1)


def us_autumn() -> date:
    return _sunday(11, 1)  # New York goes back a week after Paris


@pytest.fixture()
def france(make):
    return make.market("FR")


@pytest.fixture()
def usa(make):
    return make.market("US", "America/New_York", ("en",))


def _scheduled(make, market, at: datetime):  # noqa: ANN001, ANN202
    post = make.post(State.approved, account=make.account(market, "x"), body="Rendez-vous ce soir au stade.")
    make.act(post, Action.schedule, make.user(Role.project_manager, markets=[market]), scheduled_at=at)
    return post


def _move(web, post, **shift):  # noqa: ANN001, ANN003, ANN202
    return web.post("/calendar/move", {"post_id": post.id, "version": post.version, **shift}, headers=JSON)


# 1. A move by days keeps the post's time in its market ------------------------------------------------------------


def test_a_move_a_day_earlier_keeps_the_posts_time_in_its_market_and_says_where_it_went(app, make, web, db_session,
                                                                                        france):
    """The walk: Paris 03:30 on the night Paris goes to summer time, in a calendar shown in New York's time (already
    on summer time), Alt+ArrowLeft. The move kept New York's wall clock and landed at 02:30 in Paris, an hour
    earlier there, saying only "Moved."."""
    sunday = europe_spring()
    post = _scheduled(make, france, datetime.combine(sunday, time(3, 30), PARIS))
    web.login(make.user(Role.project_manager, markets=[france]))
    web.client.set_cookie("approval_tz", "America/New_York")  # the browser's zone: the viewer's own
    answer = _move(web, post, days="-1", hours="0")
    assert answer.status_code == 200, answer.get_data(as_text=True)
    db_session.expire_all()
    moved = datetime.combine(sunday - timedelta(days=1), time(3, 30), PARIS)
    assert post.scheduled_at.astimezone(PARIS) == moved and post.state == State.scheduled
    # Where it went, in its market's time and the viewer's: 03:30 in Paris is 22:30 the day before in New York.
    message = answer.json["message"]
    assert with_your_time(app, moved, "Europe/Paris", "America/New_York") in message, message
    trail = db_session.scalars(select(AuditEntry.action).where(AuditEntry.post_id == post.id)
                               .order_by(AuditEntry.id.desc()).limit(2)).all()
    assert trail == [Action.schedule, Action.unschedule]


def test_a_move_by_hours_and_days_counts_on_the_markets_clock(make, web, db_session, france):
    """The week view's drag to another day and hour, or Alt+ArrowUp/Down: hours on the market's clock too."""
    saturday = europe_spring() - timedelta(days=1)
    post = _scheduled(make, france, datetime.combine(saturday, time(10, 0), PARIS))
    web.login(make.user(Role.project_manager, markets=[france]))
    assert _move(web, post, hours="1").status_code == 200
    db_session.expire_all()
    assert post.scheduled_at.astimezone(PARIS) == datetime.combine(saturday, time(11, 0), PARIS)
    assert _move(web, post, days="1", hours="-2").status_code == 200  # across Paris's change: 09:00 summer time
    db_session.expire_all()
    assert post.scheduled_at.astimezone(PARIS) == datetime.combine(saturday + timedelta(days=1), time(9, 0), PARIS)


def test_a_move_into_the_hour_the_markets_clocks_skip_is_refused_in_the_markets_words(make, web, db_session,
                                                                                      france):
    saturday = europe_spring() - timedelta(days=1)
    at = datetime.combine(saturday, time(2, 30), PARIS)
    post = _scheduled(make, france, at)
    web.login(make.user(Role.project_manager, markets=[france]))
    web.client.set_cookie("approval_tz", "America/New_York")
    answer = _move(web, post, days="1")
    assert answer.status_code == 422
    said = "The clocks skip from 02:00 to 03:00 in Europe/Paris on that day: choose 03:00 or later."
    assert answer.json["message"] == said and answer.json["errors"]["local_time"] == [said]
    db_session.expire_all()
    assert post.scheduled_at == at  # not moved


def test_a_move_onto_a_time_the_markets_clocks_repeat_asks_which_in_the_markets_zone(make, web, db_session, france):
    saturday = europe_autumn() - timedelta(days=1)
    at = datetime.combine(saturday, time(2, 30), PARIS)
    post = _scheduled(make, france, at)
    web.login(make.user(Role.project_manager, markets=[france]))
    answer = _move(web, post, days="1")
    assert answer.status_code == 422
    assert "happens twice in Europe/Paris" in answer.json["message"]
    assert answer.json["choose_at"] == (f"/posts/{post.id}?move_time={saturday + timedelta(days=1)}T02:30"
                                        "&move_tz=Europe/Paris#move")
    db_session.expire_all()
    assert post.scheduled_at == at


def test_a_paris_post_is_never_refused_for_a_time_new_yorks_clocks_repeat(make, web, db_session, france):
    """Paris 06:30 is 01:30 in New York on the night New York's clocks go back: moved there by a day, the post
    keeps its Paris time; New York's repeated hour is none of its business."""
    saturday = us_autumn() - timedelta(days=1)
    post = _scheduled(make, france, datetime.combine(saturday, time(6, 30), PARIS))
    web.login(make.user(Role.project_manager, markets=[france]))
    answer = _move(web, post, days="1")
    assert answer.status_code == 200, answer.get_data(as_text=True)
    db_session.expire_all()
    assert post.scheduled_at.astimezone(PARIS) == datetime.combine(saturday + timedelta(days=1), time(6, 30), PARIS)


def test_a_shift_that_cannot_be_read_is_refused_and_moves_nothing(make, web, db_session, france):
    at = datetime.combine(europe_spring() - timedelta(days=1), time(10, 0), PARIS)
    post = _scheduled(make, france, at)
    web.login(make.user(Role.project_manager, markets=[france]))
    version = post.version
    for odd in ({"days": "abc"}, {"days": "99999"}, {"hours": "1.5"}, {"days": "", "hours": ""}, {"days": "１"},
                {"days": "0", "hours": "0"}):  # no move at all: it was unscheduled and scheduled again, two rows
        answer = _move(web, post, **odd)
        assert answer.status_code == 422, odd
        if odd.get("days") or odd.get("hours"):
            assert "Move it by whole days or hours" in answer.get_data(as_text=True), odd
    db_session.expire_all()
    assert post.scheduled_at == at and post.version == version


# 2. The viewer's zone: their own, else their browser's -------------------------------------------------------------


def test_the_pages_follow_the_browsers_zone_when_the_person_chose_none(app, make, web, db_session, france):
    at = datetime.combine(europe_spring() - timedelta(days=1), time(10, 0), PARIS)
    _scheduled(make, france, at)
    pm = make.user(Role.project_manager, markets=[france])
    web.login(pm)
    assert "Times in Europe/Paris" in web.get("/calendar").get_data(as_text=True)  # no browser zone known yet
    web.client.set_cookie("approval_tz", "America/New_York")
    page = web.get("/calendar").get_data(as_text=True)
    assert "Times in America/New_York" in page and 'data-zone-from="browser"' in page
    # The dashboard's next slot: the market's time, and the viewer's.
    dashboard = web.get("/hub/dashboard").get_data(as_text=True)
    assert with_your_time(app, at, "Europe/Paris", "America/New_York") in dashboard  # "... 10:00 ... · 05:00 ..."
    # A market chosen shows the market's time; garbage from the browser is no zone.
    assert "Times in Europe/Paris" in web.get("/calendar?market=FR").get_data(as_text=True)
    for garbage in ("Mars/Olympus", "../../etc/passwd", "localtime", "x" * 300, "Europe/Paris\x00"):
        web.client.set_cookie("approval_tz", garbage)
        assert "Times in Europe/Paris" in web.get("/calendar").get_data(as_text=True), garbage
        assert web.get("/hub/dashboard").status_code == 200
    # The person's own choice wins over the browser's.
    db_session.add(NotificationProfile(user_id=pm.id, timezone="Asia/Kolkata"))
    db_session.flush()
    web.client.set_cookie("approval_tz", "America/New_York")
    page = web.get("/calendar").get_data(as_text=True)
    assert "Times in Asia/Kolkata" in page and 'data-zone-from="profile"' in page


def test_the_zone_preference_says_it_governs_every_page(make, web, france):
    web.login(make.user(Role.project_manager, markets=[france]))
    page = web.get("/notifications/preferences").get_data(as_text=True)
    assert "Your time zone: pages and the daily digest" in page
    assert "Time zone of the daily digest" not in page
    assert "Without a choice, the pages follow your browser's zone" in page


# 3. The calendar tells the two 01:30 apart and shows the market's time ---------------------------------------------


def test_the_calendar_tells_a_repeated_hour_apart_and_shows_the_markets_time(make, web, france, usa):
    sunday = us_autumn()
    first = _scheduled(make, usa, datetime.combine(sunday, time(1, 30), NEW_YORK))  # 01:30 EDT
    second = _scheduled(make, usa, datetime.combine(sunday, time(1, 30, fold=1), NEW_YORK))  # 01:30 EST
    paris = _scheduled(make, france, datetime.combine(sunday, time(9, 30), PARIS))  # 03:30 in New York
    web.login(make.user(Role.admin))
    for view in ("week", "list"):
        page = web.get(f"/calendar?view={view}&date={sunday}&tz=America/New_York").get_data(as_text=True)
        assert page.count("01:30 EDT") == 1 and page.count("01:30 EST") == 1, view
        assert ">03:30<" in page, view  # a time that happens once needs no zone
        assert "09:30 (Europe/Paris, UTC+01:00)" in page, view  # the market's time: a tooltip, or in words
        assert first.id != second.id != paris.id
    week = web.get(f"/calendar?view=week&date={sunday}&tz=America/New_York").get_data(as_text=True)
    assert 'title="FR · X @' in week and "· 09:30 (Europe/Paris, UTC+01:00)\"" in week
    listed = web.get(f"/calendar?view=list&date={sunday}&tz=America/New_York").get_data(as_text=True)
    assert '<span class="market-time">09:30 (Europe/Paris, UTC+01:00)</span>' in listed
    assert listed.count('class="market-time"') == 1  # the US posts are in the calendar's zone: one time is enough
    # Shown in Paris's time, the US posts carry New York's.
    in_paris = web.get(f"/calendar?view=list&date={sunday}&tz=Europe/Paris").get_data(as_text=True)
    assert in_paris.count('class="market-time"') == 2 and "01:30 (America/New_York, UTC-04:00)" in in_paris


def test_the_list_views_move_form_takes_the_time_in_the_posts_market(make, web, france):
    sunday = us_autumn()
    post = _scheduled(make, france, datetime.combine(sunday, time(9, 30), PARIS))
    web.login(make.user(Role.project_manager, markets=[france]))
    listed = web.get(f"/calendar?view=list&date={sunday}&tz=America/New_York").get_data(as_text=True)
    form = listed.split(f'name="post_id" value="{post.id}"', 1)[1].split("</form>", 1)[0]
    assert 'name="tz" value="Europe/Paris"' in listed.split(f'name="post_id" value="{post.id}"', 1)[1][:400]
    assert f'value="{sunday}T09:30"' in form and "New time in Europe/Paris" in form


# 4. The dashboard, the wall and the feed say whose time -----------------------------------------------------------


def test_the_walls_next_hours_say_whose_clock_each_time_is(make, web, db_session, france, usa):
    now = utcnow().replace(second=0, microsecond=0)
    french = make.post(State.scheduled, account=make.account(france, "x"), body="Coup d'envoi.")
    american = make.post(State.scheduled, account=make.account(usa, "x"), body="Kick-off.")
    french.scheduled_at, american.scheduled_at = now + timedelta(hours=5), now + timedelta(hours=2)
    db_session.flush()
    web.login(make.user(Role.admin))
    page = web.get("/hub").get_data(as_text=True)
    from approval.views.hub import zone_name

    for post, zone in ((french, PARIS), (american, NEW_YORK)):
        name = zone_name(post.scheduled_at.astimezone(zone))  # "UTC+1", "UTC−5": the wall writes zones one way
        assert f'<abbr class="tz" title="{zone.key}">{name}</abbr>' in page, zone


def test_the_feed_says_the_markets_time_in_each_description(make, web, db_session, france):
    at = datetime.combine(europe_spring() - timedelta(days=1), time(10, 0), PARIS)
    post = _scheduled(make, france, at)
    pm = make.user(Role.project_manager, markets=[france])
    _token, secret = issue_feed_token(db_session, pm)
    db_session.flush()
    body = web.get(f"/calendar.ics?token={secret}").data
    (event,) = [e for e in Calendar.from_ical(body).walk("VEVENT") if str(e["uid"]) == f"post-{post.id}@approval"]
    assert f"{at:%Y-%m-%d} 10:00 (Europe/Paris, UTC+01:00)" in str(event["description"]).splitlines()[0]


# 5. Refusals say what to choose -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("zone", "typed", "said"), [
    ("Europe/Paris", time(2, 30), "The clocks skip from 02:00 to 03:00 in Europe/Paris on that day: choose 03:00 "
                                  "or later."),
    ("Australia/Lord_Howe", time(2, 10), "The clocks skip from 02:00 to 02:30 in Australia/Lord_Howe on that day: "
                                         "choose 02:30 or later."),
])
def test_a_time_the_clocks_skip_names_the_skipped_hour_and_the_next_valid_time(app, zone, typed, said):
    day = {"Europe/Paris": date(2027, 3, 28), "Australia/Lord_Howe": date(2026, 10, 4)}[zone]
    with app.test_request_context(), pytest.raises(GuardFailed) as refused:
        ops.instant_in(datetime.combine(day, typed), zone)
    assert refused.value.message == said and refused.value.errors == {"local_time": [said]}


def test_a_time_more_than_a_year_ahead_gives_the_last_allowed(app, make, db_session, france):
    post = make.post(State.approved, account=make.account(france, "x"))
    pm = make.user(Role.project_manager, markets=[france])
    now = utcnow()
    with pytest.raises(GuardFailed) as refused:
        make.act(post, Action.schedule, pm, scheduled_at=now + timedelta(days=400))
    (said,) = refused.value.errors["scheduled_at"]
    last = wall_clock(a_year_after(now), "Europe/Paris")
    assert said.startswith("This time is more than a year ahead: the latest allowed is ") and said.endswith(".")
    # The day and the zone: the minute is the guard's own reading of the clock.
    day = in_english(app, said_date, last.date())
    assert f"is {day}, " in said and said.endswith(f" (Europe/Paris, {utc_offset(last)})."), said


def test_the_calendars_utc_move_answer_is_in_utc(make, web, db_session, france):
    """The JSON answer keeps its instant for programs."""
    at = datetime.combine(europe_spring() - timedelta(days=1), time(10, 0), PARIS)
    post = _scheduled(make, france, at)
    web.login(make.user(Role.project_manager, markets=[france]))
    answer = _move(web, post, days="2")
    assert answer.json["scheduled_at"] == (at + timedelta(days=2)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
