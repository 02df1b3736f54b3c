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
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, *_args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield server.server_address[1], calls
    finally:
        server.shutdown()


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
