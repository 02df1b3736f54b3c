"""The calendar's week on the days the clocks change, in Paris and New York: the hour the clocks skip is no slot
(marked on its day, offered on the others, a post never moved into it), the hour they repeat is offered twice (each
post at its own instant, a drop saying which one), and ``POST /calendar/move`` answers a script in JSON."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from html.parser import HTMLParser
from http import HTTPStatus
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from approval.db import utcnow
from approval.models import AuditEntry
from approval.workflow.states import Action, Role, State

from conftest import row_counts

ZONES = ("Europe/Paris", "America/New_York")
JSON = {"Accept": "application/json"}


def _next_change(zone: str, *, forward: bool) -> date:
    """The next day (a few days ahead at least) the clocks of ``zone`` go forward (spring) or back (autumn)."""
    place = ZoneInfo(zone)
    day = utcnow().date() + timedelta(days=3)
    for _ in range(370):
        before = datetime.combine(day, time(), place).utcoffset()
        after = datetime.combine(day + timedelta(days=1), time(), place).utcoffset()
        assert before is not None and after is not None
        if before != after and (after > before) == forward:
            return day
        day += timedelta(days=1)
    raise AssertionError(f"no change of the clocks in {zone} within a year")


class _Slots(HTMLParser):
    """The week's cells: each drop target (``data-date`` with ``data-hour``, and ``data-fold`` where the hour happens
    twice) with the posts it holds, and the cells marked as skipped (``data-skipped``: the day, ``data-hour``)."""

    def __init__(self) -> None:
        super().__init__()
        self.targets: dict[tuple[str, int, int | None], list[int]] = {}
        self.skipped: dict[tuple[str, int], str] = {}
        self._open: list[tuple[str, tuple[str, int, int | None] | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag in ("td", "div"):
            key = None
            if found.get("data-date") and found.get("data-hour") is not None:
                fold = found.get("data-fold")
                key = (found["data-date"], int(found["data-hour"]), None if fold is None else int(fold))
                self.targets[key] = []
            elif found.get("data-skipped"):
                self.skipped[(found["data-skipped"], int(found["data-hour"]))] = found.get("title") or ""
            self._open.append((tag, key))
        elif tag == "a" and found.get("data-post"):
            inside = [key for _tag, key in self._open if key is not None]
            if inside:
                self.targets[inside[-1]].append(int(found["data-post"]))

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "div"):
            while self._open:
                if self._open.pop()[0] == tag:
                    break


def _week(web, day: date, zone: str) -> _Slots:  # noqa: ANN001
    response = web.get(f"/calendar?view=week&date={day.isoformat()}&tz={zone}")
    assert response.status_code == 200
    parsed = _Slots()
    parsed.feed(response.get_data(as_text=True))
    return parsed


def _scheduled(make, account, at: datetime):  # noqa: ANN001, ANN202
    post = make.post(State.approved, account=account, body="Rendez-vous ce soir au stade.")
    pm = make.user(Role.project_manager, markets=[account.market])
    make.act(post, Action.schedule, pm, scheduled_at=at.astimezone(UTC))
    return post


@pytest.fixture()
def markets(make):  # noqa: ANN001, ANN201
    return {"Europe/Paris": make.market("FR"), "America/New_York": make.market("US", timezone="America/New_York",
                                                                                   languages=("en",))}


@pytest.mark.parametrize("zone", ZONES)
def test_the_hour_the_clocks_skip_is_no_slot_of_its_day_and_a_move_into_it_is_refused_in_words(
        make, web, db_session, markets, zone):
    """Paris skips 02:00-03:00 on the last Sunday of March, New York on the second Sunday: that hour of that day is
    no drop target, and says why; the same hour of the other days of the week is one, as the day's other hours.
    Posted anyway (an old page, a hand-made request, a fold): a 422 in JSON saying where the clocks jump, the same
    words on the page without scripts; the post stays where it was, nothing audited."""
    sunday = _next_change(zone, forward=True)
    place = ZoneInfo(zone)
    at = datetime.combine(sunday, time(10, 0), place)
    post = _scheduled(make, make.account(markets[zone], "x"), at)
    web.login(make.user(Role.project_manager, markets=list(markets.values())))
    said = f"The clocks skip from 02:00 to 03:00 in {zone} on that day: choose 03:00 or later."
    week = _week(web, sunday, zone)
    assert not [key for key in week.targets if key[:2] == (sunday.isoformat(), 2)]
    assert week.skipped == {(sunday.isoformat(), 2): said}
    assert week.targets[(sunday.isoformat(), 10, None)] == [post.id]
    for hour in (1, 3):
        assert (sunday.isoformat(), hour, None) in week.targets
    others = [day for day in {key[0] for key in week.targets} if day != sunday.isoformat()]
    assert len(others) == 6
    for day in others:
        assert all((day, hour, None) in week.targets for hour in range(24)), day
    # Shown in UTC, that week has no gap: each of its 168 hours is a slot.
    utc = _week(web, sunday, "UTC")
    assert len(utc.targets) == 7 * 24 and not utc.skipped

    counts = row_counts(db_session, AuditEntry)
    asked = {"post_id": post.id, "version": post.version, "tz": zone, "local_time": f"{sunday.isoformat()}T02:30"}
    answer = web.post("/calendar/move", asked, headers=JSON)
    assert answer.status_code == 422
    assert answer.json["message"] == said and answer.json["errors"] == {"local_time": [said]}
    for fold in ("0", "1"):  # a fold does not make a skipped time exist
        assert web.post("/calendar/move", {**asked, "fold": fold}, headers=JSON).status_code == 422
    form = web.post("/calendar/move", {**asked, "next": "/calendar"})
    assert form.status_code == 303 and form.headers["Location"] == "/calendar"
    assert said in web.get("/calendar").get_data(as_text=True)
    assert row_counts(db_session, AuditEntry) == counts
    db_session.expire_all()
    assert post.state == State.scheduled and post.scheduled_at == at.astimezone(UTC)


@pytest.mark.parametrize("zone", ZONES)
def test_the_hour_the_clocks_repeat_is_two_slots_of_its_day_each_post_at_its_instant_a_drop_at_either(
        make, web, db_session, markets, zone):
    """The clocks go back at 02:00 (Paris) or 02:00 to 01:00 (New York): the repeated hour is two slots of its day,
    the first and the second, each with the posts of its own instant; other days have the hour once."""
    sunday = _next_change(zone, forward=False)
    place = ZoneInfo(zone)
    hour = 2 if zone == "Europe/Paris" else 1  # Paris repeats 02:00-03:00, New York 01:00-02:00
    account = make.account(markets[zone], "x")
    first = _scheduled(make, account, datetime.combine(sunday, time(hour, 30), place))
    second = _scheduled(make, account, datetime.combine(sunday, time(hour, 30), place).replace(fold=1))
    assert second.scheduled_at - first.scheduled_at == timedelta(hours=1)
    web.login(make.user(Role.project_manager, markets=list(markets.values())))
    week = _week(web, sunday, zone)
    day = sunday.isoformat()
    assert (day, hour, None) not in week.targets
    assert week.targets[(day, hour, 0)] == [first.id]
    assert week.targets[(day, hour, 1)] == [second.id]
    assert not week.skipped
    assert [key for key in week.targets if key[2] is not None] == [(day, hour, 0), (day, hour, 1)]
    page = web.get(f"/calendar?view=week&date={day}&tz={zone}").get_data(as_text=True)
    # Each post says which of the two it is: its zone's mark, and its data-fold for the script (a drop, an undo).
    marks = {"Europe/Paris": ("CEST", "CET"), "America/New_York": ("EDT", "EST")}[zone]
    assert f"{hour:02d}:30 {marks[0]}" in page and f"{hour:02d}:30 {marks[1]}" in page
    for post, fold in ((first, 0), (second, 1)):
        entry = re.search(rf'<a [^>]*data-post="{post.id}"[^>]*>', page)[0]
        assert f'data-local="{day}T{hour:02d}:30" data-fold="{fold}"' in entry

    # A drop on either reading sends its fold: the post goes to that instant, through the engine.
    for fold in (1, 0):
        db_session.expire_all()
        answer = web.post("/calendar/move", {"post_id": first.id, "version": first.version, "tz": zone,
                                             "local_time": f"{day}T{hour:02d}:15", "fold": str(fold)},
                          headers=JSON)
        assert answer.status_code == 200, answer.get_data(as_text=True)
        expected = datetime.combine(sunday, time(hour, 15), place).replace(fold=fold).astimezone(UTC)
        assert answer.json["scheduled_at"] == expected.isoformat().replace("+00:00", "Z")
        db_session.expire_all()
        assert first.scheduled_at == expected
    trail = db_session.scalars(select(AuditEntry.action).where(AuditEntry.post_id == first.id)
                               .order_by(AuditEntry.id.desc()).limit(2)).all()
    assert trail == [Action.schedule, Action.unschedule]
    assert _week(web, sunday, zone).targets[(day, hour, 0)] == [first.id]




def test_a_drop_where_the_post_already_is_moves_nothing_and_writes_nothing(make, web, db_session, markets):
    """A fold on a time the clocks read once (a drop on the "second" half of a cell on a change day) was accepted:
    two audit rows and a new version for a post left at its instant, and a colleague's open page then a conflict."""
    zone = "Europe/Paris"
    account = make.account(markets[zone], "x")
    at = datetime(2027, 1, 12, 10, 30, tzinfo=ZoneInfo(zone))
    post = _scheduled(make, account, at)
    web.login(make.user(Role.project_manager, markets=[markets[zone]]))
    db_session.commit()
    version, rows = post.version, row_counts(db_session, AuditEntry)
    for fold in ("1", "0", ""):
        answer = web.post("/calendar/move", {"post_id": post.id, "version": version, "tz": zone,
                                             "local_time": "2027-01-12T10:30", "fold": fold}, headers=JSON)
        assert answer.status_code == 422, answer.get_data(as_text=True)
        assert "is already at" in answer.json["message"] and "nothing was moved" in answer.json["message"]
    db_session.expire_all()
    assert post.version == version and post.scheduled_at == at.astimezone(UTC)
    assert row_counts(db_session, AuditEntry) == rows


