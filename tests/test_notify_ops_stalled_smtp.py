"""A stalled mail server must not hold up publishing: the publishing worker's share of the notifications
(``service.deliver``) gives its mail pass a time budget, stops at the first connection that fails or times out, and
leaves the rest of the queue for a later pass, which waits a while before calling that server again.

The stalled server is real: a socket on 127.0.0.1 that accepts connections and never says a word (an SMTP server
greets first, so the client waits for nothing). The mails then go out through a real SMTP server (aiosmtpd)."""

from __future__ import annotations

import itertools
import socket
import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from approval.db import utcnow
from approval.models.notifications import Notification
from approval.models.notifications import NotificationKind as Kind
from approval.notifications import service
from approval.notifications.mailer import SmtpSettings
from approval.workflow.states import Role, State
from tests.conftest import Factory, app_session, committed_app, numbered_factory
from tests.notification_helpers import SmtpServer


class SilentServer:
    """Accepts TCP connections on 127.0.0.1 and never answers: a mail server stalled after its accept."""

    def __init__(self) -> None:
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(64)
        self.port = self.listener.getsockname()[1]
        self.accepted: list[socket.socket] = []
        self.thread = threading.Thread(target=self._accept, daemon=True)

    def _accept(self) -> None:
        while True:
            try:
                connection, _address = self.listener.accept()
            except OSError:
                return
            self.accepted.append(connection)  # kept open, silent

    @property
    def url(self) -> str:
        # The operator's timeout (30 s) is longer than the worker's budget: the budget must win.
        return f"smtp://127.0.0.1:{self.port}?from=approval@helio.example&timeout=30"

    def __enter__(self) -> SilentServer:
        self.thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.listener.close()
        for connection in self.accepted:
            connection.close()


@pytest.fixture(scope="module")
def silent():
    with SilentServer() as server:
        yield server


@pytest.fixture(scope="module")
def smtp():
    with SmtpServer() as server:
        yield server


@pytest.fixture(scope="module")
def world(backend, databases, tmp_path_factory, silent):
    return committed_app(databases, backend, tmp_path_factory, SMTP_URL=silent.url)


@pytest.fixture()
def session(world):
    world.extensions.pop("approval.notifier", None)  # each test starts with a worker that never sent a mail
    yield from app_session(world)


_TESTS = itertools.count(1)


@pytest.fixture()
def make(session) -> Factory:
    return numbered_factory(session, _TESTS, 53)


@pytest.fixture()
def budget(monkeypatch):
    """A short budget keeps the test quick; the rule is the same at the default's 5 s."""
    monkeypatch.setattr(service, "MAIL_BUDGET_S", 1.0)
    return 1.0


def twelve_reviewers(make, session):
    """A post in review in a market of twelve project managers: twelve mails, one each."""
    market = make.market(None)
    pms = [make.user(Role.project_manager, markets=[market]) for _ in range(12)]
    post = make.post(State.in_review, account=make.account(market),
                     author=make.user(Role.community_manager, markets=[market]))
    session.commit()
    return post, pms


def deliver(world, session, clock) -> None:
    """The worker's share of a pass; the test's session first ends its transaction (SQLite: it would hold the lock)."""
    session.commit()
    service.deliver(world, clock)


def rows_of(session, post):
    session.expire_all()
    return session.scalars(select(Notification).where(Notification.post_id == post.id,
                                                      Notification.kind == Kind.review_requested)).all()


