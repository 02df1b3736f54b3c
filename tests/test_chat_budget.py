"""A stalled chat server holds the publishing worker no longer than the pass's budget: a webhook that fails is
called once a pass, the rest of its messages wait untried for the next, and each call's timeouts are cut to what
the pass has left."""

from __future__ import annotations

import json
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from approval.db import utcnow
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


@pytest.fixture(autouse=True)
def short_timeout(monkeypatch):
    """A stalled webhook costs one call's whole timeout (1 s here, 5 s in production), then rests."""
    from approval.notifications import chat

    monkeypatch.setattr(chat, "TIMEOUT_S", 1.0)


def test_a_stalled_webhook_costs_one_call_then_rests(world, session, stalled_market, silent):  # noqa: F811
    sender = ChatSender(world)  # the worker keeps one from pass to pass
    calls = len(silent.accepted)
    started = time.monotonic()
    report = sender.run_once(budget=0.5)
    assert time.monotonic() - started < 2.0  # one call's timeout, then no call starts past the budget
    time.sleep(0.2)  # the listener's thread has counted the connection
    assert len(silent.accepted) - calls == 1
    messages = _messages(session, stalled_market)
    assert report.failed == 1 and sorted(m.attempts for m in messages) == [0, 0, 1]
    assert all(m.claim is None and m.claimed_until is None for m in messages)  # free for a later pass
    # The next passes leave the stalled webhook alone: its messages wait, untried, until the rest ends.
    started = time.monotonic()
    assert sender.run_once(budget=0.5).failed == 0 and ChatSender(world).run_once().failed == 0  # nor another process
    assert time.monotonic() - started < 1.0
    time.sleep(0.2)
    assert len(silent.accepted) - calls == 1
    assert sorted(m.attempts for m in _messages(session, stalled_market)) == [0, 0, 1]


def test_the_other_markets_chats_are_told_while_one_webhook_rests_whatever_its_queue(world, session, make, silent):  # noqa: F811
    """The resting webhook's messages are put back due at the rest's end: they no longer fill every claim ahead of
    the other markets' (a claim of 4 here stands for the default 50 with 50 messages waiting)."""
    stalled = make.market(None, timezone="Europe/Paris")
    session.add(MarketNotificationSettings(market_id=stalled.id,
                                           chat_webhook_url=f"http://127.0.0.1:{silent.port}/full"))
    account, writer = make.account(stalled), make.user(Role.community_manager, markets=[stalled])
    for _ in range(6):
        make.post(State.in_review, account=account, author=writer)
    sender = ChatSender(world, batch=4)
    with ChatServer() as server:
        market = make.market(None, timezone="Europe/Paris")
        session.add(MarketNotificationSettings(market_id=market.id, chat_webhook_url=server.url("/hook/ok")))
        make.post(State.in_review, account=make.account(market))
        session.commit()
        calls = len(silent.accepted)
        for _ in range(4):
            sender.run_once(budget=0.5)
        time.sleep(0.2)
        assert [b["path"] for b in server.take()] == ["/hook/ok"]
        assert len(silent.accepted) - calls == 1


class SlowWebhook:
    """A healthy webhook that answers 200 after ``delay`` seconds, keeping each body it took."""

    def __init__(self, delay: float) -> None:
        self.bodies: list[dict] = []
        taken = self.bodies

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                taken.append(json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0))))
                time.sleep(delay)
                self.send_response(200)
                self.end_headers()

            def log_message(self, *_args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"


def test_the_budget_never_cuts_a_call_a_webhook_is_answering(world, session, make):  # noqa: F811
    """A webhook answering in 0.7 s, three messages, a budget of 1 s: a call cut short would have been taken by the
    webhook, counted failed and sent again. Calls start while the budget lasts and run to their answer."""
    slow = SlowWebhook(0.7)
    market = make.market(None, timezone="Europe/Paris")
    session.add(MarketNotificationSettings(market_id=market.id, chat_webhook_url=slow.url()))
    account, writer = make.account(market), make.user(Role.community_manager, markets=[market])
    for _ in range(3):
        make.post(State.in_review, account=account, author=writer)
    session.commit()
    sender = ChatSender(world)
    for _ in range(3):
        assert sender.run_once(budget=1.0).failed == 0
    later = utcnow() + timedelta(hours=2)  # past any backoff
    ChatSender(world, clock=lambda: later).run_once()
    texts = [body["text"] for body in slow.bodies]
    assert len(texts) == 3 and len(set(texts)) == 3
    slow.server.shutdown()


def test_the_workers_share_of_the_notifications_waits_on_a_stalled_chat_one_call_at_most(
        world, session, stalled_market, silent, monkeypatch):  # noqa: F811
    from approval.notifications import service

    monkeypatch.setattr(service, "CHAT_BUDGET_S", 0.5)
    world.extensions.pop("approval.notifier", None)  # a worker's first pass
    calls = len(silent.accepted)
    started = time.monotonic()
    service.deliver(world)
    assert time.monotonic() - started < 3.0  # one call's timeout (the mail has its own budget)
    time.sleep(0.2)
    assert len(silent.accepted) - calls == 1
