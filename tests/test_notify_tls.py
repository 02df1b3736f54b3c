"""Mail through a mail server that speaks TLS, as most do: TLS from the start (``smtps://``, port 465) or after
STARTTLS (``?starttls=1``, port 587). The servers are real (aiosmtpd on 127.0.0.1, or a socket that speaks TLS and
then answers a byte at a time), their certificate made here by a certificate authority of the test's own, which the
mailer trusts as an operator trusts a private one: through OpenSSL's ``SSL_CERT_FILE`` (the mailer checks the
server's certificate and name against the system's trusted authorities, ``ssl.create_default_context``)."""

from __future__ import annotations

import ipaddress
import itertools
import socket
import ssl
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from sqlalchemy import select, update

from approval.db import utcnow
from approval.models.notifications import Notification
from approval.models.notifications import NotificationKind as Kind
from approval.notifications.mailer import Mailer, SmtpSettings
from approval.workflow.states import Role, State
from tests.conftest import Factory, app_session, committed_app, numbered_factory
from tests.notification_helpers import SmtpServer, free_port


class Authority:
    """A certificate authority, and the certificate it signs for the mail server at 127.0.0.1 (and localhost)."""

    def __init__(self, folder: Path, name: str) -> None:
        now = datetime.now(UTC)
        key = ec.generate_private_key(ec.SECP256R1())
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"{name} test authority")])
        ca = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
              .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(hours=1))
              .not_valid_after(now + timedelta(days=2))
              .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
              .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                           content_commitment=False, key_encipherment=False, data_encipherment=False,
                                           key_agreement=False, encipher_only=False, decipher_only=False),
                             critical=True)
              .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
              .sign(key, hashes.SHA256()))
        server_key = ec.generate_private_key(ec.SECP256R1())
        server = (x509.CertificateBuilder()
                  .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "mail.helio.example")]))
                  .issuer_name(subject).public_key(server_key.public_key())
                  .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(hours=1))
                  .not_valid_after(now + timedelta(days=2))
                  .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
                  .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                                                              x509.DNSName("localhost")]), critical=False)
                  .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
                  .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(key.public_key()), critical=False)
                  .sign(key, hashes.SHA256()))
        self.ca_file = folder / f"{name}-ca.pem"
        self.ca_file.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
        self.chain_file = folder / f"{name}-server.pem"
        self.chain_file.write_bytes(server.public_bytes(serialization.Encoding.PEM) + server_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))

    def server_context(self) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.chain_file)
        return context


@pytest.fixture(scope="module")
def authority(tmp_path_factory) -> Authority:
    return Authority(tmp_path_factory.mktemp("tls"), "helio")


@pytest.fixture()
def trusted(authority, monkeypatch) -> Authority:
    """The operator's private authority, trusted as OpenSSL is told to (read at each connection)."""
    monkeypatch.setenv("SSL_CERT_FILE", str(authority.ca_file))
    return authority


class TlsSmtpServer(SmtpServer):
    """aiosmtpd speaking TLS from the start (``smtps``), or only after STARTTLS, which it then requires before any
    mail (``starttls``); it notes whether each mail came over TLS."""

    def __init__(self, authority: Authority, mode: str) -> None:
        super().__init__()
        self.over_tls: list[bool] = []
        tls = {"ssl_context": authority.server_context()} if mode == "smtps" else \
            {"tls_context": authority.server_context(), "require_starttls": True}
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port, **tls)
        self.mode = mode

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: ANN001 - aiosmtpd's hook
        self.over_tls.append(server.transport.get_extra_info("ssl_object") is not None)
        return await super().handle_DATA(server, session, envelope)

    @property
    def url(self) -> str:
        return url_for(self.mode, self.port)

    def __enter__(self) -> TlsSmtpServer:
        self.controller.start()
        return self


