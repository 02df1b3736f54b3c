"""A set of posts (one message for several accounts) approved and scheduled in one go told its writer two things per
post: "approved", then "scheduled". "Approved" is now overtaken by the same post's "scheduled" or "published"
(``dispatch.OVERTAKEN_BY``), and the notices of one act on the posts of one set are one line in the list and one in
the bell (``grouping``): "5 posts of set #3 were scheduled", leading to the set and to each post, marked read
together. The API keeps one item per notification. SQLite and PostgreSQL."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from approval import operations as ops
from approval.api.tokens import issue_token
from approval.db import utcnow
from approval.models import Post, User
from approval.models.notifications import Notification
from approval.models.notifications import NotificationKind as Kind
from approval.notifications import dispatch, inbox
from approval.workflow import engine
from approval.workflow.engine import Step
from approval.workflow.states import Action, Role, State
from tests.api.contract import ApiClient

NETWORKS = ("facebook", "x", "linkedin", "facebook", "x")  # no picture required


@pytest.fixture()
def team(make):  # noqa: ANN001, ANN201
    fr = make.market("FR")
    return {"fr": fr, "accounts": [make.account(fr, network) for network in NETWORKS],
            "writer": make.user(Role.community_manager, markets=[fr], name="Camille"),
            "pm": make.user(Role.project_manager, markets=[fr], name="Lucile")}


def notices(session, user: User, kind: Kind | None = None) -> list[Notification]:  # noqa: ANN001
    session.flush()
    session.expire_all()
    query = select(Notification).where(Notification.user_id == user.id).order_by(Notification.id)
    if kind is not None:
        query = query.where(Notification.kind == kind)
    return list(session.scalars(query))


def bell(page: str) -> int:
    return int(re.search(r'data-unread="(\d+)"', page).group(1))


def rows(page: str) -> list[str]:
    return re.findall(r'<tr class="notification.*?</tr>', page, re.S)


def a_set(make, session, team, *, size: int = 5) -> tuple[int, list[Post]]:  # noqa: ANN001
    post_set = ops.create_post_set(session, team["writer"], size)
    posts = []
    for account in team["accounts"][:size]:
        post = ops.create_post(session, team["writer"], account, "Le stade brille ce soir.", post_set=post_set)
        make.act(post, Action.submit, team["writer"])
        posts.append(post)
    session.flush()
    return post_set.id, posts


def approve_and_schedule_all(web, set_id: int) -> None:  # noqa: ANN001
    page = web.get(f"/sets/{set_id}").get_data(as_text=True)
    versions = dict(re.findall(r'name="(version-\d+)" value="(\d+)"', page))
    local = (utcnow() + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M")
    answer = web.post(f"/sets/{set_id}/approve", {**versions, "and_schedule": "at", "local_time": local})
    assert answer.status_code == 303, answer.get_data(as_text=True)[:2000]


# "Approved", overtaken -------------------------------------------------------------------------------------------


def test_scheduling_a_post_supersedes_the_notice_that_it_was_approved(make, web, db_session, team):
    post = make.post(State.approved, account=team["accounts"][0], author=team["writer"], reviewer=team["pm"])
    [approved] = notices(db_session, team["writer"], Kind.approved)
    assert approved.read_at is None
    make.act(post, Action.schedule, team["pm"], scheduled_at=utcnow() + timedelta(days=1))
    approved, scheduled = notices(db_session, team["writer"])[-2:]
    assert (approved.kind, scheduled.kind) == (Kind.approved, Kind.scheduled)
    assert approved.read_at is not None and scheduled.read_at is None
    assert inbox.unread_count(db_session, team["writer"].id) == 1
    web.login(team["writer"])
    page = web.get("/notifications").get_data(as_text=True)
    assert bell(page) == 1 and "1 unread" in page
    line = next(r for r in rows(page) if f'data-id="{approved.id}"' in r)
    assert "Superseded by a later notification: “Your post was scheduled”." in html.unescape(line)


def test_publishing_a_post_at_once_supersedes_the_notice_that_it_was_approved(make, db_session, team):
    """"Publish now" announces no slot (``dispatch.DUE_NOW``): "approved" stays unread until "published" is told."""
    post = make.post(State.approved, account=team["accounts"][0], author=team["writer"], reviewer=team["pm"])
    make.act(post, Action.schedule, team["pm"], scheduled_at=utcnow() + timedelta(seconds=2))
    assert [n.kind for n in notices(db_session, team["writer"]) if n.read_at is None] == [Kind.approved]
    post.published_url, post.published_at = f"outbox:{post.id}", utcnow()
    engine.record_steps(db_session, [Step(post, Action.publish, {}, None)], now=utcnow())
    approved, published = notices(db_session, team["writer"])[-2:]
    assert (approved.kind, published.kind) == (Kind.approved, Kind.published)
    assert approved.read_at is not None and published.read_at is None


def test_approved_stays_unread_for_a_reader_told_nothing_later(make, db_session, team):
    """Another post's scheduling overtakes nothing of this one; a post approved and left so keeps its notice."""
    waiting = make.post(State.approved, account=team["accounts"][0], author=team["writer"], reviewer=team["pm"])
    make.post(State.scheduled, account=team["accounts"][1], author=team["writer"], reviewer=team["pm"])
    [approved] = [n for n in notices(db_session, team["writer"], Kind.approved) if n.post_id == waiting.id]
    assert approved.read_at is None