def test_publish_now_asked_first_by_a_script_is_answered_in_json(make, web, db_session, markets):
    """``ask_first`` (a form's field for browsers without scripts) sent with ``Accept: application/json``: the
    question in JSON (422, nothing done), not the post's HTML page; the form without scripts still gets the page.
    Refusals keep their JSON too: a stale version 409, a role that may not 403."""
    at = datetime.combine(_next_change("Europe/Paris", forward=True), time(10, 0), ZoneInfo("Europe/Paris"))
    post = _scheduled(make, make.account(markets["Europe/Paris"], "x"), at)
    pm = make.user(Role.project_manager, markets=[markets["Europe/Paris"]])
    web.login(pm)
    counts = row_counts(db_session, AuditEntry)
    asked = {"post_id": post.id, "version": post.version, "when": "now", "ask_first": "now"}
    answer = web.post("/calendar/move", asked, headers=JSON)
    assert answer.status_code == 422, answer.get_data(as_text=True)[:300]
    assert answer.mimetype == "application/json"
    question = f"Publish this post on X @{post.account.handle} now? It cannot be undone."
    assert answer.json == {"code": 422, "status": HTTPStatus(422).phrase, "message": question,
                           "errors": {"ask_first": ["Nothing is done yet."]}, "confirm": question,
                           "post_id": post.id, "version": post.version}
    # The same from a script that says so in its header rather than in Accept.
    assert web.post("/calendar/move", asked, headers={"X-Requested-With": "fetch"}).json["confirm"] == question
    stale = web.post("/calendar/move", {**asked, "version": post.version - 1}, headers=JSON)
    assert stale.status_code == 409 and stale.mimetype == "application/json" and stale.json["message"]
    assert row_counts(db_session, AuditEntry) == counts
    db_session.expire_all()
    assert post.state == State.scheduled and post.scheduled_at == at.astimezone(UTC)
    # Without scripts: the post's page asks.
    page = web.post("/calendar/move", asked)
    assert page.status_code == 200 and page.mimetype == "text/html"
    assert "Nothing is done yet." in page.get_data(as_text=True)
    web.login(make.user(Role.community_manager, markets=[markets["Europe/Paris"]]))
    refused = web.post("/calendar/move", asked, headers=JSON)
    assert refused.status_code == 403 and refused.mimetype == "application/json"