def test_a_stalled_mail_server_holds_the_worker_no_longer_than_the_budget(world, session, make, silent, budget):
    post, pms = twelve_reviewers(make, session)
    now = utcnow()
    before = len(silent.accepted)
    started = time.monotonic()
    deliver(world, session, lambda: now)
    took = time.monotonic() - started
    # Twelve mails, each waiting 30 s for a greeting, held the worker six minutes; now one budget, with room for a
    # loaded machine's reminders and chat, far under one greeting's 30 s.
    assert took < budget + 4.0, took
    assert len(silent.accepted) - before == 1  # stopped at the first connection that timed out
    rows = rows_of(session, post)
    assert len(rows) == 12 and all(n.mail_sent_at is None for n in rows)
    # The mail that timed out counts a try; the others were never tried: back in the queue, free, untouched.
    tried = [n for n in rows if n.mail_attempts == 1]
    assert len(tried) == 1 and "timed out" in (tried[0].mail_error or "")
    assert all(n.mail_claim is None and n.mail_claimed_until is None for n in rows)
    assert all(n.mail_attempts == 0 and n.mail_error is None for n in rows if n not in tried)

    # The worker's next passes, a second later, leave that server alone for a while: no wait at all.
    started = time.monotonic()
    deliver(world, session, lambda: now + timedelta(seconds=1))
    assert time.monotonic() - started < 0.5
    assert len(silent.accepted) - before == 1


def test_the_mails_left_go_on_a_later_pass_once_the_server_answers(world, session, make, silent, smtp, budget):
    post, pms = twelve_reviewers(make, session)
    now = utcnow()
    deliver(world, session, lambda: now)
    # The operator fixes the mail server; the worker's later passes send every mail, each once. (Each pass has its
    # budget: on a loaded machine one may not hold them all, and what it leaves goes on the next.)
    world.extensions["approval.notifier"].mailer.settings = SmtpSettings.from_url(smtp.url)
    smtp.take()
    mine = {pm.email for pm in pms}
    received: list[str] = []
    for minutes in range(10, 20):
        deliver(world, session, lambda minutes=minutes: now + timedelta(minutes=minutes))
        received += [m.to[0] for m in smtp.take() if m.to[0] in mine]  # (the earlier tests' mails go too)
        if all(n.mail_sent_at is not None for n in rows_of(session, post)):
            break
    assert sorted(received) == sorted(mine)
    assert all(n.mail_sent_at is not None and n.mail_claim is None for n in rows_of(session, post))


def test_the_budget_stops_a_pass_between_mails(world, session, make, smtp, monkeypatch):
    """A server that answers, slowly: the pass sends what fits in its budget, and leaves the rest, unclaimed. The
    mail begun when the time ran out runs to the server's answer: cut short, a mail the server had taken would be
    counted failed and sent again."""
    # The earlier tests' mails (the stalled server's) would go first and spend the budget: out of this pass.
    session.execute(update(Notification).where(Notification.mail_sent_at.is_(None))
                    .values(mail_sent_at=utcnow(), mail_error="an earlier test's"))
    session.commit()
    post, pms = twelve_reviewers(make, session)
    monkeypatch.setattr(service, "MAIL_BUDGET_S", 1.0)  # 12 mails take 2.4 s
    original = smtp.handle_DATA

    async def slow(server, session_, envelope):  # noqa: ANN001, ANN202 - aiosmtpd's hook
        time.sleep(0.2)  # the server takes a fifth of a second per mail
        return await original(server, session_, envelope)

    monkeypatch.setattr(smtp, "handle_DATA", slow)
    notifier = world.extensions["approval.notifier"] = service.Notifier(world)  # the worker's, on that server
    notifier.mailer.settings = SmtpSettings.from_url(smtp.url)
    smtp.take()
    started = time.monotonic()
    deliver(world, session, utcnow)
    assert time.monotonic() - started < 1.0 + 1.0  # the budget, the mail begun at its end, the goodbye
    mine = {pm.email for pm in pms}
    received = len([m for m in smtp.take() if m.to[0] in mine])
    rows = rows_of(session, post)
    sent = [n for n in rows if n.mail_sent_at is not None]
    # The others were never tried: free at once, their tries untouched.
    untried = [n for n in rows if n.mail_sent_at is None and n.mail_attempts == 0]
    assert 1 <= len(sent) < 12 and len(sent) + len(untried) == 12
    assert received == len(sent)  # each mail the server took is marked sent: none to be sent again
    assert all(n.mail_claim is None for n in rows)
