"""The reports count style findings as the Social Hub wall does (``approval.queries.findings``): in the texts sent
for review, a rule once per post. They counted every revision written, drafts too, so that a draft fixed seconds
later counted, and the wall and the report gave two numbers for one week and market."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from approval import operations as ops
from approval.db import utcnow
from approval.models import Market, ReportDay
from approval.queries import reports
from approval.queries.hub import Selection, Viewer, build_wall
from approval.workflow.states import Action, Role, State

#: A double space: one finding of ``typo.double-space`` (a warning: the post may be sent with it), nothing else.
UNFINISHED = "Le match commence  ce soir au stade."
FINISHED = "Le match commence ce soir au stade."
RULE = "typo.double-space"
#: The market's zone: a report's days are its own (at 23:30 UTC on a Sunday, Paris is on Monday, in the next week).
PARIS = ZoneInfo("Europe/Paris")


@pytest.fixture()
def team(make):  # noqa: ANN001, ANN201
    france = make.market("FR")
    return {"france": france, "account": make.account(france, "x"),
            "cm": make.user(Role.community_manager, markets=[france]),
            "pm": make.user(Role.project_manager, markets=[france])}


def _wall(db_session, team) -> list[tuple[str, int]]:  # noqa: ANN001
    db_session.flush()
    return build_wall(db_session, Viewer(user_id=team["pm"].id), Selection(markets=("FR",))).findings


def _report_csv(web, first, last) -> list[list[str]]:  # noqa: ANN001
    answer = web.get(f"/reports/findings.csv?market=FR&from={first}&to={last}")
    assert answer.status_code == 200
    return list(csv.reader(io.StringIO(answer.get_data().decode("utf-8").lstrip("\ufeff"))))


def test_a_draft_fixed_before_it_was_sent_counts_on_neither_the_wall_nor_the_report(make, web, db_session, team):
    fixed = make.post(State.draft, account=team["account"], author=team["cm"], body=UNFINISHED)
    ops.edit_post(db_session, fixed, team["cm"], FINISHED, expected_version=fixed.version)
    make.act(fixed, Action.submit, team["cm"])
    make.post(State.in_review, account=team["account"], author=team["cm"], body=UNFINISHED)  # sent with it

    assert _wall(db_session, team) == [(RULE, 1)]
    web.login(team["pm"])
    today = utcnow().astimezone(PARIS).date()
    week = reports.week_of(today)
    rows = _report_csv(web, week, week + timedelta(days=6))
    assert [[row[0], row[-1]] for row in rows[1:]] == [[RULE, "1"]]  # the draft's finding, fixed, not counted
    assert rows == [["rule", "what it asks", "posts"], [RULE, "No double spaces.", "1"]]
    page = web.get(f"/reports?market=FR&from={week}&to={week + timedelta(days=6)}").get_data(as_text=True)
    said = page.split('id="findings-counted"')[1].split("</p>")[0]
    assert "once per post, in the texts sent for review in the period, as on the Social Hub" in said


def test_a_post_sent_twice_with_a_rule_counts_once_over_days_kept_and_live(make, web, db_session, team):
    """Sent yesterday with the problem, sent back, sent again today still with it: one post, on the wall and in a
    report of both days, whether yesterday's figures are kept (``report_days``) or read from the trail."""
    now = utcnow()
    post = ops.create_post(db_session, team["cm"], team["account"], UNFINISHED, now=now - timedelta(days=1))
    ops.act_on_post(db_session, post, Action.submit, team["cm"], expected_version=post.version,
                    now=now - timedelta(days=1))
    ops.act_on_post(db_session, post, Action.request_changes, team["pm"], expected_version=post.version,
                    comment="Un espace de trop.", now=now - timedelta(days=1) + timedelta(minutes=5))
    ops.edit_post(db_session, post, team["cm"], UNFINISHED + " Venez  nombreux.", expected_version=post.version)
    make.act(post, Action.submit, team["cm"])
    assert _wall(db_session, team) == [(RULE, 1)]

    yesterday, today = (now - timedelta(days=1)).astimezone(PARIS).date(), now.astimezone(PARIS).date()
    web.login(team["pm"])
    assert _report_csv(web, yesterday, today)[1:] == [[RULE, "No double spaces.", "1"]]
    period = reports.Period(datetime.combine(yesterday, datetime.min.time(), UTC),
                            datetime.combine(today + timedelta(days=1), datetime.min.time(), UTC))
    france = Market.id == team["france"].id
    kept = reports.build(db_session, france, period, now=now + timedelta(days=2))  # both days closed: kept
    live = reports.build(db_session, france, period, now=period.start)  # none closed: from the trail
    assert kept.findings == live.findings == [(RULE, 1)]
    days = db_session.scalars(select(ReportDay).where(ReportDay.market_id == team["france"].id)).all()
    assert {day.day for day in days if day.figures.get("findings")} == {yesterday, today}


def test_the_wall_counts_every_sending_of_the_week_as_the_report_does(make, db_session, team):
    """The wall read the newest 1,000 sendings with findings and counted the rules in them: a post sent back and
    forth a thousand times in an afternoon hid the week's other posts, and the wall said 1 where the report said 11.
    The sendings beyond a thousand are written in one statement (the engine would take a minute for them)."""
    from sqlalchemy import insert

    from approval.models import AuditEntry, audit
    from approval.queries.hub import FINDINGS_SHOWN

    now = utcnow()
    for _ in range(10):  # this morning: ten posts sent with the problem
        post = ops.create_post(db_session, team["cm"], team["account"], UNFINISHED, now=now - timedelta(hours=2))
        ops.act_on_post(db_session, post, Action.submit, team["cm"], expected_version=post.version,
                        now=now - timedelta(hours=2))
    busy = make.post(State.in_review, account=team["account"], author=team["cm"], body=UNFINISHED)
    db_session.flush()
    rows = [{"post_id": busy.id, "action": Action.edit, "from_state": State.in_review, "to_state": State.in_review,
             "actor_id": team["cm"].id, "at": now - timedelta(hours=1) + timedelta(seconds=i), "comment": None,
             "revision_id": busy.current_revision_id, "payload": {}} for i in range(1_000)]
    db_session.execute(insert(AuditEntry), [{**row, **link, "market_id": team["france"].id}
                                            for row, link in zip(rows, audit.chain(db_session, rows), strict=True)])

    assert _wall(db_session, team) == [(RULE, 11)]
    day = now.astimezone(PARIS).date()
    period = reports.Period(datetime.combine(day - timedelta(days=2), datetime.min.time(), UTC),
                            datetime.combine(day + timedelta(days=1), datetime.min.time(), UTC))
    report = reports.build(db_session, Market.id == team["france"].id, period, now=now)
    assert report.findings[:FINDINGS_SHOWN] == _wall(db_session, team)
