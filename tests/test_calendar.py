"""The content calendar: month, week and list views in a chosen zone, moving a scheduled post through the engine,
the private iCalendar feed (read back with the icalendar library) and GET /api/v1/calendar."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar
from markupsafe import escape
from sqlalchemy import select

from approval.db import utcnow
from approval.feeds import issue_feed_token
from approval.models import AuditEntry
from approval.queries.calendar import window
from approval.queries.posts import PostFilters
from approval.workflow.states import Action, Role, State


@pytest.fixture()
def france(make):
    return make.market("FR")


def _scheduled(make, account, at: datetime, body: str = "Rendez-vous ce soir au stade."):
    post = make.post(State.approved, account=account, body=body)
    pm = make.user(Role.project_manager, markets=[account.market])
    make.act(post, Action.schedule, pm, scheduled_at=at)
    return post


def _next_month_day(day: int = 10, hour: int = 9) -> datetime:
    now = utcnow()
    first = (now.replace(day=1) + timedelta(days=32)).replace(day=day, hour=hour, minute=30, second=0, microsecond=0)
    return first


def test_month_week_and_list_views_show_the_post_in_the_chosen_zone(make, web, france):
    at = _next_month_day(10, 8)  # 08:30 UTC: 09:30 or 10:30 in Paris, 11:30 in Nairobi
    post = _scheduled(make, make.account(france, "x"), at)
    pm = make.user(Role.project_manager, markets=[france])
    web.login(pm)
    paris = at.astimezone(__import__("zoneinfo").ZoneInfo("Europe/Paris")).strftime("%H:%M")
    for view in ("month", "week", "list"):
        page = web.get(f"/calendar?view={view}&date={at.date().isoformat()}").get_data(as_text=True)
        assert f'href="/posts/{post.id}"' in page, view
        assert paris in page, view
        assert "Times in Europe/Paris" in page
    week = web.get("/calendar?view=week&date=2026-12-02", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    title = re.search(r'<strong class="calendar-title">([^<]*)</strong>', week)[1]
    assert " ".join(title.replace("\u2009", " ").split()) == "30 nov. – 6 déc. 2026"  # months in lower case
    nairobi = web.get(f"/calendar?view=list&date={at.date().isoformat()}&tz=Africa/Nairobi").get_data(as_text=True)
    assert "11:30" in nairobi and "Times in Africa/Nairobi" in nairobi
    # Unknown input never breaks the page.
    for query in ("tz=Mars/Olympus", "date=2026-02-30", "view=year", "market=ZZ", "account_id=abc"):
        assert web.get(f"/calendar?{query}").status_code == 200, query


def test_a_held_post_is_marked_held_in_every_view(make, web, db_session, france):
    """A stop switch or an embargo holds a scheduled post back: the calendar says so, not "scheduled" alone."""
    from approval.publishing import controls

    at = _next_month_day(10, 8)
    held = _scheduled(make, make.account(france, "x"), at, body="Le match est reporté à demain soir.")
    free = _scheduled(make, make.account(france, "linkedin"), at + timedelta(hours=1))
    stop = controls.turn_on(db_session, None, "market", market_code="FR", reason="Match perdu.")
    held.held_at, held.held_by_stop_id = utcnow(), stop.id
    controls.turn_off(db_session, None, stop.id)  # what it held stays held; the rest goes out at its time
    db_session.flush()
    web.login(make.user(Role.project_manager, markets=[france]))

    def marked_held(view: str) -> list[str]:
        page = web.get(f"/calendar?view={view}&date={at.date().isoformat()}").get_data(as_text=True)
        assert f'href="/posts/{free.id}"' in page
        marked = re.findall(r'href="/posts/(\d+)" class="entry entry-scheduled entry-held', page)
        listed = re.findall(r'href="/posts/(\d+)">[^<]*</a></td>\s*<td><span class="state state-scheduled">'
                            r'scheduled</span> <span class="state state-held">held</span>', page)
        return sorted(marked or listed)

    for view in ("month", "week", "list"):
        assert marked_held(view) == [str(held.id)], view
    # A switch on now covers the posts still to come: held at their time if it is still on, and shown so.
    controls.turn_on(db_session, None, "market", market_code="FR", reason="Deuil national.")
    db_session.flush()
    for view in ("month", "week", "list"):
        assert marked_held(view) == sorted([str(held.id), str(free.id)]), view
    queue = web.get("/review").get_data(as_text=True)
    going_out = queue[queue.index("Going out next"):]
    assert going_out.count('<span class="state state-held">held</span>') == 2


def test_a_group_wide_manager_reads_the_calendar_in_their_own_zone_whatever_markets_are_added(make, web, france,
                                                                                             db_session):
    from approval.models.notifications import NotificationProfile

    group = make.user(Role.project_manager, all_markets=True)
    web.login(group)
    assert "Times in UTC" in web.get("/calendar").get_data(as_text=True)  # not whichever market sorts first
    db_session.add(NotificationProfile(user_id=group.id, timezone="Europe/Paris"))
    db_session.flush()
    make.market("BE", timezone="Europe/Brussels")  # sorts before FR: changes nothing
    assert "Times in Europe/Paris" in web.get("/calendar").get_data(as_text=True)
    assert "Times in Africa/Nairobi" in web.get("/calendar?tz=Africa/Nairobi").get_data(as_text=True)


def test_filters_narrow_the_calendar(make, web, france):
    kenya = make.market("KE", "Africa/Nairobi", ("en",))
    at = _next_month_day(12, 10)
    fr_post = _scheduled(make, make.account(france, "x"), at, "Bonjour la France.")
    ke_post = _scheduled(make, make.account(kenya, "facebook"), at, "Habari Kenya.")
    web.login(make.user(Role.project_manager, markets=[france, kenya]))
    day = at.date().isoformat()
    both = web.get(f"/calendar?view=list&date={day}").get_data(as_text=True)
    assert f"/posts/{fr_post.id}" in both and f"/posts/{ke_post.id}" in both
    only_ke = web.get(f"/calendar?view=list&date={day}&market=KE").get_data(as_text=True)
    assert f"/posts/{ke_post.id}" in only_ke and f"/posts/{fr_post.id}" not in only_ke
    only_x = web.get(f"/calendar?view=list&date={day}&network=x").get_data(as_text=True)
    assert f"/posts/{fr_post.id}" in only_x and f"/posts/{ke_post.id}" not in only_x


def test_a_busy_day_of_the_month_shows_its_first_posts_and_how_many_more(make, web, db_session, france):
    """The month grid reads the texts of what it shows only; its counts and "+N more" still cover every post."""
    from approval.views.calendar import MONTH_DAY_ENTRIES

    account = make.account(france, "x")
    at = _next_month_day(14, 7)
    posts = [_scheduled(make, account, at + timedelta(minutes=n), f"Message numéro {n} du jour.")
             for n in range(MONTH_DAY_ENTRIES + 2)]
    pm = make.user(Role.project_manager, markets=[france])
    web.login(pm)
    day = at.date().isoformat()
    month = web.get(f"/calendar?view=month&date={day}").get_data(as_text=True)
    cell = month[month.index(f'data-date="{day}"'):]
    cell = cell[:cell.index("</td>")]
    shown = re.findall(r'href="/posts/(\d+)"', cell)
    assert shown == [str(p.id) for p in posts[:MONTH_DAY_ENTRIES]]  # the first ones, in time order
    assert f'<span class="day-count">{len(posts)}</span>' in cell
    assert "+2 more" in cell and f"view=list&amp;date={day}" in cell
    assert f"{len(posts)} posts" in month  # the period's total counts the posts left out of the grid
    listed = web.get(f"/calendar?view=list&date={day}").get_data(as_text=True)
    assert all(f'href="/posts/{p.id}"' in listed for p in posts)
    # The query behind the grid: the first entries of the day, the day's count, the window's total.
    paris = ZoneInfo("Europe/Paris")
    found = window(db_session, pm, PostFilters(market="FR"), at - timedelta(days=1), at + timedelta(days=1),
                   per_day=(paris, MONTH_DAY_ENTRIES))
    assert [e.post.id for e in found.entries] == [p.id for p in posts[:MONTH_DAY_ENTRIES]]
    assert found.per_day == {at.astimezone(paris).date(): len(posts)} and found.total == len(posts)
    assert len(window(db_session, pm, PostFilters(market="FR"), at - timedelta(days=1),
                      at + timedelta(days=1)).entries) == len(posts)


def test_a_project_manager_moves_a_scheduled_post_through_the_engine(make, web, db_session, france):
    at = _next_month_day(14, 7)
    post = _scheduled(make, make.account(france, "x"), at)
    pm = make.user(Role.project_manager, markets=[france])
    web.login(pm)
    page = web.get(f"/calendar?view=month&date={at.date().isoformat()}").get_data(as_text=True)
    assert f'data-post="{post.id}"' in page  # draggable for a project manager
    target = (at + timedelta(days=2)).astimezone(__import__("zoneinfo").ZoneInfo("Europe/Paris"))
    response = web.post("/calendar/move", {"post_id": post.id, "version": post.version, "tz": "Europe/Paris",
                                           "local_time": target.strftime("%Y-%m-%dT%H:%M")},
                        headers={"Accept": "application/json"})
    assert response.status_code == 200, response.get_data(as_text=True)
    db_session.expire_all()
    assert post.state == State.scheduled
    assert post.scheduled_at == target.astimezone(UTC).replace(second=0, microsecond=0)
    trail = [e.action for e in db_session.scalars(select(AuditEntry).where(AuditEntry.post_id == post.id)
                                                  .order_by(AuditEntry.id))]
    assert trail[-2:] == [Action.unschedule, Action.schedule]


def test_moving_one_post_of_a_set_says_the_sets_other_posts_stay_where_they_were(make, web, db_session, france):
    """A set's post moved alone, by the keyboard or a drop on a day (so many days), a drop on an hour (a time) or
    the list's form: the answer says the set's other posts were not moved, the same words each way, with a link to
    the set; the mover counts only the members they see, and a post written alone says nothing of it."""
    from approval.models import PostSet

    kenya = make.market("KE", "Africa/Nairobi", ("en",))
    at = _next_month_day(14, 7)
    writer = make.user(Role.community_manager, markets=[france, kenya])
    launch = PostSet(created_by_id=writer.id)
    db_session.add(launch)
    db_session.flush()
    members = [_scheduled(make, make.account(market, network), at)
               for market, network in ((france, "x"), (france, "facebook"), (kenya, "x"))]
    for member in members:
        member.set_id = launch.id
    alone = _scheduled(make, make.account(france, "linkedin"), at)
    db_session.flush()
    moved = members[0]
    pm = make.user(Role.project_manager, markets=[france, kenya])
    web.login(pm)
    note = f"This post is one of set #{launch.id}: the set's 2 other posts were not moved."
    as_json = {"Accept": "application/json"}
    for where in ({"days": "1", "hours": "0"}, {"days": "0", "hours": "-1"},  # the keyboard, a day's cell
                  {"tz": "Europe/Paris", "local_time": (at + timedelta(days=3)).astimezone(
                      ZoneInfo("Europe/Paris")).strftime("%Y-%m-%dT%H:%M")}):  # an hour's cell
        db_session.expire_all()
        answer = web.post("/calendar/move", {"post_id": moved.id, "version": moved.version, **where}, headers=as_json)
        assert answer.status_code == 200, answer.get_data(as_text=True)
        assert answer.json["set"] == {"note": note, "url": f"/sets/{launch.id}", "link": "See the set side by side"}
    db_session.expire_all()
    assert [m.scheduled_at for m in members[1:]] == [at, at]  # the others where they were
    # The list's form (no script): the same words, and the link, flashed.
    page = web.post("/calendar/move", {"post_id": moved.id, "version": moved.version, "days": "1"},
                    follow_redirects=True).get_data(as_text=True)
    assert f'{escape(note)} <a href="/sets/{launch.id}">See the set side by side</a>' in page
    # Alone, or the only member its mover sees: nothing of a set.
    db_session.expire_all()
    alone_moved = web.post("/calendar/move", {"post_id": alone.id, "version": alone.version, "days": "1"},
                           headers=as_json)
    assert alone_moved.status_code == 200 and "set" not in alone_moved.json
    web.login(make.user(Role.project_manager, markets=[kenya]))
    db_session.expire_all()
    kenyan = web.post("/calendar/move", {"post_id": members[2].id, "version": members[2].version, "days": "1"},
                      headers=as_json)
    assert kenyan.status_code == 200 and "set" not in kenyan.json
    web.login(make.user(Role.project_manager, markets=[france]))
    db_session.expire_all()
    french = web.post("/calendar/move", {"post_id": members[1].id, "version": members[1].version, "days": "1"},
                      headers=as_json)
    assert french.json["set"]["note"] == f"This post is one of set #{launch.id}: the set's 1 other post was not moved."


def test_a_post_the_worker_retries_is_marked_in_the_calendar(make, web, db_session, france):
    """A webhook that does not answer: the desk and the wall list the post as retrying; the calendar drew it as any
    post to come."""
    at = utcnow() + timedelta(minutes=3)
    retrying = _scheduled(make, make.account(france, "facebook"), at, body="Le stade est plein ce soir.")
    calm = _scheduled(make, make.account(france, "x"), at + timedelta(minutes=1))
    retrying.next_attempt_at = utcnow() + timedelta(minutes=1)
    db_session.flush()
    web.login(make.user(Role.project_manager, markets=[france]))
    day = at.astimezone(__import__("zoneinfo").ZoneInfo("Europe/Paris")).date().isoformat()
    month = web.get(f"/calendar?view=month&date={day}").get_data(as_text=True)
    mark = month[month.index(f'href="/posts/{retrying.id}"'):]
    assert '<span class="held-mark retry-mark">retrying</span>' in mark[:mark.index("</a>")]
    calm_entry = month[month.index(f'href="/posts/{calm.id}"'):]
    assert "retrying" not in calm_entry[:calm_entry.index("</a>")]
    listed = web.get(f"/calendar?view=list&date={day}").get_data(as_text=True)
    assert listed.count('<span class="state state-retrying">retrying</span>') == 1


def test_a_post_a_switch_held_is_published_now_from_its_page_once_the_switch_is_off(make, web, db_session, france):
    """Once a stop switch is off, what it held waits for a person: "Publish now" beside the move form gives it the
    present as its time (unscheduled, scheduled again, both audited), the hold gone."""
    from publishing_helpers import held_by_a_switch_now_off

    from approval.publishing import controls

    account = controls.connect_account(db_session, make.account(france, "x"), "outbox")
    post = _scheduled(make, account, _next_month_day(10, 8))
    pm = make.user(Role.project_manager, markets=[france])
    held_by_a_switch_now_off(db_session, post, pm)
    web.login(pm)
    page = web.get(f"/posts/{post.id}").get_data(as_text=True)
    move_form = page[page.index('id="move"'):]
    assert 'name="when" value="now"' in move_form[:move_form.index("</form>")]
    before = utcnow()
    answer = web.post("/calendar/move", {"post_id": post.id, "version": post.version, "when": "now",
                                         "next": f"/posts/{post.id}"})
    assert answer.status_code == 303 and answer.headers["Location"] == f"/posts/{post.id}"
    db_session.expire_all()
    assert post.state == State.scheduled and post.held_at is None and post.held_by_stop_id is None
    assert before < post.scheduled_at < utcnow() + timedelta(seconds=5)
    trail = [e.action for e in db_session.scalars(select(AuditEntry).where(AuditEntry.post_id == post.id)
                                                  .order_by(AuditEntry.id))]
    assert trail[-2:] == [Action.unschedule, Action.schedule]
    assert "Publishing now" in web.get(f"/posts/{post.id}").get_data(as_text=True)
    stale = web.post("/calendar/move", {"post_id": post.id, "version": post.version - 1, "when": "now"},
                     headers={"Accept": "application/json"})
    assert stale.status_code == 409


def test_publish_now_from_the_move_form_without_scripts_asks_on_the_page_first(make, web, db_session, france):
    """A scheduled post's "Publish now" (beside "Move to this time") asks first in a browser without scripts, as the
    approved post's does (``posts.ask_publish_now``): the page names the account and does nothing; its button,
    pressed, publishes now. Asked only of who could do it: a community manager is refused (403), a page drawn
    before a change is a conflict (409)."""
    import html as html_text

    from conftest import row_counts

    at = _next_month_day(12, 9)
    post = _scheduled(make, make.account(france, "x"), at)
    pm = make.user(Role.project_manager, markets=[france])
    web.login(pm)
    page = web.get(f"/posts/{post.id}").get_data(as_text=True)
    move_form = page[page.index('id="move"'):]
    move_form = move_form[:move_form.index("</form>")]
    assert '<noscript><input type="hidden" name="ask_first" value="now"></noscript>' in move_form
    assert 'data-confirm="Publish this post on X @' in html_text.unescape(move_form)  # with scripts: the dialog
    counts = row_counts(db_session, AuditEntry)
    asked = web.post("/calendar/move", {"post_id": post.id, "version": post.version, "when": "now",
                                        "ask_first": "now", "next": f"/posts/{post.id}"})
    assert asked.status_code == 200
    said = html_text.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", asked.get_data(as_text=True))))
    assert f"Publish this post on X @{post.account.handle} now? It cannot be undone." in said
    assert "Nothing is done yet." in said
    assert row_counts(db_session, AuditEntry) == counts
    db_session.expire_all()
    assert post.state == State.scheduled and post.scheduled_at == at
    # Its button answers the move form without the marker: pressed, the post goes now.
    answer_page = asked.get_data(as_text=True)
    form = answer_page[answer_page.index("publish-now-asked"):]
    form = form[:form.index("</form>")]
    assert 'action="/calendar/move"' in form and 'name="ask_first"' not in form and 'value="now"' in form
    assert f'name="post_id" value="{post.id}"' in form
    cm = make.user(Role.community_manager, markets=[france])
    web.login(cm)
    assert web.post("/calendar/move", {"post_id": post.id, "version": post.version, "when": "now",
                                       "ask_first": "now"}).status_code == 403
    web.login(pm)
    assert web.post("/calendar/move", {"post_id": post.id, "version": post.version - 1, "when": "now",
                                       "ask_first": "now"}).status_code == 409
    assert row_counts(db_session, AuditEntry) == counts
    before = utcnow()
    done = web.post("/calendar/move", {"post_id": post.id, "version": post.version, "when": "now",
                                       "next": f"/posts/{post.id}"})
    assert done.status_code == 303
    db_session.expire_all()
    assert post.state == State.scheduled and before < post.scheduled_at < utcnow() + timedelta(seconds=5)


def test_a_move_is_refused_by_the_engine_with_its_reasons(make, web, db_session, france):
    at = _next_month_day(15, 7)
    post = _scheduled(make, make.account(france, "x"), at)
    pm = make.user(Role.project_manager, markets=[france])
    cm = make.user(Role.community_manager, markets=[france])
    web.login(pm)
    past = web.post("/calendar/move", {"post_id": post.id, "version": post.version, "tz": "UTC",
                                       "local_time": "2020-01-01T10:00"}, headers={"Accept": "application/json"})
    assert past.status_code == 422 and past.json["errors"]
    stale = web.post("/calendar/move", {"post_id": post.id, "version": post.version - 1, "tz": "UTC",
                                        "local_time": "2099-01-01T10:00"}, headers={"Accept": "application/json"})
    assert stale.status_code == 409
    soon = (at + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    for version in ({}, {"version": "abc"}, {"version": "99999999999999999999"}):  # no version is no check skipped
        unchecked = web.post("/calendar/move", {"post_id": post.id, "tz": "UTC", "local_time": soon, **version},
                             headers={"Accept": "application/json"})
        assert unchecked.status_code == 409, version
    for odd in ({"local_time": soon + "+05:00"}, {"local_time": soon + "Z"}, {"local_time": "２０" + soon[2:]},
                {"local_time": soon, "fold": "2"}):  # an offset read as local time moved the post by hours
        refused = web.post("/calendar/move", {"post_id": post.id, "version": post.version, "tz": "UTC", **odd},
                           headers={"Accept": "application/json"})
        assert refused.status_code == 422 and "local_time" in refused.json["errors"], odd
    garbage = web.post("/calendar/move", {"post_id": post.id, "version": post.version, "local_time": "soon"})
    assert garbage.status_code == 303
    db_session.expire_all()
    assert post.scheduled_at == at and post.state == State.scheduled  # nothing moved
    web.login(cm)
    refused = web.post("/calendar/move", {"post_id": post.id, "version": post.version, "tz": "UTC",
                                          "local_time": "2099-01-01T10:00"}, headers={"Accept": "application/json"})
    assert refused.status_code == 403
    page = web.get(f"/calendar?view=month&date={at.date().isoformat()}").get_data(as_text=True)
    assert f'data-post="{post.id}"' not in page  # not draggable for a community manager


def test_moving_a_post_outside_ones_markets_is_a_404(make, web, db_session, france):
    kenya = make.market("KE", "Africa/Nairobi", ("en",))
    post = _scheduled(make, make.account(france, "x"), _next_month_day(16, 7))
    web.login(make.user(Role.project_manager, markets=[kenya]))
    response = web.post("/calendar/move", {"post_id": post.id, "version": post.version, "tz": "UTC",
                                           "local_time": "2099-01-01T10:00"})
    assert response.status_code == 404
    assert web.post("/calendar/move", {"post_id": "99999999999", "local_time": "x"}).status_code == 404
    listing = web.get(f"/calendar?view=list&date={_next_month_day(16).date().isoformat()}").get_data(as_text=True)
    assert f"/posts/{post.id}" not in listing


def test_the_ical_feed_parses_back_and_keeps_to_the_users_markets(make, web, db_session, france):
    kenya = make.market("KE", "Africa/Nairobi", ("en",))
    at = (utcnow() + timedelta(days=3)).replace(microsecond=0)
    fr_post = _scheduled(make, make.account(france, "x"), at, "Le grand soir approche.")
    ke_post = _scheduled(make, make.account(kenya, "x"), at, "Habari za jioni.")
    published = make.post(State.published, account=make.account(france, "linkedin"), body="C'est en ligne.")
    user = make.user(Role.community_manager, markets=[france])
    _token, secret = issue_feed_token(db_session, user)
    response = web.get(f"/calendar.ics?token={secret}")
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    calendar = Calendar.from_ical(response.data)
    events = {str(e["uid"]): e for e in calendar.walk("VEVENT")}
    assert set(events) == {f"post-{fr_post.id}@approval", f"post-{published.id}@approval"}
    event = events[f"post-{fr_post.id}@approval"]
    assert event.decoded("dtstart") == at and event.decoded("dtstart").tzinfo is not None
    assert "Le grand soir" in str(event["summary"]) and str(event["summary"]).startswith("FR · X @handle")
    assert str(events[f"post-{published.id}@approval"]["summary"]).startswith("FR · LinkedIn @")  # a name, not an id
    # Fetched again every 15 minutes; the kind in the reader's language among the categories.
    assert calendar.decoded("refresh-interval") == timedelta(minutes=15)
    assert b"\r\nREFRESH-INTERVAL;VALUE=DURATION:PT15M\r\n" in response.data
    assert b"\r\nX-PUBLISHED-TTL:PT15M\r\n" in response.data
    assert [str(c) for c in event["categories"].cats] == ["FR", "X", "scheduled"]
    assert str(event["url"]).endswith(f"/posts/{fr_post.id}")
    assert f"post-{ke_post.id}@approval" not in events
    # One market of theirs narrows it; a market not theirs is a 404.
    assert web.get(f"/calendar.ics?token={secret}&market=FR").status_code == 200
    assert web.get(f"/calendar.ics?token={secret}&market=KE").status_code == 404


def test_a_revoked_or_unknown_feed_token_opens_nothing(make, web, db_session, france):
    user = make.user(Role.project_manager, markets=[france])
    web.login(user)
    created = web.post("/calendar/feed").get_data(as_text=True)
    secret = re.search(r"token=(cal1_[\w-]+)", created).group(1)
    assert web.get(f"/calendar.ics?token={secret}").status_code == 200
    assert web.post("/calendar/feed/revoke").status_code == 303
    assert web.get(f"/calendar.ics?token={secret}").status_code == 404
    assert web.get("/calendar.ics?token=cal1_nothing").status_code == 404
    assert web.get("/calendar.ics").status_code == 404


def test_ending_someones_access_revokes_their_feed_for_good(make, web, db_session, france):
    """An admin's "end all sessions and tokens" (also run by a password reset) and a deactivation revoke the feed
    link as they revoke API tokens: it leaked the markets' posts on. Reactivating the user brings no link back."""
    from approval import administration as admin
    from approval import security

    user = make.user(Role.project_manager, markets=[france])
    for end in (lambda: security.end_all_access(db_session, user),
                lambda: admin.deactivate_user(db_session, user, make.user(Role.admin))):
        _token, secret = issue_feed_token(db_session, user)
        db_session.flush()
        assert web.get(f"/calendar.ics?token={secret}").status_code == 200
        end()
        db_session.flush()
        admin.reactivate_user(db_session, user)
        db_session.flush()
        assert web.get(f"/calendar.ics?token={secret}").status_code == 404


