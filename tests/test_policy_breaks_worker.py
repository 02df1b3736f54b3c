"""The posts the desk lists as refused by the policy in force are exactly those the publishing worker fails at their
slot for it, and the others go out: the list and the worker check with the same gate, on each backend."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
from sqlalchemy import select

from approval import policies
from approval.db import utcnow
from approval.models import AuditEntry, Post
from approval.publishing import controls
from approval.publishing.worker import Worker
from approval.workflow.states import Action, Role, State
from tests.conftest import Factory, app_session, committed_app, numbered_factory

#: Each text, and whether the policy saved after its approval refuses it.
TEXTS = {
    "Notre rapport annuel paraît demain sur notre site.": True,  # a forbidden term
    "Victoire ce soir\u00a0!!!": True,  # exclamation marks: a warning made an error
    "VICTOIRE CE SOIR POUR TOUTE L'ÉQUIPE DE FRANCE.": False,  # shouting: still a warning
    "Malgré la grève, nos boutiques restent ouvertes samedi.": False,  # a sensitive term: a warning
    "La Tour Eiffel brille ce soir aux couleurs de l'équipe gagnante.": False,
}


@pytest.fixture(scope="module")
def world(backend, databases, tmp_path_factory):
    """An app on a database of its own (the worker commits)."""
    return committed_app(databases, backend, tmp_path_factory, PUBLISH_QUOTAS={})


_TESTS = itertools.count(1)


@pytest.fixture()
def session(world):
    yield from app_session(world)


@pytest.fixture()
def make(session) -> Factory:
    return numbered_factory(session, _TESTS, 41)


def test_the_posts_listed_are_those_the_worker_fails_for_the_policy_and_no_others(world, session, make):
    market = make.market(None)
    pm = make.user(Role.project_manager, markets=[market])
    slot = utcnow() + timedelta(minutes=5)
    posts: dict[int, bool] = {}
    for body, refused in TEXTS.items():
        account = make.account(market)  # one post per account: a pass takes them all
        controls.connect_account(session, account, "outbox")
        post = make.post(State.approved, account=account, body=body, reviewer=pm)
        make.act(post, Action.schedule, pm, scheduled_at=slot)
        posts[post.id] = refused
    in_review = make.post(State.in_review, account=account, body=next(iter(TEXTS)))
    policies.save_policy(session, market, make.user(Role.admin),
                         forbidden=[{"phrase": "rapport annuel", "reason": "Say “bilan”."}],
                         sensitive=[{"phrase": "grève", "reason": "A strike is on."}],
                         rules={"typo.exclamations": "error"})
    session.commit()

    breaks = policies.refused_in_market(session, market)
    listed = {refused.post.id for refused in breaks.on_their_way}
    assert listed == {post_id for post_id, refused in posts.items() if refused}
    assert [refused.post.id for refused in breaks.in_review] == [in_review.id]

    session.commit()
    worker = Worker(world, clock=lambda: slot + timedelta(seconds=1), batch=1)
    with world.app_context():
        while worker.run(once=True).handled:  # a post a pass, until none is left due
            pass
    session.expire_all()
    states = dict(session.execute(select(Post.id, Post.state).where(Post.id.in_(posts))).all())
    assert {post_id for post_id, state in states.items() if state is State.failed} == listed
    assert {post_id for post_id, state in states.items() if state is State.published} == set(posts) - listed
    for post_id in listed:
        failure = session.scalars(select(AuditEntry).where(AuditEntry.post_id == post_id)
                                  .order_by(AuditEntry.id.desc())).first()
        assert failure.action is Action.fail
        assert "The style gate refuses it under the policy in force" in failure.comment
    assert session.get(Post, in_review.id).state is State.in_review
