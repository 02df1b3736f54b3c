"""The cabinet takes its acceptance back (tests/reports: cabinet M6, "Mme Marchand changed her mind").

Once the cabinet of an executive has accepted a suggested message (``approved``), and after a project manager gave
it a time (``scheduled``), the same cabinet may still send it back to its writers (``request_changes``) or decline it
(``decline``), a comment saying why. From ``scheduled`` the slot is dropped and any hold cleared in that same step:
one audit row, naming the dropped slot, as an edit's row does; the worker never publishes the post afterwards. Once
the worker has claimed it (``publishing``) it is too late, and the 409 says so. No one else takes these rows: not
another executive's cabinet (the post is not theirs to see), not a project manager (their role may not).

The state-by-state matrix is in tests/test_workflow_table.py; these follow the post through the engine, the API,
the post page and the worker, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import itertools
import re
from datetime import timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select, text

from approval import create_app
from approval import operations as ops
from approval.api.tokens import issue_token
from approval.db import utcnow
from approval.models import AuditEntry, OutboxMessage, Post, audit
from approval.models.notifications import Notification, NotificationKind
from approval.publishing import controls
from approval.publishing.worker import Worker
from approval.workflow import engine
from approval.workflow.errors import GuardFailed, InvalidTransition, NotPermitted
from approval.workflow.guards import WORKFLOW
from approval.workflow.states import Action, Role, State
from tests.api.contract import ApiClient, assert_error
from tests.conftest import Factory

ACCEPTED = [State.approved, State.scheduled]
TAKING_BACK = [(Action.request_changes, State.changes_requested), (Action.decline, State.declined)]
WHY = "Mme Marchand a changé d'avis : pas avant le conseil."


def _cast(make: Factory) -> SimpleNamespace:
    france = make.market("FR")
    executive, other_executive = make.executive("Hélène Marchand"), make.executive("Someone Else")
    return SimpleNamespace(
        account=make.account(france, "x", executive=executive),
        author=make.user(Role.community_manager, markets=[france], name="Camille (author)"),
        pm=make.user(Role.project_manager, markets=[france], name="Lucile (approved and scheduled it)"),
        other_pm=make.user(Role.project_manager, markets=[france], name="Marc (another PM)"),
        cabinet=make.user(Role.cabinet, executives=[executive], name="Sophie (cabinet)"),
        colleague=make.user(Role.cabinet, executives=[executive], name="Agnès (cabinet)"),
        other_cabinet=make.user(Role.cabinet, executives=[other_executive], name="Oscar (another cabinet)"),
    )


@pytest.fixture()
def cast(make) -> SimpleNamespace:
    return _cast(make)


def _accepted(make: Factory, cast: SimpleNamespace, state: State) -> Post:
    """A suggestion Lucile approved, the cabinet (Sophie) accepted and, for ``scheduled``, Lucile gave a time."""
    post = make.post(state, account=cast.account, author=cast.author, reviewer=cast.pm)
    assert post.state is state
    return post


def _trail(session, post: Post) -> list[AuditEntry]:
    return list(session.scalars(select(AuditEntry).where(AuditEntry.post_id == post.id).order_by(AuditEntry.id)))


def _offered(post: Post, user) -> set[Action]:  # noqa: ANN001
    return {row.action for row in engine.available_actions(post, user)}


def _claimed_by_the_worker(session, post: Post) -> None:
    """The worker's claim, as tests/test_workflow_table.py forces it: a raw UPDATE, never committed."""
    session.execute(text("UPDATE posts SET state = 'publishing', claim_token = 'forced', claimed_until = scheduled_at, "
                         "version = version + 1 WHERE id = :id"), {"id": post.id})
    session.expire_all()
    assert session.get(Post, post.id).state is State.publishing


