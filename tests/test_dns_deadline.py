"""A name server that does not answer holds a call no longer than the call's deadline. The name of a webhook (the
publishing connector's, a market's chat) and of the mail server is resolved within the time the call has: a lookup
that does not answer in time is a call that could not connect (nothing was sent), and its reason says so.

The name server is the machine's resolver, ``socket.getaddrinfo``, replaced for ``HOST`` by one that answers
127.0.0.1 only after ``STALL_S`` (longer than each deadline here); everything else is real: the webhook is an HTTP
server on 127.0.0.1 counting the calls it receives, the mail server aiosmtpd."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller
from test_webhook_rebinding import inside  # noqa: F401 - the local webhook (a fixture)

from approval.models import Outcome
from approval.notifications import chat
from approval.notifications.mailer import Deadline, SmtpConnection, SmtpSettings
from approval.publishing import reasons
from approval.publishing.addresses import InternalAddress, connection_to
from approval.publishing.connectors import Publication, WebhookConnector
from tests.notification_helpers import SmtpServer

HOST = "hooks.slow-resolver.example"
#: How long the stalled resolver takes to answer: longer than any deadline these tests give.
STALL_S = 3.0
#: Room for a loaded machine, on top of a deadline.
SLACK_S = 0.75


class Resolver:
    """The machine's resolver, answering 127.0.0.1 for ``HOST`` after ``delay`` seconds (other names as usual)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, delay: float) -> None:
        self.delay = delay
        self.asked = 0
        self.answered = 0
        self.ended = threading.Event()  # the test is over: a lookup still waiting answers at once
        real = socket.getaddrinfo

        def getaddrinfo(host, port, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
            if host != HOST:
                return real(host, port, *args, **kwargs)
            self.asked += 1
            self.ended.wait(self.delay)
            self.answered += 1
            return [(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", ("127.0.0.1", port))]

        monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)

    def wait_for_answer(self) -> None:
        """Until the stalled lookup has answered (then a call that would still use its answer would connect)."""
        deadline = time.monotonic() + self.delay + 2
        while self.answered < self.asked and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.2)


@pytest.fixture()
def stalled(monkeypatch: pytest.MonkeyPatch) -> Iterator[Resolver]:
    resolver = Resolver(monkeypatch, STALL_S)
    yield resolver
    resolver.ended.set()


def publication() -> Publication:
    return Publication(post_id=1, idempotency_key="d" * 32, account={"id": 1, "network": "x", "handle": "helio",
                                                                      "market": "FR"},
                       revision={"number": 1, "sha256": "0" * 64}, text="Bonjour.", media=[], scheduled_at=None)


# The publishing webhook -------------------------------------------------------------------------------------------


def test_a_stalled_lookup_ends_a_webhook_call_at_its_connection_deadline(inside, stalled):  # noqa: F811
    port, calls = inside
    connector = WebhookConnector(f"http://{HOST}:{port}/hook", "secret", connect_timeout=0.5, read_timeout=1.0,
                                 allow_internal=True)
    started = time.monotonic()
    result = connector.publish(publication())
    took = time.monotonic() - started
    assert took < 0.5 + SLACK_S, took  # not the resolver's STALL_S
    # Nothing was sent: a definite failure, tried again later; never unknown, for a person to confirm.
    assert result.outcome is Outcome.temporary_error, result
    assert result.why is not None and result.why["id"] == reasons.NO_CONNECTION
    assert result.message == f"could not connect: {HOST}'s address could not be resolved within 0.5 s"
    # The answer that came late is nobody's: no call went out with it.
    stalled.wait_for_answer()
    assert calls == [] and stalled.asked == 1


def test_a_slow_lookup_within_the_deadline_still_connects_and_is_still_checked(inside, monkeypatch):  # noqa: F811
    """A resolver slower than usual, but in time: the call goes on, to the address the check accepted, and the
    refusal of an address on the server's own network is as strict as ever."""
    port, calls = inside
    resolver = Resolver(monkeypatch, 0.2)
    url = f"http://{HOST}:{port}/hook"
    result = WebhookConnector(url, "secret", connect_timeout=2.0, allow_internal=True).publish(publication())
    assert result.outcome is Outcome.published and calls == ["/hook"]
    refused = WebhookConnector(url, "secret", connect_timeout=2.0).publish(publication())
    assert refused.outcome is Outcome.refused and "127.0.0.1" in (refused.message or "")
    assert calls == ["/hook"] and resolver.asked == 2  # one question a call, never a second one to connect
    with pytest.raises(InternalAddress):
        connection_to(url, timeout=2.0, allow_internal=False)


def test_a_lookup_that_fails_at_once_still_says_the_name_does_not_resolve(inside, monkeypatch):  # noqa: F811
    port, calls = inside
    real = socket.getaddrinfo

    def no_such_name(host, port, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
        if host != HOST:
            return real(host, port, *args, **kwargs)
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", no_such_name)
    result = WebhookConnector(f"http://{HOST}:{port}/hook", "secret", connect_timeout=0.5).publish(publication())
    assert result.outcome is Outcome.temporary_error and result.message == f"could not connect: {HOST} does not resolve"
    assert calls == []


# The market's chat ------------------------------------------------------------------------------------------------


def test_a_stalled_lookup_ends_a_chat_call_at_its_deadline(inside, stalled, monkeypatch):  # noqa: F811
    port, calls = inside
    monkeypatch.setattr(chat, "DEADLINE_S", 1.0)  # the whole call's; each step's own timeout (5 s) is longer
    started = time.monotonic()
    with pytest.raises(OSError, match=f"{HOST}'s address could not be resolved within 1 s"):
        chat.ChatSender.post(f"http://{HOST}:{port}/hook", {"text": "x"})
    took = time.monotonic() - started
    assert took < 1.0 + SLACK_S, took
    stalled.wait_for_answer()
    assert calls == [] and stalled.asked == 1


def test_a_chat_call_whose_lookup_took_time_has_only_the_rest_of_its_deadline(monkeypatch):
    """The lookup counts against the call's deadline: a webhook that accepts and never answers is cut at the
    deadline from the call's start, not from the end of the lookup."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    resolver = Resolver(monkeypatch, 0.6)
    monkeypatch.setattr(chat, "DEADLINE_S", 1.0)
    started = time.monotonic()
    try:
        with pytest.raises((OSError, chat.http.client.HTTPException)):
            chat.ChatSender.post(f"http://{HOST}:{listener.getsockname()[1]}/hook", {"text": "x"})
        took = time.monotonic() - started
    finally:
        resolver.ended.set()
        listener.close()
    assert resolver.asked == 1
    assert 0.9 < took < 1.0 + 0.3, took  # 0.6 s of lookup and 1 s of silence were 1.6 s


# The mail server --------------------------------------------------------------------------------------------------


class NamedSmtpServer(SmtpServer):
    """The helpers' SMTP server, giving its own name (aiosmtpd otherwise asks the resolver, which a test here
    stalls, for it on each connection)."""

    def __init__(self) -> None:
        super().__init__()
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port, server_hostname="mail.helio.example")


@pytest.fixture(scope="module")
def smtp() -> Iterator[SmtpServer]:
    with NamedSmtpServer() as server:
        yield server


def mail() -> EmailMessage:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "approval@helio.example", "pm@helio.example", "Hello"
    message.set_content("Hello.")
    return message


def test_a_stalled_lookup_ends_a_mail_pass_at_its_budget(smtp, stalled):
    """The operator's timeout (30 s) is longer than the worker's budget: the budget bounds the lookup too."""
    settings = SmtpSettings.from_url(f"smtp://{HOST}:{smtp.port}?from=approval@helio.example&timeout=30")
    deadline = Deadline(1.0)
    connection = SmtpConnection(settings, deadline)
    started = time.monotonic()
    try:
        with pytest.raises(OSError) as raised:
            connection.send(mail())
        took = time.monotonic() - started
    finally:
        deadline.close()
        connection.close()
    assert took < 1.0 + SLACK_S, took
    assert f"{HOST}'s address could not be resolved within" in str(raised.value)  # said in the mail's error
    stalled.wait_for_answer()
    assert smtp.take() == [] and stalled.asked == 1


def test_a_stalled_lookup_ends_a_mail_at_the_servers_timeout_without_a_budget(smtp, stalled):
    """``approval notify`` sends without a budget: the server's timeout bounds the lookup."""
    settings = SmtpSettings.from_url(f"smtp://{HOST}:{smtp.port}?from=approval@helio.example&timeout=1")
    connection = SmtpConnection(settings)
    started = time.monotonic()
    try:
        with pytest.raises(OSError, match=f"{HOST}'s address could not be resolved within 1 s"):
            connection.send(mail())
    finally:
        connection.close()
    assert time.monotonic() - started < 1.0 + SLACK_S
    stalled.wait_for_answer()
    assert smtp.take() == []


def test_a_mail_server_found_by_a_slow_lookup_gets_the_mail(smtp, monkeypatch):
    smtp.take()  # what earlier tests may have left
    resolver = Resolver(monkeypatch, 0.2)
    settings = SmtpSettings.from_url(f"smtp://{HOST}:{smtp.port}?from=approval@helio.example&timeout=5")
    connection = SmtpConnection(settings, deadline := Deadline(3.0))
    try:
        connection.send(mail())
    finally:
        deadline.close()
        connection.close()
    assert [m.to for m in smtp.take()] == [("pm@helio.example",)] and resolver.asked == 1


@pytest.fixture()
def stalled_reverse_lookup(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A reverse lookup of this machine (``socket.getfqdn``, which smtplib asks to name it in EHLO) that does not
    answer for ``STALL_S``, and a process that has not looked its name up yet."""
    from approval.notifications import mailer

    ended = threading.Event()
    real = socket.gethostbyaddr

    def gethostbyaddr(address):  # noqa: ANN001, ANN202
        ended.wait(STALL_S)
        return real(address)

    monkeypatch.setattr(socket, "gethostbyaddr", gethostbyaddr)
    monkeypatch.setattr(mailer, "_MACHINE_NAME", mailer._MachineName())
    yield
    ended.set()


def test_a_stalled_reverse_lookup_of_this_machine_does_not_hold_a_mail_pass(smtp, stalled_reverse_lookup):
    """smtplib asks for this machine's own name (``socket.getfqdn``: a reverse lookup, which has no timeout either)
    to say it in EHLO, on every connection: a name server that does not answer held the pass, even to a mail server
    given by its address. Found once, within the pass's time; until then the machine says its address (RFC 5321)."""
    smtp.take()
    settings = SmtpSettings.from_url(f"smtp://127.0.0.1:{smtp.port}?from=approval@helio.example&timeout=30")
    connection = SmtpConnection(settings, deadline := Deadline(1.0))
    started = time.monotonic()
    try:
        connection.send(mail())
        took = time.monotonic() - started
    finally:
        deadline.close()
        connection.close()
    assert took < 1.0 + SLACK_S, took
    assert [m.to for m in smtp.take()] == [("pm@helio.example",)]


@pytest.fixture()
def unanswering() -> Iterator[int]:
    """A port on 127.0.0.1 whose listener never accepts and whose backlog is full: a connection to it hangs."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    port = listener.getsockname()[1]
    fillers = []
    for _ in range(8):
        filler = socket.socket()
        filler.setblocking(False)
        try:
            filler.connect(("127.0.0.1", port))
        except BlockingIOError:
            pass
        fillers.append(filler)
    time.sleep(0.2)
    yield port
    for filler in fillers:
        filler.close()
    listener.close()


def test_a_late_lookup_then_a_connection_that_hangs_end_a_mail_pass_at_its_budget(unanswering, monkeypatch):
    """The lookup's time comes off the connection's: each attempt had the whole timeout (10 s here) after a lookup
    that took most of the budget, and no socket existed yet for the deadline to shut (9.8 s for a 5 s budget)."""
    resolver = Resolver(monkeypatch, 0.8)
    settings = SmtpSettings.from_url(f"smtp://{HOST}:{unanswering}?from=approval@helio.example&timeout=10")
    connection = SmtpConnection(settings, deadline := Deadline(1.5))
    started = time.monotonic()
    try:
        with pytest.raises(OSError):
            connection.send(mail())
        took = time.monotonic() - started
    finally:
        resolver.ended.set()
        deadline.close()
        connection.close()
    assert took < 1.5 + SLACK_S, took


def test_only_the_first_session_waits_for_this_machine_s_name(smtp, stalled_reverse_lookup):
    """A reverse lookup of this machine that never answers costs the first session its short wait, not every one
    after it (each waited 0.5 s of its pass's 5)."""
    from approval.notifications import mailer

    smtp.take()
    settings = SmtpSettings.from_url(f"smtp://127.0.0.1:{smtp.port}?from=approval@helio.example&timeout=30")
    took = []
    for _ in range(3):
        connection = SmtpConnection(settings)
        started = time.monotonic()
        connection.send(mail())
        took.append(time.monotonic() - started)
        connection.close()
    assert took[0] >= mailer.MACHINE_NAME_WAIT_S * 0.9, took
    assert max(took[1:]) < mailer.MACHINE_NAME_WAIT_S, took
    assert len(smtp.take()) == 3
