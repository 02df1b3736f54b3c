"""The mail outbox's sender: notifications mailed at once, and the daily digests at 08:00 in each user's zone.

``APPROVAL_SMTP_URL`` says where: ``smtp://user:pass@host:587?starttls=1`` (``smtps://`` for TLS from the start;
``from=`` sets the sender: ``ops@helio.example`` or ``Approval Helio <ops@helio.example>``, percent-encoded). Over
TLS, the server's certificate is checked against its name and the system's trusted authorities (OpenSSL's
``SSL_CERT_FILE`` adds a private one). Each
pass claims due rows (see ``outbox``), commits the claim, sends through one SMTP connection, and marks each mail
sent under its claim as soon as the server accepted it. A refusal the server calls temporary (4xx), a refused or
broken connection, retries later with a backoff; a permanent one (5xx) is given up and noted on the row.

A mail is in the user's language, plain text and HTML, links to the post, and carries ``List-Unsubscribe``
leading to the preferences page.
"""

from __future__ import annotations

import ipaddress
import logging
import queue
import re
import smtplib
import socket
import ssl
import threading
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from email.header import Header
from email.message import Message
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import formataddr, formatdate, getaddresses, make_msgid
from time import monotonic
from typing import Any, cast
from urllib.parse import parse_qs, unquote, urlsplit

from flask import Flask, has_request_context, render_template, url_for
from flask_babel import force_locale, format_timedelta
from flask_babel import gettext as _
from flask_babel import ngettext, pgettext
from sqlalchemy import ColumnElement, Engine, Table, and_, bindparam, func, literal, or_, select, update
from sqlalchemy.orm import Session, joinedload, sessionmaker

from approval.access import can_see_post, revision_read_by
from approval.config import public_url
from approval.db import utcnow
from approval.models import Account, AuditEntry, Executive, Market, Post, User
from approval.models.notifications import MailMode, Notification, NotificationKind, NotificationProfile
from approval.models.publishing import StopSwitch
from approval.models.users import cabinet_members, user_markets
from approval.style.i18n import N_
from approval.workflow.states import Action, Role, State
from approval.notifications import grouping, inbox, outbox, texts
from approval.notifications.dispatch import OVERTAKEN, POST_OVERTAKEN
from approval.notifications.zones import load_zone, served_markets
from approval.publishing.addresses import lookup
from approval.publishing.holds import held_counts, stop_scope

log = logging.getLogger(__name__)

DIGEST_HOUR = time(8, 0)
#: A digest gathers at most this many items; the rest wait for the next pass.
DIGEST_MAX_ITEMS = 200


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    username: str | None = None
    password: str | None = None
    starttls: bool = False
    tls: bool = False
    sender: str = "approval@localhost"
    timeout: float = 10.0
    #: The sender's display name (``from=Approval Helio <ops@helio.example>``); None: "approval".
    sender_name: str | None = None

    @classmethod
    def from_url(cls, url: str) -> SmtpSettings:
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise ValueError("APPROVAL_SMTP_URL is smtp://[user:pass@]host[:port][?starttls=1] or smtps://...")
        query = {key: values[-1] for key, values in parse_qs(parts.query, keep_blank_values=True).items()}
        unknown = sorted(set(query) - URL_PARAMETERS)
        if unknown:  # ssl=1 was ignored: the mail went out in plain text
            raise ValueError(f"{unknown[0]}= is no parameter of the mail server's URL, which takes starttls=1, "
                             "from= and timeout= (smtps:// for TLS from the start)")
        tls = parts.scheme == "smtps"
        starttls = _yes_or_no("starttls", query.get("starttls", ""))
        port = parts.port or (465 if tls else 587 if starttls else 25)
        name, sender = _sender(query["from"]) if query.get("from") else (None, _sender_at(parts.hostname))
        return cls(host=parts.hostname, port=port, username=unquote(parts.username) if parts.username else None,
                   password=unquote(parts.password) if parts.password else None, starttls=starttls, tls=tls,
                   sender=sender, sender_name=name, timeout=float(query.get("timeout") or 10))


#: The query parameters of APPROVAL_SMTP_URL.
URL_PARAMETERS = frozenset({"starttls", "from", "timeout"})


def _address_literal(address: str) -> str:
    """``address`` as SMTP writes an address in place of a name: ``[192.0.2.1]``, ``[IPv6:2001:db8::1]``."""
    return f"[IPv6:{address.split('%')[0]}]" if ":" in address else f"[{address}]"


def _yes_or_no(key: str, value: str) -> bool:
    """A yes or no of the URL: ``starttls=maybe`` was a no, and the password went out in the clear."""
    word = value.strip().lower()
    if word not in ("1", "true", "yes", "on", "0", "false", "no", "off", ""):
        raise ValueError(f"{key}= is 1 or 0 (also true/false, yes/no, on/off), not {value!r}")
    return word in ("1", "true", "yes", "on")


#: An address an SMTP server takes as the envelope sender: a dot-atom before the @, a domain name or an address
#: literal after it (quoted local parts, legal but never seen on a sender, are left out).
_ADDRESS = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
                      r"@(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*"
                      r"|\[[A-Za-z0-9.:]+\])")


def _sender(value: str) -> tuple[str | None, str]:
    """``from=``'s display name and address: ``ops@helio.example`` or ``Approval Helio <ops@helio.example>``. A name
    alone went out as ``MAIL FROM:<Approval>``, which a real server refuses: anything but one address is refused."""
    pairs = getaddresses([value])
    name, address = pairs[0] if len(pairs) == 1 else ("", "")
    if not _ADDRESS.fullmatch(address) or any(ord(c) < 32 or ord(c) == 127 for c in value):
        raise ValueError(f"from= is one e-mail address, as ops@helio.example or Approval Helio "
                         f"<ops@helio.example> (percent-encoded in the URL), not {value!r}")
    return name.strip() or None, address


def _sender_at(host: str) -> str:
    """The sender address when ``from=`` gives none: at the mail server's name, or its address as an address
    literal (``approval@[127.0.0.1]``: a bare IP address is no mail domain, and servers refused it)."""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return f"approval@{host}"
    return f"approval@{_address_literal(str(address))}"


#: How long the end of a session (QUIT) is waited for.
QUIT_TIMEOUT_S = 2.0


