"""The reports' review walk (the head of social media's weekly review): what the definitions left out or misled
about. The on-time rate counts every slot the publishing worker ended (failed and unconfirmed ones against it, as
missed ones), measured from the slot the project manager set; hand publications are told apart; every rate shows
its count and denominator. A report over several markets has a row per market and per network, with links to the
posts behind a count, and period presets. Weeks not started are left out; time in review counts the stays that
ended in a decision; the period is said in words, in the market's days, its end included; the audit export reads in
the reader's language; the files say their period and markets; the charts print their values."""

from __future__ import annotations

import csv
import io
import re
import xml.etree.ElementTree as ET
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from conftest import post_url
from test_browser import chromium  # noqa: F401 - fixture
from flask_babel import force_locale, gettext
from sqlalchemy import select

from approval.models import Market, Post
from approval.queries import reports
from approval.workflow import engine
from approval.workflow.states import Action, Role, State

T = lambda day, hour, minute=0: datetime(2026, 11, day, hour, minute, tzinfo=UTC)  # noqa: E731
#: Monday 2 to Sunday 15 November 2026, both days included.
PERIOD = "from=2026-11-02&to=2026-11-15"
#: Saturday 5 December 2026, noon UTC.
NOW = datetime(2026, 12, 5, 12, tzinfo=UTC)


def _csv(response, delimiter: str = ",") -> list[list[str]]:  # noqa: ANN001
    assert response.status_code == 200 and response.mimetype == "text/csv", response.status_code
    text = response.get_data().decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:]), delimiter=delimiter))


def _french(app, message: str, **values: object) -> str:  # noqa: ANN001
    """A message as the French catalogue gives it (new messages are translated apart from this change)."""
    with app.test_request_context(), force_locale("fr"):
        return gettext(message, **values)


def _by_worker(session, post: Post, step: Action, at: datetime) -> None:  # noqa: ANN001
    """What the publishing worker records when it takes ``post`` and the network answers with ``step`` at ``at``."""
    post.claim_token, post.claimed_until = "t" * 32, at + timedelta(minutes=2)
    engine.record_step(session, post, Action.claim, now=at - timedelta(seconds=1))
    post.claim_token = post.claimed_until = None
    if step == Action.publish:
        post.published_at, post.published_url = at, "https://x.com/helio/status/1"
    engine.record_step(session, post, step, now=at)


def _missed(session, post: Post, at: datetime) -> None:  # noqa: ANN001
    post.missed_at, post.scheduled_at = post.scheduled_at, None
    engine.record_step(session, post, Action.miss, now=at)


class Desk:
    """A market's team and what it does to posts, at given times."""

    def __init__(self, make, session, market: Market, network: str = "x") -> None:  # noqa: ANN001
        self.make, self.session = make, session
        self.account = make.account(market, network=network)
        self.cm = make.user(Role.community_manager, markets=[market])
        self.pm = make.user(Role.project_manager, markets=[market])

    def approved(self, day: int) -> Post:
        post = self.make.post(State.draft, account=self.account, author=self.cm)
        self.make.act(post, Action.submit, self.cm, now=T(day, 8))
        self.make.act(post, Action.approve, self.pm, now=T(day, 9))
        return post

    def scheduled(self, day: int, hour: int) -> Post:
        post = self.approved(day)
        self.make.act(post, Action.schedule, self.pm, now=T(day, 9, 30), scheduled_at=T(day, hour))
        return post

    def rejected(self, at: datetime, comment: str = "Hors charte.") -> Post:
        post = self.make.post(State.draft, account=self.account, author=self.cm)
        self.make.act(post, Action.submit, self.cm, now=at - timedelta(hours=1))
        self.make.act(post, Action.reject, self.pm, now=at, comment=comment)
        return post