def test_the_profile_page_makes_and_revokes_the_feed_link(make, web, db_session, france):
    """The CONTRACT's place for the feed link: the profile page says whether one is live and makes or revokes it."""
    web.login(make.user(Role.project_manager, markets=[france]))
    page = web.get("/profile").get_data(as_text=True)
    assert "No feed link yet." in page and 'action="/calendar/feed"' in page
    created = web.post("/calendar/feed").get_data(as_text=True)
    prefix = re.search(r"token=(cal1_[\w-]+)", created).group(1)[:12]
    page = web.get("/profile").get_data(as_text=True)
    assert f"it starts with {prefix}" in page and 'action="/calendar/feed/revoke"' in page



def test_a_move_to_a_time_that_happens_twice_is_refused_with_both_choices_not_a_500(make, web, db_session, france):
    """The autumn change: 02:30 happens twice in Paris. Dragged there, the post is not moved; the answer says which
    two instants the time could be (the post page's schedule form takes the choice)."""
    from datetime import date

    at = _next_month_day(16, 7)
    post = _scheduled(make, make.account(france, "x"), at)
    web.login(make.user(Role.project_manager, markets=[france]))
    today = utcnow().date()
    year = today.year if date(today.year, 10, 25) > today + timedelta(days=2) else today.year + 1
    sunday = max(date(year, 10, d) for d in range(25, 32) if date(year, 10, d).weekday() == 6)
    answer = web.post("/calendar/move", {"post_id": post.id, "version": post.version, "tz": "Europe/Paris",
                                         "local_time": f"{sunday.isoformat()}T02:30"},
                      headers={"Accept": "application/json"})
    assert answer.status_code == 422, answer.get_data(as_text=True)
    assert "+02:00" in answer.json["message"] and "+01:00" in answer.json["message"]
    assert answer.json["errors"]["fold"] == ["Open the post to choose which: its move form offers both."]
    assert answer.json["choose_at"] == \
        f"/posts/{post.id}?move_time={sunday.isoformat()}T02:30&move_tz=Europe/Paris#move"
    db_session.expire_all()
    assert post.scheduled_at == at


