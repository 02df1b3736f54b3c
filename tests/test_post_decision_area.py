"""The post page's decision area: "Publish now" asks first and stands behind "Schedule"; the decisions read in the
same order for a project manager and a cabinet (the yes, "Request changes", the no); a project manager approves and
schedules a post at a time they type, in one step (two engine steps, each audited) or nothing."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta

import pytest

from approval import administration as admin
from approval import policies
from approval.db import utcnow
from approval.models import AuditEntry, Post
from approval.workflow.states import Action, Role, State

from conftest import row_counts
from test_proposed_time import PARIS, _local_ahead, _next_change, _text, _trail, _typed


def _text_of(fragment: str) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", fragment)))


def _beside_the_time(page: str) -> str:
    """The "Approve and schedule at" fieldset: its time's reasons are said there."""
    start = page.find('<fieldset class="approve-at')
    return page[start:page.index("</fieldset>", start)] if start >= 0 else ""


@pytest.fixture()
def france(make):  # noqa: ANN001, ANN201
    return make.market("FR")


@pytest.fixture()
def writer(make, france):  # noqa: ANN001, ANN201
    return make.user(Role.community_manager, markets=[france], name="Camille Writer")


@pytest.fixture()
def reviewer(make, france):  # noqa: ANN001, ANN201
    return make.user(Role.project_manager, markets=[france], name="Paula Reviewer")


# "Publish now" ------------------------------------------------------------------------------------------------------


def test_publish_now_asks_first_where_it_goes(make, web, france, writer, reviewer):
    post = make.post(State.approved, account=make.account(france, "x"), author=writer, reviewer=reviewer)
    web.login(reviewer)
    page = web.get(f"/posts/{post.id}").get_data(as_text=True)
    button = re.search(r'<button[^>]*name="when" value="now"[^>]*>', page)
    assert button is not None
    tag = html.unescape(button.group(0))
    assert f"Publish this post on X @{post.account.handle} now? It cannot be undone." in tag
    # The lesser button beside "Schedule" (primary): never primary itself.
    assert "publish-now" in tag and "primary" not in tag
    # A browser without scripts says it asked nothing.
    assert '<noscript><input type="hidden" name="ask_first" value="now"></noscript>' in page


def test_publish_now_without_scripts_asks_on_the_page_and_does_nothing(make, web, db_session, france, writer,
                                                                      reviewer):
    post = make.post(State.approved, account=make.account(france, "x"), author=writer, reviewer=reviewer)
    web.login(reviewer)
    counts = row_counts(db_session, AuditEntry)
    asked = web.post(f"/posts/{post.id}/actions/schedule", {"version": post.version, "when": "now",
                                                             "ask_first": "now"})
    assert asked.status_code == 200
    assert f"Publish this post on X @{post.account.handle} now? It cannot be undone." in _text(asked)
    assert "Nothing is done yet." in _text(asked)
    assert row_counts(db_session, AuditEntry) == counts
    db_session.expire_all()
    assert post.state == State.approved and post.scheduled_at is None
    # Its button sends "now" without the marker: pressed, the post goes.
    page = asked.get_data(as_text=True)
    form = page[page.index("publish-now-asked"):]
    form = form[:form.index("</form>")]
    assert 'name="ask_first"' not in form and 'value="now"' in form
    done = web.post(f"/posts/{post.id}/actions/schedule", {"version": post.version, "when": "now"})
    assert done.status_code in (302, 303)
    db_session.expire_all()
    assert post.state == State.scheduled