@pytest.fixture()
def slots(make, db_session):  # noqa: ANN001, ANN201
    """Seven slots of a French account in the first half of November 2026, each ended differently; one post
    published by hand."""
    fr = make.market("FR")
    desk = Desk(make, db_session, fr)
    on_time = desk.scheduled(3, 10)
    _by_worker(db_session, on_time, Action.publish, T(3, 10, 5))  # 5 minutes after its slot: on time
    failed = desk.scheduled(4, 10)
    _by_worker(db_session, failed, Action.fail, T(4, 10, 1))  # refused by the network: never out
    retried = desk.scheduled(5, 10)
    _by_worker(db_session, retried, Action.fail, T(5, 10, 1))
    desk.make.act(retried, Action.retry, desk.pm, now=T(5, 10, 24))  # its slot is "now" for the worker
    _by_worker(db_session, retried, Action.publish, T(5, 10, 25))  # 25 minutes after the slot the manager set
    unconfirmed = desk.scheduled(6, 10)
    _by_worker(db_session, unconfirmed, Action.lose, T(6, 10, 1))
    desk.make.act(unconfirmed, Action.confirm_published, desk.pm, now=T(6, 12), url=post_url(desk.account))
    by_hand = desk.approved(9)
    desk.make.act(by_hand, Action.mark_published, desk.pm, now=T(9, 12), url=post_url(desk.account))
    missed = desk.scheduled(10, 10)
    _missed(db_session, missed, T(10, 11))
    moved = desk.scheduled(11, 10)  # moved in the calendar: unscheduled, then scheduled again at 14:00
    desk.make.act(moved, Action.unschedule, desk.pm, now=T(11, 9, 40))
    desk.make.act(moved, Action.schedule, desk.pm, now=T(11, 9, 41), scheduled_at=T(11, 14))
    _by_worker(db_session, moved, Action.publish, T(11, 14, 2))
    db_session.flush()
    return {"desk": desk, "fr": fr, "failed": failed, "retried": retried, "missed": missed,
            "unconfirmed": unconfirmed}


# M4: the on-time rate ----------------------------------------------------------------------------------------------


def test_failed_and_unconfirmed_slots_count_against_the_on_time_rate_and_a_retry_is_late(slots, web):
    """Kenya read 100 % on time with two failures: a failure, an unknown outcome and a slot missed all count
    against the rate; a post published after a retry is measured from the slot its manager set (the retry's own
    "now" made it on time)."""
    web.login(slots["desk"].pm)
    rates = _csv(web.get(f"/reports/rates.csv?market=FR&{PERIOD}"))
    assert rates[0] == ["measure", "count", "out of", "rate (%)"]
    assert rates[1:7] == [
        ["approved", "7", "7", "100.0"],
        ["published on time", "2", "7", "28.6"],
        ["published late", "1", "7", "14.3"],
        ["missed slots", "1", "7", "14.3"],
        ["failed", "2", "7", "28.6"],
        ["unconfirmed", "1", "7", "14.3"],
    ]
    # The publications told apart: the worker's, by hand, confirmed after an unknown outcome.
    assert rates[7:] == [["published by the publishing worker", "3", "5", "60.0"],
                         ["marked as published by hand", "1", "5", "20.0"],
                         ["confirmed as published after an unknown outcome", "1", "5", "20.0"]]


def test_every_rate_on_the_page_shows_its_count_and_denominator(slots, web):
    web.login(slots["desk"].pm)
    page = web.get(f"/reports?market=FR&{PERIOD}").get_data(as_text=True)
    figure = page.split('id="on-time-rate"')[1].split("</div>")[0]
    assert "28.6%" in figure and "2 of 7 slots" in figure, figure
    ended = page.split('id="slots"')[1].split("</li>")[0]
    assert "7 slots ended by the publishing worker:" in ended and "2 on time" in ended and "1 late" in ended
    assert "1 missed" in ended and "2 failed" in ended and "1 unconfirmed" in ended, ended
    assert "7 of 7 decisions" in page.split('id="approval-rate"')[1].split("</div>")[0]
    assert "<dd>5</dd>" in page.split('id="published"')[1].split("</div>")[0]
    published = page.split('id="publications"')[1].split("</li>")[0]
    assert "5 publications:" in published and "3 by the publishing worker" in published, published
    assert "1 by hand" in published and "1 confirmed after an unknown outcome" in published, published
    assert "7 review stays" in page.split('id="review-time"')[1].split("</div>")[0]
    assert "5 publications" in page.split('id="publish-time"')[1].split("</div>")[0]


