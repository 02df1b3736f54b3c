"""A call's deadline (``addresses.deadline``) holds while its connection is still being opened. Its timer shuts the
call's socket when the time is up; a connection not opened by then had no socket to shut, and the call went on: its
connection was still waited for, for the step's own timeout (5 s for a chat call given 1 s), and once opened the
request was sent and its answer waited for, long after the deadline. Now the connection is opened within the time
left, and a socket handed over after the time is up is shut at once: nothing is sent.

Real parts: the webhook is a listening socket on 127.0.0.1 whose queue is full (listen(0) and one connection it never
accepts: the kernel drops the next connection's SYN, and the connect waits) and that reads what comes but never
answers. The one stand-in is ``socket.create_connection`` in the last tests: the real one, returning only after the
deadline has passed (a connection that completes just as the timer fires)."""

from __future__ import annotations

import http.client
import socket
import threading
import time
from collections.abc import Iterator

import pytest

from approval.notifications import chat
from approval.publishing.addresses import connection_to, deadline

#: Room for a loaded machine, on top of a deadline.
SLACK_S = 0.75


class Silent:
    """A listener on 127.0.0.1 that never answers: ``full`` keeps its queue full (nobody is let in) until ``open``;
    what the connections it let in sent is in ``received``."""

    def __init__(self) -> None:
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(0)
        self.port = self.listener.getsockname()[1]
        self.filler = socket.create_connection(("127.0.0.1", self.port), 2.0)  # its queue's one place, taken
        self.received = bytearray()
        self.accepted: list[socket.socket] = []
        self.ended = threading.Event()
        self.filler_in = threading.Event()

    def open(self, after: float = 0.0) -> None:
        """Let connections in from ``after`` seconds on (the filler's first), reading what each sends. Opened now,
        it returns once the filler is in: the queue has room, and the next connect is not dropped (its SYN sent
        again a second later, a second the tests would count against the call)."""
        threading.Thread(target=self._serve, args=(after,), daemon=True).start()
        if not after:
            assert self.filler_in.wait(5.0), "the listener let nobody in"

    def _serve(self, after: float) -> None:
        if self.ended.wait(after):
            return
        self.listener.settimeout(0.1)
        while not self.ended.is_set():
            try:
                accepted, _ = self.listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.accepted.append(accepted)
            self.filler_in.set()
            threading.Thread(target=self._read, args=(accepted,), daemon=True).start()

    def _read(self, accepted: socket.socket) -> None:
        accepted.settimeout(0.1)
        while not self.ended.is_set():
            try:
                chunk = accepted.recv(65536)
            except TimeoutError:
                continue
            except OSError:
                return
            if not chunk:
                return
            self.received += chunk

    def close(self) -> None:
        self.ended.set()
        for each in (self.filler, *self.accepted, self.listener):
            each.close()


@pytest.fixture()
def silent() -> Iterator[Silent]:
    server = Silent()
    try:
        yield server
    finally:
        server.close()


def test_a_chat_call_whose_connection_is_never_opened_ends_at_its_deadline(silent, monkeypatch):
    """The call has 1 s, each step 5 s: the connect, still waiting when the time is up, is not waited for longer."""
    monkeypatch.setattr(chat, "DEADLINE_S", 1.0)
    started = time.monotonic()
    with pytest.raises(OSError):
        chat.ChatSender.post(f"http://127.0.0.1:{silent.port}/hook", {"text": "x"})
    took = time.monotonic() - started
    assert took < 1.0 + SLACK_S, took


def test_a_chat_call_whose_connection_opens_after_its_deadline_sends_nothing(silent, monkeypatch):
    """The listener lets connections in after the deadline: the call does not go on through one (its request sent
    late, its answer waited for, a step at a time)."""
    monkeypatch.setattr(chat, "DEADLINE_S", 1.0)
    silent.open(after=1.3)
    started = time.monotonic()
    with pytest.raises((OSError, http.client.HTTPException)):
        chat.ChatSender.post(f"http://127.0.0.1:{silent.port}/hook", {"text": "x"})
    took = time.monotonic() - started
    assert took < 1.0 + SLACK_S, took
    time.sleep(2.5)  # when a connection still trying would have got in (the SYN sent again about 2 s on)
    assert bytes(silent.received) == b""