class Deadline:
    """The end of a pass's time for mail (``Mailer.run_once(budget=...)``). It bounds the opening of a session: what
    is left of it bounds each of its socket operations, and at the end the socket being opened is shut, so a server
    that answers a byte at a time (or, accepting the connection, never greets) holds the pass no longer than its
    budget. A mail, once begun on an open session, runs to the server's answer or its own timeout (``release``): cut
    at the deadline, a mail the server had taken would be counted failed and sent again. No mail begins after it."""

    def __init__(self, seconds: float) -> None:
        self.at = monotonic() + seconds
        self.lock = threading.Lock()
        self.sock: socket.socket | None = None
        self.passed = False
        #: Whether the deadline shut a socket (the session being opened when the time ran out).
        self.cut = False
        self.timer = threading.Timer(max(0.0, seconds), self._shut)
        self.timer.daemon = True
        self.timer.start()

    def left(self) -> float:
        return self.at - monotonic()

    def hold(self, sock: socket.socket) -> None:
        """Watch ``sock`` (the connection just opened); shut at once when the time is already spent."""
        with self.lock:
            self.sock = sock
            if self.passed:
                self.cut = True
                _shut(sock)

    def release(self) -> None:
        """The session is open: its mails are no longer cut (the class's docstring)."""
        with self.lock:
            self.sock = None

    def _shut(self) -> None:
        with self.lock:
            self.passed = True
            if self.sock is not None:
                self.cut = True
                _shut(self.sock)

    def close(self) -> None:
        self.timer.cancel()