def test_a_slot_kept_before_the_change_is_computed_again(slots, db_session):
    """The figures kept for a closed day by the earlier definition (no version) are computed again, not read."""
    from approval.models import ReportDay

    period = reports.Period(datetime(2026, 11, 2, tzinfo=UTC), datetime(2026, 11, 16, tzinfo=UTC))
    fr = Market.id == slots["fr"].id
    fresh = reports.build(db_session, fr, period)
    for row in db_session.scalars(select(ReportDay)):
        row.figures = {"final": {}, "decisions": {}, "missed": 0, "review": [], "to_publish": [], "on_time": 9,
                       "late": 0, "reasons": {}, "findings": {}}  # as the earlier definition kept it
    db_session.flush()
    again = reports.build(db_session, fr, period)
    assert (again.on_time, again.slots, again.failed) == (fresh.on_time, fresh.slots, fresh.failed) == (2, 7, 2)
    db_session.expire_all()
    assert all(row.figures.get("version") == reports.FIGURES_VERSION for row in db_session.scalars(select(ReportDay)))


def test_a_kept_day_reads_as_totals(slots, db_session):
    """``reports.kept_totals``: a kept day's figures without knowing how they are laid out (the worker's test reads
    the day it kept with it)."""
    from approval.models import ReportDay

    reports.roll_up(db_session, date(2026, 11, 5), date(2026, 11, 6))
    figures = db_session.scalar(select(ReportDay.figures).where(ReportDay.day == date(2026, 11, 5),
                                                                ReportDay.market_id == slots["fr"].id))
    day = reports.kept_totals(figures)
    assert (day.failed, day.late, day.on_time, day.slots, day.approved) == (1, 1, 0, 2, 1)
    assert day.final["published"] == 1 and day.to_publish.count == 1 and day.review.count == 1
    assert not reports.kept_totals({"final": {"published": 1}}).active  # an earlier definition's: nothing


# M5: markets and networks side by side, drill-down, presets ----------------------------------------------------


@pytest.fixture()
def markets(slots, make, db_session):  # noqa: ANN001, ANN201
    """The French slots, and a Kenyan desk whose one slot was missed and whose one post was rejected; a project
    manager of both markets."""
    ke = make.market("KE", timezone="Africa/Nairobi", languages=("en",))
    kenya = Desk(make, db_session, ke, network="facebook")
    _missed(db_session, kenya.scheduled(4, 10), T(4, 11))
    kenya.rejected(T(12, 10), comment="Wrong hashtag for this market")
    make.market("PL", timezone="Europe/Warsaw", languages=("pl",))  # nothing happened there
    both = make.user(Role.project_manager, markets=[slots["fr"], ke, make.market("PL")])
    db_session.flush()
    return {**slots, "ke": ke, "kenya": kenya, "both": both}


def _table(page: str, table_id: str) -> list[list[str]]:
    """The rows of a table of the page, as text (tags dropped, spaces collapsed)."""
    body = page.split(f'id="{table_id}"')[1].split("</table>")[0].split("<tbody>")[1]
    rows = []
    for row in body.split("<tr")[1:]:
        cells = re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row, flags=re.S)
        rows.append([" ".join(re.sub(r"<[^>]+>", " ", cell).split()) for cell in cells])
    return rows


def test_a_report_over_several_markets_has_a_row_per_market_with_the_same_figures(markets, web):
    web.login(markets["both"])
    page = web.get(f"/reports?{PERIOD}").get_data(as_text=True)
    rows = _table(page, "by-market")
    assert [row[0] for row in rows] == ["Market FR (FR)", "Market KE (KE)"]
    assert "No activity in the period: Market PL (PL)." in page
    # Each market's row says what its own report says.
    header, *rows = _csv(web.get(f"/reports/markets.csv?{PERIOD}"))
    assert header[:2] == ["market", "name"] and "declined by the cabinet" in header
    table = {row[0]: dict(zip(header, row, strict=True)) for row in rows}
    assert set(table) == {"FR", "KE", "PL"}
    for code in ("FR", "KE", "PL"):
        own = {row[0]: row for row in _csv(web.get(f"/reports/rates.csv?market={code}&{PERIOD}"))[1:]}
        row = table[code]
        assert [row["approved"], row["decisions"], row["approval rate (%)"]] == own["approved"][1:], (code, row)
        assert [row["published on time"], row["slots"], row["on-time rate (%)"]] == own["published on time"][1:]
        assert row["missed slots"] == own["missed slots"][1] and row["failed"] == own["failed"][1], (code, row)
    assert table["KE"]["rejected"] == "1" and table["FR"]["failed"] == "2" and table["PL"]["slots"] == "0"
    # A single market's report has no such table.
    assert 'id="by-market"' not in web.get(f"/reports?market=FR&{PERIOD}").get_data(as_text=True)


