"""A notice overtaken by a later one about the same thing asks for no attention (``dispatch.OVERTAKEN_BY``): "A stop
switch was turned on" once the same switch's "turned off" is written for its reader, "Your post was scheduled" once
the same post's "published", "failed", "unconfirmed" or "missed" is. It is marked read for that reader (and for the
one whose act it was), the bell, the list and the API count it no longer, and its line says which notice superseded
it. Another switch's notice, or a reader told nothing later, keeps theirs unread. SQLite and PostgreSQL."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event, select

from approval.api.tokens import issue_token
from approval.db import utcnow
from approval.models import Post, User
from approval.models.notifications import Notification
from approval.models.notifications import NotificationKind as Kind
from approval.notifications import dispatch, inbox
from approval.publishing import controls
from approval.workflow import engine
from approval.workflow.engine import Step, TrailEntry
from approval.workflow.states import Action, Role, State
from tests.api.contract import ApiClient


@pytest.fixture()
def team(make):  # noqa: ANN001, ANN201
    """Kenya's community and project managers, a group-wide project manager; France's community manager."""
    ke, fr = make.market("KE", timezone="Africa/Nairobi", languages=("en",)), make.market("FR")
    return {"ke": ke, "fr": fr, "account_ke": make.account(ke), "account_fr": make.account(fr),
            "cm_ke": make.user(Role.community_manager, markets=[ke], name="Wanjiru"),
            "pm_ke": make.user(Role.project_manager, markets=[ke], name="Otieno"),
            "group": make.user(Role.project_manager, all_markets=True, name="Gaia"),
            "cm_fr": make.user(Role.community_manager, markets=[fr], name="Camille"),
            "pm_fr": make.user(Role.project_manager, markets=[fr], name="Pierre")}


def notices(session, user: User, kind: Kind | None = None) -> list[Notification]:  # noqa: ANN001
    session.flush()
    session.expire_all()
    query = select(Notification).where(Notification.user_id == user.id).order_by(Notification.id)
    if kind is not None:
        query = query.where(Notification.kind == kind)
    return list(session.scalars(query))


def unread(session, user: User) -> list[str]:  # noqa: ANN001
    return [n.kind.value for n in notices(session, user) if n.read_at is None]


def row(page: str, notification: Notification) -> str:
    start = page.rindex("<tr", 0, page.index(f'data-id="{notification.id}"'))
    return page[start:page.index("</tr>", start)]


def bell(page: str) -> int:
    return int(re.search(r'data-unread="(\d+)"', page).group(1))


# The stop switch ------------------------------------------------------------------------------------------------


def test_a_switch_turned_off_supersedes_the_notice_that_it_was_on(make, db_session, team):
    """Its readers had two unread notices for one switch, the first saying publishing was stopped when it no longer
    was: the bell asked them to read that it was on, once it was off."""
    switch = controls.turn_on(db_session, team["pm_ke"], "market", market_code="KE", reason="Elections")
    assert unread(db_session, team["cm_ke"]) == ["stop_on"]
    controls.turn_off(db_session, team["pm_ke"], switch.id)
    for reader in (team["cm_ke"], team["group"]):
        on, off = notices(db_session, reader)
        assert (on.kind, off.kind) == (Kind.stop_on, Kind.stop_off)
        assert on.read_at == switch.turned_off_at and off.read_at is None
        assert inbox.unread_count(db_session, reader.id) == 1


def test_only_the_same_switch_and_only_its_readers_told_of_its_end(make, db_session, team):
    """Another switch still on keeps its notice unread; a reader who was not told of the end (she left the market
    in between) keeps hers: nothing later tells her that it ended."""
    elections = controls.turn_on(db_session, team["pm_ke"], "market", market_code="KE", reason="Elections")
    controls.turn_on(db_session, team["group"], "all", reason="Outage everywhere")
    team["cm_ke"].markets = [team["fr"]]
    db_session.flush()
    controls.turn_off(db_session, team["pm_ke"], elections.id)
    assert unread(db_session, team["cm_ke"]) == ["stop_on", "stop_on"], "told of neither end: both unread"
    gaia = notices(db_session, team["group"])
    assert [(n.kind.value, n.comment, n.read_at is None) for n in gaia] == [
        ("stop_on", "Elections", False), ("stop_off", "Elections", True)]
    otieno = notices(db_session, team["pm_ke"])
    assert [(n.kind.value, n.comment, n.read_at is None) for n in otieno] == [("stop_on", "Outage everywhere", True)]


def test_the_one_who_turns_it_off_reads_their_notice_that_it_was_on_as_done(make, db_session, team):
    """Who acts is told nothing of their own act: the group-wide manager turning off Otieno's switch heard nothing
    more of it, and "A stop switch was turned on" stayed unread for them, after they turned it off themselves."""
    switch = controls.turn_on(db_session, team["pm_ke"], "market", market_code="KE", reason="Elections")
    controls.turn_off(db_session, team["group"], switch.id)
    [on] = notices(db_session, team["group"])
    assert on.kind is Kind.stop_on and on.read_at is not None


def test_the_list_the_bell_and_the_api_count_the_superseded_switch_no_longer(make, web, app, db_session, team):
    switch = controls.turn_on(db_session, team["pm_ke"], "market", market_code="KE", reason="Elections")
    controls.turn_off(db_session, team["pm_ke"], switch.id)
    on, off = notices(db_session, team["cm_ke"])
    web.login(team["cm_ke"])
    page = web.get("/notifications").get_data(as_text=True)
    assert bell(page) == 1 and "1 unread" in page
    line = row(page, on)
    assert 'class="notification unread"' not in line and "disabled" in line
    assert "Superseded by a later notification: “A stop switch was turned off”." in line
    assert 'class="notification unread"' in row(page, off) and "Superseded" not in row(page, off)
    api = ApiClient(app, issue_token(db_session, team["cm_ke"], "tests")[1])
    listed = api.get("/api/v1/notifications").json
    assert listed["unread"] == 1
    assert {item["kind"]: item["read"] for item in listed["items"]} == {"stop_on": True, "stop_off": False}


def test_the_one_who_turned_it_off_reads_that_it_is_off(make, web, db_session, team):
    """No later notice of theirs to name: the line says the switch is off."""
    switch = controls.turn_on(db_session, team["pm_ke"], "market", market_code="KE", reason="Elections")
    [on] = notices(db_session, team["group"])
    web.login(team["group"])
    assert "This stop switch is off now." not in row(web.get("/notifications").get_data(as_text=True), on)
    controls.turn_off(db_session, team["group"], switch.id)
    line = row(web.get("/notifications").get_data(as_text=True), on)
    assert "This stop switch is off now." in line and "Superseded" not in line


# The post's publication ---------------------------------------------------------------------------------------


def _scheduled(make, team) -> Post:  # noqa: ANN001
    return make.post(State.scheduled, account=team["account_fr"], author=team["cm_fr"], reviewer=team["pm_fr"])


def _went_out(post: Post) -> Step:
    """The worker's publication of ``post`` (its time and address written with it, as the outbox's)."""
    post.published_url, post.published_at = f"outbox:{post.id}", utcnow()
    return Step(post, Action.publish, {}, None)


@pytest.mark.parametrize(("step", "later", "title"), [
    (Action.publish, Kind.published, "Your post was published"),
    (Action.fail, Kind.failed, "A post failed to publish"),
    (Action.lose, Kind.unconfirmed, "A post may or may not be online: its publication is unconfirmed"),
    # Read already as its slot was dropped (``dispatch.STALE``), it said "The slot it announced was dropped":
    # the slot was not dropped but missed, which the notice above it says.
    (Action.miss, Kind.missed, "A post missed its slot")])
def test_what_came_of_the_slot_supersedes_the_notice_that_it_was_scheduled(make, web, db_session, team, step, later,
                                                                           title):
    post = _scheduled(make, team)
    if step is Action.lose:  # a call sent, its worker gone: claimed first
        post.claim_token, post.claimed_until = "token", utcnow() + timedelta(minutes=2)
        engine.record_step(db_session, post, Action.claim, now=utcnow())
        post.claim_token = post.claimed_until = None
    if step is Action.publish:
        engine.record_steps(db_session, [_went_out(post)], now=utcnow())
    else:
        engine.record_step(db_session, post, step, now=utcnow())
    scheduled, news = notices(db_session, team["cm_fr"])[-2:]
    assert (scheduled.kind, news.kind) == (Kind.scheduled, later)
    assert scheduled.read_at is not None and news.read_at is None
    assert unread(db_session, team["cm_fr"]).count("scheduled") == 0
    web.login(team["cm_fr"])
    line = row(web.get("/notifications").get_data(as_text=True), scheduled)
    assert f"Superseded by a later notification: “{title}”." in line
    assert "The slot it announced was dropped" not in line


def test_a_batch_published_together_supersedes_each_posts_own_notice(make, db_session, team):
    """The worker publishes its due posts in one step (one statement per kind): each author's notice of each post."""
    first, second = _scheduled(make, team), _scheduled(make, team)
    other = make.post(State.scheduled, account=team["account_ke"], author=team["cm_ke"], reviewer=team["pm_ke"])
    engine.record_steps(db_session, [_went_out(first), _went_out(second)], now=utcnow())
    kinds = [(n.post_id, n.kind.value, n.read_at is None) for n in notices(db_session, team["cm_fr"])
             if n.kind in (Kind.scheduled, Kind.published)]
    assert kinds == [(first.id, "scheduled", False), (second.id, "scheduled", False),
                     (first.id, "published", True), (second.id, "published", True)]
    assert [n.read_at is None for n in notices(db_session, team["cm_ke"], Kind.scheduled)] == [True], \
        "another post's news is not superseded"
    assert other.state is State.scheduled