# The engine --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("state", ACCEPTED)
@pytest.mark.parametrize(("action", "target"), TAKING_BACK)
def test_the_cabinet_takes_back_what_it_accepted_in_one_audited_step(make, db_session, cast, state, action, target):
    post = _accepted(make, cast, state)
    slot = post.scheduled_at
    assert (slot is not None) == (state is State.scheduled)
    assert {Action.request_changes, Action.decline} <= _offered(post, cast.cabinet)
    assert {Action.request_changes, Action.decline} <= _offered(post, cast.colleague), "any member of the cabinet"
    before = _trail(db_session, post)

    entry = ops.act_on_post(db_session, post, action, cast.cabinet, expected_version=post.version, comment=WHY)

    assert post.state is target
    assert (post.scheduled_at, post.next_attempt_at, post.held_at, post.held_by_stop_id) == (None, None, None, None)
    trail = _trail(db_session, post)
    assert len(trail) == len(before) + 1, "one change, one audit row: the slot is dropped within it"
    row = trail[-1]
    assert (row.action, row.from_state, row.to_state, row.actor_id, row.comment) == (
        action, state, target, cast.cabinet.id, WHY)
    assert row.payload.get("dropped_slot") == (slot.isoformat() if slot is not None else None)
    assert entry.payload.get("dropped_slot") == row.payload.get("dropped_slot")
    assert audit.verify_chain(db_session).broken is None
    # The cabinet still sees what it sent back or declined, with its reason in the discussion.
    db_session.expire_all()
    assert ops.load_post(db_session, cast.cabinet, post.id).state is target
    assert [c.body for c in post.comments][-1] == WHY


def test_a_held_post_the_cabinet_takes_back_is_no_longer_held(make, db_session, cast):
    """A post a stop switch or an embargo holds is still ``scheduled``: taken back, its hold goes with its slot."""
    post = _accepted(make, cast, State.scheduled)
    post.held_at = utcnow()  # as the worker records a hold it found (an embargo's: no switch named)
    db_session.flush()

    ops.act_on_post(db_session, post, Action.request_changes, cast.cabinet, expected_version=post.version,
                    comment=WHY)

    assert (post.state, post.scheduled_at, post.held_at) == (State.changes_requested, None, None)


def test_a_missed_slot_is_forgotten_with_the_acceptance(make, db_session, cast):
    """A post whose slot passed is back in ``approved`` with ``missed_at``: taken back, it is no longer listed as a
    missed slot waiting for a new time (nor once approved again after its changes)."""
    post = _accepted(make, cast, State.approved)
    post.missed_at = utcnow() - timedelta(hours=1)  # as the worker's ``miss`` leaves it
    db_session.flush()

    ops.act_on_post(db_session, post, Action.request_changes, cast.cabinet, expected_version=post.version,
                    comment=WHY)

    assert (post.state, post.missed_at) == (State.changes_requested, None)


@pytest.mark.parametrize("state", ACCEPTED)
@pytest.mark.parametrize(("action", "_target"), TAKING_BACK)
@pytest.mark.parametrize("comment", [None, "", "  \n", "\u200b"])
def test_taking_back_needs_a_reason(make, db_session, cast, state, action, _target, comment):
    post = _accepted(make, cast, state)
    before = (post.version, post.scheduled_at, len(_trail(db_session, post)))

    with pytest.raises(GuardFailed) as refused:
        ops.act_on_post(db_session, post, action, cast.cabinet, expected_version=post.version, comment=comment)

    assert refused.value.errors["comment"]
    assert post.state is state
    assert (post.version, post.scheduled_at, len(_trail(db_session, post))) == before


@pytest.mark.parametrize("state", ACCEPTED)
@pytest.mark.parametrize(("action", "_target"), TAKING_BACK)
def test_the_cabinet_of_another_executive_may_not(make, db_session, cast, state, action, _target):
    post = _accepted(make, cast, state)
    assert _offered(post, cast.other_cabinet) == set()
    with pytest.raises(NotPermitted):
        ops.act_on_post(db_session, post, action, cast.other_cabinet, expected_version=post.version, comment=WHY)
    assert post.state is state