def test_the_market_table_sorts_worst_first_by_the_column_asked(markets, web):
    web.login(markets["both"])
    by_on_time = _table(web.get(f"/reports?{PERIOD}&sort=on_time").get_data(as_text=True), "by-market")
    assert [row[0] for row in by_on_time] == ["Market KE (KE)", "Market FR (FR)"]  # 0 % before 28.6 %
    by_failed = _table(web.get(f"/reports?{PERIOD}&sort=failed").get_data(as_text=True), "by-market")
    assert [row[0] for row in by_failed] == ["Market FR (FR)", "Market KE (KE)"]
    page = web.get(f"/reports?{PERIOD}&sort=on_time").get_data(as_text=True)
    assert 'aria-sort="ascending"' in page  # the column sorted says so
    assert web.get(f"/reports?{PERIOD}&sort=nonsense").status_code == 200  # any other: by market


def test_a_report_has_a_row_per_network(markets, web, make, db_session):
    """Over several markets when asked (the day in progress is then split by network: a lookup of each of its audit
    rows' post); for one market, always."""
    Desk(make, db_session, markets["fr"], network="linkedin").rejected(T(12, 10))
    web.login(markets["both"])
    page = web.get(f"/reports?{PERIOD}").get_data(as_text=True).replace("&amp;", "&")
    assert 'id="by-network"' not in page and f"/reports?by=network&sort=name&{PERIOD}#section-by-network" in page
    page = web.get(f"/reports?{PERIOD}&by=network").get_data(as_text=True)
    assert [row[0] for row in _table(page, "by-network")] == ["Facebook", "LinkedIn", "X"]
    assert "by=network" in page.split('id="by-market"')[1].split("</thead>")[0]  # sorting keeps it
    page = web.get(f"/reports?market=FR&{PERIOD}").get_data(as_text=True)
    assert [row[0] for row in _table(page, "by-network")] == ["LinkedIn", "X"]
    assert 'id="by-network"' not in web.get(f"/reports?market=KE&{PERIOD}").get_data(as_text=True)  # one network
    header, *rows = _csv(web.get(f"/reports/networks.csv?{PERIOD}"))
    assert header[:2] == ["network", "name"]
    networks = {row[0]: dict(zip(header, row, strict=True)) for row in rows}
    assert (networks["x"]["approved"], networks["x"]["decisions"]) == ("7", "7")
    assert (networks["facebook"]["approved"], networks["facebook"]["decisions"]) == ("1", "2")
    assert (networks["facebook"]["missed slots"], networks["facebook"]["slots"]) == ("1", "1")


def test_the_rows_per_market_and_network_are_the_same_from_the_kept_days_and_from_the_trail(markets, db_session):
    """A market's or a network's row sums what its days did, read from the audit trail (days not closed) or from
    their kept figures; the totals are the rows' sums. A report that shows no network leaves the day in progress
    unsplit."""
    period = reports.Period(datetime(2026, 11, 2, tzinfo=UTC), datetime(2026, 11, 16, tzinfo=UTC))
    parts = reports.PARTS | {reports.NETWORKS}
    live = reports.build(db_session, None, period, parts=parts, now=datetime(2026, 11, 1, tzinfo=UTC))
    kept = reports.build(db_session, None, period, parts=parts, now=datetime(2026, 12, 2, tzinfo=UTC))
    assert live.by_market == kept.by_market and live.by_network == kept.by_network
    assert set(kept.by_network) == {"x", "facebook"} and kept.by_network["x"].slots == 7
    for rows in (kept.by_market, kept.by_network):
        assert sum(totals.slots for totals in rows.values()) == kept.slots == 8
        assert sum(totals.decided for totals in rows.values()) == kept.decided == 9
        assert sum(totals.review.count for totals in rows.values()) == kept.review.count == 9
    unsplit = reports.build(db_session, None, period, now=datetime(2026, 11, 1, tzinfo=UTC))
    assert unsplit.by_network == {} and unsplit.by_market == live.by_market