def test_a_move_to_a_time_that_happens_twice_asks_which_on_the_posts_page_then_takes_the_choice(
        make, web, db_session, france):
    """Asked from the post's page (or a calendar shown in another zone), a time the clocks repeat comes back to the
    post's page, its move form filled in with the time and that zone and asking which of the two; the choice
    moves the post to that instant, audited."""
    from datetime import date

    at = _next_month_day(16, 7)
    post = _scheduled(make, make.account(france, "x"), at)
    web.login(make.user(Role.project_manager, markets=[france]))
    today = utcnow().date()
    year = today.year if date(today.year, 11, 1) > today + timedelta(days=2) else today.year + 1
    sunday = min(date(year, 11, d) for d in range(1, 8) if date(year, 11, d).weekday() == 6)  # New York's change
    asked = {"post_id": post.id, "version": post.version, "tz": "America/New_York",
             "local_time": f"{sunday.isoformat()}T01:30", "next": "/calendar"}
    answer = web.post("/calendar/move", asked)
    assert answer.status_code == 303
    assert answer.headers["Location"].startswith(f"/posts/{post.id}?move_time=")
    page = web.get(answer.headers["Location"]).get_data(as_text=True)
    assert "This time happens twice in America/New_York" in page  # the flash, with both instants
    assert "This time happens twice: which one?" in page and 'name="fold" value="1"' in page
    assert f'value="{sunday.isoformat()}T01:30"' in page and 'name="tz" value="America/New_York"' in page
    db_session.expire_all()
    assert post.scheduled_at == at  # nothing moved yet

    moved = web.post("/calendar/move", {**asked, "version": post.version, "fold": "1",
                                        "next": f"/posts/{post.id}"})
    assert moved.status_code == 303 and moved.headers["Location"] == f"/posts/{post.id}"
    db_session.expire_all()
    assert post.scheduled_at == datetime.combine(sunday, datetime.min.time(), UTC).replace(hour=6, minute=30)
    trail = db_session.scalars(select(AuditEntry.action).where(AuditEntry.post_id == post.id)
                               .order_by(AuditEntry.id.desc()).limit(2)).all()
    assert trail == [Action.schedule, Action.unschedule]

    # A zone that is none keeps the market's in the form.
    page = web.get(f"/posts/{post.id}?move_time=2030-01-01T10:00&move_tz=Mars/Olympus").get_data(as_text=True)
    assert 'name="tz" value="Europe/Paris"' in page


