"""The onboarding walk's wording findings (#6, #7, #15-#18): the wall's style findings say the problem and count what
was sent for review, a notice of a post that went out is superseded by what came of it (one settled says why), the
LinkedIn preview makes up no follower count, the reports say their weeks' dates as the reader writes them, the wall of
a first day says it has no market, and the dashboard's intro calls only the Social Hub a wall."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from approval import operations as ops
from approval.db import utcnow
from approval.models.notifications import Notification, NotificationKind
from approval.queries.hub import Selection, Viewer, build_wall
from approval.style import RULES
from approval.workflow import engine
from approval.workflow.states import Action, Role, State

#: A double space: one finding of ``typo.double-space`` (a warning: the post may be sent with it), nothing else.
UNFINISHED = "Le match commence  ce soir au stade."
FINISHED = "Le match commence ce soir au stade."


@pytest.fixture()
def team(make):  # noqa: ANN001, ANN201
    france = make.market("FR")
    return {"france": france, "account": make.account(france, "x"),
            "cm": make.user(Role.community_manager, markets=[france]),
            "pm": make.user(Role.project_manager, markets=[france])}


def _wall_findings(db_session, team) -> list[tuple[str, int]]:  # noqa: ANN001
    db_session.flush()
    return build_wall(db_session, Viewer(user_id=team["pm"].id), Selection()).findings


def _rules(post) -> set[str]:  # noqa: ANN001
    return {f["rule"] for f in post.current_revision.findings}


# #6: the wall's style findings -------------------------------------------------------------------------------------


def test_a_finding_fixed_in_a_draft_before_it_was_sent_is_not_counted(make, db_session, team):
    """The walk: a draft saved with a problem (a picture without its alternative text there), fixed seconds later,
    then sent: nobody but its writer ever read the problem, and the wall said "1"."""
    post = make.post(State.draft, account=team["account"], author=team["cm"], body=UNFINISHED)
    assert _rules(post) == {"typo.double-space"}
    ops.edit_post(db_session, post, team["cm"], FINISHED, expected_version=post.version)
    assert _rules(post) == set()
    make.act(post, Action.submit, team["cm"])
    assert _wall_findings(db_session, team) == []


def test_what_reached_a_reviewer_counts_once_per_post_even_fixed_at_their_request(make, db_session, team):
    post = make.post(State.in_review, account=team["account"], author=team["cm"], body=UNFINISHED)
    # Edited in review, the problem still there: the reviewer reads it again, the post counts once.
    ops.edit_post(db_session, post, team["cm"], UNFINISHED + " Venez  nombreux.", expected_version=post.version)
    make.act(post, Action.request_changes, team["pm"], comment="Un espace de trop.")
    ops.edit_post(db_session, post, team["cm"], FINISHED, expected_version=post.version)
    make.act(post, Action.submit, team["cm"])
    assert _wall_findings(db_session, team) == [("typo.double-space", 1)]
    other = make.post(State.in_review, account=team["account"], author=team["cm"], body=UNFINISHED)
    assert _rules(other) == {"typo.double-space"}
    assert _wall_findings(db_session, team) == [("typo.double-space", 2)]


def test_a_sending_older_than_the_week_is_not_counted(make, db_session, team):
    post = make.post(State.draft, account=team["account"], author=team["cm"], body=UNFINISHED)
    ops.act_on_post(db_session, post, Action.submit, team["cm"], expected_version=post.version,
                    now=utcnow() - timedelta(days=8))
    assert _wall_findings(db_session, team) == []


def test_the_wall_names_each_finding_by_the_problem_it_is(make, web, db_session, team):
    make.post(State.in_review, account=team["account"], author=team["cm"], body=UNFINISHED)
    web.login(team["pm"])
    page = web.get("/hub").get_data(as_text=True)
    assert "Style findings this week, as sent for review" in page
    assert 'Double spaces <span class="count">1</span>' in page
    # Not what the rule asks, which beside a count read as that many posts that met it.
    assert "No double spaces." not in page


def test_every_rule_has_a_problem_of_its_own_besides_what_it_asks():
    problems = [rule.problem for rule in RULES]
    assert all(problems) and len(set(problems)) == len(problems)
    assert not [rule.id for rule in RULES if rule.problem == rule.description or rule.problem.endswith(".")]


def test_the_reports_chart_of_findings_names_them_by_their_problem(make, web, db_session, team):
    make.post(State.in_review, account=team["account"], author=team["cm"], body=UNFINISHED)
    db_session.flush()
    web.login(team["pm"])
    svg = web.get("/reports/findings.svg").get_data(as_text=True)
    assert "Double spaces" in svg and "No double spaces" not in svg
    # The export keeps what each rule asks, under that heading.
    assert "No double spaces." in web.get("/reports/findings.csv").get_data(as_text=True)


# #7: a scheduled post that went out ----------------------------------------------------------------------------


def _scheduled_notice(db_session, post, user) -> Notification:  # noqa: ANN001
    db_session.flush()
    db_session.expire_all()
    return db_session.scalar(select(Notification).where(
        Notification.post_id == post.id, Notification.user_id == user.id,
        Notification.kind == NotificationKind.scheduled))


def _row(page: str, notification: Notification) -> str:
    start = page.rindex("<tr", 0, page.index(f'data-id="{notification.id}"'))
    return page[start:page.index("</tr>", start)]


@pytest.mark.parametrize(("how", "later"), [("outbox", "Your post was published"),
                                             ("by hand", "Your post was published"),
                                             ("refused at its time", "A post failed to publish")])
def test_the_news_of_a_slot_that_went_out_is_superseded_by_what_came_of_it(make, web, db_session, team, how, later):
    """The outbox publishes a post from ``scheduled`` at once (no ``publishing`` between): "Your post was scheduled"
    was marked read then, greyed between two unread notices with nothing to say why. This test then pinned the
    opposite: the news stayed unread beside "Your post was published" (or "failed"), two unread notices for one
    post, the older asking for attention the newer already had (the bell counted both). It is read once the notice
    of what came of the slot is written for its reader, and its line says which notice superseded it: greyed, no
    longer with nothing to say why (``dispatch.OVERTAKEN_BY``)."""
    post = make.post(State.scheduled, account=team["account"], author=team["cm"], reviewer=team["pm"])
    if how == "outbox":
        post.published_url, post.published_at = "outbox:1", utcnow()
        engine.record_step(db_session, post, Action.publish, now=utcnow())
    elif how == "by hand":
        make.act(post, Action.mark_published, team["pm"], url="https://x.com/helio/status/1")
    else:
        engine.record_step(db_session, post, Action.fail, now=utcnow(), comment="Refused by the policy in force.")
    notice = _scheduled_notice(db_session, post, team["cm"])
    assert notice.read_at is not None
    web.login(team["cm"])
    row = _row(web.get("/notifications").get_data(as_text=True), notice)
    assert 'class="notification unread"' not in row and "disabled" in row
    assert f"Superseded by a later notification: “{later}”." in row
    assert "The slot it announced was dropped" not in row


def test_the_news_of_a_slot_dropped_since_says_so(make, web, db_session, team):
    """Unscheduled, the post's slot is gone: its news is settled (read), and its line says why, where it was greyed
    with nothing to say (its author hears nothing else of the unscheduling)."""
    post = make.post(State.scheduled, account=team["account"], author=team["cm"], reviewer=team["pm"])
    make.act(post, Action.unschedule, team["pm"])
    notice = _scheduled_notice(db_session, post, team["cm"])
    assert notice.read_at is not None
    web.login(team["cm"])
    row = _row(web.get("/notifications").get_data(as_text=True), notice)
    assert "The slot it announced was dropped. Now:" in row and "state-approved" in row
    # Scheduled again: the old news is read, the new one above it says the new slot; nothing to add to the old one.
    make.act(post, Action.schedule, team["pm"], scheduled_at=utcnow() + timedelta(days=2))
    db_session.flush()
    row = _row(web.get("/notifications").get_data(as_text=True), notice)
    assert "The slot it announced was dropped" not in row


# #15: the LinkedIn preview ----------------------------------------------------------------------------------------


def test_the_linkedin_preview_makes_up_no_follower_count(make, web, team):
    post = make.post(State.draft, account=make.account(team["france"], "linkedin"), author=team["cm"],
                     body=FINISHED)
    web.login(team["cm"])
    preview = web.post("/posts/preview", {"post_id": post.id, "body": FINISHED}).get_data(as_text=True)
    assert 'data-network="linkedin"' in preview
    assert "followers" not in preview and "1 234" not in preview
    assert "1 234" not in web.get(f"/posts/{post.id}").get_data(as_text=True)


# #16: the reports' weeks in sentences --------------------------------------------------------------------------------


@pytest.mark.parametrize(("locale", "said"), [
    ("en", "The week of Nov 30, 2026 is not over yet"),
    ("fr", "30 nov. 2026"),
])
def test_the_reports_say_a_weeks_date_as_the_reader_writes_it(make, web, db_session, monkeypatch, locale, said):
    for module in ("approval.views.reports", "approval.queries.reports"):
        monkeypatch.setattr(f"{module}.utcnow", lambda: datetime(2026, 12, 5, 12, tzinfo=UTC))
    france = make.market("FR")
    pm = make.user(Role.project_manager, markets=[france])
    pm.locale = locale
    db_session.flush()
    web.login(pm)
    page = web.get("/reports?from=2026-11-23&to=2026-12-31").get_data(as_text=True)
    assert said in page
    assert "2026-11-30 is not" not in page and "2026-11-30 n" not in page and "2026-12-07 have" not in page


# #17: the wall of a first day ----------------------------------------------------------------------------------------


def test_a_wall_without_a_market_says_so_and_counts_no_network(admin_web):
    page = admin_web.get("/hub").get_data(as_text=True)
    assert "No market yet." in page
    assert "By network" not in page and 'class="networks"' not in page


def test_a_wall_with_markets_keeps_its_counts(make, web, team):
    web.login(team["pm"])
    page = web.get("/hub").get_data(as_text=True)
    assert "No market yet." not in page and "By network" in page and 'class="markets"' in page


# #18: the dashboard ----------------------------------------------------------------------------------------------


def test_the_dashboards_intro_does_not_call_the_calendar_a_wall(make, web, db_session, team):
    """Its headings' words stay breakable (soft hyphens): below 1,100 px the French table needs them to fit; whole
    above it is app.css's to say (``hyphens: none``), as the report of this change asks."""
    web.login(team["pm"])
    page = web.get("/hub/dashboard").get_data(as_text=True)
    intro = page[page.index('<p class="muted">'):]
    intro = intro[:intro.index("</p>")]
    wall, calendar = intro.index("/hub"), intro.index("/calendar")
    # The wall's sentence ends before the calendar's link: the calendar is not a wall.
    assert 0 <= intro.find(".", wall) < calendar
