"""The demo's past: eight weeks of a team's work before this one, each step through the engine at its own time, so
that the reports and the calendar show a living team while the review queue and the publishing desk stay as the
present posts leave them."""

from __future__ import annotations

import csv
import io
from collections import Counter
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from approval import create_app
from approval.db import make_engine, utcnow
from approval.demo import PASSWORD, PAST, WORK_END, WORK_START, story_steps
from approval.models import (
    Account,
    AuditEntry,
    Comment,
    Market,
    OutboxMessage,
    Post,
    PublicationAttempt,
    ReportDay,
    Revision,
    User,
)
from approval.models.audit import verify_chain
from approval.models.notifications import Notification
from approval.queries import reports
from conftest import WebClient
from notification_helpers import SmtpServer
from approval.workflow.states import Action, State

#: What people do (the worker's steps come at any hour); a withdrawal or an answer of the cabinet too.
PEOPLES_ACTIONS = {Action.create, Action.submit, Action.edit, Action.request_changes, Action.reject, Action.approve,
                   Action.accept, Action.decline, Action.withdraw, Action.mark_published, Action.schedule,
                   Action.retry}
ENDS = {State.published, State.rejected, State.declined, State.withdrawn}


@pytest.mark.parametrize("monday", [date(2026, 3, 23), date(2026, 10, 19), date(2027, 1, 4)])  # DST weeks too
def test_each_story_is_a_working_week_of_steps_that_ends_before_the_next_monday(monday):
    networks = {"fr_x": "x", "fr_fb": "facebook", "fr_li": "linkedin", "ke_x": "x", "ke_fb": "facebook",
                "pl_fb": "facebook", "ceo_x": "x", "ceo_li": "linkedin"}
    for number, story in enumerate(PAST):
        steps = story_steps(story, number, monday, networks[story.account], story.account.startswith("ceo_"))
        times = [step.at for step in steps]
        assert times == sorted(times) and len(set(times)) == len(times), story
        assert monday <= times[0].date() and times[-1] < datetime.combine(monday + timedelta(days=7), time())
        for step in steps:
            if step.action in PEOPLES_ACTIONS:
                assert step.at.weekday() < 5 and WORK_START <= step.at.time() <= WORK_END, (story, step)
            if step.action == Action.schedule:
                assert step.slot is not None and step.slot >= step.at + timedelta(hours=1)
        assert steps[-1].action == {"rejected": Action.reject, "withdrawn": Action.withdraw,
                                    "declined": Action.decline, "by_hand": Action.mark_published}.get(
            story.end, Action.publish), story


