"""A stalled chat server holds the publishing worker no longer than the pass's budget: a webhook that fails is
called once a pass, the rest of its messages wait untried for the next, and each call's timeouts are cut to what
the pass has left."""

from __future__ import annotations

import time
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from approval.models.notifications import ChatMessage, MarketNotificationSettings
from approval.notifications.chat import ChatSender
from approval.workflow.states import Role, State
from tests.notification_helpers import ChatServer
from tests.test_notification_mail import make, session, smtp, world  # noqa: F401 - the module's committed world
from tests.test_notify_ops_stalled_smtp import SilentServer


@pytest.fixture(scope="module")
def silent():
    with SilentServer() as server:
        yield server


@pytest.fixture()
def stalled_market(make, session, silent):  # noqa: F811
    market = make.market(None, timezone="Europe/Paris")
    account = make.account(market)
    writer = make.user(Role.community_manager, markets=[market])
    session.add(MarketNotificationSettings(market_id=market.id,
                                           chat_webhook_url=f"http://127.0.0.1:{silent.port}/hook"))
    for _ in range(3):
        make.post(State.in_review, account=account, author=writer)  # three messages for its chat
    session.commit()
    return market


def _messages(session, market) -> list[SimpleNamespace]:  # noqa: F811, ANN001
    """The market's chat messages as they stand (read, then the transaction ended: the sender's next claim takes
    SQLite's write lock)."""
    session.expire_all()
    messages = [SimpleNamespace(attempts=m.attempts, claim=m.claim, claimed_until=m.claimed_until)
                for m in session.scalars(select(ChatMessage).where(ChatMessage.market_id == market.id))]
    session.commit()
    return messages


def test_a_stalled_webhook_is_called_once_within_the_budget_then_left_alone(world, session, stalled_market,  # noqa: F811
                                                                             silent):
    sender = ChatSender(world)  # the worker keeps one from pass to pass
    calls = len(silent.accepted)
    started = time.monotonic()
    report = sender.run_once(budget=1.5)
    assert time.monotonic() - started < 3.0  # the call's 5 s timeout and 15 s deadline cut to the budget
    time.sleep(0.2)  # the listener's thread has counted the connection
    assert len(silent.accepted) - calls == 1
    messages = _messages(session, stalled_market)
    assert report.failed == 1 and sorted(m.attempts for m in messages) == [0, 0, 1]
    assert all(m.claim is None and m.claimed_until is None for m in messages)  # free for the next pass
    # The next pass leaves the stalled webhook alone: its messages wait, untried.
    started = time.monotonic()
    assert sender.run_once(budget=1.5).failed == 0
    assert time.monotonic() - started < 1.0
    time.sleep(0.2)
    assert len(silent.accepted) - calls == 1
    assert sorted(m.attempts for m in _messages(session, stalled_market)) == [0, 0, 1]


def test_the_other_markets_chats_are_told_while_one_webhook_is_stalled(world, session, make, stalled_market,  # noqa: F811
                                                                       silent):
    sender = ChatSender(world)
    with ChatServer() as server:
        market = make.market(None, timezone="Europe/Paris")
        session.add(MarketNotificationSettings(market_id=market.id, chat_webhook_url=server.url("/hook/ok")))
        make.post(State.in_review, account=make.account(market))
        session.commit()
        calls = len(silent.accepted)
        for _ in range(3):  # the stalled webhook's messages come first: it may take one pass's budget, no more
            sender.run_once(budget=1.0)
        time.sleep(0.2)
        assert [b["path"] for b in server.take()] == ["/hook/ok"]
        assert len(silent.accepted) - calls == 1


def test_the_workers_share_of_the_notifications_waits_on_a_stalled_chat_no_longer_than_its_budget(
        world, session, stalled_market, silent, monkeypatch):  # noqa: F811
    from approval.notifications import service

    monkeypatch.setattr(service, "CHAT_BUDGET_S", 1.0)
    world.extensions.pop("approval.notifier", None)  # a worker's first pass
    calls = len(silent.accepted)
    started = time.monotonic()
    service.deliver(world)
    assert time.monotonic() - started < 4.0  # the chat's 5 s timeout cut to its budget (the mail has its own)
    time.sleep(0.2)
    assert len(silent.accepted) - calls == 1