def test_the_posts_behind_a_count_are_those_the_clause_selects(markets, db_session):
    """What the posts list needs to list the posts behind a count: ``reports.acted`` (the posts with an audit row of
    that action on those days), the same rows the count counts."""
    def chosen(action: Action, first: date, last: date, *codes: str) -> set[int]:
        clause = reports.acted(action, first, last, Market.code.in_(codes) if codes else None)
        return set(db_session.scalars(select(Post.id).where(clause)))

    first, last = date(2026, 11, 2), date(2026, 11, 15)
    assert chosen(Action.miss, first, last) == {markets["missed"].id, *_kenyan_missed(db_session, markets)}
    assert chosen(Action.miss, first, last, "FR") == {markets["missed"].id}
    assert chosen(Action.fail, first, last, "FR") == {markets["failed"].id, markets["retried"].id}
    assert chosen(Action.fail, date(2026, 11, 5), date(2026, 11, 5)) == {markets["retried"].id}  # one day, included
    assert chosen(Action.lose, first, last) == {markets["unconfirmed"].id}


def _kenyan_missed(session, markets) -> set[int]:  # noqa: ANN001
    return set(session.scalars(select(Post.id).where(Post.account_id == markets["kenya"].account.id,
                                                     Post.missed_at.is_not(None))))


def test_each_count_of_posts_links_to_the_posts_list(markets, web):
    web.login(markets["both"])
    page = web.get(f"/reports?{PERIOD}&by=network").get_data(as_text=True).replace("&amp;", "&")
    assert "/posts?action=miss&acted_from=2026-11-02&acted_to=2026-11-15" in page  # the headline's missed slots
    assert "/posts?market=KE&action=miss&acted_from=2026-11-02&acted_to=2026-11-15" in page  # Kenya's row
    assert "/posts?market=FR&action=fail&acted_from=2026-11-02&acted_to=2026-11-15" in page
    assert "/posts?network=facebook&action=reject&acted_from=2026-11-02&acted_to=2026-11-15" in page
    assert "action=decline" not in page  # nothing declined: a 0 links nowhere


def reports_views():  # noqa: ANN201
    from approval.views import reports as views

    return views


def test_period_presets(markets, web, monkeypatch):
    for module in ("approval.views.reports", "approval.queries.reports"):
        monkeypatch.setattr(f"{module}.utcnow", lambda: NOW)
    web.login(markets["both"])
    page = web.get("/reports?market=FR").get_data(as_text=True).replace("&amp;", "&")
    presets = dict(re.findall(r'<a href="/reports\?([^"]+)"[^>]*class="preset[^"]*"[^>]*>([^<]+)</a>', page))
    assert {text: args for args, text in presets.items()} == {
        "This week": "market=FR&from=2026-11-30&to=2026-12-05",
        "Last week": "market=FR&from=2026-11-23&to=2026-11-29",
        "Last 8 weeks": "market=FR&from=2026-10-05&to=2026-12-05",
        "Last month": "market=FR&from=2026-11-01&to=2026-11-30",
        "This quarter": "market=FR&from=2026-10-01&to=2026-12-05",
    }
    assert 'class="preset active" aria-current="true">Last 8 weeks' in page  # the default period's


# m1, m2, m5: weeks not started, review stays, the period in words ---------------------------------------------


def test_weeks_not_started_say_so_and_days_counted_are_days_begun(make, web, monkeypatch):
    for module in ("approval.views.reports", "approval.queries.reports"):
        monkeypatch.setattr(f"{module}.utcnow", lambda: NOW)
    desk = Desk(make, None, make.market("FR"))
    web.login(desk.pm)
    weekly = _csv(web.get("/reports/weekly.csv?market=FR&from=2026-11-23&to=2026-12-31"))
    assert weekly[0][-2:] == ["days counted", "status"]
    assert [row[0] for row in weekly[1:]] == ["2026-11-23", "2026-11-30", "2026-12-07", "2026-12-14", "2026-12-21",
                                              "2026-12-28"]
    assert weekly[1][-2:] == ["7", "over"] and weekly[2][-2:] == ["6", "in progress"]  # Monday to Saturday (today)
    assert {tuple(row[-2:]) for row in weekly[3:]} == {("0", "not started")}
    page = web.get("/reports?market=FR&from=2026-11-23&to=2026-12-31").get_data(as_text=True)
    assert "The 4 weeks from Dec 7, 2026 have not started: their bars are empty." in page
    assert "The week of Nov 30, 2026 is not over yet" in page and "Dec 14, 2026 is not over" not in page
    assert "Only " not in page  # the last week, cut by the period, has not started: nothing else to say of it
    svg = web.get("/reports/weekly.svg?market=FR&from=2026-11-23&to=2026-12-31").get_data(as_text=True)
    assert "Dec 7 (not started)" in svg and "Nov 30 (so far)" in svg and "Dec 14 (so far)" not in svg