class ConnectsLate:
    """``socket.create_connection`` as it is, its connection handed over only ``late`` seconds after it was made."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, late: float) -> None:
        real = socket.create_connection
        self.made = 0

        def create_connection(address, *_args, **_kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
            # Opened whatever the time left (its own timeout, the deadline's, could end the connect first on a busy
            # machine, and this test would then not see a socket handed over late).
            made = real(address)
            self.made += 1
            time.sleep(late)
            return made

        monkeypatch.setattr(socket, "create_connection", create_connection)


def test_a_socket_handed_to_an_expired_deadline_is_shut_at_once(silent, monkeypatch):
    silent.open()
    connection = connection_to(f"http://127.0.0.1:{silent.port}/hook", timeout=5.0, allow_internal=True)
    late = ConnectsLate(monkeypatch, 0.6)
    started = time.monotonic()
    try:
        with deadline(connection, 0.3) as cut, pytest.raises((OSError, http.client.HTTPException)):
            connection.request("POST", "/hook", body=b"{}")
            connection.getresponse()
    finally:
        connection.close()
    took = time.monotonic() - started
    assert cut.is_set() and late.made == 1
    assert took < 0.6 + SLACK_S, took  # not the read's 5 s
    time.sleep(0.3)
    assert bytes(silent.received) == b""  # nothing sent through it


def test_a_chat_call_handed_its_connection_after_its_deadline_sends_nothing(silent, monkeypatch):
    silent.open()
    monkeypatch.setattr(chat, "DEADLINE_S", 0.3)
    ConnectsLate(monkeypatch, 0.6)
    started = time.monotonic()
    with pytest.raises((OSError, http.client.HTTPException)):
        chat.ChatSender.post(f"http://127.0.0.1:{silent.port}/hook", {"text": "x"})
    took = time.monotonic() - started
    assert took < 0.6 + SLACK_S, took
    time.sleep(0.3)
    assert bytes(silent.received) == b""


def test_a_deadline_already_past_opens_no_connection(silent, monkeypatch):
    silent.open()
    connection = connection_to(f"http://127.0.0.1:{silent.port}/hook", timeout=5.0, allow_internal=True)
    try:
        with deadline(connection, 0.05) as cut:
            time.sleep(0.2)  # the caller was busy: the time is up before the connection is opened
            with pytest.raises(OSError):
                connection.request("POST", "/hook", body=b"{}")
    finally:
        connection.close()
    assert cut.is_set()
    time.sleep(0.3)
    assert len(silent.accepted) <= 1  # the filler's, no other
    assert bytes(silent.received) == b""


def test_a_call_within_its_deadline_is_answered_as_before():
    """A webhook that answers at once: the deadline cuts nothing and the connection is opened as before."""
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Hook(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *_args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    connection = connection_to(f"http://127.0.0.1:{server.server_address[1]}/hook", timeout=5.0,
                               allow_internal=True)
    try:
        with deadline(connection, 2.0) as cut:
            connection.request("POST", "/hook", body=b"{}")
            assert connection.getresponse().status == 204
        assert not cut.is_set()
    finally:
        connection.close()
        server.shutdown()
        server.server_close()


class _TimerThatNeverRuns:
    """A deadline's timer on a machine too busy to run it in time: it never fires."""

    def __init__(self, _seconds: float, _function) -> None:  # noqa: ANN001
        self.daemon = True

    def start(self) -> None:
        pass

    def cancel(self) -> None:
        pass


def test_a_socket_handed_over_after_the_deadline_is_shut_even_when_its_timer_has_not_run(silent, monkeypatch):
    from approval.publishing import addresses

    silent.open()
    connection = connection_to(f"http://127.0.0.1:{silent.port}/hook", timeout=5.0, allow_internal=True)
    monkeypatch.setattr(addresses.threading, "Timer", _TimerThatNeverRuns)
    late = ConnectsLate(monkeypatch, 0.6)
    try:
        with deadline(connection, 0.3) as cut, pytest.raises((OSError, http.client.HTTPException)):
            connection.request("POST", "/hook", body=b"{}")
            connection.getresponse()
    finally:
        connection.close()
    assert cut.is_set() and late.made == 1
    time.sleep(0.3)
    assert bytes(silent.received) == b""  # nothing sent through it