# Slots that went wrong ---------------------------------------------------------------------------------------


def _refused_at_its_slot(session, post) -> None:  # noqa: ANN001
    """What the worker records when its checks before sending refuse a due post (``Worker._ready``): ``fail`` straight
    from ``scheduled``, its reasons in the payload; the post keeps its slot."""
    from approval.publishing import reasons
    from approval.workflow import engine

    why = [reasons.reason(reasons.NOT_CONNECTED)]
    english = [reasons.text([one]) for one in why]
    engine.record_step(session, post, Action.fail, now=utcnow(), payload={"reasons": english, "why": why},
                       comment=" ".join(english))
    session.flush()


def _sent_without_an_answer(session, post) -> None:  # noqa: ANN001
    """What the worker records around a webhook call that got no answer in time (``Worker._take``, ``send`` and
    ``_record``): the claim under a lease, the attempt, then ``lose``."""
    from uuid import uuid4

    from approval.models import Outcome, PublicationAttempt
    from approval.workflow import engine

    now = utcnow()
    post.publish_key, post.claim_token, post.claimed_until = uuid4().hex, uuid4().hex, now + timedelta(minutes=2)
    engine.record_step(session, post, Action.claim, now=now, payload={"worker": "tests"})
    attempt = PublicationAttempt(post_id=post.id, revision_id=post.current_revision_id, account_id=post.account_id,
                                 sha256=post.current_revision.sha256, idempotency_key=post.publish_key,
                                 connector="webhook", outcome=Outcome.unknown, started_at=now, finished_at=now,
                                 message="no complete answer within 15 s")
    session.add(attempt)
    session.flush()
    post.claim_token = post.claimed_until = None
    engine.record_step(session, post, Action.lose, now=now, payload={"attempt": attempt.id, "outcome": "unknown"},
                       comment=attempt.message)
    session.flush()