def test_publish_now_asks_only_what_could_be_done(make, web, db_session, france, writer, reviewer):
    """The question is asked only of who may schedule the post as it stands: a community manager is refused (403),
    a post changed since the page was drawn is a conflict (409), a post already gone on is refused too: none is asked
    a question it cannot answer (it was 200 and a page with nothing to answer)."""
    post = make.post(State.approved, account=make.account(france, "x"), author=writer, reviewer=reviewer)
    web.login(writer)
    assert web.post(f"/posts/{post.id}/actions/schedule", {"version": post.version, "when": "now",
                                                           "ask_first": "now"}).status_code == 403
    web.login(reviewer)
    assert web.post(f"/posts/{post.id}/actions/schedule", {"version": post.version - 1, "when": "now",
                                                           "ask_first": "now"}).status_code == 409
    make.act(post, Action.schedule, reviewer, scheduled_at=utcnow() + timedelta(days=1))
    db_session.flush()
    assert web.post(f"/posts/{post.id}/actions/schedule", {"version": post.version, "when": "now",
                                                           "ask_first": "now"}).status_code == 409


# The order of the decisions -----------------------------------------------------------------------------------------


def _order(page: str, *actions: str) -> list[int]:
    return [page.index(f"action-{action}\"") for action in actions]


def test_a_project_manager_reads_approve_request_changes_reject(make, web, france, writer, reviewer):
    post = make.post(State.in_review, account=make.account(france, "x"), author=writer)
    web.login(reviewer)
    page = web.get(f"/posts/{post.id}").get_data(as_text=True)
    places = _order(page, "approve", "request_changes", "reject")
    assert places == sorted(places)


def test_a_cabinet_reads_accept_request_changes_decline(make, web, france, writer):
    executive = make.executive("Claire Dupont")
    cabinet = make.user(Role.cabinet, executives=[executive])
    post = make.post(State.with_cabinet, account=make.account(france, "x", executive=executive), author=writer)
    web.login(cabinet)
    page = web.get(f"/posts/{post.id}").get_data(as_text=True)
    places = _order(page, "accept", "request_changes", "decline")
    assert places == sorted(places), places
    first = re.search(r'<button type="submit" class="button ([a-z]*) action-accept"', page)
    assert first is not None and first.group(1) == "primary"


# Approve and schedule at a time typed -------------------------------------------------------------------------------


def _approve_at(web, post: Post, local_time: str, **fields: str):  # noqa: ANN001, ANN202
    return web.post(f"/posts/{post.id}/actions/approve", {"version": post.version, "and_schedule": "at",
                                                          "local_time": local_time, **fields})


def test_the_page_offers_approve_and_schedule_at_a_time(make, web, france, writer, reviewer):
    post = make.post(State.in_review, account=make.account(france, "x"), author=writer)
    web.login(reviewer)
    page = web.get(f"/posts/{post.id}").get_data(as_text=True)
    assert 'name="and_schedule" value="at"' in page and 'id="approve-at-local_time"' in page
    assert "Publication time, local time in Europe/Paris" in _text(web.get(f"/posts/{post.id}"))


def test_approve_and_schedule_at_a_time_writes_both_steps(make, web, db_session, france, writer, reviewer):
    post = make.post(State.in_review, account=make.account(france, "x"), author=writer)
    before = len(_trail(db_session, post))
    local = _local_ahead(days=5)
    web.login(reviewer)
    answer = _approve_at(web, post, _typed(local))
    assert answer.status_code in (302, 303), _text(answer)[:800]
    db_session.expire_all()
    assert post.state == State.scheduled
    assert post.scheduled_at == local.replace(tzinfo=PARIS).astimezone(UTC)
    rows = _trail(db_session, post)[before:]
    assert [(r.action, r.from_state, r.to_state) for r in rows] == [
        (Action.approve, State.in_review, State.approved), (Action.schedule, State.approved, State.scheduled)]
    assert rows[0].actor_id == rows[1].actor_id == reviewer.id


def _refused_at(web, db_session, post: Post, user, local_time: str, said: str, **fields: str):  # noqa: ANN001, ANN202
    counts = row_counts(db_session, AuditEntry)
    version = post.version
    web.login(user)
    answer = _approve_at(web, post, local_time, **fields)
    assert answer.status_code in (403, 409, 422), answer.status_code
    page = answer.get_data(as_text=True)
    sections = re.findall(r'<section class="flash error refusal".*?</section>', page, re.S)
    refusals = " ".join(_text_of(section) for section in sections)
    assert "“Approve and schedule” was refused." in refusals or said.startswith("A suggested"), refusals
    assert said in refusals + _text_of(_beside_the_time(page)), refusals
    assert row_counts(db_session, AuditEntry) == counts
    db_session.expire_all()
    assert post.state == State.in_review and post.version == version and post.approved_revision_id is None
    return answer


