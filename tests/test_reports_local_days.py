"""The reports count each market's figures by its own days: a day runs from midnight to midnight in the market's
zone (``Market.timezone``), a week from its Monday to its Sunday there, a 23-hour or a 25-hour day when the clocks
change; "all markets" sums each market's own days. A day's figures are kept once that market's day is over, and the
days kept by the earlier definition (UTC days) are computed again. The audit list says the time a ``schedule`` chose.
On SQLite (no time-zone functions: the days' bounds come from ``zoneinfo``) and on PostgreSQL."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from approval import operations as ops
from approval.models import Market, ReportDay
from approval.queries import reports
from approval.workflow.states import Action, Role, State


def T(month: int, day: int, hour: int, minute: int = 0) -> datetime:  # noqa: N802 - an instant, as the others' T
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


def _csv(response) -> list[list[str]]:  # noqa: ANN001
    assert response.status_code == 200 and response.mimetype == "text/csv", response.status_code
    text = response.get_data().decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


@pytest.fixture()
def world(make):  # noqa: ANN001, ANN201
    """France (Paris), Kenya (Nairobi, UTC+3), India (Kolkata, UTC+5:30), a manager of all three."""
    markets = {"FR": make.market("FR"), "KE": make.market("KE", "Africa/Nairobi", ("en",)),
               "IN": make.market("IN", "Asia/Kolkata", ("en",))}
    accounts = {code: make.account(market) for code, market in markets.items()}
    pm = make.user(Role.project_manager, all_markets=True, name="Priya")
    return {"markets": markets, "accounts": accounts, "pm": pm}


def _published_by_hand(make, world, code: str, at: datetime):  # noqa: ANN001, ANN202
    """A post of ``code``'s account marked as published by hand at ``at`` (sent and approved a day before)."""
    account = world["accounts"][code]
    cm = make.user(Role.community_manager, markets=[account.market])
    post = make.post(State.draft, account=account, author=cm)
    make.act(post, Action.submit, cm, now=at - timedelta(days=1, hours=2))
    make.act(post, Action.approve, world["pm"], now=at - timedelta(days=1))
    make.act(post, Action.mark_published, world["pm"], now=at, url="https://fb.com/helio/posts/1")
    return post


def _by_hand(web, query: str) -> int:  # noqa: ANN001
    """The publications marked by hand that the rates' export counts for ``query``."""
    rows = _csv(web.get(f"/reports/rates.csv?{query}"))
    return int(next(row for row in rows if row[0] == "marked as published by hand")[1])


def test_a_post_published_at_half_past_midnight_in_paris_counts_on_that_paris_day(world, make, web):
    _published_by_hand(make, world, "FR", T(11, 15, 23, 30))  # Monday 16 November, 00:30 in Paris
    web.login(world["pm"])
    assert _by_hand(web, "market=FR&from=2026-11-16&to=2026-11-16") == 1
    assert _by_hand(web, "market=FR&from=2026-11-15&to=2026-11-15") == 0
    # Its week is the one of Monday 16 November, in Paris.
    weekly = _csv(web.get("/reports/weekly.csv?market=FR&from=2026-11-09&to=2026-11-22"))
    assert [row[:2] for row in weekly[1:]] == [["2026-11-09", "0"], ["2026-11-16", "1"]]
    page = web.get("/reports?market=FR&from=2026-11-16&to=2026-11-16").get_data(as_text=True)
    assert "Europe/Paris" in page and "UTC days" not in page  # the page says whose days it counts


def test_nairobi_and_kolkata_count_their_own_days(world, make, web):
    _published_by_hand(make, world, "KE", T(11, 9, 21, 30))  # 10 November, 00:30 in Nairobi
    _published_by_hand(make, world, "KE", T(11, 9, 20, 59))  # 9 November, 23:59 in Nairobi
    _published_by_hand(make, world, "IN", T(11, 9, 18, 45))  # 10 November, 00:15 in Kolkata
    _published_by_hand(make, world, "IN", T(11, 10, 18, 20))  # 10 November, 23:50 in Kolkata
    web.login(world["pm"])
    assert _by_hand(web, "market=KE&from=2026-11-10&to=2026-11-10") == 1
    assert _by_hand(web, "market=KE&from=2026-11-09&to=2026-11-09") == 1
    assert _by_hand(web, "market=IN&from=2026-11-10&to=2026-11-10") == 2
    assert _by_hand(web, "market=IN&from=2026-11-09&to=2026-11-09") == 0