def _missed(session, post) -> None:  # noqa: ANN001
    """What the worker records when a slot's grace period passed (``Worker._miss``): back to ``approved``, the slot
    kept as the one it missed."""
    from approval.publishing import reasons
    from approval.workflow import engine

    why = [reasons.reason(reasons.MISSED_UNSENT)]
    slot = post.scheduled_at
    post.missed_at, post.scheduled_at = slot, None
    engine.record_step(session, post, Action.miss, now=utcnow(), payload={"slot": slot.isoformat(), "why": why},
                       comment=reasons.text(why))
    session.flush()


@pytest.fixture()
def gone_wrong(make, db_session, france):
    """Four posts of one slot, a few minutes from now, on four accounts: one still to go out, one the worker refused
    (the account is not connected), one sent without an answer, one whose slot passed."""
    at = (utcnow() + timedelta(minutes=4)).replace(second=0, microsecond=0)
    coming = _scheduled(make, make.account(france, "x"), at, "Le coup d'envoi est à 21 heures.")
    failed = _scheduled(make, make.account(france, "facebook"), at, "Les portes du stade ouvrent à 19 heures.")
    unconfirmed = _scheduled(make, make.account(france, "linkedin"), at, "Merci à nos partenaires de la soirée.")
    missed = _scheduled(make, make.account(france, "x"), at, "La billetterie ferme ce soir.")
    _refused_at_its_slot(db_session, failed)
    _sent_without_an_answer(db_session, unconfirmed)
    _missed(db_session, missed)
    assert (failed.state, unconfirmed.state, missed.state) == (State.failed, State.unconfirmed, State.approved)
    return {"at": at, "scheduled": coming, "failed": failed, "unconfirmed": unconfirmed, "missed": missed}