def url_for(mode: str, port: int, host: str = "127.0.0.1", timeout: float = 10) -> str:
    if mode == "smtps":
        return f"smtps://{host}:{port}?from=approval@helio.example&timeout={timeout:g}"
    return f"smtp://{host}:{port}?starttls=1&from=approval@helio.example&timeout={timeout:g}"


@pytest.fixture(scope="module")
def world(backend, databases, tmp_path_factory):
    return committed_app(databases, backend, tmp_path_factory)


@pytest.fixture()
def session(world):
    yield from app_session(world)


_TESTS = itertools.count(1)


@pytest.fixture()
def make(session) -> Factory:
    factory = numbered_factory(session, _TESTS, 61)
    factory.chosen_locale = "en"
    return factory


def waiting_review(make, session, reviewers: int = 1) -> tuple[list, list[int]]:
    """A post in review in a market of its own: one mail to each of its ``reviewers`` project managers, and no
    other mail due. Returns the managers and the rows' ids."""
    # The earlier tests' mails left unsent (the worker's pass put them back) are none of this test's business.
    session.execute(update(Notification).where(Notification.mail_sent_at.is_(None))
                    .values(mail_sent_at=utcnow(), mail_error="an earlier test's"))
    market = make.market(None)
    pms = [make.user(Role.project_manager, markets=[market]) for _ in range(reviewers)]
    post = make.post(State.in_review, account=make.account(market),
                     author=make.user(Role.community_manager, markets=[market]))
    session.commit()
    ids = session.scalars(select(Notification.id).where(Notification.post_id == post.id,
                                                        Notification.kind == Kind.review_requested)).all()
    assert len(ids) == reviewers
    session.commit()  # SQLite: an open transaction would hold the lock the mailer's claim needs
    return pms, list(ids)


def rows(session, ids: list[int]) -> list[Notification]:
    session.expire_all()
    found = list(session.scalars(select(Notification).where(Notification.id.in_(ids)).order_by(Notification.id)))
    session.commit()
    return found


@pytest.mark.parametrize("budget", [None, 5.0], ids=["notify", "worker"])
@pytest.mark.parametrize("mode", ["smtps", "starttls"])
def test_mail_goes_out_through_a_tls_server(world, session, make, trusted, mode, budget):
    """``approval notify`` (no budget) and the publishing worker's pass (a budget) send through either kind of TLS:
    the server's certificate checked against its name, here an address (127.0.0.1)."""
    (pm,), ids = waiting_review(make, session)
    with TlsSmtpServer(trusted, mode) as server:
        report = Mailer(world, settings=SmtpSettings.from_url(server.url)).run_once(budget=budget)
        received = server.take()
    assert report.sent == 1 and report.failed == 0
    assert [m.to for m in received] == [(pm.email,)] and server.over_tls == [True]
    (row,) = rows(session, ids)
    assert row.mail_sent_at is not None and row.mail_claim is None and row.mail_error is None


@pytest.mark.parametrize("mode", ["smtps", "starttls"])
def test_a_certificate_no_trusted_authority_signed_is_refused(world, session, make, authority, tmp_path,
                                                              monkeypatch, mode):
    """The mailer checks the certificate: one signed by an authority nobody trusts here (the system's list, or
    another private one) gets no mail and no password; the mail waits, its row saying why."""
    monkeypatch.setenv("SSL_CERT_FILE", str(Authority(tmp_path, "other").ca_file))
    _pms, ids = waiting_review(make, session)
    with TlsSmtpServer(authority, mode) as server:
        report = Mailer(world, settings=SmtpSettings.from_url(server.url)).run_once(budget=5.0)
        assert server.take() == []
    assert report.sent == 0 and report.failed == 1
    (row,) = rows(session, ids)
    assert row.mail_sent_at is None and row.mail_claim is None and row.mail_attempts == 1
    assert "certificate verify failed" in (row.mail_error or "")