@contextmanager
def sent(db_session) -> Iterator[list[tuple[str, Any, bool]]]:  # noqa: ANN001
    """The statements the session's engine sends meanwhile, each with its parameters and whether it is executed for
    several rows."""
    statements: list[tuple[str, Any, bool]] = []

    def note(_conn, _cursor, statement, parameters, _context, many) -> None:  # noqa: ANN001
        statements.append((statement, parameters, many))

    bind = db_session.get_bind()
    event.listen(bind, "before_cursor_execute", note)
    try:
        yield statements
    finally:
        event.remove(bind, "before_cursor_execute", note)


def test_a_batch_settles_and_supersedes_its_notices_in_one_execution_per_statement(make, db_session, team):
    """The worker's pass records its batch's steps together: the notices its posts settle and supersede are marked
    by one execution of each UPDATE for the whole batch, not one per post (each a search of the notifications,
    half of what a publication cost the worker)."""
    posts = [_scheduled(make, team) for _ in range(4)]
    with sent(db_session) as statements:
        engine.record_steps(db_session, [_went_out(post) for post in posts], now=utcnow())
    executions = [(statement, len(parameters) if many else 1) for statement, parameters, many in statements
                  if statement.startswith("UPDATE notifications")]
    assert executions and all(rows == 1 for _statement, rows in executions), executions
    assert len(executions) == len({statement for statement, _rows in executions}), executions
    assert unread(db_session, team["cm_fr"]).count("scheduled") == 0