def test_all_markets_sum_each_markets_own_days(world, make, web):
    _published_by_hand(make, world, "FR", T(11, 9, 23, 30))  # 10 November in Paris (the 9th in UTC)
    _published_by_hand(make, world, "KE", T(11, 9, 20, 59))  # 9 November in Nairobi
    _published_by_hand(make, world, "IN", T(11, 9, 18, 45))  # 10 November in Kolkata (the 9th in UTC)
    _published_by_hand(make, world, "IN", T(11, 10, 19, 0))  # 11 November in Kolkata (the 10th in UTC)
    web.login(world["pm"])
    assert _by_hand(web, "from=2026-11-10&to=2026-11-10") == 2
    rows = {row[0]: row for row in _csv(web.get("/reports/markets.csv?from=2026-11-10&to=2026-11-10"))[1:]}
    column = _csv(web.get("/reports/markets.csv?from=2026-11-10&to=2026-11-10"))[0].index(
        "marked as published by hand")
    assert {code: int(row[column]) for code, row in rows.items()} == {"FR": 1, "IN": 1, "KE": 0}
    page = web.get("/reports?from=2026-11-10&to=2026-11-10").get_data(as_text=True)
    assert "each market’s own days" in page


@pytest.mark.parametrize(("day", "inside", "outside", "hours"), [
    # 29 March 2026 in Paris: 23 hours, from 23:00 UTC the day before to 22:00 UTC.
    (date(2026, 3, 29), [T(3, 28, 23, 30), T(3, 29, 21, 30)], [T(3, 28, 22, 30), T(3, 29, 22, 30)], 23),
    # 25 October 2026 in Paris: 25 hours, from 22:00 UTC the day before to 23:00 UTC.
    (date(2026, 10, 25), [T(10, 24, 22, 30), T(10, 25, 22, 30)], [T(10, 24, 21, 30), T(10, 25, 23, 30)], 25),
])
def test_a_day_the_clocks_change_counts_its_own_hours(world, make, web, db_session, day, inside, outside, hours):
    start, end = reports.day_bounds("Europe/Paris", day)
    assert end - start == timedelta(hours=hours)
    for at in (*inside, *outside):
        _published_by_hand(make, world, "FR", at)
    web.login(world["pm"])
    asked = f"market=FR&from={day}&to={day}"
    assert _by_hand(web, asked) == 2
    fr = Market.id == world["markets"]["FR"].id
    period = reports.Period(datetime.combine(day, datetime.min.time(), UTC),
                            datetime.combine(day + timedelta(days=1), datetime.min.time(), UTC))
    live = reports.build(db_session, fr, period, now=T(1, 1, 0).replace(year=2025))  # no day closed yet
    kept = reports.build(db_session, fr, period, now=T(12, 1, 0))  # the day kept first
    assert live.by_hand == kept.by_hand == 2
    figures = db_session.scalar(select(ReportDay.figures).where(
        ReportDay.day == day, ReportDay.market_id == world["markets"]["FR"].id))
    assert reports.kept_totals(figures).by_hand == 2


def test_a_markets_day_is_kept_once_it_is_over_there(world, make, db_session):
    """At 21:15 UTC on 9 November, Nairobi's 9th is over (it ended at 21:00 UTC, ten minutes ago and more), Kolkata's
    too (18:30 UTC); Paris's is not (23:00 UTC)."""
    _published_by_hand(make, world, "KE", T(11, 9, 12))
    _published_by_hand(make, world, "FR", T(11, 9, 12))
    reports.roll_up(db_session, date(2026, 11, 9), date(2026, 11, 10), now=T(11, 9, 21, 15))
    kept = {(market_id, day) for market_id, day in db_session.execute(select(ReportDay.market_id, ReportDay.day))}
    ids = {code: market.id for code, market in world["markets"].items()}
    assert kept == {(ids["KE"], date(2026, 11, 9)), (ids["IN"], date(2026, 11, 9))}
    reports.roll_up(db_session, date(2026, 11, 9), date(2026, 11, 10), now=T(11, 9, 23, 5))  # Paris: closing
    assert (ids["FR"], date(2026, 11, 9)) not in set(db_session.execute(select(ReportDay.market_id, ReportDay.day)))
    reports.roll_up(db_session, date(2026, 11, 9), date(2026, 11, 10), now=T(11, 9, 23, 11))
    figures = db_session.scalar(select(ReportDay.figures).where(ReportDay.day == date(2026, 11, 9),
                                                                ReportDay.market_id == ids["FR"]))
    assert reports.kept_totals(figures).by_hand == 1


