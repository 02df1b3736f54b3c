"""Who hears of a failed post depends on what failed. The account's configuration (it needs reconnecting: a 401, a
bad secret, an address that moved; deactivated; connected to nothing) is for the admins, who can fix accounts, and
the post's project managers: its community manager can do nothing about it, and the admins never heard. What the
network refused, or the text (the style gate), stays with the author and the project managers.

And a refusal made here, before anything left (the webhook's address on this server's own network, an address that
cannot be called), is no longer labelled "refused by the network". SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from approval import labels
from approval.db import utcnow
from approval.models import Outcome, Post
from approval.models.notifications import Notification
from approval.publishing import reasons
from approval.workflow import engine
from approval.workflow.states import Action, Role, State


@pytest.fixture()
def team(make):
    fr = make.market("FR")
    return {
        "cm": make.user(Role.community_manager, markets=[fr], name="Camille"),
        "pm": make.user(Role.project_manager, markets=[fr], name="Pierre"),
        "admin": make.user(Role.admin, name="Alice"),
        "account": make.account(fr),
    }


def failed(make, team, db_session, payload: dict, comment: str) -> list[str]:
    """A post scheduled by Pierre fails with ``payload``: who is told."""
    post = make.post(State.approved, account=team["account"], author=team["cm"], reviewer=team["pm"])
    make.act(post, Action.schedule, team["pm"], scheduled_at=utcnow() + timedelta(hours=1))
    engine.record_step(db_session, post, Action.fail, now=utcnow(), payload=payload, comment=comment)
    return told(db_session, post)


def told(db_session, post: Post) -> list[str]:
    db_session.expire_all()
    return sorted(n.user.name for n in db_session.scalars(
        select(Notification).where(Notification.post_id == post.id, Notification.kind == "failed")))


@pytest.mark.parametrize(("payload", "comment"), [
    ({"outcome": "needs_reconnect", "message": "HTTP 401 token expired"}, "HTTP 401 token expired"),
    ({"reasons": ["x"], "why": [reasons.reason(reasons.NOT_CONNECTED)]}, "The account is not connected."),
    ({"reasons": ["x"], "why": [reasons.reason(reasons.DEACTIVATED)]}, "The account is deactivated."),
    ({"outcome": "refused", "why": [reasons.reason(reasons.INTERNAL_ADDRESS, address="10.0.0.5", setting="S")]},
     "internal"),
], ids=["401", "not-connected", "deactivated", "internal-address"])
def test_a_configuration_failure_is_told_to_the_admins_and_the_project_managers(make, team, db_session, payload,
                                                                                 comment):
    assert failed(make, team, db_session, payload, comment) == ["Alice", "Pierre"]


@pytest.mark.parametrize(("payload", "comment"), [
    ({"outcome": "refused", "message": "HTTP 400 duplicate"}, "HTTP 400 duplicate"),
    ({"reasons": ["x"], "why": [reasons.reason(reasons.STYLE_GATE, findings=[])]}, "The style gate refuses it."),
    ({}, "HTTP 400."),
], ids=["network-refused", "style-gate", "words-alone"])
def test_other_failures_are_told_to_the_author_and_the_project_managers(make, team, db_session, payload, comment):
    assert failed(make, team, db_session, payload, comment) == ["Camille", "Pierre"]


def test_a_refusal_made_here_is_not_labelled_as_the_networks(app):
    here = {"id": reasons.INTERNAL_ADDRESS, "params": {"address": "10.0.0.5", "setting": "S"}, "findings": []}
    uncallable = {"id": reasons.UNCALLABLE_ADDRESS, "params": {"error": "no host"}, "findings": []}
    with app.test_request_context("/"):
        assert labels.attempt_outcome(Outcome.refused, None) == "refused by the network"
        assert labels.attempt_outcome(Outcome.refused, {"id": None}) == "refused by the network"
        assert labels.attempt_outcome(Outcome.refused, here) == "refused before sending: nothing left this server"
        assert labels.attempt_outcome(Outcome.refused, uncallable) == \
            "refused before sending: nothing left this server"
        assert labels.attempt_outcome(Outcome.needs_reconnect, None) == "the account needs reconnecting"