@pytest.mark.parametrize(("zone", "day", "gaps", "twice"), [
    ("Pacific/Apia", date(2011, 12, 30), list(range(24)), []),  # Samoa skipped the whole day
    ("America/Santiago", date(2026, 9, 6), [0], []),  # the clocks go forward at midnight: the day starts at 01:00
    ("America/Santiago", date(2026, 4, 4), [], [23]),  # and back at midnight: 23:00 happens twice
    ("Australia/Lord_Howe", date(2026, 4, 5), [], [1]),  # half an hour back: 01:30-02:00 happens twice
])
def test_the_week_reads_the_odd_changes_of_the_clocks_of_other_zones(make, web, markets, zone, day, gaps, twice):
    """Changes at midnight, by half an hour, of a whole day: the week marks the hours skipped whole and offers twice
    those read twice in part or whole. (An hour skipped in part, Lord Howe's 02:00-02:30 in October, stays one slot:
    a drop keeps its minutes, and one that falls in the gap is refused in words.)"""
    web.login(make.user(Role.project_manager, markets=list(markets.values())))
    week = _week(web, day, zone)
    assert sorted(hour for on, hour in week.skipped if on == day.isoformat()) == gaps
    assert sorted({hour for on, hour, fold in week.targets if fold is not None}) == twice
    assert [key for key in week.skipped if key[0] != day.isoformat()] == []
    assert len(week.targets) == 7 * 24 - len(gaps) + len(twice)


def test_an_hour_read_twice_up_to_midnight_is_two_slots_of_its_day():
    """St. John's went back at 00:01 until 2010: 23:01-23:59 of the day before was read twice, though that day's
    midnight and the next read one offset each (the week's shortcut for a day with no change took it for one)."""
    from approval.views.calendar import _odd_hours

    gaps, twice = _odd_hours(date(2010, 11, 6), ZoneInfo("America/St_Johns"))
    assert gaps == set() and twice == {23: datetime(2010, 11, 6, 23, 1)}
