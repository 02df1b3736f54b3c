"""The publishing worker, calling a webhook whose name server does not answer: the pass ends at the connection's
deadline (the connector's 5 s), not when the resolver gives up; the post was not sent, so it is tried again later
(never left unconfirmed), and what its attempt records says the address could not be resolved in time.

The worker, its database and the receiver are real (``publishing_helpers.WebhookServer`` on 127.0.0.1); only the
machine's resolver is replaced, for ``HOST`` (``test_dns_deadline.Resolver``)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import select

from approval.models import Outcome, PublicationAttempt
from approval.publishing import reasons
from approval.publishing.worker import Worker
from approval.workflow.states import State
from tests.publishing_helpers import WebhookServer, secret_for
from tests.test_dns_deadline import HOST, Resolver
from tests.test_worker import Scene, make, session, soon  # noqa: F401  (fixtures)
from tests.test_worker_in_flight import run, world  # noqa: F401  (world: a fixture)

#: The webhook connector's connection timeout (``WebhookConnector.connect_timeout``), which bounds the lookup.
CONNECT_S = 5.0


@pytest.fixture()
def hooks() -> Iterator[WebhookServer]:
    with WebhookServer() as server:
        yield server


@pytest.fixture()
def stalled(monkeypatch: pytest.MonkeyPatch) -> Iterator[Resolver]:
    resolver = Resolver(monkeypatch, CONNECT_S + 3.0)
    yield resolver
    resolver.ended.set()


def test_a_stalled_name_server_costs_the_worker_one_connection_timeout_and_is_tried_again(
        world, session, make, hooks, stalled):  # noqa: F811
    scene = Scene(world, session, make, connector="")
    # Written directly: the receiver speaks plain http, which a name off this machine is no longer set to (https
    # is, ``controls.check_webhook``); the worker's lookup is what is tested here.
    account = scene.account
    account.connector, account.connector_url, account.connector_secret = (
        "webhook", hooks.url_for(account.id).replace("127.0.0.1", HOST), secret_for(account.id))
    session.flush()
    post = scene.scheduled(slot := soon())
    started = time.monotonic()
    run(scene, Worker(scene.app, clock=lambda: slot + timedelta(seconds=1)))
    took = time.monotonic() - started
    assert took < CONNECT_S + 1.5, took  # not the resolver's CONNECT_S + 3
    post = scene.reload(post)
    # Nothing was sent: waiting for its next try, not unconfirmed.
    assert post.state is State.scheduled and post.next_attempt_at is not None, (post.state, post.next_attempt_at)
    attempt = session.scalars(select(PublicationAttempt).where(PublicationAttempt.post_id == post.id)).one()
    assert attempt.outcome is Outcome.temporary_error
    assert attempt.message == f"could not connect: {HOST}'s address could not be resolved within 5 s"
    assert (attempt.why or {}).get("id") == reasons.NO_CONNECTION
    stalled.wait_for_answer()
    assert hooks.per_post()[post.id] == 0 and stalled.asked == 1