def test_the_worker_keeps_a_markets_day_when_it_closes_there(app, monkeypatch):
    """The worker asks for the days to keep whenever a market's midnight may have passed (every quarter of an hour),
    not once a UTC day: Nairobi's day, over at 21:00 UTC, is kept at 21:10, not after midnight UTC."""
    from approval.publishing.worker import Worker

    asked: list[datetime] = []
    monkeypatch.setattr(reports, "roll_up", lambda _session, _first, _end, *, now: asked.append(now) or 0)
    clock = [T(11, 9, 21, 5)]
    worker = Worker(app, clock=lambda: clock[0])
    for now in (T(11, 9, 21, 5), T(11, 9, 21, 12), T(11, 9, 21, 14), T(11, 9, 23, 10)):
        clock[0] = now
        worker.roll_up_reports()
    assert asked == [T(11, 9, 21, 5), T(11, 9, 21, 12), T(11, 9, 23, 10)]


def test_days_kept_by_the_earlier_definition_are_computed_again(world, make, web, db_session):
    """A day kept as a UTC day (version 7) is read as nothing of today's: computed again from the trail, kept again."""
    fr = world["markets"]["FR"]
    _published_by_hand(make, world, "FR", T(11, 9, 23, 30))  # 10 November in Paris, the 9th in UTC
    old = reports.kept_json({})
    old["version"] = 7
    old["counts"] = [0] * len(reports.COUNTED)
    db_session.add_all([ReportDay(day=date(2026, 11, 9), market_id=fr.id, figures=dict(old)),
                        ReportDay(day=date(2026, 11, 10), market_id=fr.id, figures=dict(old))])
    db_session.flush()
    web.login(world["pm"])
    assert _by_hand(web, "market=FR&from=2026-11-09&to=2026-11-10") == 1
    assert _by_hand(web, "market=FR&from=2026-11-10&to=2026-11-10") == 1
    db_session.expire_all()
    kept = dict(db_session.execute(select(ReportDay.day, ReportDay.figures).where(ReportDay.market_id == fr.id)
                                   .where(ReportDay.day.in_([date(2026, 11, 9), date(2026, 11, 10)]))).all())
    assert {day: figures["version"] for day, figures in kept.items()} == {
        date(2026, 11, 9): reports.FIGURES_VERSION, date(2026, 11, 10): reports.FIGURES_VERSION}
    assert reports.kept_totals(kept[date(2026, 11, 10)]).by_hand == 1


def test_the_audit_list_says_the_time_a_schedule_chose(make, admin_web, db_session):
    """The post's history says "for 10 Nov, 09:00 (Europe/Paris)"; the audit list said nothing on that row."""
    fr = make.market("FR")
    pm = make.user(Role.project_manager, markets=[fr])
    post = make.post(State.approved, account=make.account(fr), reviewer=pm)
    make.act(post, Action.schedule, pm, now=T(11, 2, 9), scheduled_at=T(11, 10, 8))  # 09:00 in Paris
    make.act(post, Action.unschedule, pm, now=T(11, 2, 10))  # a move: unscheduled, then scheduled again
    make.act(post, Action.schedule, pm, now=T(11, 2, 10),  # a wall-clock time in Paris, as the page sends it
             **ops.action_params(post, Action.schedule, local_time=datetime(2026, 11, 12, 18, 30)))
    db_session.flush()
    page = admin_web.get("/reports/audit?market=FR&action=schedule").get_data(as_text=True)
    assert page.count("<tr data-id=") == 2
    assert "09:00" in page and "18:30" in page and "Europe/Paris" in page
    rows = _csv(admin_web.get("/reports/audit.csv?market=FR&action=schedule"))
    header = rows[0]
    assert header[-3:] == ["slot (UTC)", "slot (market’s time)", "market’s time zone"]
    assert [row[-3:] for row in rows[1:]] == [["2026-11-12 17:30:00", "2026-11-12 18:30", "Europe/Paris"],
                                              ["2026-11-10 08:00:00", "2026-11-10 09:00", "Europe/Paris"]]
    # The admin reads their pages in UTC (no market, no zone of their own): the slot in theirs too, as on the
    # post's page.
    assert "17:30 your time (UTC)" in page
