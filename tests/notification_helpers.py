"""What the notification tests share: a real SMTP server (aiosmtpd) and a Slack-like chat webhook receiver, both
on 127.0.0.1, recording what they receive; and a module-scoped app on a committed database of its own (the senders
commit their claims, as in production)."""

from __future__ import annotations

import email
import email.policy
import json
import socket
import threading
from dataclasses import dataclass
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass(frozen=True)
class Received:
    to: tuple[str, ...]
    message: EmailMessage

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    def part(self, subtype: str) -> str:
        return self.message.get_body(preferencelist=(subtype,)).get_content()


class SmtpServer:
    """aiosmtpd on 127.0.0.1: keeps every accepted message; ``refuse(n)`` answers 451 to the next ``n`` ones."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.received: list[Received] = []
        self.refusals = 0
        self.refused = 0
        self.port = free_port()
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_DATA(self, _server, _session, envelope) -> str:  # noqa: ANN001 - aiosmtpd's hook
        with self.lock:
            if self.refusals > 0:
                self.refusals -= 1
                self.refused += 1
                return "451 4.3.0 Try again later"
            message = email.message_from_bytes(envelope.content, policy=email.policy.default)
            self.received.append(Received(tuple(envelope.rcpt_tos), message))
        return "250 Message accepted"

    def refuse(self, count: int) -> None:
        with self.lock:
            self.refusals = count

    def take(self) -> list[Received]:
        with self.lock:
            taken, self.received = self.received, []
            return taken

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}?from=approval@helio.example"

    def __enter__(self) -> SmtpServer:
        self.controller.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.controller.stop()


class ChatServer:
    """A Slack-compatible incoming webhook on 127.0.0.1: records each JSON body; ``fail(n)`` answers 500 n times."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.bodies: list[dict] = []
        self.failures = 0
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with server.lock:
                    if server.failures > 0:
                        server.failures -= 1
                        status = 500
                    else:
                        server.bodies.append({"path": self.path, "type": self.headers.get("Content-Type"),
                                              **json.loads(raw)})
                        status = 200
                self.send_response(status)
                self.send_header("Content-Type", "text/plain")
                self.end_headers()
                self.wfile.write(b"ok" if status == 200 else b"error")

            def log_message(self, *_args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}{path}"

    def fail(self, count: int) -> None:
        with self.lock:
            self.failures = count

    def take(self) -> list[dict]:
        with self.lock:
            taken, self.bodies = self.bodies, []
            return taken

    def __enter__(self) -> ChatServer:
        self.thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