@pytest.mark.parametrize("state", ACCEPTED)
@pytest.mark.parametrize(("action", "_target"), TAKING_BACK)
@pytest.mark.parametrize("who", ["pm", "other_pm"])
def test_a_project_manager_may_not_use_the_cabinets_rows(make, db_session, cast, state, action, _target, who):
    """Neither the project manager who approved and scheduled it nor another: their way is still to unschedule it or
    to edit it back to review."""
    post = _accepted(make, cast, state)
    pm = getattr(cast, who)
    assert action not in _offered(post, pm)
    with pytest.raises(NotPermitted):
        ops.act_on_post(db_session, post, action, pm, expected_version=post.version, comment=WHY)
    assert post.state is state


@pytest.mark.parametrize(("action", "_target"), TAKING_BACK)
def test_once_the_worker_claimed_it_it_is_too_late_and_the_refusal_says_so(make, db_session, cast, action, _target):
    post = _accepted(make, cast, State.scheduled)
    _claimed_by_the_worker(db_session, post)
    post = db_session.get(Post, post.id)

    assert _offered(post, cast.cabinet) == set()
    with pytest.raises(InvalidTransition) as refused:
        ops.act_on_post(db_session, post, action, cast.cabinet, expected_version=post.version, comment=WHY)
    assert "Too late" in refused.value.message
    assert "Too late" in refused.value.errors[WORKFLOW][0]
    assert post.state is State.publishing


def test_the_author_hears_of_it_and_the_news_of_the_slot_is_settled(make, db_session, cast):
    post = _accepted(make, cast, State.scheduled)
    told = select(Notification.kind, Notification.read_at.is_(None)).where(
        Notification.post_id == post.id, Notification.user_id == cast.author.id).order_by(Notification.id)
    assert (NotificationKind.scheduled, True) in list(db_session.execute(told))

    ops.act_on_post(db_session, post, Action.request_changes, cast.cabinet, expected_version=post.version,
                    comment=WHY)

    db_session.expire_all()
    news = [tuple(row) for row in db_session.execute(told)]
    assert (NotificationKind.scheduled, False) in news, "the slot it announced is gone: settled"
    assert news[-1] == (NotificationKind.changes_requested, True)


@pytest.mark.parametrize(("action", "_target"), TAKING_BACK)
def test_the_project_manager_who_scheduled_it_hears_of_it(make, db_session, cast, action, _target):
    post = _accepted(make, cast, State.scheduled)
    ops.act_on_post(db_session, post, action, cast.cabinet, expected_version=post.version, comment=WHY)
    db_session.expire_all()
    told = db_session.scalars(select(Notification.kind).where(
        Notification.post_id == post.id, Notification.user_id == cast.pm.id, Notification.action == action.value,
        Notification.read_at.is_(None)))
    assert list(told) == [NotificationKind.cabinet_decided]


# The API -----------------------------------------------------------------------------------------------------------


def _api(app, db_session, user) -> ApiClient:  # noqa: ANN001
    _token, secret = issue_token(db_session, user, "tests")
    db_session.flush()
    return ApiClient(app, secret, user)


@pytest.mark.parametrize("state", ACCEPTED)
@pytest.mark.parametrize(("action", "target"), TAKING_BACK)
def test_the_api_takes_them_with_the_same_rules(app, make, db_session, cast, state, action, target):
    post = _accepted(make, cast, state)
    cabinet = _api(app, db_session, cast.cabinet)

    assert_error(cabinet.act(post, action.value), 422, "comment")
    assert_error(_api(app, db_session, cast.pm).act(post, action.value, comment=WHY), 403)
    assert_error(_api(app, db_session, cast.other_cabinet).post(
        f"/posts/{post.id}/transitions", {"action": action.value, "comment": WHY}, if_match='"0"'), 404)

    answer = cabinet.act(post, action.value, comment=WHY)
    assert answer.status_code == 200, answer.get_json()
    assert (answer.get_json()["state"], answer.get_json()["scheduled_at"]) == (target.value, None)
    trail = cabinet.get(f"/posts/{post.id}/transitions").get_json()["items"]
    assert (trail[-1]["action"], trail[-1]["from_state"], trail[-1]["to_state"], trail[-1]["comment"]) == (
        action.value, state.value, target.value, WHY)
    assert [row["from_state"] for row in trail].count(state.value) == 1, "one row left the accepted state"