def test_a_batch_published_settles_tells_and_supersedes_in_one_statement_on_postgresql(make, db_session, team):
    """The outbox's batch (brand posts: no cabinet to tell) settles what its posts leave behind, tells their authors
    and supersedes their notices that they were scheduled: on PostgreSQL in one statement (``dispatch._told_at_once``:
    a round trip each cost the worker's every pass as much as the writing), elsewhere in three."""
    posts = [_scheduled(make, team) for _ in range(3)]
    dispatch.never_sent(db_session, [post.id for post in posts])  # as the worker notes the rows it read
    with sent(db_session) as statements:
        engine.record_steps(db_session, [_went_out(post) for post in posts], now=utcnow())
    written = [statement for statement, _parameters, _many in statements
               if "INSERT INTO notifications" in statement or "UPDATE notifications" in statement]
    assert len(written) == (1 if db_session.get_bind().dialect.name == "postgresql" else 3), written
    told = [(n.post_id, n.kind.value, n.read_at is None) for n in notices(db_session, team["cm_fr"])
            if n.kind in (Kind.scheduled, Kind.published)]
    assert told == [*((post.id, "scheduled", False) for post in posts),
                    *((post.id, "published", True) for post in posts)]


def _entry(post: Post, action: Action, from_state: State, to_state: State) -> TrailEntry:
    return TrailEntry(post_id=post.id, action=action, from_state=from_state, to_state=to_state, actor_id=None,
                      at=utcnow(), comment=None, revision_id=post.current_revision_id, payload={})