def test_refused_in_the_past(make, web, db_session, france, writer, reviewer):
    post = make.post(State.in_review, account=make.account(france, "x"), author=writer)
    _refused_at(web, db_session, post, reviewer, _typed(_local_ahead(days=-2)), "This time is in the past.")


def test_refused_more_than_a_year_ahead(make, web, db_session, france, writer, reviewer):
    post = make.post(State.in_review, account=make.account(france, "x"), author=writer)
    _refused_at(web, db_session, post, reviewer, _typed(_local_ahead(days=400)), "more than a year ahead")


def test_refused_without_a_time(make, web, db_session, france, writer, reviewer):
    post = make.post(State.in_review, account=make.account(france, "x"), author=writer)
    _refused_at(web, db_session, post, reviewer, "", "Choose the time to schedule it at.")


def test_refused_before_an_embargo_lifts(make, web, db_session, france, writer, reviewer):
    campaign = admin.create_campaign(db_session, "Lancement", france, embargo_until=utcnow() + timedelta(days=30))
    post = make.post(State.in_review, account=make.account(france, "x"), author=writer)
    post.campaign = campaign  # moved into the campaign while in review (an edit would say the same)
    db_session.flush()
    _refused_at(web, db_session, post, reviewer, _typed(_local_ahead(days=5)), "under embargo")


def test_refused_by_the_style_gate(make, web, db_session, france, writer, reviewer):
    post = make.post(State.in_review, account=make.account(france, "x"), author=writer,
                     body="Notre rapport annuel est en ligne.")
    policies.save_policy(db_session, france, make.user(Role.admin), forbidden=[
        {"phrase": "rapport annuel", "reason": "Say “bilan” until the general meeting.", "instead": "bilan"}])
    _refused_at(web, db_session, post, reviewer, _typed(_local_ahead(days=5)), "rapport annuel")


def test_a_repeated_hour_asks_which_then_schedules_the_second(make, web, db_session, france, writer, reviewer):
    post = make.post(State.in_review, account=make.account(france, "x"), author=writer)
    twice = _next_change(10)
    asked = _refused_at(web, db_session, post, reviewer, _typed(twice), "happens twice")
    page = asked.get_data(as_text=True)
    assert 'name="fold" value="1"' in page and f'value="{_typed(twice)}"' in page
    answer = _approve_at(web, post, _typed(twice), fold="1")
    assert answer.status_code in (302, 303), _text(answer)[:800]
    db_session.expire_all()
    assert post.state == State.scheduled
    assert post.scheduled_at == datetime(twice.year, twice.month, twice.day, 1, 30, tzinfo=UTC)  # 02:30 +01:00


def test_a_suggested_message_offers_no_time_and_refuses_one(make, web, db_session, france, writer, reviewer):
    executive = make.executive("Claire Dupont")
    make.user(Role.cabinet, executives=[executive])
    post = make.post(State.in_review, account=make.account(france, "x", executive=executive), author=writer)
    web.login(reviewer)
    assert 'value="at"' not in web.get(f"/posts/{post.id}").get_data(as_text=True)
    _refused_at(web, db_session, post, reviewer, _typed(_local_ahead(days=5)),
                "A suggested message goes to its cabinet before it is scheduled")


def test_a_proposed_time_offers_both(make, web, db_session, france, writer, reviewer):
    post = make.post(State.in_review, account=make.account(france, "x"), author=writer)
    post.proposed_at = _local_ahead(days=7).replace(tzinfo=PARIS).astimezone(UTC)
    db_session.flush()
    web.login(reviewer)
    page = web.get(f"/posts/{post.id}").get_data(as_text=True)
    assert "Approve and schedule for " in html.unescape(page) and 'name="and_schedule" value="at"' in page