def test_the_demo_brings_weeks_of_history_that_the_reports_and_the_trail_tell_alike(cli_in_process, tmp_path):
    cli = cli_in_process
    started = utcnow()
    cli("demo")
    engine = make_engine(cli.url)
    with Session(engine) as session:
        past = session.scalars(select(Post).where(Post.created_at < started)).all()
        present = session.scalars(select(Post).where(Post.created_at >= started)).all()
        assert len(past) == len(PAST) and len(present) >= 19

        # The past is over: every post ended (nothing more in the review queue or on the publishing desk), and every
        # trace of it lies before the Monday of this week, in its market's time.
        assert {post.state for post in past} == ENDS
        for post in past:
            zone = ZoneInfo(post.account.market.timezone)
            monday = started.astimezone(zone).date() - timedelta(days=started.astimezone(zone).weekday())
            this_week = datetime.combine(monday, time(), zone)
            times = [post.created_at, post.updated_at, post.submitted_at, post.published_at]
            times += session.scalars(select(AuditEntry.at).where(AuditEntry.post_id == post.id)).all()
            times += session.scalars(select(Revision.created_at).where(Revision.post_id == post.id)).all()
            times += session.scalars(select(Comment.created_at).where(Comment.post_id == post.id)).all()
            times += session.scalars(select(OutboxMessage.created_at).where(OutboxMessage.post_id == post.id)).all()
            for attempt in session.scalars(select(PublicationAttempt).where(PublicationAttempt.post_id == post.id)):
                times += [attempt.started_at, attempt.finished_at]
            for at in filter(None, times):
                assert at < this_week, (post.id, at)
            if post.state == State.published:
                assert post.published_at is not None and post.published_at < this_week
        unread = session.scalar(select(func.count()).select_from(Notification).where(
            Notification.post_id.in_([post.id for post in past]), Notification.read_at.is_(None)))
        assert unread == 0  # what people were told of weeks ago, they have read

        # Every post's trail is whole and follows its state, step after step, in time; nobody approved their own
        # revision; every publication by the worker has its attempt and its outbox record.
        assert verify_chain(session).broken is None
        for post in [*past, *present]:
            rows = session.scalars(select(AuditEntry).where(AuditEntry.post_id == post.id)
                                   .order_by(AuditEntry.id)).all()
            assert rows[0].action == Action.create and rows[-1].to_state == post.state
            for before, after in zip(rows, rows[1:], strict=False):
                assert after.from_state == before.to_state and after.at >= before.at, (post.id, after)
            for row in rows:
                if row.action in (Action.approve, Action.accept):
                    assert row.actor_id != session.get(Revision, row.revision_id).author_id, (post.id, row.action)
                if row.action == Action.publish:
                    attempt = session.get(PublicationAttempt, row.payload["attempt"])
                    assert attempt.post_id == post.id and attempt.url == post.published_url
                    if attempt.connector == "outbox":
                        assert session.scalar(select(OutboxMessage).where(
                            OutboxMessage.idempotency_key == attempt.idempotency_key)).post_id == post.id
        published = [post for post in past if post.state == State.published]
        by_hand = [post for post in published if post.published_url.startswith("https://")]
        assert len(by_hand) >= 3 and len(published) - len(by_hand) >= 25
        ends = Counter(post.state for post in past)
        assert ends[State.rejected] >= 4 and ends[State.withdrawn] >= 2 and ends[State.declined] >= 1
        handles = {post.account.handle for post in past}
        assert {"helio_fr", "HelioKenya", "HelioPolska", "HMarchand"} <= handles
        marc = session.scalar(select(User).where(User.email == "marc@helio.example"))
        session.expunge(marc)
    engine.dispose()

    # The reports page, opened for the first time: its weeks and its figures, which it keeps for the closed days,
    # are those of the audit trail.
    app = create_app({"TESTING": True, "DATABASE_URL": cli.url, "SECRET_KEY": "demo"})
    app.instance_path = str(tmp_path / "instance")
    web = WebClient(app.test_client())
    web.login(marc, PASSWORD)
    assert web.get("/reports").status_code == 200
    rows = list(csv.reader(io.StringIO(web.get("/reports/weekly.csv").get_data(as_text=True))))[1:]
    weeks = [row[:5] for row in rows if sum(int(cell) for cell in row[1:5])]  # then the days counted, the week over
    assert len(weeks) >= 6, rows
    assert len({tuple(row[1:]) for row in weeks}) >= 4  # weeks that differ, not one pattern repeated
    engine = make_engine(cli.url)
    with Session(engine) as session:
        # The page's default period: from the Monday 8 weeks before this week's, to tomorrow, in the markets' days
        # (over all markets, the latest of their todays).
        now = utcnow()
        zones = list(session.scalars(select(Market.timezone)))
        today = max(reports.today_in(now, zone) for zone in zones)
        end = datetime.combine(today + timedelta(days=1), time(), UTC)
        period = reports.Period(datetime.combine(today - timedelta(days=today.weekday(), weeks=8), time(), UTC), end)
        # The page kept each market's closed days of the period.
        assert session.scalar(select(func.count()).select_from(ReportDay)) == sum(
            (min(reports.closed_before(now, zone), period.end_day) - period.first_day).days for zone in zones)
        kept = reports.build(session, None, period)
        live = reports.build(session, None, period, now=period.start)  # no day closed: all from the audit rows
        assert _figures(kept) == _figures(live)
        assert 0.6 < kept.approval_rate < 0.9
        assert kept.missed >= 1 and kept.on_time >= 25
        assert kept.review.count >= 40 and 0.2 < kept.review.median_h < 8 and kept.review.p90_h > 12
        assert {word for _language, word, _count in kept.reasons} & {"juridique", "comparisons", "konkurencją"}
        assert {rule for rule, _count in kept.findings} >= {"policy.campaign-hashtag", "typo.double-space",
                                                              "typo.shouting"}  # first drafts, fixed since
        accounts = {account.id: account for account in session.scalars(select(Account))}
        assert len({accounts[post.account_id].market_id for post in session.scalars(
            select(Post).where(Post.published_at < period.end, Post.published_at >= period.start))}) == 3
    engine.dispose()

    # What the demo wrote happened before anyone could be mailed: a team that tries it with its mail server set
    # gets no mail about it (the present's changes from here on are mailed as any).
    with SmtpServer() as smtp:
        cli.env["APPROVAL_SMTP_URL"] = smtp.url
        cli("notify", "--once")
        del cli.env["APPROVAL_SMTP_URL"]
        assert [received.subject for received in smtp.take()] == []

    # The demo loads into an empty database only, as before: a second time changes nothing.
    again = cli("demo", check=False)
    assert again.returncode == 1 and "not empty" in again.stderr
    engine = make_engine(cli.url)
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(Post)) == len(past) + len(present)
    engine.dispose()


def _figures(report: reports.Report) -> tuple:
    return (report.weeks, {week: dict(states) for week, states in report.per_week.items() if +states},
            dict(report.decisions), report.review, report.to_publish, report.reasons, report.findings,
            report.on_time, report.late, report.missed)
