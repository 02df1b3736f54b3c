"""The publishing desk's "Going out now": a post free to go whose time has come, not taken by a worker yet and not
overdue yet, is listed there, with since when it is free. "Release the hold" on a post whose time had passed took it
out of "Held" and put it nowhere for a minute (not overdue yet): the person who had just released it saw it vanish.

The desk's clock is fixed by each test (``approval.views.publishing.utcnow``); the worker runs on a clock of its own,
on a database of the module's (it commits)."""

from __future__ import annotations

import html
import itertools
import re
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from approval.db import utcnow
from approval.models import AuditEntry, Post
from approval.publishing import controls
from approval.publishing.status import going_clause, publishing_status
from approval.publishing.worker import Worker
from approval.workflow.states import Action, Role, State
from tests.conftest import Factory, WebClient, committed_app, numbered_factory
from tests.publishing_helpers import held_by_a_switch_now_off

_TESTS = itertools.count(1)


@pytest.fixture(scope="module")
def world(backend, databases, tmp_path_factory):  # noqa: ANN001, ANN201
    return committed_app(databases, backend, tmp_path_factory, PUBLISH_QUOTAS={})


@pytest.fixture()
def session(world) -> Iterator[Session]:  # noqa: ANN001
    """The test's session, outside any application context: the desk's requests each push their own (one held
    open kept ``g`` from one request to the next, and with it a CSRF token the session no longer had). What it
    committed stays readable without a new transaction (SQLite's would hold the lock the requests need)."""
    with world.extensions["approval.db"]["sessionmaker"](expire_on_commit=False) as session:
        yield session


@pytest.fixture()
def make(session: Session) -> Factory:
    return numbered_factory(session, _TESTS, 43)


@pytest.fixture()
def desk_at(monkeypatch: pytest.MonkeyPatch):  # noqa: ANN201
    """Fixes the desk's clock (its lists, what holds a post, "ago"): ``desk_at(instant)``."""
    def fix(instant: datetime) -> None:
        for module in ("approval.views.publishing", "approval.publishing.holds", "approval.filters"):
            monkeypatch.setattr(f"{module}.utcnow", lambda: instant)
    return fix


def _section(desk: str, key: str) -> str:
    found = re.search(rf'<section class="card desk-{key}" id="{key}">(.*?)</section>', desk, re.S)
    assert found, key
    return found.group(1)


def _listed(desk: str, post_id: int) -> set[str]:
    """The desk's sections that list the post."""
    return {key for key in re.findall(r'<section class="card desk-(\w+)"', desk)
            if f">#{post_id}<" in _section(desk, key)}


def test_a_post_released_after_its_time_is_going_out_now_until_sent_or_overdue(world, session, make, desk_at):
    market = make.market("FR", timezone="Europe/Paris")
    account = controls.connect_account(session, make.account(market), "outbox")
    pm = make.user(Role.project_manager, markets=[market])
    post = make.post(State.scheduled, account=account)
    post.scheduled_at = utcnow() - timedelta(minutes=5)  # its slot came while a switch was on: held at it
    held_by_a_switch_now_off(session, post, pm, market_code=market.code)
    post_id, version = post.id, post.version
    session.commit()  # SQLite: the test's open transaction would hold the lock the requests and the worker need
    web = WebClient(world.test_client())
    web.login(pm)
    assert _listed(web.get("/publishing").get_data(as_text=True), post_id) == {"held"}

    answer = web.post("/publishing/release", {"only": str(post_id), f"version-{post_id}": str(version)})
    assert answer.status_code == 303, answer.get_data(as_text=True)
    released = session.scalar(select(AuditEntry.at).where(AuditEntry.post_id == post_id,
                                                          AuditEntry.action == Action.release))
    session.commit()
    assert released is not None

    # Within the minute: going out now, saying since when it is free (its release), with a link to it.
    desk_at(released + timedelta(seconds=30))
    desk = web.get("/publishing").get_data(as_text=True)
    assert _listed(desk, post_id) == {"publishing"}, _listed(desk, post_id)
    row = html.unescape(_section(desk, "publishing").split(f">#{post_id}<")[1].split("</tr>")[0])
    assert "Not taken yet: released " in row and "the worker's next pass sends it." in row, row
    assert f'href="/posts/{post_id}"' in _section(desk, "publishing")
    assert "Nothing needs you here" not in desk

    # A minute after its release and no worker came: overdue, as before.
    desk_at(released + timedelta(seconds=61))
    assert _listed(web.get("/publishing").get_data(as_text=True), post_id) == {"overdue"}

    # A worker's pass sends it: on no list of the desk.
    with world.app_context():
        report = Worker(world, clock=lambda: released + timedelta(seconds=2)).run(once=True)
    assert report.published >= 1
    assert session.scalar(select(Post.state).where(Post.id == post_id)) is State.published
    session.commit()
    desk_at(released + timedelta(seconds=30))
    assert _listed(web.get("/publishing").get_data(as_text=True), post_id) == set()


def test_going_out_now_is_the_same_rule_on_the_desk_as_on_the_post_page(world, session, make):
    """``going_clause`` (the desk) and ``PublishingStatus.going_now`` (the post's page) agree, post by post."""
    market = make.market("FR", timezone="Europe/Paris")
    account = controls.connect_account(session, make.account(market), "outbox")
    pm = make.user(Role.project_manager, markets=[market])
    now = utcnow()
    due = make.post(State.scheduled, account=account)
    due.scheduled_at = now - timedelta(seconds=20)  # its time just came
    now_pressed = make.post(State.scheduled, account=account)
    now_pressed.scheduled_at = now + timedelta(seconds=2)  # "Publish now"
    later = make.post(State.scheduled, account=account)
    later.scheduled_at = now + timedelta(minutes=10)
    late = make.post(State.scheduled, account=account)
    late.scheduled_at = now - timedelta(minutes=3)  # overdue
    retried = make.post(State.scheduled, account=account)
    retried.scheduled_at, retried.next_attempt_at = now - timedelta(minutes=3), now - timedelta(seconds=10)
    held = make.post(State.scheduled, account=account)
    held.scheduled_at = now - timedelta(seconds=20)
    held_by_a_switch_now_off(session, held, pm, market_code=market.code)
    session.commit()
    posts = [due, now_pressed, later, late, retried, held]
    in_sql = set(session.scalars(select(Post.id).join(Post.account).where(
        Post.id.in_([p.id for p in posts]), going_clause(now))))
    with world.test_request_context():
        in_python = {p.id for p in posts if publishing_status(session, p).going_now(p, now)}
    assert in_sql == in_python == {due.id, now_pressed.id}
