"""A webhook's name is resolved once (``approval.publishing.addresses.connection_to``): the call goes to the address
its check accepted. A name server that answers a public address to the check and the server's own address a moment
later (DNS rebinding) must not lead a publishing webhook or a market's chat webhook inside.

The name server is the machine's resolver, ``socket.getaddrinfo``, answering as a hostile one would; the webhook
inside is a real HTTP server on 127.0.0.1 counting the calls it receives."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from approval.models import Outcome
from approval.notifications import chat
from approval.publishing.addresses import connection_to
from approval.publishing.connectors import Publication, WebhookConnector

#: A public address (the check accepts it); nothing here answers there.
PUBLIC = "93.184.216.34"
HOST = "hooks.rebinding.example"


@pytest.fixture()
def inside() -> Iterator[tuple[int, list[str]]]:
    """A webhook on the server's own network: (its port, the paths it was called on)."""
    calls: list[str] = []

    class Hook(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            calls.append(self.path)
            answer = b'{"id": "1", "url": "https://social.example/p/1"}'  # a 2xx without its url is unknown
            self.send_response(200)
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *_args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield server.server_address[1], calls
    finally:
        server.shutdown()


def resolver(monkeypatch: pytest.MonkeyPatch, *answers: object) -> list[object]:
    """The machine's resolver answers for ``HOST`` each of ``answers`` in turn (an address, a list of them, or an
    exception to raise), the last one from then on; returns what it answered, in order."""
    given: list[object] = []
    real = socket.getaddrinfo

    def answer(host, port, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
        if host != HOST:
            return real(host, port, *args, **kwargs)
        now = answers[min(len(given), len(answers) - 1)]
        given.append(now)
        if isinstance(now, BaseException):
            raise now
        return [(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (address, port))
                for address in (now if isinstance(now, list) else [now])]

    monkeypatch.setattr(socket, "getaddrinfo", answer)
    return given


@pytest.fixture()
def rebinding(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The resolver answers ``PUBLIC`` for ``HOST`` the first time, 127.0.0.1 every time after; returns the
    addresses it gave, in order."""
    given: list[str] = []
    real = socket.getaddrinfo

    def answer(host, port, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
        if host != HOST:
            return real(host, port, *args, **kwargs)
        address = PUBLIC if not given else "127.0.0.1"
        given.append(address)
        return [(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (address, port))]

    monkeypatch.setattr(socket, "getaddrinfo", answer)
    return given


def publication() -> Publication:
    return Publication(post_id=1, idempotency_key="k" * 32, account={"id": 1, "network": "x", "handle": "helio",
                                                                      "market": "FR"},
                       revision={"number": 1, "sha256": "0" * 64}, text="Bonjour.", media=[], scheduled_at=None)


def test_a_publishing_webhook_connects_to_the_address_its_check_accepted(inside, rebinding):
    port, calls = inside
    connector = WebhookConnector(f"http://{HOST}:{port}/hook", "secret", connect_timeout=0.5, read_timeout=1.0)
    result = connector.publish(publication())
    assert calls == []  # the second answer, the server's own address, was never asked for nor called
    assert rebinding == [PUBLIC]
    assert result.outcome is Outcome.temporary_error and "could not connect" in (result.message or "")


def test_a_chat_webhook_connects_to_the_address_its_check_accepted(inside, rebinding, monkeypatch):
    port, calls = inside
    monkeypatch.setenv("APPROVAL_WEBHOOK_PRIVATE_ADDRESSES", "0")  # the tests' default allows them
    monkeypatch.setattr(chat, "TIMEOUT_S", 0.5)
    with pytest.raises(OSError):
        chat.ChatSender.post(f"http://{HOST}:{port}/hook", {"text": "x"})
    assert calls == [] and rebinding == [PUBLIC]


def test_a_pinned_https_connection_still_speaks_tls_to_its_hosts_name(inside):
    """Pinning replaces how the socket is opened, not the TLS over it: an HTTPS call to a server speaking plain HTTP
    fails its handshake instead of going out in clear, and the ``Host`` (the name the certificate is checked
    against) stays the URL's."""
    import ssl

    port, calls = inside
    connection = connection_to(f"https://localhost:{port}/hook", timeout=2.0, allow_internal=True)
    assert (connection.host, connection.port) == ("localhost", port)
    with pytest.raises(ssl.SSLError):
        connection.request("POST", "/hook", body=b"{}")
    connection.close()
    assert calls == []


def test_a_name_that_fails_to_resolve_first_is_never_resolved_again_to_connect(inside, monkeypatch):
    """The name server refuses the first question and answers 127.0.0.1 to the next: nothing is called, for the
    publishing webhook (a temporary error, to try later) and the chat alike."""
    port, calls = inside
    given = resolver(monkeypatch, socket.gaierror(socket.EAI_NONAME, "no such name"), "127.0.0.1")
    result = WebhookConnector(f"http://{HOST}:{port}/hook", "secret", connect_timeout=0.5).publish(publication())
    assert result.outcome is Outcome.temporary_error and "does not resolve" in (result.message or "")
    monkeypatch.setenv("APPROVAL_WEBHOOK_PRIVATE_ADDRESSES", "0")
    with pytest.raises(OSError):
        chat.ChatSender.post(f"http://{HOST}:{port}/hook", {"text": "x"})
    assert calls == [] and len(given) == 2  # one question per call, never a second one to connect


def test_a_name_with_several_addresses_tries_the_next_one_checked(inside, monkeypatch):
    """A host whose first address does not answer (a dead server of a round robin) is reached at its next one, as
    before the addresses were pinned; every one of them was checked first."""
    port, calls = inside
    resolver(monkeypatch, ["127.0.0.2", "127.0.0.1"])  # the server listens on 127.0.0.1 only: .2 refuses at once
    result = WebhookConnector(f"http://{HOST}:{port}/hook", "secret", connect_timeout=1.0,
                              allow_internal=True).publish(publication())
    assert result.outcome is Outcome.published and calls == ["/hook"]
    refused = WebhookConnector(f"http://{HOST}:{port}/hook", "secret", connect_timeout=1.0).publish(publication())
    assert refused.outcome is Outcome.refused and "127.0.0.2" in (refused.message or "")  # the first internal one


@pytest.mark.parametrize(("address", "public"), [
    ("93.184.216.34", True), ("2606:4700:4700::1111", True), ("64:ff9b::5db8:d822", True),
    ("127.0.0.1", False), ("10.0.0.5", False), ("169.254.169.254", False), ("::1", False),
    ("::ffff:127.0.0.1", False), ("64:ff9b::a00:5", False), ("64:ff9b:1::1", False), ("2002:7f00:1::", False),
    ("2002:a00:5::1", False), ("fec0::1", False), ("fe80::1", False), ("fd00::1", False),
])
def test_an_ipv6_address_that_carries_an_internal_ipv4_one_is_internal(address, public):
    import ipaddress

    from approval.publishing.addresses import is_public

    assert is_public(ipaddress.ip_address(address)) is public


@pytest.mark.parametrize("url", ["http://a b.example/hook", "http://" + "a" * 64 + ".example/", "http://x..example/",
                                 "http://x.example:99999/", "http://x.example:port/", "https://", "ftp://x.example/",
                                 "https://evil.example\\@hooks.example/"])
def test_an_address_no_call_could_reach_is_no_web_address(url):
    from approval.inputs import web_address

    assert web_address(url) is None
    assert web_address("https://hooks.example:8443/p?q=1") == "https://hooks.example:8443/p?q=1"


def test_a_chat_webhook_that_drips_its_answer_is_cut_at_the_calls_deadline(monkeypatch):
    """A webhook answering a byte at a time, each within the read timeout, would hold the chat sender past its
    claim's lease (another sender would say the message again): the whole call has a deadline."""
    import time

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    dripped: list[int] = []

    def drip() -> None:
        connection, _address = listener.accept()
        with connection:
            connection.recv(65536)
            try:
                for byte in b"HTTP/1.1 200 OK\r\nX-Slow: " + b"z" * 40:  # 40 bytes, 0.2 s apart: 8 s in all
                    connection.sendall(bytes([byte]))
                    dripped.append(byte)
                    time.sleep(0.2)
            except OSError:
                pass  # the sender hung up: what this test expects

    server = threading.Thread(target=drip, daemon=True)
    server.start()
    monkeypatch.setattr(chat, "DEADLINE_S", 1.0)
    with pytest.raises((OSError, chat.http.client.HTTPException)):
        chat.ChatSender.post(f"http://127.0.0.1:{listener.getsockname()[1]}/hook", {"text": "x"})
    server.join(timeout=15)
    listener.close()
    assert len(dripped) < 40  # cut before the answer's headers ever ended