# One act on a set, one line ------------------------------------------------------------------------------------


def test_a_set_approved_and_scheduled_in_one_go_is_one_unread_line(app, make, web, db_session, team):
    set_id, posts = a_set(make, db_session, team)
    web.login(team["pm"])
    approve_and_schedule_all(web, set_id)
    told = notices(db_session, team["writer"])
    assert sorted(n.kind.value for n in told) == ["approved"] * 5 + ["scheduled"] * 5
    assert [n.kind for n in told if n.read_at is None] == [Kind.scheduled] * 5
    web.login(team["writer"])
    page = web.get("/notifications").get_data(as_text=True)
    assert bell(page) == 1 and "1 unread" in page
    lines = rows(page)
    assert len(lines) == 2, lines
    scheduled, approved = (html.unescape(line) for line in lines)
    assert 'class="notification group unread"' in scheduled
    assert f"5 posts of set #{set_id} were scheduled" in scheduled
    assert f'href="/notifications/{max(n.id for n in told)}/set"' in scheduled
    for post in posts:
        mine = next(n for n in told if n.post_id == post.id and n.kind is Kind.scheduled)
        assert f'href="/notifications/{mine.id}"' in scheduled and f"@{post.account.handle}" in scheduled
    assert f"5 posts of set #{set_id} were approved" in approved and "unread" not in approved.split(">")[0]
    assert "Superseded by a later notification: “Your post was scheduled”." in approved
    # The API: one item per notification, as its contract says.
    api = ApiClient(app, issue_token(db_session, team["writer"], "tests")[1])
    listed = api.get("/api/v1/notifications").json
    assert listed["unread"] == 5 and len(listed["items"]) == 10


def test_opening_the_line_marks_its_notices_read_and_leads_to_the_set(make, web, db_session, team):
    set_id, posts = a_set(make, db_session, team)
    web.login(team["pm"])
    approve_and_schedule_all(web, set_id)
    first = max(n.id for n in notices(db_session, team["writer"], Kind.scheduled))
    web.login(team["writer"])
    answer = web.get(f"/notifications/{first}/set")
    assert answer.status_code == 302 and answer.headers["Location"] == f"/sets/{set_id}"
    assert [n for n in notices(db_session, team["writer"]) if n.read_at is None] == []
    assert bell(web.get("/notifications").get_data(as_text=True)) == 0
    # Someone else's notice: not found.
    assert web.get(f"/notifications/{notices(db_session, team['pm'])[0].id}/set").status_code == 404


def test_the_lines_box_marks_all_its_notices_read(make, web, db_session, team):
    set_id, _posts = a_set(make, db_session, team)
    web.login(team["pm"])
    approve_and_schedule_all(web, set_id)
    web.login(team["writer"])
    page = web.get("/notifications").get_data(as_text=True)
    box = re.search(r'<input type="checkbox" name="id" value="([\d,]+)"', page).group(1)
    assert len(box.split(",")) == 5
    assert web.post("/notifications/read", {"id": box}).status_code == 302
    assert [n for n in notices(db_session, team["writer"]) if n.read_at is None] == []


def test_another_act_or_another_set_is_another_line(make, web, db_session, team):
    """The same kind by the same person, but on two sets, or on the same set by another act (another request, even
    within the minute): separate lines; one post alone reads as before."""
    first, _ = a_set(make, db_session, team, size=2)
    second, _ = a_set(make, db_session, team, size=3)
    web.login(team["pm"])
    approve_and_schedule_all(web, first)
    approve_and_schedule_all(web, second)
    later = notices(db_session, team["writer"], Kind.scheduled)[-1]
    later.act_id = dispatch.new_act()  # the second set's last post told by an act of its own
    db_session.flush()
    web.login(team["writer"])
    page = html.unescape(web.get("/notifications").get_data(as_text=True))
    assert f"2 posts of set #{first} were scheduled" in page and f"2 posts of set #{second} were scheduled" in page
    assert "Your post was scheduled" in page
    assert bell(page) == 3