@pytest.mark.parametrize("budget", [None, 5.0], ids=["notify", "worker"])
def test_a_connection_that_fails_oddly_is_a_failure_of_the_server_not_of_the_pass(world, session, make, budget):
    """A fault while connecting that is neither the network's nor the server's (here a host name no resolver takes:
    a label of 64 characters, which Python's IDNA codec refuses with a UnicodeError) ends as a refused connection
    does: the mail counts a try and says why, the others go back in the queue; the pass itself does not fail with
    the rows left claimed until their lease ends."""
    _pms, ids = waiting_review(make, session, reviewers=2)
    host = "m" * 64 + ".helio.example"
    mailer = Mailer(world, settings=SmtpSettings.from_url(f"smtp://{host}:{free_port()}?from=approval@helio.example"))
    report = mailer.run_once(budget=budget)
    assert report.failed >= 1
    tried = rows(session, ids)
    assert all(n.mail_claim is None and n.mail_claimed_until is None and n.mail_sent_at is None for n in tried)
    assert any(n.mail_attempts == 1 and "UnicodeError" in (n.mail_error or "") for n in tried)
    if budget is not None:  # the worker's pass stops at the server's first failure and rests it
        assert mailer.resting_until is not None


class DribblingTlsServer:
    """A mail server that speaks TLS (from the start, or after STARTTLS) and then sends its answer to EHLO one byte
    every ``pause`` seconds: each byte well within the client's timeout, the whole far beyond the worker's budget."""

    REPLY = b"250-localhost\r\n250-PIPELINING\r\n250-8BITMIME\r\n250 SIZE 1000\r\n"

    def __init__(self, authority: Authority, mode: str, pause: float) -> None:
        self.context, self.mode, self.pause = authority.server_context(), mode, pause
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(4)
        self.port = self.listener.getsockname()[1]
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)

    def _serve(self) -> None:
        try:
            connection, _address = self.listener.accept()
        except OSError:
            return
        try:
            if self.mode == "smtps":
                connection = self.context.wrap_socket(connection, server_side=True)
            lines = connection.makefile("rb")
            connection.sendall(b"220 localhost ESMTP\r\n")
            lines.readline()  # EHLO
            if self.mode == "starttls":
                connection.sendall(b"250-localhost\r\n250 STARTTLS\r\n")
                lines.readline()  # STARTTLS
                connection.sendall(b"220 Ready to start TLS\r\n")
                connection = self.context.wrap_socket(connection, server_side=True)
                lines = connection.makefile("rb")
                lines.readline()  # EHLO, anew
            for byte in self.REPLY:
                if self.done.wait(self.pause):
                    break
                connection.sendall(bytes([byte]))
        except OSError:
            pass
        finally:
            connection.close()

    def __enter__(self) -> DribblingTlsServer:
        self.thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.done.set()
        self.listener.close()
        self.thread.join(5)


@pytest.mark.parametrize("mode", ["smtps", "starttls"])
def test_the_budget_cuts_a_tls_session_that_answers_a_byte_at_a_time(world, session, make, trusted, mode):
    """The worker's budget holds over TLS too: STARTTLS swaps the connection's socket for a TLS one, which the
    deadline must watch (it watched the plain one, then detached, and the pass went on for the whole answer)."""
    _pms, ids = waiting_review(make, session)
    budget = 1.5
    with DribblingTlsServer(trusted, mode, pause=0.5) as server:  # the answer takes 30 s
        mailer = Mailer(world, settings=SmtpSettings.from_url(url_for(mode, server.port, timeout=30)))
        started = time.monotonic()
        report = mailer.run_once(budget=budget)
        took = time.monotonic() - started
    assert took < budget + 1.0, took
    assert report.sent == 0 and report.failed == 1
    (row,) = rows(session, ids)
    assert row.mail_sent_at is None and row.mail_claim is None and row.mail_attempts == 1
    assert "the pass's time for mail ran out" in (row.mail_error or "")