def test_the_notices_go_with_the_change_only_where_its_statement_hides_nothing_they_read(make, db_session, team,
                                                                                         backend):
    """``dispatch.with_the_change``: the statements of one ``WITH`` do not see each other's writes, so the notices go
    in the change's own statement only when what they read is none of its writes: a publication told to its author
    while the post's state and time are written; not when the change writes the post's account (its market), nor
    when a cabinet is told (it reads the post's state); not off PostgreSQL."""
    post = _scheduled(make, team)
    dispatch.never_sent(db_session, [post.id])
    published = [_entry(post, Action.publish, State.scheduled, State.published)]
    at_once = dispatch.with_the_change(db_session, published, ("state", "published_at", "published_url"))
    if backend != "postgresql":
        assert at_once is None
        return
    assert at_once is not None and at_once[0] == dispatch.AtOnce(
        Kind.published, (dispatch.Audience.author,), (Kind.policy_refuses, Kind.proposal_changed), True)
    assert dispatch.with_the_change(db_session, published, ("state", "account_id")) is None
    suggestion = _scheduled(make, team)
    asked = [_entry(suggestion, Action.approve, State.in_review, State.with_cabinet)]  # the cabinet is asked
    assert dispatch._told_at_once(db_session, *dispatch._plan(db_session, asked)) is not None
    assert dispatch.with_the_change(db_session, asked, ("state",)) is None


def test_a_notice_settled_and_superseded_at_once_is_never_written_by_one_statement(db_session):
    """Two UPDATEs of one ``WITH`` writing the same notice: PostgreSQL keeps one of them, unpredictably and without an
    error. A change that would settle notices of a kind its news supersedes goes statement by statement."""
    now = utcnow()
    told = {(Kind.published, (dispatch.Audience.author,)): [{
        "post_id": 1, "market_id": None, "actor_id": None, "at": now, "comment": None, "action": "publish",
        "why": None}]}
    overtaking = {(None, Kind.published.value, now): [1]}
    assert dispatch._told_at_once(db_session, {((Kind.scheduled,), now): [1]}, told, overtaking) is None
    assert dispatch._told_at_once(db_session, {((Kind.policy_refuses,), now): [1]}, told, overtaking) is not None
    with pytest.raises(AssertionError, match="settled and overtaken"):
        dispatch.told_ctes(Kind.published, (dispatch.Audience.author,), (Kind.scheduled,), True)


def test_the_cabinet_reads_the_slot_superseded_too(make, db_session, team):
    """A cabinet is told both of a suggestion it accepted: each reader's notice, by their own later one."""
    executive = make.executive("Hélène Marchand")
    cabinet = make.user(Role.cabinet, executives=[executive], name="Lucile")
    post = make.post(State.scheduled, account=make.account(team["fr"], executive=executive), author=team["cm_fr"],
                     reviewer=team["pm_fr"])
    engine.record_steps(db_session, [_went_out(post)], now=utcnow())
    assert [(n.kind.value, n.read_at is None) for n in notices(db_session, cabinet) if n.post_id == post.id][-2:] == [
        ("scheduled", False), ("published", True)]


def test_the_list_says_which_notice_superseded_the_slot_and_where_the_post_is_online(make, web, db_session, team):
    post = _scheduled(make, team)
    [scheduled] = notices(db_session, team["cm_fr"], Kind.scheduled)
    web.login(team["cm_fr"])
    page = web.get("/notifications").get_data(as_text=True)
    before = bell(page)
    # A slot still to come: its line says when, as its mail does.
    line = row(page, scheduled)
    assert 'class="notification unread"' in line and "Goes out on " in line and "Superseded" not in line
    make.act(post, Action.mark_published, team["pm_fr"], url="https://www.facebook.com/helio/posts/1")
    [published] = notices(db_session, team["cm_fr"], Kind.published)
    page = web.get("/notifications").get_data(as_text=True)
    assert bell(page) == before, "one notice read, one written"
    line = row(page, scheduled)
    assert "Superseded by a later notification: “Your post was published”." in line
    assert "Goes out on " not in line and 'class="notification unread"' not in line
    assert 'Online at <a href="https://www.facebook.com/helio/posts/1"' in row(page, published)


def test_a_slot_moved_is_superseded_by_the_news_of_the_new_one(make, web, db_session, team):
    """Unscheduled, then scheduled again: the first notice, read when its slot was dropped, names the one that
    replaced it, which says the new slot."""
    post = _scheduled(make, team)
    make.act(post, Action.unschedule, team["pm_fr"])
    make.act(post, Action.schedule, team["pm_fr"], scheduled_at=utcnow() + timedelta(days=3))
    first, second = notices(db_session, team["cm_fr"], Kind.scheduled)
    web.login(team["cm_fr"])
    page = web.get("/notifications").get_data(as_text=True)
    assert "Superseded by a later notification: “Your post was scheduled”." in row(page, first)
    assert "Goes out on " in row(page, second) and "Superseded" not in row(page, second)
