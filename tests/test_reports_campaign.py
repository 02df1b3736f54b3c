"""The reports by campaign ("how did #HelioCup27 do this week"): with a campaign chosen, every figure of the page,
of its charts and of its downloads counts that campaign's posts only, over closed days (kept without campaigns) as
over open ones; the campaigns offered are those the viewer sees (their markets' and the group-wide ones), another
market's is a 404 as another market is. On SQLite and on PostgreSQL."""

from __future__ import annotations

import csv
import html
import io
import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from approval import administration as admin
from approval.models import Market, ReportDay
from approval.queries import reports
from approval.workflow.states import Action, Role, State

T = lambda day, hour, minute=0: datetime(2026, 11, day, hour, minute, tzinfo=UTC)  # noqa: E731
#: Monday 2 to Sunday 15 November 2026, both days included.
PERIOD = "from=2026-11-02&to=2026-11-15"


def _csv(response) -> list[list[str]]:  # noqa: ANN001
    assert response.status_code == 200 and response.mimetype == "text/csv", response.status_code
    text = response.get_data().decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


@pytest.fixture()
def cup(make, db_session):  # noqa: ANN001, ANN201
    """#HelioCup27 in France: one post approved and published by hand, one rejected; beside it, a French post of no
    campaign rejected twice over, a group-wide campaign's posts in France and in Kenya, and Kenya's own campaign."""
    fr, ke = make.market("FR"), make.market("KE", "Africa/Nairobi", ("en",))
    france, kenya = make.account(fr), make.account(ke)
    cm = make.user(Role.community_manager, markets=[fr])
    pm = make.user(Role.project_manager, markets=[fr], name="Pierre")
    kenyan_cm = make.user(Role.community_manager, markets=[ke])
    kenyan_pm = make.user(Role.project_manager, markets=[ke])
    helio_cup = admin.create_campaign(db_session, "Helio Cup 2027", fr, hashtag="#HelioCup27")
    group = admin.create_campaign(db_session, "Annual report", None)
    safari = admin.create_campaign(db_session, "Safari rally", ke)
    db_session.flush()

    def post(account, writer, campaign, day):  # noqa: ANN001, ANN202
        made = make.post(State.draft, account=account, author=writer)
        made.campaign = campaign
        make.act(made, Action.submit, writer, now=T(day, 9))
        return made

    published = post(france, cm, helio_cup, 3)
    make.act(published, Action.approve, pm, now=T(3, 11))  # 2 h in review
    make.act(published, Action.mark_published, pm, now=T(3, 12), url="https://fb.com/helio/posts/1")
    rejected = post(france, cm, helio_cup, 4)
    make.act(rejected, Action.reject, pm, now=T(4, 10), comment="Le hashtag de la coupe manque")
    for day in (5, 6):
        other = post(france, cm, None, day)
        make.act(other, Action.reject, pm, now=T(day, 13), comment="Hors charte")
    group_fr = post(france, cm, group, 9)
    make.act(group_fr, Action.approve, pm, now=T(9, 10))
    group_ke = post(kenya, kenyan_cm, group, 9)
    make.act(group_ke, Action.reject, kenyan_pm, now=T(9, 10), comment="Not yet")
    rally = post(kenya, kenyan_cm, safari, 10)
    make.act(rally, Action.approve, kenyan_pm, now=T(10, 10))
    db_session.flush()
    return {"fr": fr, "ke": ke, "pm": pm, "kenyan_pm": kenyan_pm, "cup": helio_cup, "group": group,
            "safari": safari}


def _rates(web, query: str) -> dict[str, list[str]]:  # noqa: ANN001
    return {row[0]: row[1:] for row in _csv(web.get(f"/reports/rates.csv?{query}"))[1:]}


def test_a_campaigns_figures_count_its_posts_only(cup, web):
    web.login(cup["pm"])
    everything = _rates(web, f"market=FR&{PERIOD}")
    assert everything["approved"][:2] == ["2", "5"]  # the campaign's approval, the group-wide one's; 3 rejections
    asked = f"market=FR&campaign={cup['cup'].id}&{PERIOD}"
    rates = _rates(web, asked)
    assert rates["approved"] == ["1", "2", "50.0"]
    assert rates["marked as published by hand"][0] == "1"
    weekly = _csv(web.get(f"/reports/weekly.csv?{asked}"))
    assert [row[:5] for row in weekly[1:]] == [["2026-11-02", "1", "1", "0", "0"], ["2026-11-09", "0", "0", "0", "0"]]
    durations = _csv(web.get(f"/reports/durations.csv?{asked}"))
    assert durations[1][:2] == ["time in review", "2"] and durations[1][3:] == ["1.5", "2.0"]  # 2 h and 1 h
    reasons = {word: int(count) for _language, word, count in _csv(web.get(f"/reports/reasons.csv?{asked}"))[1:]}
    assert reasons.get("hashtag") == 1 and "charte" not in reasons
    markets = _csv(web.get(f"/reports/markets.csv?{asked}"))
    assert markets[1][:4] == ["FR", "Market FR", "1", "2"]
    # The campaign over all the manager's markets (France alone), and the group-wide one: its French posts only.
    assert _rates(web, f"campaign={cup['cup'].id}&{PERIOD}")["approved"][:2] == ["1", "2"]
    assert _rates(web, f"campaign={cup['group'].id}&{PERIOD}")["approved"][:2] == ["1", "1"]