def test_time_in_review_counts_the_stays_that_ended_in_a_decision(make, web, db_session):
    desk = Desk(make, db_session, make.market("FR"))
    recalled = make.post(State.draft, account=desk.account, author=desk.cm)
    make.act(recalled, Action.submit, desk.cm, now=T(2, 9))
    make.act(recalled, Action.recall, desk.cm, now=T(2, 9) + timedelta(seconds=1))  # not a review
    reviewed = make.post(State.draft, account=desk.account, author=desk.cm)
    make.act(reviewed, Action.submit, desk.cm, now=T(3, 9))
    make.act(reviewed, Action.request_changes, desk.pm, now=T(3, 11), comment="Plus court.")  # 2 h
    web.login(desk.pm)
    durations = _csv(web.get(f"/reports/durations.csv?market=FR&{PERIOD}"))
    assert durations[0] == ["measure", "count", "counted", "median (hours)", "90th percentile (hours)"]
    assert durations[1] == ["time in review", "1", "review stays ending in a decision", "2.0", "2.0"]
    assert durations[2][:3] == ["time to publish", "0", "publications"]


def test_the_period_is_said_in_words_in_the_markets_days_and_its_end_is_included(make, web, db_session, app):
    desk = Desk(make, db_session, make.market("FR"))
    desk.rejected(datetime(2026, 11, 15, 22, 30, tzinfo=UTC))  # the period's last day, 23:30 in Paris
    web.login(desk.pm)
    weekly = _csv(web.get(f"/reports/weekly.csv?market=FR&{PERIOD}"))
    assert weekly[2][:3] == ["2026-11-09", "0", "1"], weekly  # the 15th is in the period
    page = web.get(f"/reports?market=FR&{PERIOD}").get_data(as_text=True)
    assert "Nov 2 – 15, 2026" in page.replace("\u2009", " ")
    assert "Days and weeks (Monday to Sunday) are those of Market FR, in its time zone (Europe/Paris)." in page
    assert "To (included)" in page and "(excluded)" not in page
    assert 'name="to" value="2026-11-15"' in page and "weekly.csv?market=FR&amp;from=2026-11-02&amp;to=2026-11-15" \
        in page
    assert web.get("/reports?market=FR&from=2026-11-15&to=2026-11-15").status_code == 200  # one day
    assert web.get("/reports?market=FR&from=2026-11-16&to=2026-11-15").status_code == 400
    desk.pm.locale = "fr"
    db_session.flush()
    page = web.get(f"/reports?market=FR&{PERIOD}").get_data(as_text=True)
    assert "2–15 nov. 2026" in page.replace("\u2009", "")


# m8: the audit export ------------------------------------------------------------------------------------------


def test_the_audit_export_reads_in_the_readers_language_with_dates_a_spreadsheet_reads(slots, admin_web, db_session,
                                                                                      app, admin_user):
    english = ["#", "time (UTC)", "post", "market", "action", "from state", "to state", "by", "e-mail", "comment",
               "slot (UTC)", "slot (market’s time)", "market’s time zone"]
    rows = _csv(admin_web.get("/reports/audit.csv?market=FR&from=2026-11-03&to=2026-11-03"))
    assert rows[0] == english
    assert all(re.fullmatch(r"2026-11-03 \d{2}:\d{2}:\d{2}", row[1]) for row in rows[1:]), rows
    worker = [row for row in rows[1:] if row[4] == "publish"]
    assert worker and worker[0][7:9] == ["the publishing worker", ""], worker
    admin_user.locale = "fr"
    db_session.flush()
    rows = _csv(admin_web.get("/reports/audit.csv?market=FR&from=2026-11-03&to=2026-11-03"), delimiter=";")
    assert rows[0] == [_french(app, header) for header in english]
    assert [row for row in rows[1:] if row[4] == "publish"][0][7] == _french(app, "the publishing worker")
    page = admin_web.get("/reports/audit?market=FR&from=2026-11-03&to=2026-11-03").get_data(as_text=True)
    assert _french(app, "the publishing worker") in page and _french(app, "To (included)") in page