def _entry(page: str, post_id: int) -> str:
    """The calendar entry (its link) of a post in the month or the week view."""
    start = page.index(f'<a href="/posts/{post_id}" class="entry ')
    return page[start:page.index("</a>", start)]


def test_failed_and_unconfirmed_posts_stay_at_their_slot_marked_in_words_in_every_view(make, web, db_session, france,
                                                                                       gone_wrong):
    """The worker could not publish one post and does not know whether another went out: both stay where a project
    manager looks for them, at their slot, each saying what happened; neither moves by dragging (a retry goes out
    now, from the post's page), and each leads to its page, which says what to do."""
    at, coming = gone_wrong["at"], gone_wrong["scheduled"]
    failed, unconfirmed, missed = gone_wrong["failed"], gone_wrong["unconfirmed"], gone_wrong["missed"]
    web.login(make.user(Role.project_manager, markets=[france]))
    day = at.astimezone(ZoneInfo("Europe/Paris")).date().isoformat()
    for view in ("month", "week"):
        page = web.get(f"/calendar?view={view}&date={day}").get_data(as_text=True)
        assert 'class="entry entry-failed network-facebook"' in _entry(page, failed.id), view
        assert '<span class="kind-mark">failed</span>' in _entry(page, failed.id), view
        assert 'class="entry entry-unconfirmed network-linkedin"' in _entry(page, unconfirmed.id), view
        assert '<span class="kind-mark">unconfirmed</span>' in _entry(page, unconfirmed.id), view
        assert '<span class="kind-mark">missed</span>' in _entry(page, missed.id), view
        assert "kind-mark" not in _entry(page, coming.id), view
        assert "4 posts" in page, view
        # What moves is what the table lets this project manager give another time: not a failed or unconfirmed post.
        assert f'data-post="{coming.id}"' in page and f'data-post="{missed.id}"' in page, view
        assert f'data-post="{failed.id}"' not in page and f'data-post="{unconfirmed.id}"' not in page, view
    listed = web.get(f"/calendar?view=list&date={day}").get_data(as_text=True)

    def row(post) -> str:  # noqa: ANN001
        start = listed.rindex("<tr>", 0, listed.index(f'<a href="/posts/{post.id}">#{post.id}</a>'))
        return listed[start:listed.index("</tr>", start)]

    assert '<span class="state state-failed">failed</span>' in row(failed)
    assert '<span class="state state-unconfirmed">unconfirmed</span>' in row(unconfirmed)
    assert "move-form" not in row(failed) and "move-form" not in row(unconfirmed) and "move-form" in row(coming)
    # At the slot they were to go out at, in the market's time.
    paris = at.astimezone(ZoneInfo("Europe/Paris")).strftime("%H:%M")
    assert f">{paris}</time></td>" in row(failed) and f">{paris}</time></td>" in row(unconfirmed)
    # Each page says what to do.
    page = web.get(f"/posts/{failed.id}").get_data(as_text=True)
    assert "Failed:</strong> The account is not connected to a publisher: connect it, then retry." in page
    assert "Retry now" in page and "Withdraw" in page
    page = web.get(f"/posts/{unconfirmed.id}").get_data(as_text=True)
    assert "The network may already show this post" in page and "Confirm as published" in page
    # A move asked all the same is refused by the engine: nothing moves.
    refused = web.post("/calendar/move", {"post_id": failed.id, "version": failed.version, "tz": "UTC",
                                          "local_time": "2099-01-01T10:00"}, headers={"Accept": "application/json"})
    assert refused.status_code == 409
    db_session.expire_all()
    assert failed.state == State.failed and failed.scheduled_at == at