def test_closed_days_kept_without_campaigns_do_not_count_for_one(cup, db_session):
    """The kept days hold every post of a market: a campaign's figures are read from its posts' audit rows."""
    period = reports.Period(datetime(2026, 11, 2, tzinfo=UTC), datetime(2026, 11, 16, tzinfo=UTC))
    fr = Market.id == cup["fr"].id
    whole = reports.build(db_session, fr, period, now=T(30, 12))
    assert db_session.scalar(select(ReportDay.day).where(ReportDay.market_id == cup["fr"].id).limit(1))
    assert whole.decided == 5
    kept = reports.build(db_session, fr, period, now=T(30, 12), campaign=cup["cup"].id)
    live = reports.build(db_session, fr, period, now=T(1, 0), campaign=cup["cup"].id)
    for report in (kept, live):
        assert (report.approved, report.decided, report.by_hand) == (1, 2, 1)
        assert report.review == reports.Durations(2, 1.5, 2.0)
        assert report.by_market[cup["fr"].id].decided == 2


def test_the_page_offers_the_viewers_campaigns_and_keeps_the_one_chosen(cup, web):
    web.login(cup["pm"])
    page = web.get(f"/reports?market=FR&campaign={cup['cup'].id}&{PERIOD}").get_data(as_text=True)
    offered = re.findall(r'<option value="(\d+)"[^>]*>([^<]*)</option>', page)
    assert {name for _id, name in offered} == {"Helio Cup 2027", "Annual report"}  # not Kenya's
    assert re.search(rf'<option value="{cup["cup"].id}" selected>', page)
    assert "Helio Cup 2027" in page.split("</h1>")[0]  # the heading names it
    links = [html.unescape(link) for link in re.findall(r'href="(/reports[^"]*)"', page)]
    downloads = [link for link in links if ".csv" in link]
    presets = [link for link in links if "from=" in link and ".csv" not in link and "sort=" not in link]
    assert downloads and all(f"campaign={cup['cup'].id}" in link for link in downloads), downloads
    assert presets and all(f"campaign={cup['cup'].id}" in link for link in presets), presets
    assert all(f"campaign={cup['cup'].id}" in link for link in links if "sort=" in link)
    posts = [html.unescape(link) for link in re.findall(r'href="(/posts\?[^"]*)"', page)]
    assert posts and all(f"campaign_id={cup['cup'].id}" in link for link in posts), posts


def test_another_markets_campaign_is_not_found(cup, web):
    web.login(cup["kenyan_pm"])
    for path in ("/reports", "/reports/rates.csv", "/reports/weekly.svg", "/reports/markets.csv"):
        assert web.get(f"{path}?campaign={cup['cup'].id}&{PERIOD}").status_code == 404, path
    for junk in ("abc", "0", "-1", "99999999999", "1.5", "\u0661"):
        assert web.get(f"/reports?campaign={junk}&{PERIOD}").status_code == 404, junk
        assert web.get(f"/reports/rates.csv?campaign={junk}&{PERIOD}").status_code == 404, junk
    # Their own, and the group-wide one (its Kenyan post only).
    assert _rates(web, f"campaign={cup['safari'].id}&{PERIOD}")["approved"][:2] == ["1", "1"]
    assert _rates(web, f"campaign={cup['group'].id}&{PERIOD}")["approved"][:2] == ["0", "1"]
    page = web.get(f"/reports?{PERIOD}").get_data(as_text=True)
    assert "Helio Cup 2027" not in page and "Safari rally" in page
    assert web.get(f"/reports?campaign=&{PERIOD}").status_code == 200  # none chosen: every post


def test_a_campaigns_figures_are_read_from_its_posts_trail_never_from_the_kept_days(cup, db_session):
    """Figures of a campaign never read the kept days: the campaign's rows of the period are found through its posts
    (``posts.campaign_id``, then the trail's index on the post), whatever days of the period are closed."""
    period = reports.Period(datetime(2026, 11, 2, tzinfo=UTC), datetime(2026, 11, 16, tzinfo=UTC))
    statements: list[str] = []
    from sqlalchemy import event

    def seen(_conn, _cursor, statement, *_args) -> None:  # noqa: ANN001
        statements.append(statement)

    engine = db_session.get_bind()
    event.listen(engine, "before_cursor_execute", seen)
    try:
        reports.build(db_session, None, period, now=T(30, 12) + timedelta(days=1), campaign=cup["cup"].id)
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    assert not [s for s in statements if "report_days" in s], "a campaign's figures are never the kept days"
    assert all("campaign_id" in s for s in statements if "audit_entries" in s)