# Polish ---------------------------------------------------------------------------------------------------------


def test_each_file_names_its_period_and_markets(markets, web):
    web.login(markets["both"])
    answer = web.get(f"/reports/weekly.csv?market=FR&{PERIOD}")
    assert answer.headers["Content-Disposition"] == 'attachment; filename="weekly_FR_2026-11-02_2026-11-15.csv"'
    answer = web.get(f"/reports/markets.csv?{PERIOD}")
    assert answer.headers["Content-Disposition"] == \
        'attachment; filename="markets_FR-KE-PL_2026-11-02_2026-11-15.csv"'


def test_the_charts_print_their_values_and_declined_says_by_whom(slots, web):
    web.login(slots["desk"].pm)
    svg = web.get(f"/reports/rates.svg?market=FR&{PERIOD}").get_data(as_text=True)
    values = [el.text for el in ET.fromstring(svg.encode()).iter()
              if el.tag.endswith("}text") and "value" in (el.get("class") or "").split()]
    assert "28.6%" in values and "100%" in values, values
    weekly = _csv(web.get(f"/reports/weekly.csv?market=FR&{PERIOD}"))
    assert "declined by the cabinet" in weekly[0]
    assert "declined by the cabinet" in web.get(f"/reports/weekly.svg?market=FR&{PERIOD}").get_data(as_text=True)


def test_the_words_of_the_reasons_leave_out_common_words_and_the_executives_names(make, web, db_session):
    fr = make.market("FR")
    ceo = make.executive("Hélène Marchand")
    desk = Desk(make, db_session, fr)
    desk.rejected(T(3, 10), comment="Jamais vers ce public : Mme Marchand refuse le ton, le ton !")
    web.login(desk.pm)
    words = [row[1] for row in _csv(web.get(f"/reports/reasons.csv?market=FR&{PERIOD}"))[1:]]
    assert words == ["public", "refuse"], words
    assert ceo.name  # named in the database: the word chart leaves their names out


def test_the_report_prints_without_its_controls(slots, web):
    """The printed report is its figures: no navigation, no form, no download links (a print block in app.css)."""
    web.login(slots["desk"].pm)
    page = web.get(f"/reports?market=FR&{PERIOD}").get_data(as_text=True)
    assert 'class="filters card no-print"' in page and page.count('class="download no-print"') == 5
    css = (Path(__file__).parents[1] / "approval" / "static" / "app.css").read_text()
    block = css[css.index("@media print"):]
    assert ".report .no-print" in block and "body:has(.report) .topbar" in block


@pytest.mark.browser
def test_a_printed_report_shows_its_figures_and_not_its_controls(markets, web, chromium):  # noqa: F811
    web.login(markets["both"])
    html = web.get(f"/reports?{PERIOD}&by=network").get_data(as_text=True)
    css = (Path(__file__).parents[1] / "approval" / "static" / "app.css").read_text()
    page = chromium.new_page(viewport={"width": 1280, "height": 900})
    try:
        page.set_content(re.sub(r"<script[^>]*></script>|<link[^>]*stylesheet[^>]*>", "", html))
        page.add_style_tag(content=css)
        shown = "(selector) => getComputedStyle(document.querySelector(selector)).display !== 'none'"
        assert all(page.evaluate(shown, selector) for selector in (".topbar", "form.filters", "a.download"))
        page.emulate_media(media="print")
        assert not any(page.evaluate(shown, selector) for selector in (".topbar", "form.filters", "a.download"))
        assert all(page.evaluate(shown, selector) for selector in ("p.period", ".figures", "#by-market", "#by-network"))
    finally:
        page.close()