def test_the_month_grid_counts_and_shows_failed_posts_among_a_busy_days_first(make, web, db_session, france):
    """The grid reads each kind's first entries of the day (numbered by PostgreSQL itself): a failed post among a
    busy day's first ones is shown, and every kind is in the day's count."""
    from approval.views.calendar import MONTH_DAY_ENTRIES

    at = (utcnow() + timedelta(minutes=4)).replace(second=0, microsecond=0)
    failed = _scheduled(make, make.account(france, "facebook"), at, "Le match commence dans une heure.")
    _refused_at_its_slot(db_session, failed)
    account = make.account(france, "x")
    later = [_scheduled(make, account, at + timedelta(seconds=n + 1), f"Message numéro {n} du soir.")
             for n in range(MONTH_DAY_ENTRIES)]
    pm = make.user(Role.project_manager, markets=[france])
    paris = ZoneInfo("Europe/Paris")
    found = window(db_session, pm, PostFilters(market="FR"), at - timedelta(hours=1), at + timedelta(hours=1),
                   per_day=(paris, MONTH_DAY_ENTRIES))
    assert [(e.post.id, e.kind, e.post.state) for e in found.entries][:2] == [
        (failed.id, "failed", State.failed), (later[0].id, "scheduled", State.scheduled)]
    assert found.total == MONTH_DAY_ENTRIES + 1 and found.per_day == {at.astimezone(paris).date(): found.total}
    web.login(pm)
    day = at.astimezone(paris).date().isoformat()
    month = web.get(f"/calendar?view=month&date={day}").get_data(as_text=True)
    cell = month[month.index(f'data-date="{day}"'):]
    cell = cell[:cell.index("</td>")]
    assert f'<span class="day-count">{MONTH_DAY_ENTRIES + 1}</span>' in cell and "+1 more" in cell
    assert '<span class="kind-mark">failed</span>' in _entry(cell, failed.id)