def _shut(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass


class ConnectionFailed(smtplib.SMTPException):
    """The connection could not be made for a reason neither the network nor the server gave (a host name no resolver
    takes, a TLS setting Python refuses): a failure of the server for the pass, tried again later as a refused
    connection is, never an error that ends the pass with its mails left claimed."""


#: How long the first session's opening waits, at most, for this machine's own name (``_MachineName``); the
#: sessions after it say their connection's address until the name is known.
MACHINE_NAME_WAIT_S = 0.5


class _MachineName:
    """The name this machine gives itself in EHLO, as smtplib finds it: its FQDN, else its address as a literal. Both
    may ask the name servers (``socket.getfqdn`` is a reverse lookup), which have no timeout, and smtplib asked on
    every connection: a name server that did not answer held the pass past its budget. Found once, in a thread of its
    own that a session's opening waits for no longer than it has."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.found = threading.Event()
        self.name = ""
        self.asked = False

    def within(self, seconds: float) -> str:
        """The name, or "" when it is not known after ``seconds``: waited for by the first session only (a name
        server that never answers costs one session's wait, not every pass's)."""
        with self.lock:
            first = not self.asked
            if first:
                self.asked = True
                threading.Thread(target=self._find, name="smtp machine name", daemon=True).start()
        return self.name if self.found.wait(max(0.0, seconds) if first else 0.0) else ""

    def _find(self) -> None:
        try:
            self.name = smtplib.SMTP().local_hostname  # unconnected: only its name is worked out
        except OSError:  # none to be found: the address of each connection is said instead
            pass
        finally:
            self.found.set()


_MACHINE_NAME = _MachineName()


class _WatchedSMTP(smtplib.SMTP):
    """An SMTP client whose sockets are handed to the pass's deadline (None: no deadline) from the moment each exists:
    the plain one as soon as connected, a TLS one (``tls``: from the start, ``smtps://``; or after ``starttls``)
    before its handshake."""

    deadline: Deadline | None = None
    #: TLS from the start (``smtps://``): the context that checks the server's certificate.
    tls: ssl.SSLContext | None = None

    def connect(self, host: str = "localhost", port: int = 0, source_address: Any = None) -> tuple[int, bytes]:
        self._host = host  # the name TLS checks the certificate against: smtplib sets it only when built connected
        return super().connect(host, port, source_address)

    def _get_socket(self, host, port, timeout):  # noqa: ANN001, ANN202 - smtplib's hook
        until = monotonic() + timeout  # the session's opening, lookups and connection, within its timeout
        name = _MACHINE_NAME.within(min(MACHINE_NAME_WAIT_S, timeout))
        sock = self._connected_socket(host, port, until, timeout)
        self._watch(sock)
        # Said in EHLO; while the machine's name is not known, its address on this connection (RFC 5321, 4.1.4).
        self.local_hostname = name or _address_literal(sock.getsockname()[0])
        if self.tls is None:
            return sock
        try:
            return self._secure(sock, self.tls)
        except BaseException:
            sock.close()  # not yet the client's, which would close it
            raise

    def _connected_socket(self, host: str, port: int, until: float, timeout: float) -> socket.socket:
        """``socket.create_connection``, but within the time left until ``until`` (``monotonic``), the server's name
        looked up included (the system's resolver has no timeout, and a name server that did not answer held the
        pass past its budget); each address found tried in the resolver's order, in what time is left. The
        deadline has no socket to shut while one is being opened: each attempt is bounded here."""
        found = lookup(host, port, within=until - monotonic())
        failure: OSError = OSError(f"{host} has no address to connect to")
        for family, kind, proto, _name, address in found:
            left = until - monotonic()
            if left <= 0:
                raise TimeoutError(f"no connection to {host} within the session's time")
            sock = socket.socket(family, kind, proto)
            try:
                sock.settimeout(left)
                if self.source_address:
                    sock.bind(self.source_address)
                sock.connect(address)  # the whole address: an IPv6 link-local one keeps its interface
                sock.settimeout(timeout)  # each step of the session, as create_connection leaves it
                return sock
            except OSError as error:
                sock.close()
                failure = error
        raise failure

    def secure(self, context: ssl.SSLContext) -> None:
        """STARTTLS, as ``smtplib.SMTP.starttls`` does it, but the deadline watches the TLS socket from before its
        handshake: ``wrap_socket`` detaches the plain socket, which the deadline could no longer shut."""
        self.ehlo_or_helo_if_needed()
        if not self.has_extn("starttls"):
            raise smtplib.SMTPNotSupportedError("STARTTLS extension not supported by server.")
        code, reply = self.docmd("STARTTLS")
        if code != 220:
            raise smtplib.SMTPResponseException(code, reply)
        assert self.sock is not None  # docmd answered on it
        self.sock = self._secure(self.sock, context)
        self.file = None
        # RFC 3207: what the server said before TLS is forgotten (its extensions are asked for anew).
        self.helo_resp = self.ehlo_resp = None
        self.esmtp_features = {}
        self.does_esmtp = False

    def _secure(self, sock: socket.socket, context: ssl.SSLContext) -> ssl.SSLSocket:
        tls = context.wrap_socket(sock, server_hostname=self._host, do_handshake_on_connect=False)
        try:
            self._watch(tls)
            tls.do_handshake()  # within the socket's timeout, and shut by the deadline at its end
        except BaseException:
            tls.close()
            raise
        return tls

    def _watch(self, sock: socket.socket) -> None:
        if self.deadline is not None:
            self.deadline.hold(sock)


class SmtpConnection:
    """One SMTP session, opened on first use and reopened after a failure. With a ``deadline``, opening it waits no
    longer than the deadline (each operation's timeout is the smaller of the server's and what is left of the pass),
    and no mail begins after it; a mail begun runs to the server's answer or the server's timeout."""

    def __init__(self, settings: SmtpSettings, deadline: Deadline | None = None) -> None:
        self.settings = settings
        self.deadline = deadline
        self.client: smtplib.SMTP | None = None

    def _timeout(self) -> float:
        if self.deadline is None:
            return self.settings.timeout
        left = self.deadline.left()
        if left <= 0:
            raise TimeoutError("the pass's time for mail is spent")
        return min(self.settings.timeout, left)

    def send(self, message: Message) -> None:
        timeout = self._timeout()  # raises once the pass's time is spent: no mail begins after it
        try:
            if self.client is None:
                self.client = self._connected(timeout)
                if self.deadline is not None:
                    self.deadline.release()
            if self.client.sock is not None:
                self.client.sock.settimeout(self.settings.timeout)
            # The envelope sender is the bare address, whatever display name the From header carries.
            self.client.send_message(message, from_addr=self.settings.sender)
        except (smtplib.SMTPException, OSError) as error:
            if self.deadline is not None and self.deadline.cut:  # the deadline shut the socket: say so
                raise TimeoutError(f"timed out: the pass's time for mail ran out before the server answered "
                                   f"({error})") from error
            raise

    def _connected(self, timeout: float) -> smtplib.SMTP:
        try:
            return self._open(timeout)
        except (smtplib.SMTPException, OSError):
            raise
        except Exception as error:  # noqa: BLE001 - any other fault of connecting fails the server, not the pass
            raise ConnectionFailed(f"{type(error).__name__}: {error}") from error

    def _open(self, timeout: float) -> smtplib.SMTP:
        s = self.settings
        # Made unconnected, so that the deadline watches the socket from the moment it exists (the greeting too).
        # The server's certificate is checked against its name and the system's trusted authorities (OpenSSL's
        # SSL_CERT_FILE or SSL_CERT_DIR add a private one).
        client = _WatchedSMTP(timeout=timeout, local_hostname="")  # its name is found as it connects (_get_socket)
        client.deadline = self.deadline
        if s.tls:
            client.tls = ssl.create_default_context()
        try:
            client.connect(s.host, s.port)
            if s.starttls and not s.tls:
                client.secure(ssl.create_default_context())
            client.ehlo_or_helo_if_needed()  # the greetings are the session's opening, under the deadline
            if s.username:
                client.login(s.username, s.password or "")
        except BaseException:
            client.close()
            raise
        return client

    def reset(self) -> None:
        client, self.client = self.client, None
        if client is not None:
            try:
                if client.sock is not None:
                    client.sock.settimeout(QUIT_TIMEOUT_S)  # the mails are sent: a slow goodbye is not waited for
                client.quit()
            except (smtplib.SMTPException, OSError):
                client.close()

    close = reset


def permanent(error: Exception) -> bool:
    """Whether the server refused for good (5xx): trying again would not help."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _msg in error.recipients.values())
    if isinstance(error, smtplib.SMTPResponseException):
        return error.smtp_code >= 500
    return False


def mail_locale(user: User, languages: Sequence[str]) -> str:
    """The language of ``user``'s mails: the one they chose (the header's switch, their profile), else the first of
    their markets (by code; a cabinet member's, of their executives' accounts) whose languages include one the mails
    are written in (``languages``, the app's), in the market's order, else English. A login saves no language (a
    browser borrowed once would write their mails for good); a market's first language is what its people read."""
    if user.locale:
        return user.locale
    for market in user.markets or served_markets(user):
        for code in market.languages or ():
            if code in languages:
                return code
    return "en"


def server_failed(error: Exception) -> bool:
    """Whether the server itself failed (no connection, no answer in time, a broken session, a refused login)
    rather than refusing one mail (its sender, a recipient, its content): the next mails would fare no better."""
    return not isinstance(error, (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused, smtplib.SMTPDataError))


def late(notification: Notification) -> bool:
    """Whether ``notification``'s mail was tried before (a refusal, or a broken connection) or given up and put back:
    either leaves its error on the row, which a first try finds empty."""
    return notification.mail_error is not None


def given_up() -> ColumnElement[bool]:
    """A mail the sender gave up (a permanent refusal, or ``outbox.MAX_ATTEMPTS`` failed tries): never sent, never
    tried again by itself. A mail it chose not to send (a deactivated user, a post they no longer see, a request
    settled since) is marked sent with its reason, not given up."""
    return and_(Notification.mail_sent_at.is_(None), Notification.mail_attempts >= outbox.MAX_ATTEMPTS,
                Notification.mail != MailMode.off)


def requeue_given_up(session: Session, *, now: datetime, by: str, since: datetime | None = None,
                     ids: Sequence[int] = ()) -> list[int]:
    """Put the given-up mails back in the queue (``approval notify requeue``), those written since ``since`` or with
    the ``ids`` given: due now, their tries counted from zero, the row saying when and by whom ahead of the error it
    had. Those no longer given up are left as they are, so running it twice requeues nothing more. The pass that
    sends them leaves out, as any mail's, the requests settled since (``Mailer.send``). Flushes; the caller commits.
    Returns the ids requeued."""
    chosen = select(Notification.id).where(given_up())
    if since is not None:
        chosen = chosen.where(Notification.at >= since)
    if ids:
        chosen = chosen.where(Notification.id.in_(ids))
    found = list(session.scalars(outbox.locked(chosen.order_by(Notification.id),
                                               session.get_bind().dialect.name == "postgresql", Notification)))
    if not found:
        return []
    note = f"Requeued at {now.isoformat(timespec='seconds')} by {by}; given up after: "
    session.execute(
        update(Notification).where(Notification.id.in_(found), given_up())
        .values(mail_attempts=0, mail_due_at=now, mail_claim=None, mail_claimed_until=None,
                mail_error=func.substr(literal(note) + func.coalesce(Notification.mail_error, ""), 1, 2000))
        .execution_options(synchronize_session=False))
    log.warning("mail: %s given-up mails put back in the queue by %s (%s%s): %s", len(found), by,
                f"since {since.isoformat()}" if since is not None else "",
                f"{', ' if since is not None else ''}ids asked {', '.join(map(str, ids))}" if ids else "",
                ", ".join(map(str, found)))
    return found


def last_digest_time(now: datetime, zone_name: str | None) -> datetime:
    """The latest 08:00 in ``zone_name`` at or before ``now`` (as an aware datetime)."""
    zone = load_zone(zone_name)
    local = now.astimezone(zone)
    today = datetime.combine(local.date(), DIGEST_HOUR, tzinfo=zone)
    if today > local:
        today = datetime.combine(local.date() - timedelta(days=1), DIGEST_HOUR, tzinfo=zone)
    return today


_MARK_SENT = (
    update(cast(Table, Notification.__table__))  # typed as any FromClause (a class may map a join): a Table here
    .where(Notification.__table__.c.id.in_(bindparam("ids", expanding=True)),
           Notification.__table__.c.mail_claim == bindparam("token"))
    .values(mail_sent_at=bindparam("now"), mail_claim=None, mail_claimed_until=None,
            mail_error=bindparam("error"))
)


class Marks:
    """Commits the "sent" marks beside the sending (group commit): each commit takes every mark that arrived while the
    previous one ran, so sending never waits for the disk. A mail is marked within about one commit of the server
    taking it; only a sender killed inside that window leaves its last mails to be sent again when their lease
    expires. ``close`` commits what is left and returns once everything is marked."""

    def __init__(self, engine: Engine, clock: Callable[[], datetime]) -> None:
        self.engine, self.clock = engine, clock
        self.queue: queue.SimpleQueue = queue.SimpleQueue()
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, name="mail-marks", daemon=True)
        self.thread.start()

    def add(self, token: str, ids: list[int], error: str | None) -> None:
        if self.error is not None:
            raise self.error
        self.queue.put((token, ids, error))

    def close(self) -> None:
        self.queue.put(None)
        self.thread.join()
        if self.error is not None:
            raise self.error

    def _run(self) -> None:
        done = False
        while not done:
            pending = [self.queue.get()]
            while True:
                try:
                    pending.append(self.queue.get_nowait())
                except queue.Empty:
                    break
            if None in pending:
                done = True
                pending = [item for item in pending if item is not None]
            if not pending or self.error is not None:
                continue
            groups: dict[tuple[str, str | None], list[int]] = defaultdict(list)
            for token, ids, error in pending:
                groups[(token, error)].extend(ids)
            try:
                with self.engine.begin() as connection:
                    now = self.clock()
                    for (token, error), ids in groups.items():
                        connection.execute(_MARK_SENT, {"ids": ids, "token": token, "now": now, "error": error})
            except BaseException as failure:  # noqa: BLE001 - handed to the sending thread
                self.error = failure


@dataclass
class MailReport:
    sent: int = 0
    digests: int = 0
    failed: int = 0
    given_up: int = 0
    #: Claimed, then given back untried: the pass's budget was spent, or the server failed.
    put_back: int = 0


#: The kinds that remind of a post waiting for its review: their mail says for how long, and who wrote it.
REMINDERS = (NotificationKind.review_reminder, NotificationKind.review_escalation)
#: The kinds that remind of a suggestion waiting for the cabinet: their mail says who wrote it and who sent it.
CABINET_REMINDERS = (NotificationKind.cabinet_reminder, NotificationKind.cabinet_escalation)
#: News that asks for action now: a mail gathering it with other news leads with it, in its subject and its text.
URGENT = (NotificationKind.missed, NotificationKind.failed, NotificationKind.unconfirmed,
          NotificationKind.policy_refuses)
#: What a post a new policy refuses (``policy_refuses``) comes to, by the state it is in when the mail is written:
#: the words of the post page's warning (``publishing.status.policy_warning``), after the version's reasons.
POLICY_OUTCOMES = {
    State.scheduled: N_("%(reason)s At its time this post will fail: edit the text (it goes back to review), or an "
                        "admin changes the policy."),
    State.approved: N_("%(reason)s It cannot be scheduled as it stands: edit the text (it goes back to review), or "
                       "an admin changes the policy."),
}
STOPS = (NotificationKind.stop_on, NotificationKind.stop_off)
#: The kinds a newer one of the same post replaces: a mail not sent yet is not sent once it is settled.
ONLY_THE_LATEST = (NotificationKind.proposal_changed,)
#: The kinds whose own words name who acted ("Camille proposes ..."): no "By" line besides.
NAMES_ITS_ACTOR = (NotificationKind.proposal_changed,)
#: Who did what, in a cabinet's mail, where "By" names the suggestion's writer.
ACTOR_WORDS = {
    NotificationKind.cabinet_requested: N_("Sent by %(name)s"),
    NotificationKind.scheduled: N_("Scheduled by %(name)s"),
    NotificationKind.published: N_("Marked as published by %(name)s"),
    NotificationKind.accepted_changed: N_("Changed by %(name)s"),
    NotificationKind.withdrawn: N_("Withdrawn by %(name)s"),
    NotificationKind.commented: N_("Comment by %(name)s"),
}
ACTOR_WORDS_ELSE = N_("Done by %(name)s")


@dataclass(frozen=True)
class Batch:
    """One mail to send: the rows it carries (a user's, due together; or a digest's), claimed under ``token``."""

    user_id: int
    ids: tuple[int, ...]
    digest: bool


class Mailer:
    def __init__(self, app: Flask, *, clock: Callable[[], datetime] = utcnow, batch: int = 100,
                 lease: timedelta = timedelta(minutes=5), settings: SmtpSettings | None = None) -> None:
        self.app = app
        engine: Engine = app.extensions["approval.db"]["engine"]
        self.engine = engine
        self.postgres = engine.dialect.name == "postgresql"
        self.sessions = sessionmaker(engine, expire_on_commit=False)
        self.clock = clock
        self.batch = batch
        self.lease = lease
        self.marks: Marks | None = None
        #: The zone each reader of the pass's mails reads times in (``_zones``), read once for the pass.
        self.reader_zones: dict[int, str] = {}
        #: After the server itself failed a budgeted pass: how many times in a row, and until when it is left alone.
        self.server_failures = 0
        self.resting_until: datetime | None = None
        url = app.config.get("SMTP_URL")
        self.settings = settings or (SmtpSettings.from_url(url) if url else None)
        self.base_url = public_url(app)

    @property
    def enabled(self) -> bool:
        return self.settings is not None

    def run_once(self, *, budget: float | None = None) -> MailReport:
        """One pass: claim what is due, send it, mark it. With a ``budget`` (seconds: the publishing worker's pass),
        the pass ends when it is spent, or at the first failure of the server itself (no connection, no answer in
        time: not a refusal of one mail), and gives back, untried, the mails it claimed and did not send; the server
        is then left alone for a while (``resting_until``), so a stalled one costs the worker one budget, not one on
        every pass."""
        report = MailReport()
        if self.settings is None:
            return report
        if budget is not None and self.resting_until is not None and self.clock() < self.resting_until:
            return report
        token = outbox.new_token()
        batches = self.claim_immediate(token) + self.claim_digests(token)
        if not batches:
            return report
        loaded = self.load([i for batch in batches for i in batch.ids], token)
        with self.sessions() as session:  # each reader's zone, in one query for the pass (``compose``)
            self.reader_zones = self._zones(session, {batch.user_id for batch in batches})
        deadline = Deadline(budget) if budget is not None else None
        connection = SmtpConnection(self.settings, deadline)
        self.marks = Marks(self.engine, self.clock)
        left: list[Batch] = []
        try:
            with self.app.test_request_context("/", base_url=self.base_url):  # url_for(_external=True) for links
                for index, batch in enumerate(batches):
                    if deadline is not None and deadline.left() <= 0:
                        left = batches[index:]
                        log.warning("mail: the pass's %s s are spent; %s mails wait for the next pass", budget,
                                    len(left))
                        break
                    error = self.send(connection, [loaded[i] for i in batch.ids if i in loaded], batch, token,
                                      report)
                    if error is None or budget is None:
                        continue
                    if server_failed(error):
                        left = batches[index + 1:]
                        self.server_failures += 1
                        self.resting_until = outbox.backoff(self.server_failures, self.clock())
                        log.warning("mail: the server %s:%s failed (%s): the pass stops; %s mails wait, the server "
                                    "is called again from %s", self.settings.host, self.settings.port, error,
                                    len(left), self.resting_until.isoformat(timespec="seconds"))
                        break
                if deadline is None or not left:
                    self.server_failures, self.resting_until = 0, None
        finally:
            if deadline is not None:
                deadline.close()
            connection.close()
            self.marks.close()  # every mark committed before the pass ends
            self.marks = None
            self.reader_zones = {}  # a mail written after the pass reads its reader's zone as it is then
        if left:
            report.put_back = self._put_back(token, [i for batch in left for i in batch.ids])
        return report

    def _put_back(self, token: str, ids: list[int]) -> int:
        """Give back claimed mails the pass did not try: free at once, their tries and due time as they were."""
        with self.engine.begin() as connection:
            table = cast(Table, Notification.__table__)  # as ``_MARK_SENT``
            return connection.execute(
                update(table).where(table.c.id.in_(ids), table.c.mail_claim == token, table.c.mail_sent_at.is_(None))
                .values(mail_claim=None, mail_claimed_until=None)).rowcount

    # Claiming --------------------------------------------------------------------------------------------------

    def _free(self, now: datetime):  # noqa: ANN202
        return and_(Notification.mail_sent_at.is_(None), Notification.mail_attempts < outbox.MAX_ATTEMPTS,
                    or_(Notification.mail_claimed_until.is_(None), Notification.mail_claimed_until < now))

    def claim_immediate(self, token: str) -> list[Batch]:
        now = self.clock()
        with self.sessions() as session, session.begin():
            rows = session.execute(outbox.locked(
                select(Notification.id, Notification.user_id, Notification.mail_attempts)
                .where(Notification.mail == MailMode.immediate, Notification.mail_due_at <= now, self._free(now))
                .order_by(Notification.id).limit(self.batch), self.postgres, Notification)).all()
            self._stamp(session, [row.id for row in rows], token, now)
        # A user's rows due together go in one mail (a reminder pass over 43 waiting posts sent 43 mails); rows at
        # the same try only, as a failure counts a try for the whole mail (a new row went with one at its last).
        mine: dict[tuple[int, int], list[int]] = defaultdict(list)
        for row in rows:
            mine[row.user_id, row.mail_attempts].append(row.id)
        return [Batch(user_id, tuple(ids), False) for (user_id, _tries), ids in mine.items()]

    def claim_digests(self, token: str) -> list[Batch]:
        """Each user's daily items written before their latest 08:00, as one mail per user."""
        now = self.clock()
        with self.sessions() as session, session.begin():
            rows = session.execute(outbox.locked(
                select(Notification.id, Notification.user_id, Notification.at)
                .where(Notification.mail == MailMode.daily, Notification.at < now,
                       or_(Notification.mail_due_at.is_(None), Notification.mail_due_at <= now), self._free(now))
                .order_by(Notification.user_id, Notification.id).limit(self.batch * 20),
                self.postgres, Notification)).all()
            if not rows:
                return []
            zones = self._zones(session, {row.user_id for row in rows})
            chosen: dict[int, list[int]] = defaultdict(list)
            for row in rows:
                if row.at < last_digest_time(now, zones.get(row.user_id)) and \
                        len(chosen[row.user_id]) < DIGEST_MAX_ITEMS:
                    chosen[row.user_id].append(row.id)
            self._stamp(session, [i for ids in chosen.values() for i in ids], token, now)
        return [Batch(user_id, tuple(ids), True) for user_id, ids in chosen.items()]

    def _zones(self, session, user_ids: set[int]) -> dict[int, str]:  # noqa: ANN001
        """Each user's digest zone: their own, else their first market's (by code; a cabinet member's, the first
        their executives' accounts are in), else UTC (``zones.zone_of``, in SQL)."""
        first_market = (select(Market.timezone).join(user_markets, user_markets.c.market_id == Market.id)
                        .where(user_markets.c.user_id == User.id).order_by(Market.code).limit(1).scalar_subquery())
        executives_market = (
            select(Market.timezone).join(Account, Account.market_id == Market.id)
            .join(cabinet_members, cabinet_members.c.executive_id == Account.executive_id)
            .where(cabinet_members.c.user_id == User.id).order_by(Market.code).limit(1).scalar_subquery())
        rows = session.execute(
            select(User.id, NotificationProfile.timezone, first_market, executives_market)
            .outerjoin(NotificationProfile, NotificationProfile.user_id == User.id).where(User.id.in_(user_ids))
        ).all()
        return {user_id: own or market or served or "UTC" for user_id, own, market, served in rows}

    def _stamp(self, session, ids: list[int], token: str, now: datetime) -> None:  # noqa: ANN001
        if ids:
            session.execute(update(Notification).where(Notification.id.in_(ids))
                            .values(mail_claim=token, mail_claimed_until=now + self.lease)
                            .execution_options(synchronize_session=False))

    # Sending ---------------------------------------------------------------------------------------------------

    def load(self, ids: list[int], token: str) -> dict[int, Notification]:
        """The claimed rows with what their mail shows, in one query (rows claimed since by another sender are
        left out)."""
        with self.sessions() as session:
            return {n.id: n for n in session.scalars(
                select(Notification).where(Notification.id.in_(ids), Notification.mail_claim == token)
                .options(joinedload(Notification.user).selectinload(User.markets),
                         # A cabinet member's language is that of their executives' markets (``mail_locale``).
                         joinedload(Notification.user).selectinload(User.executives)
                         .selectinload(Executive.accounts).joinedload(Account.market),
                         joinedload(Notification.post).joinedload(Post.account).joinedload(Account.market),
                         joinedload(Notification.post).joinedload(Post.account).joinedload(Account.executive)
                         .selectinload(Executive.cabinet),
                         joinedload(Notification.post).joinedload(Post.current_revision),
                         joinedload(Notification.post).joinedload(Post.created_by),
                         joinedload(Notification.post).joinedload(Post.approved_by),
                         joinedload(Notification.actor), joinedload(Notification.market))).unique()}

    def send(self, connection: SmtpConnection, items: list[Notification], batch: Batch, token: str,
             report: MailReport) -> Exception | None:
        """Send one batch's mail; the error when the server did not take it (recorded on its rows), else None."""
        if not items:
            return None
        user = items[0].user
        if not user.active:
            self._finish(token, [n.id for n in items], error="the user is deactivated")
            return None
        # Markets or role changed since the notification was written: a post the user can no longer see is not
        # mailed (its text would leave with it), as the in-app list no longer shows it.
        hidden = [n.id for n in items if n.post is not None and not can_see_post(user, n.post)]
        if hidden:
            self._finish(token, hidden, error="the user can no longer see the post")
            items = [n for n in items if n.id not in hidden]
            if not items:
                return None
        # A request a colleague answered since (a review given, the post gone on): a mail sent late asks only for
        # what still awaits its reader, as the in-app list says "no longer waiting". The daily digest, and a mail
        # tried again, refused for a while or given up and put back (``requeue_given_up``); a first try goes out
        # as the news is written; but a time proposed, then another, is not mailed once another replaced it (nor
        # once it was answered): only the latest proposal holds.
        settled = [n.id for n in items if (batch.digest or late(n) or n.kind in ONLY_THE_LATEST)
                   and inbox.no_longer_awaited(n)]
        if settled:
            self._finish(token, settled, error="settled before the digest" if batch.digest else
                         "settled before the mail")
            items = [n for n in items if n.id not in settled]
            if not items:
                return None
        # Approved and scheduled in one go, a post's "approved" is overtaken by its "scheduled" in the same mail
        # (``dispatch.OVERTAKEN_BY``): the later one says it all.
        overtaken = [n.id for n in items if n.kind in POST_OVERTAKEN and n.post_id is not None and any(
            m.id > n.id and m.post_id == n.post_id and m.kind in POST_OVERTAKEN[n.kind] for m in items)]
        if overtaken:
            self._finish(token, overtaken, error=OVERTAKEN)
            items = [n for n in items if n.id not in overtaken]
        message = self.compose(user, items, digest=batch.digest)
        try:
            connection.send(message)
        except (smtplib.SMTPException, OSError) as error:
            connection.reset()
            self._failed(token, items, error, report)
            return error
        self._finish(token, [n.id for n in items])
        if batch.digest:
            report.digests += 1
        else:
            report.sent += 1
        return None

    def _finish(self, token: str, ids: list[int], error: str | None = None) -> None:
        """Mark ``ids`` sent as soon as possible: a mail the server took is not sent again."""
        if self.marks is not None:
            self.marks.add(token, ids, error)
            return
        with self.engine.begin() as connection:
            connection.execute(_MARK_SENT, {"ids": ids, "token": token, "now": self.clock(), "error": error})

    def _failed(self, token: str, items: list[Notification], error: Exception, report: MailReport) -> None:
        now = self.clock()
        attempts = max(n.mail_attempts for n in items) + 1
        give_up = permanent(error) or attempts >= outbox.MAX_ATTEMPTS
        log.warning("mail to user %s failed (attempt %s%s): %s", items[0].user_id, attempts,
                    ", given up" if give_up else "", error)
        with self.sessions() as session, session.begin():
            session.execute(
                update(Notification).where(Notification.id.in_([n.id for n in items]),
                                           Notification.mail_claim == token)
                .values(mail_attempts=outbox.MAX_ATTEMPTS if give_up else attempts, mail_claim=None,
                        mail_claimed_until=None, mail_due_at=outbox.backoff(attempts, now),
                        mail_error=f"{type(error).__name__}: {error}"[:2000])
                .execution_options(synchronize_session=False))
        if give_up:
            report.given_up += 1
        else:
            report.failed += 1

    # Writing ---------------------------------------------------------------------------------------------------

    def compose(self, user: User, items: list[Notification], *, digest: bool) -> Message:
        """The mail for ``items``, in ``user``'s language and zone (a slot's "06:00 your time", as the post pages
        say it): plain text and HTML."""
        if not has_request_context():
            with self.app.test_request_context("/", base_url=self.base_url):
                return self.compose(user, items, digest=digest)
        assert self.settings is not None
        locale = mail_locale(user, self.app.config["LANGUAGES"])
        zone = self.reader_zones.get(user.id)
        if zone is None:  # a mail written outside a pass
            with self.sessions() as session:
                zone = self._zones(session, {user.id}).get(user.id, "UTC")
        with force_locale(locale), texts.reading_in(zone):
            preferences = url_for("notifications.preferences", _external=True)
            if not digest:  # the urgent first (a digest tells what happened in its order)
                items = sorted(items, key=lambda n: n.kind not in URGENT)
            # The notices of one act on the posts of one set, one entry (``grouping``); a cabinet reads each
            # suggestion of its executives on its own.
            entries = [self._group_entry(line, user) if isinstance(line, grouping.Group) else self._entry(line, user)
                       for line in grouping.gather(items, alone=lambda _n: user.role == Role.cabinet)]
            if digest:
                subject = _("Your daily digest: %(n)s notifications", n=len(items)) if len(items) > 1 else \
                    _("Your daily digest: %(title)s", title=entries[0]["title"])
                intro = _("What happened since your last digest:")
            elif len(entries) > 1:
                subject = self._subject(items, entries)
                intro = ""
            else:
                subject = entries[0]["title"] + (f" — {entries[0]['excerpt']}" if entries[0]["excerpt"] else "")
                intro = ""
            footer = _("You receive this because of your notification preferences: %(url)s", url=preferences)
            lines = [f"{_('Hello %(name)s,', name=user.name)}", ""]
            if intro:
                lines += [intro, ""]
            for entry in entries:
                lines.append(f"* {entry['title']}")
                for detail in entry["details"]:  # a quoted comment keeps its lines, each indented
                    lines.append("  " + detail.replace("\n", "\n  "))
                if entry.get("online"):
                    lines.append(f"  {_('Online at %(url)s', url=entry['online'])}")
                if entry["body"]:  # the post's text, as the HTML part quotes it
                    lines.append(f"  > {entry['body']}")
                if entry["url"]:
                    lines.append(f"  {entry['url']}")
                for other in entry.get("more", ()):
                    lines.append(f"  {other['link']}{pgettext('between a name and what follows', ': ')}{other['url']}")
                lines.append("")
            lines += ["-- ", footer]
            html = render_template("mail/notifications.html", user=user, entries=entries, intro=intro,
                                   footer=footer, preferences=preferences, subject=subject)
        # The classic MIME classes: the same message as EmailMessage writes, at a fraction of its header parsing.
        message = MIMEMultipart("alternative")
        message.attach(MIMEText("\n".join(lines), "plain", "utf-8"))
        message.attach(MIMEText(html, "html", "utf-8"))
        # typeshed types MIMEBase's header values as str; the email package documents Header values too.
        message["Subject"] = Header(subject, "utf-8")  # type: ignore[assignment]
        message["From"] = formataddr((self.settings.sender_name or "approval", self.settings.sender), charset="utf-8")
        message["To"] = formataddr((user.name, user.email), charset="utf-8")
        message["Date"] = formatdate(usegmt=True)
        message["Message-ID"] = make_msgid(domain=self.settings.sender.rpartition("@")[2] or "localhost")
        message["List-Unsubscribe"] = f"<{preferences}>"
        message["Auto-Submitted"] = "auto-generated"
        message["Content-Language"] = locale
        return message

    @staticmethod
    def _subject(items: list[Notification], entries: list[dict]) -> str:
        """A mail's subject for several items (urgent ones first): one kind, its title and how many more; several, the
        urgent one's title and how many others, or only how many (the first one's title named them all)."""
        others = len(entries) - 1
        if len({entry["title"] for entry in entries}) == 1:
            return ngettext("%(title)s, and %(num)s more", "%(title)s, and %(num)s more", others,
                            title=entries[0]["title"])
        if items[0].kind in URGENT:
            return ngettext("%(title)s, and %(num)s other notification", "%(title)s, and %(num)s other notifications",
                            others, title=entries[0]["title"])
        return ngettext("%(num)s new notification", "%(num)s new notifications", len(entries))

    def _entry(self, n: Notification, user: User) -> dict:
        if n.kind in STOPS and n.post_id is None:
            return self._stop_entry(n, user)
        details = []
        post = n.post
        # A cabinet wrote nothing and reads of a suggestion: "By" names its writer, and who did what is said apart
        # ("Sent by Lucile Tardieu"), as is the sender of a suggestion that waits for the cabinet.
        by_writer = post is not None and (user.role == Role.cabinet or n.kind in CABINET_REMINDERS)
        if post is not None:
            details.append(texts.account_line(post))
            if n.kind == NotificationKind.scheduled and (slot := texts.slot_line(post)):
                details.append(slot)
            if n.kind == NotificationKind.policy_refuses and post.state is State.scheduled and post.scheduled_at:
                details.append(_("Scheduled for %(time)s.", time=texts.slot_said(post.scheduled_at,
                                                                                  post.account.market.timezone)))
            if n.kind == NotificationKind.accepted_changed and (dropped := self._dropped_slot(n)):
                details.append(_("The edit dropped its slot of %(time)s.",
                                 time=texts.slot_said(dropped, post.account.market.timezone)))
            if n.kind in REMINDERS and post.state is State.in_review and post.submitted_at is not None:
                details.append(_("In review for %(age)s; written by %(name)s.", name=post.created_by.name,
                                 age=format_timedelta(self.clock() - post.submitted_at, granularity="minute",
                                                      threshold=1.1)))
            if by_writer:
                details.append(_("By %(name)s", name=post.created_by.name))
                if n.kind in CABINET_REMINDERS and post.approved_by is not None and post.approved_by != user:
                    details.append(_("Sent by %(name)s", name=post.approved_by.name))
        elif n.market is not None:
            details.append(str(n.market))
        if n.actor is not None and n.kind not in NAMES_ITS_ACTOR:
            details.append(_(ACTOR_WORDS.get(n.kind, ACTOR_WORDS_ELSE), name=n.actor.name) if by_writer
                           else _("By %(name)s", name=n.actor.name))
        more = []
        if n.kind == NotificationKind.proposal_changed:
            # Who proposes what, the slot it would move and what to do: the app's own words, not quoted.
            if words := texts.said(n.comment, n.why):
                details.append(words)
        elif n.kind == NotificationKind.policy_refuses:
            # The version and the findings that refuse it, not quoted: the app's own words, with what they mean for
            # the post as it stands now; and the desk, which lists every post the policy refuses.
            if words := texts.said(n.comment, n.why):
                outcome = POLICY_OUTCOMES.get(post.state) if post is not None else None
                details.append(_(outcome, reason=words) if outcome else words)
            more.append({"url": url_for("publishing.desk", _anchor="policy", _external=True),
                         "link": _("Open the publishing desk")})
        elif n.kind in texts.FRAMED:
            # What the call came to and what to do, in the reader's language, as the desk says it; then the
            # network's own words, quoted (its English, its JSON: what its support asks for), on one line.
            if told := texts.told(n.kind, n.comment, n.why):
                details.append(told.sentence)
                if told.words:
                    details.append(f"{_('The network said:')} {texts.quoted(told.words)}")
        elif words := texts.said(n.comment, n.why):
            details.append(texts.quoted(words, lines=True))
        text = self._text_read_by(post, user) if post is not None else None
        return {
            "title": texts.title_for(n, user),
            "excerpt": texts.excerpt(text, 60),
            "details": details,
            "body": texts.excerpt(text, 280),
            "url": url_for("posts.show_post", post_id=n.post_id, _external=True) if n.post_id else None,
            "link": _("Open the post"),
            #: Other pages the mail leads to, after the post: each a ``url`` and its ``link``.
            "more": more,
            # Where a published post is online: what its readers are asked for first ("did it go out? where?").
            "online": post.published_url if post is not None and n.kind == NotificationKind.published else None,
            "at": n.at,
        }

    def _group_entry(self, group: grouping.Group, user: User) -> dict:
        """One act on the posts of a set (``grouping``): how many, by whom, the message written for them all (the
        first's text), the set's page, and each post with its account, its slot or where it is online."""
        first = group.first
        details = []
        if first.actor is not None:
            details.append(_("By %(name)s", name=first.actor.name))
        if words := texts.said(first.comment, first.why):
            details.append(texts.quoted(words, lines=True))
        more = []
        for n in sorted(group.members, key=lambda n: n.post_id or 0):
            assert n.post is not None  # a group's notices are of posts of a set
            line = texts.account_line(n.post)
            if n.kind == NotificationKind.scheduled and (slot := texts.slot_line(n.post)):
                line = f"{line} — {slot}"
            if n.kind == NotificationKind.published and n.post.published_url:
                details.append(f"{texts.account_line(n.post)} — {_('Online at %(url)s', url=n.post.published_url)}")
            more.append({"url": url_for("posts.show_post", post_id=n.post_id, _external=True), "link": line})
        text = self._text_read_by(first.post, user) if first.post is not None else None
        return {
            "title": grouping.title(group, user),
            "excerpt": texts.excerpt(text, 60),
            "details": details,
            "body": texts.excerpt(text, 280),
            "url": url_for("sets.show_set", set_id=group.set_id, _external=True),
            "link": _("Open the set"),
            "more": more,
            "online": None,
            "at": group.at,
        }

    def _text_read_by(self, post: Post, user: User) -> str:
        """The post's text as ``user`` reads it: a cabinet, the last one a project manager sent it, not what the
        writers saved since (``access.read_by``)."""
        if user.role != Role.cabinet:
            return post.body
        with self.sessions() as session:
            revision = revision_read_by(session, post, user)
            return revision.body if revision is not None else ""

    def _dropped_slot(self, n: Notification) -> datetime | None:
        """The slot the edit that ``n`` tells of dropped (its audit row's ``dropped_slot``), if it dropped one."""
        with self.sessions() as session:
            payload = session.scalar(
                select(AuditEntry.payload).where(AuditEntry.post_id == n.post_id, AuditEntry.action == Action.edit,
                                                 AuditEntry.at <= n.at)
                .order_by(AuditEntry.id.desc()).limit(1))
        dropped = (payload or {}).get("dropped_slot")
        return datetime.fromisoformat(dropped) if dropped else None

    def _stop_entry(self, n: Notification, user: User) -> dict:
        """A stop switch turned on or off: where, by whom, why; when off, how many posts it held still wait for a new
        time. It leads a manager to the stop switches (to the publishing desk when posts wait), and a community
        manager, who opens neither, to their market's calendar, which marks what is held."""
        # What stays held of the reader's, counted when the switch went off (``dispatch._held_told``); a notification
        # written before it counted is counted now.
        held = texts.held(n.why) if n.kind is NotificationKind.stop_off else None
        stop, waiting = self._stop_of(n, user, count=held is None)
        # What it stopped: a campaign's switch, or one over everything, names no market (the mail said nothing).
        details = [stop_scope(stop)] if stop is not None else [str(n.market)] if n.market is not None else []
        if n.actor is not None:
            details.append(_("By %(name)s", name=n.actor.name))
        if n.comment:
            details.append(texts.quoted(n.comment))
        if held is not None:
            details.append(held.sentence)
            waiting = held.count
        elif n.kind is NotificationKind.stop_off and stop is not None:
            details.append(ngettext("%(num)d post it held waits for a new time.",
                                    "%(num)d posts it held wait for a new time.", waiting) if waiting
                           else _("No post waits for a new time."))
        if user.role not in (Role.project_manager, Role.admin):
            url = url_for("calendar.show_calendar", market=n.market.code if n.market is not None else None,
                          _external=True)
            link = _("Open the calendar")
        elif waiting:
            url, link = url_for("publishing.desk", _external=True), _("Open the publishing desk")
        else:
            url = url_for("publishing.stops", _anchor=f"stop-{stop.id}" if stop is not None else None,
                          _external=True)
            link = _("Open the stop switches")
        return {"title": texts.title(n.kind), "excerpt": "", "details": details, "body": "", "url": url, "link": link,
                "at": n.at}

    def _stop_of(self, n: Notification, user: User, *, count: bool = True) -> tuple[StopSwitch | None, int]:
        """The stop switch ``n`` tells of (``inbox.stops_told``), and, once it is off (with ``count``), how many of
        the posts ``user`` sees it holds, still waiting for a new time (``held_counts``): a switch over everything
        held other markets' posts too, none of a community manager's business, not even as a number."""
        with self.sessions() as session:
            stop = inbox.stops_told(session, [n]).get(n.id)
            off = n.kind is NotificationKind.stop_off and count
            waiting = held_counts(session, user, [stop])[stop.id] if stop is not None and off else 0
        return stop, waiting