def test_the_api_says_it_is_too_late_once_the_worker_claimed_it(app, make, db_session, cast):
    post = _accepted(make, cast, State.scheduled)
    _claimed_by_the_worker(db_session, post)
    answer = _api(app, db_session, cast.cabinet).act(post, "decline", comment=WHY)
    body = assert_error(answer, 409, WORKFLOW)
    assert "Too late" in body["message"]


# The post page -----------------------------------------------------------------------------------------------------


def _button(page: str, action: str) -> str | None:
    found = re.search(rf'<button[^>]*class="[^"]*action-{action}\b[^>]*>', page)
    return found.group(0) if found else None


@pytest.mark.parametrize("state", ACCEPTED)
def test_the_post_page_offers_the_cabinet_to_take_it_back_and_asks_before_declining(make, db_session, cast, web,
                                                                                   state):
    post = _accepted(make, cast, state)
    web.login(cast.cabinet)
    page = web.get(f"/posts/{post.id}").get_data(as_text=True)

    sending_back, declining = _button(page, "request_changes"), _button(page, "decline")
    assert sending_back is not None and declining is not None
    assert "data-confirm=" in declining and "data-needs-comment" in declining
    assert "data-needs-comment" in sending_back
    assert 'name="comment"' in page

    refused = web.post(f"/posts/{post.id}/actions/decline", {"version": post.version})
    assert refused.status_code == 422
    done = web.post(f"/posts/{post.id}/actions/decline", {"version": post.version, "comment": WHY})
    assert done.status_code == 302
    db_session.expire_all()
    assert db_session.get(Post, post.id).state is State.declined
    assert web.get(f"/posts/{post.id}").status_code == 200


@pytest.mark.parametrize("state", ACCEPTED)
def test_the_post_page_offers_them_to_no_one_else(make, db_session, cast, web, state):
    post = _accepted(make, cast, state)
    web.login(cast.pm)
    page = web.get(f"/posts/{post.id}").get_data(as_text=True)
    assert _button(page, "request_changes") is None and _button(page, "decline") is None
    assert web.post(f"/posts/{post.id}/actions/request_changes",
                    {"version": post.version, "comment": WHY}).status_code == 403
    db_session.expire_all()
    assert db_session.get(Post, post.id).state is state


# The worker --------------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def committed(backend, databases, tmp_path_factory):
    """An app on a database of its own: the worker commits, as in tests/test_worker.py."""
    url = databases.migrated_url(backend)
    app = create_app({"TESTING": True, "DATABASE_URL": url, "SECRET_KEY": "test", "PUBLISH_QUOTAS": {}})
    app.instance_path = str(tmp_path_factory.mktemp("instance"))
    return app


_WORLDS = itertools.count(1)


@pytest.mark.parametrize(("action", "target"), TAKING_BACK)
def test_the_worker_never_publishes_what_the_cabinet_took_back(committed, action, target):
    with committed.app_context():
        with committed.extensions["approval.db"]["sessionmaker"]() as session:
            make = Factory(session)
            make.counter = next(_WORLDS) * 41
            cast = _cast(make)
            controls.connect_account(session, cast.account, "outbox")
            slot = utcnow() + timedelta(minutes=5)
            post = make.post(State.approved, account=cast.account, author=cast.author, reviewer=cast.pm)
            make.act(post, Action.schedule, cast.pm, scheduled_at=slot)
            session.commit()

            make.act(post, action, cast.cabinet, comment=WHY)
            session.commit()  # on PostgreSQL, the deferred trigger checks the state change has its audit row

            for late in (timedelta(seconds=1), timedelta(minutes=2)):
                Worker(committed, clock=lambda late=late: slot + late).run(once=True)
            session.expire_all()
            assert session.get(Post, post.id).state is target
            assert session.scalar(select(func.count()).where(OutboxMessage.post_id == post.id)) == 0
            actions = [row.action for row in _trail(session, post)]
            assert actions[-2:] == [Action.schedule, action], "no claim, no hold, no miss: nothing after it"
            assert audit.verify_chain(session).broken is None