def test_the_api_calendar_carries_failed_and_unconfirmed_posts_with_their_state(make, app, db_session, france,
                                                                               gone_wrong):
    from approval.api.tokens import issue_token

    at = gone_wrong["at"]
    _token, secret = issue_token(db_session, make.user(Role.community_manager, markets=[france]), "tests")
    db_session.flush()
    start = (at - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    end = (at + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    answer = app.test_client().get(f"/api/v1/calendar?from={start}&to={end}",
                                   headers={"Authorization": f"Bearer {secret}"})
    assert answer.status_code == 200, answer.get_json()
    items = {item["post_id"]: item for item in answer.get_json()["items"]}
    stamp = at.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert {post_id: (item["state"], item["kind"], item["at"]) for post_id, item in items.items()} == {
        gone_wrong["scheduled"].id: ("scheduled", "scheduled", stamp),
        gone_wrong["failed"].id: ("failed", "failed", stamp),
        gone_wrong["unconfirmed"].id: ("unconfirmed", "unconfirmed", stamp),
        gone_wrong["missed"].id: ("approved", "missed", stamp),
    }
    assert items[gone_wrong["failed"].id]["network"] == "facebook" and items[gone_wrong["failed"].id]["market"] == "FR"


def test_the_ical_feed_shows_the_slots_that_went_wrong_marked_in_their_summary(make, web, db_session, france,
                                                                              gone_wrong):
    """In Outlook, a slot the worker could not serve stays where it was, its title saying what happened (as a missed
    slot's does), so the plan shows the gap; the event's URL opens the post's page, which says what to do."""
    _token, secret = issue_feed_token(db_session, make.user(Role.project_manager, markets=[france]))
    calendar = Calendar.from_ical(web.get(f"/calendar.ics?token={secret}").data)
    events = {str(e["uid"]): e for e in calendar.walk("VEVENT")}
    summaries = {kind: str(events[f"post-{gone_wrong[kind].id}@approval"]["summary"])
                 for kind in ("scheduled", "failed", "unconfirmed", "missed")}
    assert summaries["failed"].startswith("[Failed] FR · Facebook @handle")
    assert summaries["unconfirmed"].startswith("[Unconfirmed] FR · LinkedIn @handle")
    assert summaries["missed"].startswith("[Missed] FR · X @handle")
    assert summaries["scheduled"].startswith("FR · X @handle")
    failed = events[f"post-{gone_wrong['failed'].id}@approval"]
    assert failed.decoded("dtstart") == gone_wrong["at"] and str(failed["status"]) == "TENTATIVE"
    assert str(failed["url"]).endswith(f"/posts/{gone_wrong['failed'].id}")
    # In the reader's language: the calendar program's when the feed's owner chose none, else the owner's (Google
    # and Outlook fetch it from their servers, in their own language).
    french = Calendar.from_ical(web.get(f"/calendar.ics?token={secret}", headers={"Accept-Language": "fr"}).data)
    titles = {str(e["uid"]): str(e["summary"]) for e in french.walk("VEVENT")}
    assert titles[f"post-{gone_wrong['failed'].id}@approval"].startswith("[En échec] FR · Facebook")
    reader = make.user(Role.project_manager, markets=[france])
    reader.locale = "fr"
    _token, theirs = issue_feed_token(db_session, reader)
    db_session.flush()
    fetched = Calendar.from_ical(web.get(f"/calendar.ics?token={theirs}", headers={"Accept-Language": "en"}).data)
    failed = next(e for e in fetched.walk("VEVENT") if str(e["uid"]) == f"post-{gone_wrong['failed'].id}@approval")
    assert str(failed["summary"]).startswith("[En échec] FR · Facebook")
    assert str(failed["description"]).startswith("en échec · ")
    assert [str(c) for c in failed["categories"].cats] == ["FR", "Facebook", "en échec"]


def test_failed_and_unconfirmed_posts_keep_to_their_markets(make, web, app, db_session, france, gone_wrong):
    """Outsiders see no failed or unconfirmed post of another market in any view, the API or their feed."""
    from approval.api.tokens import issue_token

    kenya = make.market("KE", "Africa/Nairobi", ("en",))
    at = gone_wrong["at"]
    hidden = (gone_wrong["failed"].id, gone_wrong["unconfirmed"].id)
    day = at.astimezone(ZoneInfo("Europe/Paris")).date().isoformat()
    outsiders = {"community manager of another market": make.user(Role.community_manager, markets=[kenya]),
                 "project manager of another market": make.user(Role.project_manager, markets=[kenya]),
                 "cabinet of another executive": make.user(Role.cabinet, executives=[make.executive("Someone")])}
    start = (at - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    end = (at + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    for who, outsider in outsiders.items():
        web.login(outsider)
        for view in ("month", "week", "list"):
            page = web.get(f"/calendar?view={view}&date={day}").get_data(as_text=True)
            assert not any(f'href="/posts/{post_id}"' in page for post_id in hidden), (who, view)
        _token, secret = issue_token(db_session, outsider, "tests")
        _feed, feed_secret = issue_feed_token(db_session, outsider)
        db_session.flush()
        items = app.test_client().get(f"/api/v1/calendar?from={start}&to={end}",
                                      headers={"Authorization": f"Bearer {secret}"}).get_json()["items"]
        assert items == [], who
        feed = web.get(f"/calendar.ics?token={feed_secret}").data
        assert not any(f"post-{post_id}@".encode() in feed for post_id in hidden), who
    web.login(make.user(Role.community_manager, markets=[france]))
    page = web.get(f"/calendar?view=list&date={day}").get_data(as_text=True)
    assert all(f'href="/posts/{post_id}"' in page for post_id in hidden)


def test_the_ical_feeds_uids_name_the_installation(make, web, db_session, france, app, monkeypatch):
    """Staging and production subscribed in one Google account gave two events the same UID, ``post-12@approval``:
    the host of ``APPROVAL_PUBLIC_URL`` tells them apart."""
    post = _scheduled(make, make.account(france, "x"), utcnow() + timedelta(days=2), "Le grand soir approche.")
    _token, secret = issue_feed_token(db_session, make.user(Role.project_manager, markets=[france]))
    monkeypatch.setitem(app.config, "PUBLIC_URL", "https://approval.helio.example")
    calendar = Calendar.from_ical(web.get(f"/calendar.ics?token={secret}").data)
    assert [str(e["uid"]) for e in calendar.walk("VEVENT")] == [f"post-{post.id}@approval.helio.example"]


def test_the_list_says_runs_of_empty_days_in_one_line_and_the_nav_leads_back_to_today(make, web, france):
    """A month's list printed every empty day, about 25 lines of "0"; and no link led back to today from another
    month. A published post is marked in words too, not by its colour alone."""
    at = _next_month_day(10, 8)
    _scheduled(make, make.account(france, "x"), at)
    published = make.post(State.published, account=make.account(france, "linkedin"))
    web.login(make.user(Role.project_manager, markets=[france]))
    month = at.date().replace(day=1)
    page = web.get(f"/calendar?view=list&date={at.date()}&tz=UTC").get_data(as_text=True)
    from babel.dates import format_date

    first, ninth = (format_date(day, "full", locale="en") for day in (month, month.replace(day=9)))
    assert f"{first} to {ninth}: no posts" in page
    for day in range(1, 10):  # each empty day keeps its anchor, for the month's day numbers
        assert f'id="day-{month.replace(day=day).isoformat()}"' in page
    assert page.count("class=\"list-day empty\"") == 2  # before and after the one busy day
    # "Today" in every view, this month's too (tests/test_calendar_today.py follows it in a browser).
    assert re.search(r'<a href="[^"]*view=list[^"]*#day-[0-9-]{10}" class="button calendar-today" [^>]*>Today</a>',
                     page)
    this_month = web.get("/calendar?view=month&tz=UTC").get_data(as_text=True)
    assert 'class="button calendar-today"' in this_month and this_month.count('aria-current="date"') == 1
    shown = web.get(f"/calendar?view=month&date={published.published_at.date()}&tz=UTC").get_data(as_text=True)
    assert '<span class="done-mark" aria-hidden="true">✓</span><span class="visually-hidden">published</span>' in shown
